package mysqlsource_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/mysqlsource"
	"github.com/openmessaging/connect-go/offset"
)

// TestPrimaryKeyChange: an update of the primary key is a delete of the old
// key and a create of the new one.
func TestPrimaryKeyChange(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT)")
	r := startRun(t, db.config(), nil)
	r.pollUntil(30*time.Second, "streaming", streaming(r))
	db.exec("INSERT INTO t VALUES (1, 10)", "UPDATE t SET id = 2 WHERE id = 1", "UPDATE t SET v = 20 WHERE id = 2")
	r.pollUntil(30*time.Second, "4 events", func(recs []*connect.Record) bool { return len(recs) >= 4 })
	want := []struct {
		op  connect.Operation
		key int64
	}{{connect.OpCreate, 1}, {connect.OpDelete, 1}, {connect.OpCreate, 2}, {connect.OpUpdate, 2}}
	for i, w := range want {
		if r.recs[i].Change.Op != w.op || keyID(r.recs[i]) != w.key {
			t.Errorf("event %d: %s key %v, want %s key %d", i, r.recs[i].Change.Op, keyID(r.recs[i]), w.op, w.key)
		}
	}
	checkReplay(t, db, "t", replay("t", r.recs))
}

// TestTableOptions covers tables without a primary key, TRUNCATE, include
// and exclude patterns, topic naming and include.query.
func TestTableOptions(t *testing.T) {
	db := newTestDB(t)
	db.exec(
		"CREATE TABLE nokey (a INT, b VARCHAR(10))",
		"CREATE TABLE keyed (id INT PRIMARY KEY, v INT)",
		"CREATE TABLE skipped (id INT PRIMARY KEY)",
		"INSERT INTO nokey VALUES (1, 'x'), (1, 'x'), (2, 'y')",
		"INSERT INTO keyed VALUES (1, 1)",
		"INSERT INTO skipped VALUES (1)",
	)
	r := startRun(t, db.config(
		"table.include", "nokey,"+db.name+`\.k.*`,
		"table.exclude", "skipped",
		"topic.prefix", "srv1.",
		"topic.naming", "database.table",
		"skipped.operations", "none",
		"include.query", "true",
		"snapshot.fetch.size", "2",
	), nil)
	r.pollUntil(30*time.Second, "streaming", streaming(r))
	db.exec(
		"INSERT INTO nokey VALUES (3, 'z')",
		"INSERT INTO skipped VALUES (2)",
		"UPDATE keyed SET v = 2",
		"TRUNCATE TABLE nokey",
	)
	r.pollUntil(30*time.Second, "the truncate", func(recs []*connect.Record) bool { return ops(recs)[connect.OpTruncate] == 1 })
	got := map[string][]connect.Operation{}
	for _, rec := range r.recs {
		got[rec.Topic] = append(got[rec.Topic], rec.Change.Op)
		if field(rec.Change.Source, "table") == "nokey" && rec.Key != nil {
			t.Errorf("a record of a table without primary key has key %#v", rec.Key)
		}
		if rec.Change.Op == connect.OpCreate || rec.Change.Op == connect.OpUpdate || rec.Change.Op == connect.OpTruncate {
			if q, _ := field(rec.Change.Source, "query").(string); q == "" {
				t.Errorf("%s event without source.query: %v", rec.Change.Op, rec.Change.Source)
			}
		}
	}
	prefix := "srv1." + db.name + "."
	want := map[string][]connect.Operation{
		prefix + "nokey": {connect.OpRead, connect.OpRead, connect.OpRead, connect.OpCreate, connect.OpTruncate},
		prefix + "keyed": {connect.OpRead, connect.OpUpdate},
	}
	for topic, ops := range want {
		if strings.Join(opStrings(got[topic]), ",") != strings.Join(opStrings(ops), ",") {
			t.Errorf("topic %s: %v, want %v", topic, got[topic], ops)
		}
	}
	if len(got) != len(want) {
		t.Errorf("topics %v, want only %v", got, want)
	}
}

func opStrings(ops []connect.Operation) []string {
	out := make([]string, len(ops))
	for i, o := range ops {
		out[i] = string(o)
	}
	return out
}

// TestHeartbeat: while only other tables change, heartbeat records carry
// the position forward.
func TestHeartbeat(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE t (id INT PRIMARY KEY)", "CREATE TABLE noise (id INT PRIMARY KEY)")
	r := startRun(t, db.config("table.exclude", "noise", "heartbeat.topic", "beats", "heartbeat.period", "200ms", "read.timeout", "5s"), nil)
	r.pollUntil(30*time.Second, "streaming", streaming(r))
	db.exec("INSERT INTO t VALUES (1)")
	r.pollUntil(30*time.Second, "the insert", hasRecord("t", isSentinel(1)))
	last := r.recs[len(r.recs)-1].Position
	db.exec("INSERT INTO noise VALUES (1)")
	r.pollUntil(10*time.Second, "a heartbeat", func(recs []*connect.Record) bool {
		return recs[len(recs)-1].Topic == "beats"
	})
	hb := r.recs[len(r.recs)-1]
	if hb.Change != nil || hb.Position.Partition != last.Partition || string(hb.Position.Offset) == string(last.Offset) {
		t.Errorf("heartbeat %+v after %s", hb, last.Offset)
	}
	// Resuming from the heartbeat's position emits nothing of before.
	store := offset.NewMemory()
	store.Put(context.Background(), testConnector, hb.Position)
	r2 := startRun(t, db.config("table.exclude", "noise"), store)
	db.exec("INSERT INTO t VALUES (2)")
	r2.pollUntil(30*time.Second, "the next insert", hasRecord("t", isSentinel(2)))
	if len(r2.recs) != 1 {
		t.Errorf("after resuming at the heartbeat: %d records, want 1", len(r2.recs))
	}
}

// TestPurgedBinlog: a stored position in a binlog the server no longer has
// fails the task with a clear reason, or takes a new snapshot under
// snapshot.mode=when_needed.
func TestPurgedBinlog(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT)", "INSERT INTO t VALUES (1, 1)")
	cfg := db.config()
	store := offset.NewMemory()
	gone := connect.Position{Partition: mysqlsource.Partition(db.name), Offset: []byte(`{"file":"mysql-bin.000000","pos":4}`)}
	store.Put(context.Background(), testConnector, gone)

	c := mysqlsource.New()
	applied := c.Spec().Config.Apply(cfg)
	c.Start(context.Background(), nil, applied)
	task := c.NewTask()
	err := task.Start(context.Background(), connecttestContext(store), applied)
	task.Stop(context.Background())
	if err == nil || !errors.Is(err, connect.ErrFatal) || !strings.Contains(err.Error(), "purged") || !strings.Contains(err.Error(), "mysql-bin.000000") {
		t.Fatalf("start at a purged binlog: %v; want a fatal error saying it was purged", err)
	}
	t.Log(err)

	cfg["snapshot.mode"] = "when_needed"
	r := startRun(t, cfg, store)
	r.pollUntil(30*time.Second, "a new snapshot", func(recs []*connect.Record) bool { return ops(recs)[connect.OpRead] == 1 })
}

// TestSnapshotNeverAndGTIDResume streams from the current position without
// a snapshot, and resumes by GTID.
func TestSnapshotNeverAndGTIDResume(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT)", "INSERT INTO t VALUES (1, 1)")
	cfg := db.config("snapshot.mode", "never", "binlog.resume", "gtid")
	store := offset.NewMemory()
	r := startRun(t, cfg, store)
	db.exec("INSERT INTO t VALUES (2, 2)", "BEGIN", "INSERT INTO t VALUES (3, 3)", "INSERT INTO t VALUES (4, 4)", "COMMIT")
	r.pollUntil(30*time.Second, "3 inserts", func(recs []*connect.Record) bool { return len(recs) >= 3 })
	if ops(r.recs)[connect.OpRead] != 0 || keyID(r.recs[0]) != int64(2) {
		t.Fatalf("snapshot.mode=never: first event %s %v", r.recs[0].Change.Op, keyID(r.recs[0]))
	}
	r.commit(1) // mid-transaction
	r.stop()
	db.exec("INSERT INTO t VALUES (5, 5)")
	r2 := startRun(t, cfg, store)
	r2.pollUntil(30*time.Second, "the last insert", hasRecord("t", isSentinel(5)))
	var ids []any
	for _, rec := range r2.recs {
		ids = append(ids, keyID(rec))
	}
	if len(ids) != 2 || ids[0] != int64(4) || ids[1] != int64(5) {
		t.Errorf("after resuming by GTID mid-transaction: ids %v, want [4 5]", ids)
	}
}
