package mysqlsink_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/mysqlsink"
	"github.com/openmessaging/connect-go/mysqlsource"
)

// binlogEvent is a streamed insert of audit row seq, as the MySQL source
// writes it: keyed by seq, at binlog position file:pos, row rowInEvent of
// the event, of server 1 named srv, read from server 1's binlog.
func binlogEvent(seq int64, file string, pos, rowInEvent int64) *connect.Record {
	return &connect.Record{Key: row("seq", seq), Headers: connect.Headers{mysqlsource.HeaderBinlogServer: "1"},
		Change: &connect.Change{Op: connect.OpCreate, After: row("seq", seq, "ev", seq),
			Source: map[string]any{"connector": "mysql", "name": "srv", "server_id": int64(1), "file": file,
				"pos": pos, "row": rowInEvent, "snapshot": "false", "db": "a", "table": "audit"}}}
}

// readFrom sets the binlog r was read from (mysqlsource's header).
func readFrom(r *connect.Record, server string) *connect.Record {
	r.Headers = connect.Headers{mysqlsource.HeaderBinlogServer: server}
	return r
}

// republish returns the events with new transport offsets from off on
// queue q of topic t: what a restarted source publishes again.
func republish(topic string, q int, off int64, evs ...*connect.Record) []*connect.Record {
	out := make([]*connect.Record, len(evs))
	for i, e := range evs {
		c := *e
		out[i] = &c
	}
	return origins(topic, q, off, out...)
}

// auditLogTable is an append-only table of change events: an event written
// twice shows as two rows of one seq.
const auditLogTable = "CREATE TABLE audit_log (n BIGINT AUTO_INCREMENT PRIMARY KEY, seq BIGINT NOT NULL, ev BIGINT NOT NULL)"

// auditLogConfig appends every change event's after image to audit_log,
// with source.dedupe.
func auditLogConfig(db *testDB, kv ...string) connect.Config {
	return db.config(append([]string{"table.name.format", "audit_log", "insert.mode", "insert",
		"primary.key.mode", "none", "delete.enabled", "false", "source.dedupe", "true"}, kv...)...)
}

// seqCounts returns how often each seq is in audit_log.
func seqCounts(db *testDB) map[string]int {
	counts := map[string]int{}
	for _, r := range db.rows("SELECT seq, COUNT(*) FROM audit_log GROUP BY seq") {
		var n int
		fmt.Sscan(r[1], &n)
		counts[r[0]] = n
	}
	return counts
}

// A source restarted after a crash publishes again what it published
// after its last stored position: new messages, with new transport
// offsets, in the queues of their keys. Under exactly_once the sink skips
// them by their binlog positions, in the task that applied the first
// copies (marks kept in memory) and in a new task (marks read from the
// offsets table), and applies what is new after them.
func TestSourceDedupeSkipsRepublishedEvents(t *testing.T) {
	db := newTestDB(t)
	db.exec(auditLogTable)
	// Events 0..29 of one binlog: three rows per row event, the files
	// rolling over from mysql-bin.999999 to mysql-bin.1000000 at 15 (the
	// numbers compare as numbers). Queue of event i: i%2.
	evs := make([]*connect.Record, 30)
	for i := range evs {
		file := "mysql-bin.999999"
		if i >= 15 {
			file = "mysql-bin.1000000"
		}
		evs[i] = binlogEvent(int64(i), file, int64(100+100*(i/3)), int64(i%3))
	}
	byQueue := func(from, to int, q int) []*connect.Record {
		var out []*connect.Record
		for i := from; i < to; i++ {
			if i%2 == q {
				out = append(out, evs[i])
			}
		}
		return out
	}
	next := [2]int64{}
	send := func(task *sinkTask, from, to int) {
		t.Helper()
		for q := range 2 {
			b := republish("t", q, next[q], byQueue(from, to, q)...)
			next[q] += int64(len(b))
			task.write(b...)
		}
	}
	a := startTask(t, "dedupe", auditLogConfig(db))
	send(a, 0, 20) // the first run: 0..19 published and applied
	send(a, 8, 24) // restarted from 8: 8..19 again, then 20..23
	a.Stop(context.Background())
	b := startTask(t, "dedupe", auditLogConfig(db))
	send(b, 12, 30) // restarted again from 12, read by a new task
	counts := seqCounts(db)
	for i := range 30 {
		if c := counts[fmt.Sprint(i)]; c != 1 {
			t.Errorf("event %d written %d times, want once", i, c)
		}
	}
	st := db.rows("SELECT queue, source_positions FROM connect_sink_offsets WHERE connector = 'dedupe' ORDER BY queue")
	if len(st) != 2 || !strings.Contains(st[1][1], `"file":"mysql-bin.1000000","pos":1000,"row":2`) {
		t.Errorf("stored source positions: %v", st)
	}

	// Without source.dedupe the copies are new records.
	db.exec("TRUNCATE audit_log")
	next = [2]int64{}
	off := startTask(t, "nodedupe", auditLogConfig(db, "source.dedupe", "false"))
	send(off, 0, 10)
	send(off, 5, 10)
	if c := seqCounts(db)["6"]; c != 2 {
		t.Errorf("source.dedupe=false: event 6 written %d times, want 2", c)
	}
}

// The cases where the sink cannot tell a copy by position apply the
// event: no event is ever skipped for a position that is not comparable.
func TestSourceDedupeAppliesWhatItCannotCompare(t *testing.T) {
	db := newTestDB(t)
	db.exec(auditLogTable)
	task := startTask(t, "cmp", auditLogConfig(db))
	var off int64
	send := func(rs ...*connect.Record) {
		t.Helper()
		task.write(republish("t", 0, off, rs...)...)
		off += int64(len(rs))
	}
	send(binlogEvent(1, "binlog.000120", 5000, 0))
	// Read from another server's binlog (a failover to a replica): its
	// events keep their origin's server_id, at lower positions in a binlog
	// of the same name. Applied.
	send(readFrom(binlogEvent(2, "binlog.000003", 200, 0), "2"))
	// A snapshot read is applied again, and clears the mark: the streamed
	// event after it is applied though at a lower position.
	snap := readFrom(binlogEvent(3, "binlog.000003", 100, 0), "2")
	snap.Change.Op = connect.OpRead
	snap.Change.Source.(map[string]any)["snapshot"] = "true"
	send(snap, snap)
	after := readFrom(binlogEvent(4, "binlog.000003", 150, 0), "2")
	send(after)
	// An event without a key may be published again to another queue:
	// never skipped; nor one whose message had no key (the key came from
	// a transform of the sink).
	keyless := readFrom(binlogEvent(5, "binlog.000003", 100, 0), "2")
	keyless.Key = nil
	send(keyless)
	transformed := readFrom(binlogEvent(7, "binlog.000003", 100, 0), "2")
	b := republish("t", 0, off, transformed)
	b[0].Origin.Keyed = false
	task.write(b...)
	off++
	// A table newly captured: its first events have marks of their own.
	newTable := readFrom(binlogEvent(8, "binlog.000003", 120, 0), "2")
	newTable.Change.Source.(map[string]any)["table"] = "new_table"
	send(newTable)
	// Another source name has marks of its own.
	other := binlogEvent(6, "binlog.000001", 1, 0)
	other.Change.Source.(map[string]any)["name"] = "other"
	send(other)
	// An event without the binlog header (Debezium's) is never skipped.
	debezium := binlogEvent(9, "binlog.000003", 100, 0)
	debezium.Headers = nil
	send(debezium)
	// And a copy of the last streamed event is skipped.
	send(readFrom(binlogEvent(4, "binlog.000003", 150, 0), "2"))

	got := seqCounts(db)
	want := map[string]int{"1": 1, "2": 1, "3": 2, "4": 1, "5": 1, "6": 1, "7": 1, "8": 1, "9": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events written %v, want %v", got, want)
	}
}

// A primary key change is a delete and a create at the same binlog row:
// with both keys in one queue, the create is not taken for a copy of the
// delete; both copies of a re-published change are skipped.
func TestSourceDedupePrimaryKeyChange(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20))")
	task := startTask(t, "pk", db.config("table.name.format", "items", "source.dedupe", "true"))
	src := func(pos int64) map[string]any {
		return map[string]any{"connector": "mariadb", "name": "srv", "server_id": int64(1), "file": "mysql-bin.000003",
			"pos": pos, "row": int64(0), "snapshot": "false", "db": "a", "table": "items"}
	}
	hs := connect.Headers{mysqlsource.HeaderBinlogServer: "1"}
	ins := &connect.Record{Key: row("id", int64(1)), Headers: hs, Change: &connect.Change{Op: connect.OpCreate, After: row("id", int64(1), "name", "one"), Source: src(10)}}
	del := &connect.Record{Key: row("id", int64(1)), Headers: hs, Change: &connect.Change{Op: connect.OpDelete, Before: row("id", int64(1), "name", "one"), Source: src(20)}}
	cre := &connect.Record{Key: row("id", int64(2)), Headers: hs, Change: &connect.Change{Op: connect.OpCreate, After: row("id", int64(2), "name", "two"), Source: src(20)}}
	task.write(origins("t", 0, 0, ins, del, cre)...)
	if got := fmt.Sprint(db.rows("SELECT * FROM items")); got != "[[2 two]]" {
		t.Fatalf("after the key change: %s, want [[2 two]]", got)
	}
	// The first insert again: skipped, so the moved row stays alone.
	task.write(republish("t", 0, 3, ins)...)
	if got := fmt.Sprint(db.rows("SELECT * FROM items")); got != "[[2 two]]" {
		t.Fatalf("after the copy of the insert: %s, want [[2 two]]", got)
	}
}

// Debezium's own events say where in a binlog they are, not which binlog
// (their server_id is the transaction's origin, the same on every server
// of a replication topology): their copies are applied again.
func TestSourceDedupeLeavesDebeziumEvents(t *testing.T) {
	db := newTestDB(t)
	db.exec(auditLogTable)
	task := startTask(t, "dbz", auditLogConfig(db))
	event := func(seq int) *connect.Record {
		var v any
		raw := fmt.Sprintf(`{"before":null,"after":{"seq":%d,"ev":%d},"source":{"version":"3.0.0.Final","connector":"mysql","name":"dbserver1",
			"ts_ms":0,"snapshot":"false","db":"a","table":"audit","server_id":223344,"gtid":null,"file":"mysql-bin.000003","pos":%d,"row":0,"thread":7,"query":null},
			"op":"c","ts_ms":1}`, seq, seq, 1000+seq*100)
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			t.Fatal(err)
		}
		return &connect.Record{Key: map[string]any{"seq": float64(seq)}, Value: v}
	}
	var first, again []*connect.Record
	for i := range 6 {
		first = append(first, event(i))
	}
	for i := 3; i < 8; i++ {
		again = append(again, event(i))
	}
	task.write(origins("t", 0, 0, first...)...)
	task.write(origins("t", 0, 6, again...)...)
	got := seqCounts(db)
	for i := range 8 {
		want := 1
		if i >= 3 && i < 6 {
			want = 2
		}
		if c := got[fmt.Sprint(i)]; c != want {
			t.Errorf("event %d written %d times, want %d", i, c, want)
		}
	}
}

func TestSourceDedupeNeedsExactlyOnce(t *testing.T) {
	c := mysqlsink.New()
	cfg := connect.Config{"connector.class": "MySQLSink", "host": "db", "user": "u", "database": "d",
		"delivery": "at_least_once", "source.dedupe": "true", "topics": "t"}
	err := c.Validate(context.Background(), c.Spec().Config.Apply(cfg))
	if err == nil || !strings.Contains(err.Error(), "source.dedupe") {
		t.Fatalf("source.dedupe=true with at_least_once: %v, want a field error", err)
	}
	cfg["source.dedupe"] = "false"
	if err := c.Validate(context.Background(), c.Spec().Config.Apply(cfg)); err != nil {
		t.Fatalf("source.dedupe=false with at_least_once: %v", err)
	}
}

// An offsets table of an earlier version, without source_positions, gets
// the column when a task starts, and keeps its offsets.
func TestOffsetsTableOfAnEarlierVersion(t *testing.T) {
	db := newTestDB(t)
	db.exec(`CREATE TABLE connect_sink_offsets (connector VARCHAR(255) NOT NULL, topic VARCHAR(255) NOT NULL, queue INT NOT NULL,
		`+"`offset`"+` BIGINT NOT NULL, updated TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
		PRIMARY KEY (connector, topic, queue)) ENGINE=InnoDB`,
		"INSERT INTO connect_sink_offsets (connector, topic, queue, `offset`) VALUES ('old', 't', 0, 4)",
		auditLogTable)
	task := startTask(t, "old", auditLogConfig(db))
	evs := make([]*connect.Record, 8)
	for i := range evs {
		evs[i] = binlogEvent(int64(i), "mysql-bin.000001", int64(100*i), 0)
	}
	task.write(origins("t", 0, 0, evs...)...) // 0..4 were applied by the earlier version
	task.write(republish("t", 0, 8, evs[6:]...)...)
	if got := fmt.Sprint(db.rows("SELECT seq FROM audit_log ORDER BY seq")); got != "[[5] [6] [7]]" {
		t.Errorf("written %s, want [[5] [6] [7]]", got)
	}
	if got := db.rows("SELECT `offset`, source_positions IS NOT NULL FROM connect_sink_offsets WHERE connector = 'old'"); fmt.Sprint(got) != "[[9 1]]" {
		t.Errorf("offset row %v, want [[9 1]]", got)
	}
}

// A batch put over the cached marks of the task's last commit and rolled
// back (its table dropped under it) leaves no mark behind: put again, it
// is written.
func TestSourceDedupeRolledBackMarks(t *testing.T) {
	db := newTestDB(t)
	db.exec(auditLogTable)
	task := startTask(t, "rollback", auditLogConfig(db))
	task.write(republish("t", 0, 0, binlogEvent(1, "binlog.000001", 100, 0))...)
	db.exec("DROP TABLE audit_log")
	err := task.Put(context.Background(), republish("t", 0, 1, binlogEvent(2, "binlog.000001", 200, 0)))
	if err == nil {
		t.Fatal("put into a dropped table succeeded")
	}
	db.exec(auditLogTable)
	for range 3 {
		if err = task.Put(context.Background(), republish("t", 0, 1, binlogEvent(2, "binlog.000001", 200, 0))); err == nil {
			break
		}
	}
	if err == nil {
		err = task.Flush(context.Background())
	}
	if err != nil {
		t.Fatal(err)
	}
	if c := seqCounts(db)["2"]; c != 1 {
		t.Errorf("event 2 written %d times after a rollback, want once", c)
	}
}

// A truncate event has no key: copied by a restarted source it is applied
// again, so skipping the copies of the rows after it would lose them.
// The two set together are a field error; without source.dedupe the copies
// are applied again, as they came.
func TestSourceDedupeAndTruncate(t *testing.T) {
	db := newTestDB(t)
	db.exec(auditLogTable)
	trunc := &connect.Record{Change: &connect.Change{Op: connect.OpTruncate,
		Source: map[string]any{"connector": "mysql", "name": "srv", "server_id": int64(1), "file": "binlog.000001",
			"pos": int64(150), "row": int64(0), "snapshot": "false", "db": "a", "table": "audit"}}}
	task := startTask(t, "trunc", auditLogConfig(db, "truncate.enabled", "true", "source.dedupe", "false"))
	task.write(republish("t", 0, 0, binlogEvent(1, "binlog.000001", 100, 0))...)
	task.write(republish("t", 1, 0, trunc)...)
	task.write(republish("t", 0, 1, binlogEvent(2, "binlog.000001", 200, 0))...)
	// The source restarted from before the truncate.
	task.write(republish("t", 1, 1, trunc)...)
	task.write(republish("t", 0, 2, binlogEvent(2, "binlog.000001", 200, 0))...)
	if got := fmt.Sprint(seqCounts(db)); got != "map[2:1]" {
		t.Errorf("after the copies: %s, want map[2:1]", got)
	}

	c := mysqlsink.New()
	cfg := c.Spec().Config.Apply(auditLogConfig(db, "truncate.enabled", "true", "source.dedupe", "true", "connector.class", "MySQLSink", "topics", "t"))
	if err := c.Validate(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "source.dedupe") {
		t.Errorf("source.dedupe=true with truncate.enabled=true: %v, want a field error", err)
	}
}

// A source follows a delete with a tombstone (Debezium's, or mysqlsource's
// tombstones.on.delete), in the same queue right after it. When the
// delete's copy is skipped, so is the tombstone's: applied, it would delete
// the row again after the copies of the changes that followed it were
// skipped. Also when the delete's copy ends one transaction and the
// tombstone's begins the next, in another task.
func TestSourceDedupeTombstoneAfterSkippedDelete(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20))")
	cfg := db.config("table.name.format", "items", "source.dedupe", "true")
	hs := connect.Headers{mysqlsource.HeaderBinlogServer: "1"}
	src := func(pos int64) map[string]any {
		return map[string]any{"connector": "mysql", "name": "srv", "server_id": int64(1), "file": "mysql-bin.000003",
			"pos": pos, "row": int64(0), "snapshot": "false", "db": "a", "table": "items"}
	}
	events := func() []*connect.Record {
		return []*connect.Record{
			{Key: row("id", int64(1)), Headers: hs, Change: &connect.Change{Op: connect.OpCreate, After: row("id", int64(1), "name", "one"), Source: src(10)}},
			{Key: row("id", int64(1)), Headers: hs, Change: &connect.Change{Op: connect.OpDelete, Before: row("id", int64(1), "name", "one"), Source: src(20)}},
			{Key: row("id", int64(1))}, // the tombstone
			{Key: row("id", int64(1)), Headers: hs, Change: &connect.Change{Op: connect.OpCreate, After: row("id", int64(1), "name", "again"), Source: src(30)}},
		}
	}
	a := startTask(t, "tomb", cfg)
	a.write(origins("t", 0, 0, events()...)...)
	want := "[[1 again]]"
	if got := fmt.Sprint(db.rows("SELECT * FROM items")); got != want {
		t.Fatalf("rows %s, want %s", got, want)
	}
	// The source restarted from the first event: copies at 4..7, the
	// delete's last in one transaction, the tombstone first in the next,
	// of another task.
	copies := origins("t", 0, 4, events()...)
	a.write(copies[:2]...)
	a.Stop(context.Background())
	b := startTask(t, "tomb", cfg)
	b.write(copies[2:]...)
	if got := fmt.Sprint(db.rows("SELECT * FROM items")); got != want {
		t.Errorf("after the copies: rows %s, want %s", got, want)
	}
	// A tombstone that does not follow a skipped delete is applied.
	b.write(origins("t", 0, 8, &connect.Record{Key: row("id", int64(1))})...)
	if got := fmt.Sprint(db.rows("SELECT * FROM items")); got != "[]" {
		t.Errorf("after a tombstone of its own: rows %s, want []", got)
	}
}

// Resetting a queue's marks in the offsets table while the task runs (as
// after RESET MASTER on the source) is seen by the next batch, also one
// that assumes the state of the task's last commit: the event at a lower
// position is written, and the old mark not written back.
func TestSourceDedupeMarksResetWhileRunning(t *testing.T) {
	db := newTestDB(t)
	db.exec(auditLogTable)
	task := startTask(t, "reset", auditLogConfig(db))
	task.write(origins("t", 0, 0, binlogEvent(1, "mysql-bin.000009", 500, 0))...)
	db.exec("UPDATE connect_sink_offsets SET source_positions = NULL WHERE connector = 'reset'")
	task.write(origins("t", 0, 1, binlogEvent(2, "mysql-bin.000001", 100, 0))...)
	if got := fmt.Sprint(seqCounts(db)); got != "map[1:1 2:1]" {
		t.Errorf("events written %s, want map[1:1 2:1]", got)
	}
	st := db.rows("SELECT source_positions FROM connect_sink_offsets WHERE connector = 'reset'")
	if len(st) != 1 || !strings.Contains(st[0][0], `"file":"mysql-bin.000001","pos":100`) {
		t.Errorf("stored marks %v, want the new event's", st)
	}
}
