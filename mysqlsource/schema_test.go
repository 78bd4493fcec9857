package mysqlsource_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/offset"
)

// TestSchemaChange adds and drops columns while streaming, with a restart
// between the changes: every row decodes with the columns it was written
// with, not the table's current ones.
func TestSchemaChange(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))")
	cfg := db.config()
	store := offset.NewMemory()

	r1 := startRun(t, cfg, store)
	r1.pollUntil(30*time.Second, "streaming", streaming(r1))
	db.exec(
		"INSERT INTO t VALUES (1, 'a')",
		"ALTER TABLE t ADD COLUMN w INT NOT NULL DEFAULT 7",
		"INSERT INTO t VALUES (2, 'b', 8)",
	)
	r1.pollUntil(30*time.Second, "two inserts", func(recs []*connect.Record) bool { return ops(recs)[connect.OpCreate] == 2 })
	r1.commit(0) // only the first insert is durable
	r1.stop()

	// While the task is down, the table changes again.
	db.exec(
		"UPDATE t SET w = 9 WHERE id = 1",
		"ALTER TABLE t DROP COLUMN v",
		"INSERT INTO t VALUES (3, 10)",
		"ALTER TABLE t ADD COLUMN v2 ENUM('x','y') DEFAULT 'y' FIRST",
		"INSERT INTO t (id, w) VALUES (4, 11)",
	)
	r2 := startRun(t, cfg, store)
	r2.pollUntil(30*time.Second, "the last insert", hasRecord("t", isSentinel(4)))

	type event struct {
		op            connect.Operation
		before, after map[string]any
	}
	want := []event{
		{connect.OpCreate, nil, map[string]any{"id": int64(2), "v": "b", "w": int64(8)}},
		{connect.OpUpdate, map[string]any{"id": int64(1), "v": "a", "w": int64(7)}, map[string]any{"id": int64(1), "v": "a", "w": int64(9)}},
		{connect.OpCreate, nil, map[string]any{"id": int64(3), "w": int64(10)}},
		{connect.OpCreate, nil, map[string]any{"v2": "y", "id": int64(4), "w": int64(11)}},
	}
	if len(r2.recs) != len(want) {
		t.Fatalf("after the restart got %d events, want %d: %v", len(r2.recs), len(want), ops(r2.recs))
	}
	for i, w := range want {
		c := r2.recs[i].Change
		if before, after := asMap(c.Before), asMap(c.After); c.Op != w.op || !reflect.DeepEqual(before, w.before) || !reflect.DeepEqual(after, w.after) {
			t.Errorf("event %d: %s %v -> %v, want %s %v -> %v", i, c.Op, before, after, w.op, w.before, w.after)
		}
	}
	// Each table version has its schema, in its column order, shared by
	// its rows.
	wantFields := [][]string{{"id", "v", "w"}, {"id", "v", "w"}, {"id", "w"}, {"v2", "id", "w"}}
	var schemas []*connect.Schema
	for i, names := range wantFields {
		row, ok := r2.recs[i].Change.After.(*connect.Struct)
		if !ok {
			t.Fatalf("event %d: after image %T, want *connect.Struct", i, r2.recs[i].Change.After)
		}
		if got := fieldNames(row.Schema); !slices.Equal(got, names) {
			t.Errorf("event %d: fields %v, want %v", i, got, names)
		}
		schemas = append(schemas, row.Schema)
	}
	if schemas[0] != schemas[1] || r2.recs[1].Change.Before.(*connect.Struct).Schema != schemas[1] {
		t.Errorf("rows of one table version have different schemas: %v, %v", schemas[0], schemas[1])
	}
	if schemas[1] == schemas[2] || schemas[2] == schemas[3] {
		t.Errorf("table versions share a schema")
	}
}

func fieldNames(s *connect.Schema) []string {
	var out []string
	for _, f := range s.Fields {
		out = append(out, f.Name)
	}
	return out
}

// TestMinimalMetadata runs against a binlog without full row metadata (as
// older servers write it): names, signedness, ENUM members and character
// sets come from the current schema instead.
//
// Also when the server had full metadata when the task started: table maps
// without names (written while the setting was MINIMAL, or in an older
// binlog) are decoded the same way.
func TestMinimalMetadata(t *testing.T) {
	for _, later := range []bool{false, true} {
		name := map[bool]string{false: "from the start", true: "after the start"}[later]
		t.Run(name, func(t *testing.T) { testMinimalMetadata(t, later) })
	}
}

func testMinimalMetadata(t *testing.T, later bool) {
	db := newTestDB(t)
	minimal := func() {
		db.exec("SET GLOBAL binlog_row_metadata = 'MINIMAL'")
		if v := db.rows("SELECT @@GLOBAL.binlog_row_metadata")[0][0]; v != "MINIMAL" {
			t.Fatalf("binlog_row_metadata is %s", v)
		}
	}
	t.Cleanup(func() { db.exec("SET GLOBAL binlog_row_metadata = 'FULL'") })
	if !later {
		minimal()
	}
	db.exec("CREATE TABLE t (id INT UNSIGNED PRIMARY KEY, e ENUM('x','y'), l VARCHAR(10) CHARACTER SET latin1, b BINARY(3), big BIGINT UNSIGNED)")
	r := startRun(t, db.config(), nil)
	r.pollUntil(30*time.Second, "streaming", streaming(r))
	if later {
		minimal()
	}
	// A new session sees the new global value.
	db.mu.Lock()
	db.conn.Close()
	db.conn = nil
	db.mu.Unlock()
	db.exec("INSERT INTO t VALUES (4294967295, 'y', 'café', 'a', 18446744073709551615)")
	r.pollUntil(30*time.Second, "the insert", func(recs []*connect.Record) bool { return len(recs) == 1 })
	want := map[string]any{"id": int64(4294967295), "e": "y", "l": "café", "b": []byte("a\x00\x00"), "big": uint64(18446744073709551615)}
	if got := asMap(r.recs[0].Change.After); !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
	if keyID(r.recs[0]) != int64(4294967295) {
		t.Errorf("key %#v", r.recs[0].Key)
	}
	// The schema too comes from the current one where the binlog lacks it.
	want2 := "optional struct " + db.name + "." + db.name + ".t.Value{id int64, e optional enum(x,y), l optional string(latin1), b optional bytes, big optional uint64}"
	if got := r.recs[0].Change.After.(*connect.Struct).Schema.String(); got != want2 {
		t.Errorf("schema\n%s, want\n%s", got, want2)
	}
}
