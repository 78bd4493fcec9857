package mysqlsink_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/testenv"
	"github.com/openmessaging/connect-go/mysqlsink"
	"github.com/openmessaging/connect-go/mysqlsource"
	"github.com/openmessaging/connect-go/offset"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/rocketmq"
)

// replEnv makes TestReplicationKill9 run as the worker that gets killed:
// "RUN PREFIX DATABASE DELIVERY", and "SOURCEDB OFFSETFILE" when it runs
// the source too.
const replEnv = "MYSQLSINK_REPL_CHILD"

// replChild runs the sink worker: the items topic upserted into items, the
// audit topic appended to audit_log; and, when the spec names a source
// database, the MySQL source reading it, its positions in a file.
func replChild(t *testing.T, spec string) {
	f := strings.Fields(spec)
	run, prefix, database, delivery := f[0], f[1], f[2], f[3]
	tr := openRocketMQ(t, fmt.Sprintf("repl-%d", os.Getpid()), rocketmq.WithCommitInterval(2*time.Second))
	opts := []runtime.Option{runtime.WithTransport(tr),
		runtime.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))),
		runtime.WithPlugin("MySQLSink", func() connect.Connector { return mysqlsink.New() }),
		runtime.WithPlugin("MySQLSource", func() connect.Connector { return mysqlsource.New() })}
	if len(f) == 6 {
		store := offset.NewFile(f[5])
		defer store.Close()
		opts = append(opts, runtime.WithOffsetStore(store))
	}
	rt := runtime.New(opts...)
	ctx := context.Background()
	if err := rt.Start(ctx); err != nil {
		t.Fatal(err)
	}
	sourceDB := ""
	if len(f) == 6 {
		sourceDB = f[4]
	}
	for name, cfg := range replConnectors(needServer(t), run, prefix, database, delivery, sourceDB) {
		if err := rt.CreateConnector(ctx, name, cfg); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Println("ready")
	select {} // until killed
}

// replConnectors returns the connectors of the replication's worker, by
// name: the items topic upserted into items, the audit topic appended to
// audit_log, and the MySQL source of database sourceDB when not empty.
func replConnectors(srv server, run, prefix, database, delivery, sourceDB string) map[string]connect.Config {
	common := connect.Config{"connector.class": "MySQLSink", "host": srv.host, "port": srv.port, "user": srv.user,
		"password": srv.password, "database": database, "delivery": delivery, "tasks.max": "2",
		"batch.size.max": "50", "errors.retry.timeout": "-1"}
	items := connect.Config{"topics": prefix + "items", "table.name.format": "${source.table}"}
	audit := connect.Config{"topics": prefix + "audit", "table.name.format": "audit_log", "insert.mode": "insert",
		"primary.key.mode": "none", "delete.enabled": "false"}
	if delivery == mysqlsink.DeliveryExactlyOnce {
		common["source.dedupe"] = "true"
	}
	out := map[string]connect.Config{}
	for name, cfg := range map[string]connect.Config{"items": items, "audit": audit} {
		for k, v := range common {
			cfg[k] = v
		}
		out["repl-"+name+"-"+run] = cfg
	}
	if sourceDB != "" {
		out["repl-source-"+run] = sourceConfig(srv, sourceDB, prefix)
	}
	return out
}

// The replication of the issue: the MySQL source on database A, in this
// process, publishes to RocketMQ while a writer runs inserts, updates,
// deletes, primary key changes and multi-row transactions over many column
// types; the sink worker, a child process writing into database B, is
// killed with SIGKILL five times at random moments. At the end B's table
// equals A's row by row and by CHECKSUM TABLE, and an append-only audit
// table fed through the same pipeline holds each event once (exactly_once)
// or at least once (at_least_once, duplicates counted).
//
// The source runs in this process and is not killed in the first two
// runs. In the third (source_killed) it runs in the killed worker too, its
// positions in a file, and in the fourth (connectd) the killed worker is
// the connectd binary, the connectors created through its REST API and
// kept in its data directory: a restarted source publishes again what it
// published after its last stored position, new messages with new
// transport offsets, which exactly_once skips by their binlog positions
// (source.dedupe): B's table equals A's and the audit table holds each
// event once here too.
func TestReplicationKill9(t *testing.T) {
	if spec := os.Getenv(replEnv); spec != "" {
		replChild(t, spec)
		return
	}
	if testing.Short() {
		t.Skip("spawns worker processes")
	}
	for _, delivery := range []string{mysqlsink.DeliveryExactlyOnce, mysqlsink.DeliveryAtLeastOnce} {
		t.Run(delivery, func(t *testing.T) { replicate(t, delivery, killSink) })
	}
	t.Run("source_killed", func(t *testing.T) { replicate(t, mysqlsink.DeliveryExactlyOnce, killSourceAndSink) })
	t.Run("connectd", func(t *testing.T) { replicate(t, mysqlsink.DeliveryExactlyOnce, killConnectd) })
}

// What TestReplicationKill9 kills.
const (
	killSink          = iota // a worker running the sinks; the source runs in the test
	killSourceAndSink        // a worker running the source and the sinks
	killConnectd             // the connectd binary running the source and the sinks
)

// sourceConfig is the MySQL source of the replication: database db of
// srv, typed rows in Kafka's schema envelope, topics prefixed.
func sourceConfig(srv server, db, prefix string) connect.Config {
	return connect.Config{
		"connector.class": "MySQLSource", "host": srv.host, "port": srv.port, "user": srv.user, "password": srv.password,
		"database.include": db, "topic.prefix": prefix,
		"key.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter": "org.apache.kafka.connect.json.JsonConverter",
	}
}

func replicate(t *testing.T, delivery string, kill int) {
	a, b := newTestDB(t), newTestDB(t)
	a.exec(`CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(12,3), at DATETIME(6), ts TIMESTAMP(3) NULL,
		doc JSON, bin VARBINARY(16), u BIGINT UNSIGNED, bits BIT(5), e ENUM('x','y'), tm TIME(6), y YEAR, f FLOAT, d DOUBLE, txt TEXT)`,
		"CREATE TABLE audit (seq BIGINT AUTO_INCREMENT PRIMARY KEY, ev BIGINT NOT NULL)")
	ddl := a.rows("SHOW CREATE TABLE items")[0][1]
	b.exec(ddl, "CREATE TABLE audit_log (n BIGINT AUTO_INCREMENT PRIMARY KEY, seq BIGINT NOT NULL, ev BIGINT NOT NULL, KEY (seq))")

	run := fmt.Sprintf("%x", rand.Uint32())
	prefix := "repl_" + run + "_"
	tr := openRocketMQ(t, "repl-parent-"+run)
	defer tr.Close()
	for _, topic := range []string{prefix + "items", prefix + "audit"} {
		if err := tr.CreateTopic(context.Background(), topic, 4); err != nil {
			t.Fatal(err)
		}
	}
	child := fmt.Sprintf("%s %s %s %s", run, prefix, b.name, delivery)
	start := func(until func()) {
		t.Helper()
		testenv.KillChild(t, "TestReplicationKill9", []string{replEnv + "=" + child}, until)
	}
	switch kill {
	case killSourceAndSink:
		child += fmt.Sprintf(" %s %s", a.name, filepath.Join(t.TempDir(), "offsets.json"))
	case killConnectd:
		w := &connectdWorker{bin: buildConnectd(t), dataDir: t.TempDir(), connectors: replConnectors(a.srv, run, prefix, b.name, delivery, a.name)}
		start = func(until func()) { t.Helper(); w.run(t, until) }
	default:
		rt := runtime.New(runtime.WithTransport(tr),
			runtime.WithPlugin("MySQLSource", func() connect.Connector { return mysqlsource.New() }))
		if err := rt.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer rt.Stop(context.Background())
		if err := rt.CreateConnector(context.Background(), "repl-source-"+run, sourceConfig(a.srv, a.name, prefix)); err != nil {
			t.Fatal(err)
		}
	}

	// The writer.
	const txs = 1500
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		writeChanges(t, a, txs)
	}()

	count := func(db *testDB, q string) int {
		n, _ := strconv.Atoi(db.rows(q)[0][0])
		return n
	}
	const kills = 5
	for round := range kills {
		start(func() { time.Sleep(time.Duration(1000+rand.IntN(2500)) * time.Millisecond) })
		t.Logf("kill %d: %d audit rows in B", round+1, count(b, "SELECT COUNT(*) FROM audit_log"))
	}
	wg.Wait()
	sum := func(db *testDB, table string) string { return db.rows("CHECKSUM TABLE " + table)[0][1] }
	start(func() {
		for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if count(b, "SELECT COUNT(DISTINCT seq) FROM audit_log") < txs {
				continue
			}
			if delivery == mysqlsink.DeliveryAtLeastOnce {
				time.Sleep(3 * time.Second) // redeliveries
				return
			}
			if sum(a, "items") == sum(b, "items") {
				return
			}
		}
	})
	// Under at_least_once the copy may differ: a task that still held a
	// queue during a rebalance may write an older change after the new
	// owner wrote a later one. Counted, not failed.
	fail := t.Errorf
	if delivery == mysqlsink.DeliveryAtLeastOnce {
		fail = t.Logf
	}
	if sa, sb := sum(a, "items"), sum(b, "items"); sa != sb {
		fail("CHECKSUM TABLE items: A %s, B %s", sa, sb)
	}
	rowsA, rowsB := a.rows("SELECT * FROM items ORDER BY id"), b.rows("SELECT * FROM items ORDER BY id")
	if !reflect.DeepEqual(rowsA, rowsB) {
		fail("items differ: %d of A's %d rows are not in B as they are in A (B has %d rows)", diffRows(rowsA, rowsB), len(rowsA), len(rowsB))
	}
	counts := map[string]int{}
	for _, r := range b.rows("SELECT seq, COUNT(*) FROM audit_log GROUP BY seq") {
		counts[r[0]], _ = strconv.Atoi(r[1])
	}
	missing, dups := 0, 0
	for _, r := range a.rows("SELECT seq FROM audit") {
		switch c := counts[r[0]]; {
		case c == 0:
			missing++
		case c > 1:
			dups += c - 1
		}
	}
	killed := []string{"sink worker", "source and sink worker", "connectd running the source and the sinks"}[kill]
	t.Logf("%s: %d transactions (%d rows in items), %d kills of the %s, audit: %d missing, %d duplicates",
		delivery, txs, len(rowsA), kills, killed, missing, dups)
	if missing > 0 {
		t.Errorf("%d audit events missing", missing)
	}
	if delivery == mysqlsink.DeliveryExactlyOnce && dups > 0 {
		t.Errorf("exactly_once: %d audit events written twice", dups)
	}
}

// diffRows counts the rows of a that b does not hold as they are.
func diffRows(a, b [][]string) int {
	in := map[string]bool{}
	for _, r := range b {
		in[strings.Join(r, "\x00")] = true
	}
	n := 0
	for _, r := range a {
		if !in[strings.Join(r, "\x00")] {
			n++
		}
	}
	return n
}

// writeChanges runs n transactions on a: each appends an audit event and
// inserts, updates, deletes or re-keys items rows, several at a time.
func writeChanges(t *testing.T, a *testDB, n int) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	ids := map[int]bool{}
	next := 1
	pick := func() (int, bool) {
		for id := range ids {
			return id, true
		}
		return 0, false
	}
	for i := range n {
		var stmts []string
		for range 1 + rng.IntN(4) {
			switch op := rng.IntN(10); {
			case op < 4 || len(ids) < 10:
				id := next
				next++
				ids[id] = true
				stmts = append(stmts, fmt.Sprintf(`INSERT INTO items VALUES (%d, 'item %d', %d.%03d, '2024-01-02 03:04:05.%06d', '2030-01-01 00:00:00.%03d',
					'{"i": %d, "a": [1, null]}', x'00ff%02x', %d, b'%05b', '%s', '%s%03d:%02d:%02d.%06d', %d, %d.5, %d.25, 'héllo %d')`,
					id, id, id, id%1000, id%1000000, id%1000, id, id%256, uint64(1<<63)+uint64(id), id%32,
					[]string{"x", "y"}[id%2], []string{"", "-"}[id%2], id%839, id%60, id%60, id, 1901+id%254, id, id, id))
			case op < 7:
				if id, ok := pick(); ok {
					stmts = append(stmts, fmt.Sprintf("UPDATE items SET name = 'upd %d', price = price + 1, doc = NULL, bits = b'0', u = 0 WHERE id = %d", i, id))
				}
			case op < 9:
				if id, ok := pick(); ok {
					delete(ids, id)
					stmts = append(stmts, fmt.Sprintf("DELETE FROM items WHERE id = %d", id))
				}
			default:
				if id, ok := pick(); ok { // a primary key change
					delete(ids, id)
					ids[next] = true
					stmts = append(stmts, fmt.Sprintf("UPDATE items SET id = %d WHERE id = %d", next, id))
					next++
				}
			}
		}
		stmts = append(stmts, fmt.Sprintf("INSERT INTO audit (ev) VALUES (%d)", i))
		// A commit cut by a server restart may have happened: then the
		// transaction runs twice, which A's audit table shows too.
		if err := retry(func() error { return inTx(ctx, a, stmts) }); err != nil {
			t.Errorf("writer: %v", err)
			return
		}
		time.Sleep(time.Duration(rng.IntN(8)) * time.Millisecond)
	}
}

func inTx(ctx context.Context, a *testDB, stmts []string) error {
	conn, err := a.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "USE "+a.name); err != nil {
		return err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			tx.Rollback()
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return tx.Commit()
}
