package mysqlsink_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"

	connect "github.com/openmessaging/connect-go"
)

func TestChangeEventsUntyped(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(10,2), at DATETIME(3))")
	task := startTask(t, "c1", db.config("table.name.format", "${source.table}"))
	k := func(id int64) map[string]any { return row("id", id) }
	task.write(origins("t", 0, 0,
		change(connect.OpRead, k(1), nil, row("id", int64(1), "name", "one", "price", "1.50", "at", "2024-01-02T03:04:05.678Z")),
		change(connect.OpCreate, k(2), nil, row("id", int64(2), "name", "two", "price", 2.25, "at", int64(1700000000123))),
		change(connect.OpUpdate, k(1), row("id", int64(1), "name", "one"), row("id", int64(1), "name", "uno", "price", "1.75", "at", nil)),
		change(connect.OpCreate, k(3), nil, row("id", int64(3), "name", "three", "price", "3", "at", nil)),
		change(connect.OpDelete, k(3), row("id", int64(3)), nil),
		// A primary key change: 2 moves to 20.
		change(connect.OpUpdate, k(20), row("id", int64(2), "name", "two"), row("id", int64(20), "name", "twenty", "price", "20", "at", nil)),
	)...)
	got := db.rows("SELECT id, name, price, IFNULL(at, 'NULL') FROM items ORDER BY id")
	want := [][]string{{"1", "uno", "1.75", "NULL"}, {"20", "twenty", "20.00", "NULL"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows = %v, want %v", got, want)
	}
}

func TestExactlyOnceSkipsRedelivered(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE audit (seq BIGINT AUTO_INCREMENT PRIMARY KEY, ev VARCHAR(40))")
	cfg := db.config("table.name.format", "audit", "insert.mode", "insert", "primary.key.mode", "none", "delete.enabled", "false")
	recs := func(from, n int) []*connect.Record {
		var out []*connect.Record
		for i := from; i < from+n; i++ {
			out = append(out, &connect.Record{Value: row("ev", fmt.Sprint("e", i))})
		}
		return origins("t", 1, int64(from), out...)
	}
	task := startTask(t, "eo", cfg)
	task.write(recs(0, 10)...)
	task.write(recs(5, 10)...) // 5..9 again, then 10..14
	// A second task (another worker after a rebalance) gets 0..19.
	task2 := startTask(t, "eo", cfg)
	task2.write(recs(0, 20)...)
	// Put without Flush, then a crash (Stop without Flush): nothing stays.
	if err := task2.Put(context.Background(), recs(20, 5)); err != nil {
		t.Fatal(err)
	}
	task2.Stop(context.Background())
	task.write(recs(18, 7)...)
	got := db.rows("SELECT ev, COUNT(*) FROM audit GROUP BY ev HAVING COUNT(*) > 1")
	if len(got) > 0 {
		t.Fatalf("duplicates: %v", got)
	}
	if n := db.rows("SELECT COUNT(*) FROM audit")[0][0]; n != "25" {
		t.Fatalf("%s rows, want 25", n)
	}
	// Another connector name has positions of its own.
	other := startTask(t, "other", cfg)
	other.write(recs(0, 1)...)
	if n := db.rows("SELECT COUNT(*) FROM audit")[0][0]; n != "26" {
		t.Fatalf("%s rows, want 26", n)
	}
}

func TestPoisonRecords(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(5))")
	task := startTask(t, "p", db.config("table.name.format", "items", "primary.key.mode", "record_value", "primary.key.fields", "id"))
	recs := origins("t", 0, 0,
		&connect.Record{Value: row("id", int64(1), "name", "ok")},
		&connect.Record{Value: row("id", int64(2), "name", "much too long")},
		&connect.Record{Value: "not a row"},
		&connect.Record{Value: row("id", int64(4), "nope", "x")},
		&connect.Record{Value: row("id", int64(5), "name", "fine")},
	)
	err := task.Put(context.Background(), recs)
	var be *connect.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("put: %v, want a BatchError", err)
	}
	var idx []int
	for _, f := range be.Failed {
		idx = append(idx, f.Index)
		if connect.IsRetriable(f.Err) {
			t.Errorf("record %d: retriable %v", f.Index, f.Err)
		}
	}
	if !reflect.DeepEqual(idx, []int{1, 2, 3}) {
		t.Fatalf("failed %v (%v), want 1 2 3", idx, be)
	}
	if err := task.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := db.rows("SELECT id, name FROM items ORDER BY id")
	if want := [][]string{{"1", "ok"}, {"5", "fine"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	// Delivered again (the runtime dead-lettered them and crashed before
	// its ack): nothing is reported twice.
	task.write(recs...)
}

// Debezium's JSON without connect-go's op header: a plain value that is
// the envelope, also inside Kafka's {"schema","payload"}, with Debezium's
// integer encodings of temporal columns.
func TestDebeziumJSONUntyped(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE customers (id INT PRIMARY KEY, born DATE, seen DATETIME(6), at DATETIME(3), tm TIME(6), zoned TIMESTAMP(3) NULL)")
	task := startTask(t, "dbz", db.config("table.name.format", "${source.table}"))
	env := func(op string, before, after map[string]any) map[string]any {
		return map[string]any{"op": op, "before": before, "after": after, "ts_ms": int64(1),
			"source": map[string]any{"db": "inventory", "table": "customers", "connector": "mysql"}}
	}
	after := row("id", int64(1), "born", int64(19782), "seen", int64(1700000000123456), "at", int64(1700000000123),
		"tm", int64(-45296000001), "zoned", "2024-03-01T10:00:00.5+02:00")
	task.write(origins("dbserver1.inventory.customers", 0, 0,
		&connect.Record{Key: row("id", int64(1)), Value: map[string]any{"schema": map[string]any{"type": "struct"}, "payload": env("c", nil, after)}},
		&connect.Record{Key: row("id", int64(2)), Value: env("r", nil, row("id", int64(2)))},
		&connect.Record{Key: row("id", int64(2)), Value: env("d", row("id", int64(2)), nil)},
	)...)
	got := db.rows("SELECT id, born, seen, at, tm, zoned FROM customers")
	want := [][]string{{"1", "2024-02-29", "2023-11-14 22:13:20.123456", "2023-11-14 22:13:20.123", "-12:34:56.000001", "2024-03-01 08:00:00.500"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
}

// insert.mode=update, truncate events, tombstones and primary.key.mode=kafka.
func TestModes(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20))", "INSERT INTO items VALUES (1, 'a'), (2, 'b')")
	upd := startTask(t, "upd", db.config("table.name.format", "items", "insert.mode", "update", "truncate.enabled", "true"))
	upd.write(origins("t", 0, 0,
		change(connect.OpUpdate, row("id", int64(1)), nil, row("id", int64(1), "name", "A")),
		change(connect.OpCreate, row("id", int64(3)), nil, row("id", int64(3), "name", "c")), // no row 3: nothing
	)...)
	if got := db.rows("SELECT id, name FROM items ORDER BY id"); !reflect.DeepEqual(got, [][]string{{"1", "A"}, {"2", "b"}}) {
		t.Fatalf("update mode: %v", got)
	}
	// A tombstone deletes the key's row.
	ups := startTask(t, "ups", db.config("table.name.format", "items"))
	ups.write(origins("t", 0, 0, &connect.Record{Key: row("id", int64(2))})...)
	if got := db.rows("SELECT id FROM items ORDER BY id"); !reflect.DeepEqual(got, [][]string{{"1"}}) {
		t.Fatalf("after a tombstone: %v", got)
	}
	// A truncate event empties the table, in order with the batch's other changes.
	upd.write(origins("t", 0, 2,
		change(connect.OpTruncate, nil, nil, nil),
		change(connect.OpUpdate, row("id", int64(1)), nil, row("id", int64(1), "name", "gone")),
	)...)
	if got := db.rows("SELECT COUNT(*) FROM items"); got[0][0] != "0" {
		t.Fatalf("after truncate: %v rows", got)
	}
	// primary.key.mode=kafka: every record a row keyed by its origin.
	kafka := startTask(t, "kafka", db.config("table.name.format", "log", "primary.key.mode", "kafka", "delete.enabled", "false",
		"insert.mode", "upsert", "auto.create", "true"))
	s := connect.NewStructSchema("log", false, connect.StructField{Name: "msg", Schema: &connect.Schema{Type: connect.TypeString}})
	recs := origins("logs", 3, 7, &connect.Record{Value: connect.NewStruct(s, "one")}, &connect.Record{Value: connect.NewStruct(s, "two")})
	kafka.write(recs...)
	kafka.write(recs...) // again: exactly_once skips them, and so would the key
	got := db.rows("SELECT __connect_topic, __connect_partition, __connect_offset, msg FROM log ORDER BY __connect_offset")
	if want := [][]string{{"logs", "3", "7", "one"}, {"logs", "3", "8", "two"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("kafka mode: %v, want %v", got, want)
	}
}

// Under exactly_once a task given queues resumes each one after the last
// record the target applied; a queue without stored records, and every
// queue under at_least_once, are left where the transport is.
func TestOpenResumesAfterStoredOffsets(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE audit (seq BIGINT AUTO_INCREMENT PRIMARY KEY, ev VARCHAR(40))")
	kv := []string{"table.name.format", "audit", "insert.mode", "insert", "primary.key.mode", "none", "delete.enabled", "false"}
	var recs []*connect.Record
	for i := range 10 {
		recs = append(recs, &connect.Record{Value: row("ev", fmt.Sprint("e", i))})
	}
	first := startTask(t, "resume", db.config(kv...))
	first.write(origins("t", 1, 30, recs...)...) // offsets 30..39 of queue 1

	second := startTask(t, "resume", db.config(kv...))
	qa, ok := second.SinkTask.(connect.QueueAwareSink)
	if !ok {
		t.Fatal("the sink task is not a connect.QueueAwareSink")
	}
	queues := []connect.QueueRef{{Topic: "t", Queue: 1}, {Topic: "t", Queue: 2}}
	if err := qa.Open(context.Background(), queues); err != nil {
		t.Fatal(err)
	}
	want := map[connect.QueueRef]int64{{Topic: "t", Queue: 1}: 40}
	if got := second.tc.Seeks(); !maps.Equal(got, want) {
		t.Errorf("seeks after Open = %v, want %v", got, want)
	}

	atLeastOnce := startTask(t, "resume", db.config(append(kv, "delivery", "at_least_once")...))
	if err := atLeastOnce.SinkTask.(connect.QueueAwareSink).Open(context.Background(), queues); err != nil {
		t.Fatal(err)
	}
	if got := atLeastOnce.tc.Seeks(); len(got) != 0 {
		t.Errorf("at_least_once seeks after Open: %v", got)
	}
}

// A target table changed under the task (a column dropped) fails the
// batch's first statement: the failure is the target's, retriable, and the
// table is read again, after which the record whose column is gone fails
// alone.
func TestTargetTableChangedIsReadAgain(t *testing.T) {
	for _, delivery := range []string{"at_least_once", "exactly_once"} {
		t.Run(delivery, func(t *testing.T) {
			db := newTestDB(t)
			db.exec("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40), extra INT)")
			task := startTask(t, "changed", db.config("table.name.format", "items", "primary.key.mode", "record_value",
				"primary.key.fields", "id", "delivery", delivery))
			task.write(origins("t", 0, 0, &connect.Record{Value: row("id", int64(1), "name", "one", "extra", int64(1))})...)
			db.exec("ALTER TABLE items DROP COLUMN extra")
			recs := origins("t", 0, 1, &connect.Record{Value: row("id", int64(2), "name", "two", "extra", int64(2))})
			err := task.Put(context.Background(), recs)
			if err == nil || !connect.IsRetriable(err) || !strings.Contains(err.Error(), "a target table changed") {
				t.Fatalf("put after the table changed: %v, want a retriable error saying the table changed", err)
			}
			if strings.Contains(err.Error(), "begin a transaction") {
				t.Errorf("error %q blames the begin, which went with the statement that failed", err)
			}
			var be *connect.BatchError
			if err := task.Put(context.Background(), recs); !errorsAs(err, &be) || len(be.Failed) != 1 || !strings.Contains(be.Failed[0].Err.Error(), "extra") {
				t.Fatalf("put again: %v, want the record failed for its column extra", err)
			}
			if err := task.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}
