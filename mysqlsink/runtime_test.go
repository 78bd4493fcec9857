package mysqlsink_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/converter"
	"github.com/openmessaging/connect-go/mysqlsink"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
)

// auditTable is an append-only table: a record written twice shows as
// two rows of one ev.
const auditTable = "CREATE TABLE audit (seq BIGINT AUTO_INCREMENT PRIMARY KEY, ev BIGINT NOT NULL, k INT, KEY (ev))"

// auditConfig writes plain records {ev, k} into audit.
func auditConfig(db *testDB, kv ...string) connect.Config {
	return db.config(append([]string{"table.name.format", "audit", "insert.mode", "insert",
		"primary.key.mode", "none", "delete.enabled", "false"}, kv...)...)
}

// auditCounts returns how often each ev is in the audit table.
func auditCounts(t testing.TB, db *testDB) map[int64]int {
	t.Helper()
	counts := map[int64]int{}
	for _, r := range db.rows("SELECT ev, COUNT(*) FROM audit GROUP BY ev") {
		ev, _ := strconv.ParseInt(r[0], 10, 64)
		n, _ := strconv.Atoi(r[1])
		counts[ev] = n
	}
	return counts
}

// checkExact fails t unless every ev in [0, n) is in the audit table once.
func checkExact(t testing.TB, counts map[int64]int, n int) (missing, dups int) {
	t.Helper()
	for ev := range int64(n) {
		switch c := counts[ev]; {
		case c == 0:
			missing++
		case c > 1:
			dups += c - 1
		}
	}
	if len(counts) > n {
		t.Errorf("%d unexpected events in the audit table", len(counts)-n)
	}
	return missing, dups
}

// waitExact waits up to two minutes for n rows in the audit table, then
// fails t unless every ev in [0, n) is there once.
func waitExact(t testing.TB, db *testDB, n int) {
	t.Helper()
	if got := waitRows(t, db, n, 2*time.Minute); got < n {
		t.Logf("%d of %d rows after 2 minutes", got, n)
	}
	if missing, dups := checkExact(t, auditCounts(t, db), n); missing > 0 || dups > 0 {
		t.Fatalf("%d missing, %d duplicates of %d", missing, dups, n)
	}
}

// checkTasksRunning fails t unless every task of connector name runs and,
// with noRestarts, never restarted.
func checkTasksRunning(t testing.TB, rt *runtime.Runtime, name string, noRestarts bool) {
	t.Helper()
	st, err := rt.ConnectorStatus(name)
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range st.Tasks {
		if task.State != connect.StateRunning || noRestarts && task.Restarts != 0 {
			t.Errorf("task %d is %s after %d restarts: %s", task.ID, task.State, task.Restarts, task.Trace)
		}
	}
}

// Two tasks of one connector write the same queue at once (two workers
// both holding it during a rebalance): the offset rows they lock decide,
// and every record is written once.
func TestConcurrentTasksSameQueues(t *testing.T) {
	db := newTestDB(t)
	db.exec(auditTable)
	const n = 3000
	recs := make([]*connect.Record, n)
	for i := range recs {
		q := i % 3
		recs[i] = &connect.Record{Topic: "ev", Value: row("ev", int64(i), "k", int64(q)),
			Origin: connect.Origin{Topic: "ev", Queue: q, Offset: int64(i / 3)}}
	}
	var wg sync.WaitGroup
	for w := range 3 {
		task := startTask(t, "same", auditConfig(db))
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; i < n; {
				size := 1 + rng.IntN(200)
				batch := recs[i:min(n, i+size)]
				if err := task.Put(context.Background(), batch); err != nil {
					t.Errorf("put: %v", err)
					return
				}
				if rng.IntN(5) == 0 {
					// A task that dies between Put and Flush.
					task.Stop(context.Background())
					task = startTask(t, "same", auditConfig(db))
					continue // its records come again
				}
				if err := task.Flush(context.Background()); err != nil {
					if connect.IsRetriable(err) {
						continue // a deadlock or lock wait: delivered again
					}
					t.Errorf("flush: %v", err)
					return
				}
				i += size
			}
		}()
	}
	wg.Wait()
	missing, dups := checkExact(t, auditCounts(t, db), n)
	if missing > 0 || dups > 0 {
		t.Fatalf("%d missing, %d duplicates of %d", missing, dups, n)
	}
}

// publish puts n audit events on topic of tr, keyed over 16 keys.
func publish(t testing.TB, tr connect.MessageTransport, topic string, from, n int) {
	t.Helper()
	cv := converter.NewJSON()
	var msgs []*connect.Message
	for i := from; i < from+n; i++ {
		m, err := cv.Encode(&connect.Record{Topic: topic, Key: fmt.Sprint("k", i%16), Value: map[string]any{"ev": int64(i), "k": int64(i % 16)}})
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
		if len(msgs) == 500 || i == from+n-1 {
			if err := tr.Publish(context.Background(), msgs...); err != nil {
				t.Fatal(err)
			}
			msgs = nil
		}
	}
}

// newRuntime starts a runtime on tr with the sink as "MySQLSink".
func newRuntime(t testing.TB, tr connect.MessageTransport, id string) *runtime.Runtime {
	t.Helper()
	rt := runtime.New(runtime.WithTransport(tr), runtime.WithWorkerID(id),
		runtime.WithRestartBackoff(50*time.Millisecond, 200*time.Millisecond),
		runtime.WithPlugin("MySQLSink", func() connect.Connector { return mysqlsink.New() }))
	if err := rt.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return rt
}

// waitRows waits until the audit table holds at least n rows.
func waitRows(t testing.TB, db *testDB, n int, timeout time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got, _ := strconv.Atoi(db.rows("SELECT COUNT(*) FROM audit")[0][0])
		if got >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Two workers run the connector's tasks over one transport; one stops
// mid-stream and the other takes its queues over: still exact.
func TestTwoWorkersOneStopped(t *testing.T) {
	db := newTestDB(t)
	db.exec(auditTable)
	tr := memory.New()
	defer tr.Close()
	const n = 20000
	if err := tr.CreateTopic(context.Background(), "events", 8); err != nil {
		t.Fatal(err)
	}
	cfg := auditConfig(db, "connector.class", "MySQLSink", "topics", "events", "tasks.max", "2", "batch.size.max", "200")
	a, b := newRuntime(t, tr, "a"), newRuntime(t, tr, "b")
	defer b.Stop(context.Background())
	for _, rt := range []*runtime.Runtime{a, b} {
		if err := rt.CreateConnector(context.Background(), "audit", cfg); err != nil {
			t.Fatal(err)
		}
	}
	publish(t, tr, "events", 0, n/2)
	waitRows(t, db, n/4, time.Minute)
	publish(t, tr, "events", n/2, n/2)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	waitExact(t, db, n)
}

// The target fails under the sink: its table locked for longer than
// lock.timeout, its connections killed. The batches are retried and
// nothing is lost or written twice.
func TestTargetFailuresRetried(t *testing.T) {
	db := newTestDB(t)
	db.exec(auditTable)
	tr := memory.New()
	defer tr.Close()
	const n = 20000
	rt := newRuntime(t, tr, "w")
	defer rt.Stop(context.Background())
	cfg := auditConfig(db, "connector.class", "MySQLSink", "topics", "events", "tasks.max", "2",
		"batch.size.max", "100", "lock.timeout", "1s", "errors.retry.timeout", "-1", "errors.retry.delay.max", "200ms")
	if err := tr.CreateTopic(context.Background(), "events", 4); err != nil {
		t.Fatal(err)
	}
	if err := rt.CreateConnector(context.Background(), "audit", cfg); err != nil {
		t.Fatal(err)
	}
	publish(t, tr, "events", 0, n)
	waitRows(t, db, 1000, time.Minute)

	// LOCK TABLES from another connection, for three lock timeouts.
	ctx := context.Background()
	lock, err := db.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.ExecContext(ctx, "LOCK TABLES "+db.name+".audit WRITE"); err != nil {
		t.Fatal(err)
	}
	before := db.rowsVia(lock, "SELECT COUNT(*) FROM "+db.name+".audit")
	time.Sleep(3 * time.Second)
	if _, err := lock.ExecContext(ctx, "UNLOCK TABLES"); err != nil {
		t.Fatal(err)
	}
	lock.Close()
	t.Logf("table locked at %s rows for 3s", before)

	// KILL the sink's connections, a few times.
	kills := 0
	for range 5 {
		time.Sleep(time.Duration(100+rand.IntN(300)) * time.Millisecond)
		for _, r := range db.rows("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID() AND COMMAND <> 'Killed'", db.name) {
			if _, err := db.db.Exec("KILL " + r[0]); err == nil {
				kills++
			}
		}
	}
	t.Logf("%d connections killed", kills)
	waitExact(t, db, n)
	checkTasksRunning(t, rt, "audit", false)
}

// With errors.tolerance=all, a record the table refuses goes to the
// dead-letter topic and the others are written.
func TestPoisonRecordDeadLettered(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(5))")
	tr := memory.New()
	defer tr.Close()
	rt := newRuntime(t, tr, "w")
	defer rt.Stop(context.Background())
	cfg := db.config("connector.class", "MySQLSink", "topics", "items", "table.name.format", "items",
		"primary.key.mode", "record_value", "primary.key.fields", "id",
		"errors.tolerance", "all", "errors.deadletterqueue.topic.name", "dlq")
	dlq, err := tr.Subscribe(context.Background(), "dlq-reader", "dlq")
	if err != nil {
		t.Fatal(err)
	}
	defer dlq.Close()
	cv := converter.NewJSON()
	var msgs []*connect.Message
	for i, name := range []string{"a", "much too long", "c"} {
		m, _ := cv.Encode(&connect.Record{Topic: "items", Value: map[string]any{"id": int64(i), "name": name}})
		msgs = append(msgs, m)
	}
	if err := tr.Publish(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	if err := rt.CreateConnector(context.Background(), "items", cfg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := dlq.Fetch(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !strings.Contains(string(got[0].Value), "much too long") {
		t.Fatalf("dead letters: %d, want the one too long", len(got))
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if len(db.rows("SELECT id FROM items")) == 2 {
			return
		}
	}
	t.Fatalf("rows %v, want 0 and 2", db.rows("SELECT id, name FROM items"))
}
