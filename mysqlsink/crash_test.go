package mysqlsink_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/testenv"
	"github.com/openmessaging/connect-go/mysqlsink"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/rocketmq"
)

// crashEnv makes TestKill9 run as the worker that gets killed:
// "TOPIC DATABASE DELIVERY".
const crashEnv = "MYSQLSINK_CRASH_CHILD"

// openRocketMQ returns an open RocketMQ transport to the test broker.
func openRocketMQ(t testing.TB, instance string, opts ...rocketmq.Option) *rocketmq.Transport {
	t.Helper()
	namesrv, broker := testenv.RocketMQ(t)
	tr := rocketmq.New(append([]rocketmq.Option{
		rocketmq.WithNameServers([]string{namesrv}),
		rocketmq.WithBrokerAddrs([]string{broker}),
		rocketmq.WithInstanceName(instance),
	}, opts...)...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tr.Open(ctx); err != nil {
		t.Fatalf("open RocketMQ: %v", err)
	}
	return tr
}

// crashChild runs a worker whose sink reads topic from RocketMQ into the
// audit table of database, until the parent kills it.
func crashChild(t *testing.T, spec string) {
	f := strings.Fields(spec)
	topic, database, delivery := f[0], f[1], f[2]
	// A long commit interval: a kill loses more acknowledged offsets, so
	// more records come again.
	tr := openRocketMQ(t, fmt.Sprintf("crash-%d", os.Getpid()), rocketmq.WithCommitInterval(2*time.Second))
	rt := runtime.New(runtime.WithTransport(tr),
		runtime.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
		runtime.WithPlugin("MySQLSink", func() connect.Connector { return mysqlsink.New() }))
	ctx := context.Background()
	if err := rt.Start(ctx); err != nil {
		t.Fatal(err)
	}
	srv := needServer(t)
	if err := rt.CreateConnector(ctx, "audit", connect.Config{"connector.class": "MySQLSink", "topics": topic,
		"host": srv.host, "port": srv.port, "user": srv.user, "password": srv.password, "database": database,
		"table.name.format": "audit", "insert.mode": "insert", "primary.key.mode": "none", "delete.enabled": "false",
		"delivery": delivery, "batch.size.max": "50", "tasks.max": "2", "errors.retry.timeout": "-1"}); err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	select {} // until killed
}

// A worker killed with SIGKILL at random moments, again and again, while
// its sink writes from RocketMQ into MariaDB: under exactly_once every
// record is in the table once; under at_least_once none is missing and the
// duplicates are counted.
func TestKill9(t *testing.T) {
	if spec := os.Getenv(crashEnv); spec != "" {
		crashChild(t, spec)
		return
	}
	if testing.Short() {
		t.Skip("spawns worker processes")
	}
	for _, delivery := range []string{mysqlsink.DeliveryExactlyOnce, mysqlsink.DeliveryAtLeastOnce} {
		t.Run(delivery, func(t *testing.T) { kill9(t, delivery) })
	}
}

func kill9(t *testing.T, delivery string) {
	const n, rounds = 100000, 6
	db := newTestDB(t)
	db.exec(auditTable)
	tr := openRocketMQ(t, fmt.Sprintf("crash-parent-%d-%x", os.Getpid(), rand.Uint32()))
	defer tr.Close()
	topic := fmt.Sprintf("mysqlsink_crash_%s_%x", strings.ReplaceAll(delivery, "_", ""), rand.Uint32())
	if err := tr.CreateTopic(context.Background(), topic, 4); err != nil {
		t.Fatal(err)
	}
	publish(t, tr, topic, 0, n)

	run := func(until func()) {
		t.Helper()
		testenv.KillChild(t, "TestKill9", []string{fmt.Sprintf("%s=%s %s %s", crashEnv, topic, db.name, delivery)}, until)
	}
	rows := func() int {
		c, _ := strconv.Atoi(db.rows("SELECT COUNT(*) FROM audit")[0][0])
		return c
	}
	kills := 0
	for round := range rounds {
		start := rows()
		run(func() {
			// Kill once the worker writes, at a random moment after.
			for deadline := time.Now().Add(time.Minute); rows() == start && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(time.Duration(rand.IntN(1000)) * time.Millisecond)
		})
		kills++
		t.Logf("round %d: killed at %d rows", round, rows())
	}
	// A last run until every record is in, or nothing moves for 20s.
	run(func() {
		last, since := -1, time.Now()
		for {
			c := auditCounts(t, db)
			if len(c) == n || time.Since(since) > 20*time.Second {
				return
			}
			if len(c) != last {
				last, since = len(c), time.Now()
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	missing, dups := checkExact(t, auditCounts(t, db), n)
	t.Logf("%s: %d records, %d kills, %d missing, %d duplicates", delivery, n, kills, missing, dups)
	if missing > 0 {
		t.Errorf("%d of %d records missing", missing, n)
	}
	if delivery == mysqlsink.DeliveryExactlyOnce && dups > 0 {
		t.Errorf("exactly_once: %d duplicates", dups)
	}
}
