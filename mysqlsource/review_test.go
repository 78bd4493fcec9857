package mysqlsource_test

import (
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/offset"
)

// TestCredentialsNotLogged runs statements carrying a password literal
// (DDL and a row change with include.query): the password shows neither
// in the task's log, at any level, nor in source.query, and statement text
// is not logged at Info.
func TestCredentialsNotLogged(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(100))")
	var buf connecttest.LogBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := startRunLogged(t, db.config("include.query", "true"), nil, log)
	r.pollUntil(30*time.Second, "streaming", streaming(r))
	db.exec(
		"CREATE VIEW vw AS SELECT PASSWORD('s3cr3t-in-ddl') AS p",
		"INSERT INTO t VALUES (1, PASSWORD('s3cr3t-in-row'))",
		"INSERT INTO t VALUES (-1, 'end')",
	)
	r.pollUntil(30*time.Second, "the sentinel", hasRecord("t", isSentinel(-1)))
	out := buf.String()
	if strings.Contains(out, "s3cr3t") {
		t.Errorf("a password is in the log:\n%s", out)
	}
	if !strings.Contains(out, "[hidden]") {
		t.Errorf("the masked DDL text is not in the Debug log:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "level=INFO") && strings.Contains(line, "PASSWORD") {
			t.Errorf("statement text logged at Info: %s", line)
		}
	}
	found := false
	for _, rec := range r.recs {
		if rec.Change.Op != connect.OpCreate || keyID(rec) != int64(1) {
			continue
		}
		found = true
		q, _ := field(rec.Change.Source, "query").(string)
		if strings.Contains(q, "s3cr3t") || !strings.Contains(q, "PASSWORD('[hidden]')") {
			t.Errorf("source.query = %q, want the password masked", q)
		}
	}
	if !found {
		t.Errorf("no create of id 1 among %d records", len(r.recs))
	}
}

// TestSystemVersionedSnapshot: a MariaDB table WITH SYSTEM VERSIONING
// (TABLE_TYPE 'SYSTEM VERSIONED') is snapshotted.
func TestSystemVersionedSnapshot(t *testing.T) {
	db := newTestDB(t)
	db.exec(
		"CREATE TABLE sv (id INT PRIMARY KEY, v INT NOT NULL) WITH SYSTEM VERSIONING",
		"INSERT INTO sv VALUES (1, 1), (2, 2), (3, 3)",
		"UPDATE sv SET v = 20 WHERE id = 2",
	)
	r := startRun(t, db.config(), nil)
	r.pollUntil(30*time.Second, "streaming", streaming(r))
	if n := ops(r.recs)[connect.OpRead]; n != 3 {
		t.Fatalf("%d snapshot reads of the system-versioned table, want 3 (%v)", n, ops(r.recs))
	}
	checkReplay(t, db, "sv", replay("sv", r.recs))
}

// TestSystemVersionedStream: the binlog rows of system-versioned tables
// (implicit and explicit period columns) become current-state changes:
// MariaDB logs an UPDATE as an update of the current row plus an insert of
// the history row, and a DELETE as an update ending the current row.
// Replaying snapshot and stream gives the current rows, keyed by the
// user's primary key, without period columns.
func TestSystemVersionedStream(t *testing.T) {
	db := newTestDB(t)
	db.exec(
		"CREATE TABLE sv (id INT PRIMARY KEY, v INT NOT NULL) WITH SYSTEM VERSIONING",
		"CREATE TABLE sx (id INT PRIMARY KEY, v INT NOT NULL, s TIMESTAMP(6) GENERATED ALWAYS AS ROW START, e TIMESTAMP(6) GENERATED ALWAYS AS ROW END, PERIOD FOR SYSTEM_TIME (s, e)) WITH SYSTEM VERSIONING",
	)
	for _, tbl := range []string{"sv", "sx"} {
		db.exec(
			"INSERT INTO "+tbl+" (id, v) VALUES (1, 1), (2, 2), (3, 3)",
			"UPDATE "+tbl+" SET v = 20 WHERE id = 2",
		)
	}
	r := startRun(t, db.config(), nil)
	r.pollUntil(30*time.Second, "streaming", streaming(r))
	if n := ops(r.recs)[connect.OpRead]; n != 6 {
		t.Fatalf("%d snapshot reads of the system-versioned tables, want 6 (%v)", n, ops(r.recs))
	}
	snap := len(r.recs)
	for _, tbl := range []string{"sv", "sx"} {
		db.exec(
			"INSERT INTO "+tbl+" (id, v) VALUES (4, 4), (5, 5)",
			"UPDATE "+tbl+" SET v = v + 100 WHERE id IN (1, 4)",
			"DELETE FROM "+tbl+" WHERE id IN (3, 5)",
			"UPDATE "+tbl+" SET id = 7 WHERE id = 2",
			"UPDATE "+tbl+" SET v = 8 WHERE id = 7",
		)
	}
	// Per table: 2 c, 2 u, 2 d, a key change (d + c), 1 u.
	want := 2 * 9
	r.pollUntil(30*time.Second, "stream records", func(recs []*connect.Record) bool { return len(recs) >= snap+want })
	r.poll(time.Second) // anything more (history rows) would come now
	stream := r.recs[snap:]
	if len(stream) != want {
		t.Errorf("%d stream records, want %d (%v)", len(stream), want, ops(stream))
	}
	// Without the period columns, the stream's schemas are the snapshot's.
	for _, bin := range stream {
		for _, rec := range r.recs[:snap] {
			if rec.Topic == bin.Topic && bin.Change.After != nil {
				sameSchemas(t, rec, bin)
				break
			}
		}
	}
	wantOps := map[connect.Operation]int{connect.OpCreate: 6, connect.OpUpdate: 6, connect.OpDelete: 6}
	if got := ops(stream); !maps.Equal(got, wantOps) {
		t.Errorf("stream operations %v, want %v", got, wantOps)
	}
	for _, rec := range r.recs {
		for _, img := range []any{rec.Change.Before, rec.Change.After, rec.Key} {
			for _, c := range []string{"row_start", "row_end", "s", "e"} {
				if _, ok := connect.Lookup(img, c); ok {
					t.Errorf("%s record of %v carries period column %s: %v", rec.Change.Op, field(rec.Change.Source, "table"), c, img)
				}
			}
		}
		if k := asMap(rec.Key); len(k) != 1 {
			t.Errorf("%s record key %v, want {id}", rec.Change.Op, k)
		}
		if rec.Change.Op == connect.OpDelete && rec.Change.Before == nil {
			t.Errorf("delete without its before image: %v", rec.Key)
		}
	}
	checkReplay(t, db, "sv", replay("sv", r.recs))
	checkReplay(t, db, "sx", replay("sx", r.recs))
}

// TestStopMidSnapshotKeyChange stops the task in the middle of the
// snapshot, changes the table's primary key, and starts again: the stored
// key belongs to the old primary key, so the table is read again from the
// start and every row is emitted.
func TestStopMidSnapshotKeyChange(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL)")
	// v runs against id: the key reached in id order says nothing of v.
	db.exec("INSERT INTO t (id, v) SELECT seq, 3001 - seq FROM seq_1_to_3000")
	cfg := db.config("snapshot.fetch.size", "100")
	store := offset.NewMemory()

	r1 := startRun(t, cfg, store)
	r1.pollUntil(30*time.Second, "1000 snapshot rows", func(recs []*connect.Record) bool { return len(recs) >= 1000 })
	k := 950
	r1.commit(k)
	if !strings.Contains(string(r1.recs[k].Position.Offset), `"cols":["id"]`) {
		t.Errorf("snapshot offset %s does not name the key columns", r1.recs[k].Position.Offset)
	}
	r1.stop()
	db.exec("ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (v)")

	r2 := startRun(t, cfg, store)
	r2.pollUntil(time.Minute, "streaming", streaming(r2))
	seen := map[any]bool{}
	for _, r := range append(r1.recs[:k+1:k+1], r2.recs...) {
		if r.Change.Op == connect.OpRead {
			seen[field(r.Change.After, "id")] = true
		}
	}
	if len(seen) != 3000 {
		t.Errorf("the snapshot emitted %d of the 3000 rows", len(seen))
	}
}

// TestSnapshotLastRecord: the snapshot's last record says
// source.snapshot=last and carries the stream offset, also when the last
// tables are empty and when a table's rows fill its pages exactly; every
// other snapshot record has Debezium's marker (wantMarker).
func TestSnapshotLastRecord(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tables []string // CREATE TABLE statements, in snapshot (name) order
		rows   map[string]int
	}{
		{"last table empty", []string{"a", "b", "c"}, map[string]int{"a": 3, "b": 0, "c": 0}},
		{"exact multiple of the fetch size", []string{"a", "b"}, map[string]int{"a": 3, "b": 4}},
		{"first table exact, last empty", []string{"a", "b"}, map[string]int{"a": 4, "b": 0}},
		{"one table of one page", []string{"a"}, map[string]int{"a": 2}},
		{"first table empty, one-row tables", []string{"a", "b", "c", "d"}, map[string]int{"a": 0, "b": 1, "c": 1, "d": 3}},
		{"first table of one row", []string{"a", "b"}, map[string]int{"a": 1, "b": 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := newTestDB(t)
			total := 0
			for _, name := range tc.tables {
				db.exec("CREATE TABLE " + name + " (id INT PRIMARY KEY, v INT NOT NULL)")
				if n := tc.rows[name]; n > 0 {
					insertRange(db, name, 1, n)
					total += n
				}
			}
			// One record per poll while a page is read: the page's last
			// one still comes with its end, to be marked.
			r := startRun(t, db.config("snapshot.fetch.size", "2", "poll.max.records", "1"), nil)
			r.pollUntil(30*time.Second, "streaming", streaming(r))
			if len(r.recs) != total {
				t.Fatalf("%d snapshot records, want %d", len(r.recs), total)
			}
			i := 0
			for k, name := range tc.tables {
				for row := range tc.rows[name] {
					want := wantMarker(k == 0, i == total-1, row == 0, row == tc.rows[name]-1)
					if got := field(r.recs[i].Change.Source, "snapshot"); got != want {
						t.Errorf("record %d of %d (%s row %d): source.snapshot = %v, want %s", i, total, name, row, got, want)
					}
					i++
				}
			}
			end := string(r.recs[total-1].Position.Offset)
			if strings.Contains(end, "snapshot") || !strings.Contains(end, `"event":0`) {
				t.Errorf("the last snapshot record's offset is %s, want a stream offset", end)
			}
		})
	}
}

// TestInvalidDateTime: a DATETIME invalid but accepted under
// ALLOW_INVALID_DATES ('2023-02-30') is the server's text, with the
// column's fraction digits, from the snapshot and from the binlog alike,
// and valid values agree on both paths.
func TestInvalidDateTime(t *testing.T) {
	db := newTestDB(t)
	db.exec(
		"SET SESSION sql_mode = 'ALLOW_INVALID_DATES'",
		"CREATE TABLE d (id INT PRIMARY KEY, dt DATETIME(3), ts TIMESTAMP(6) NULL, da DATE)",
		"INSERT INTO d VALUES (1, '2023-02-30 10:11:12.345', '2024-03-04 05:06:07.891011', '2023-04-31')",
		"INSERT INTO d VALUES (2, '2023-02-28 10:11:12.345', '1999-12-31 23:59:59', '2023-04-30')",
	)
	r := startRun(t, db.config(), nil)
	r.pollUntil(30*time.Second, "streaming", streaming(r))
	db.exec(
		"SET SESSION sql_mode = 'ALLOW_INVALID_DATES'",
		"INSERT INTO d SELECT id + 10, dt, ts, da FROM d",
		"INSERT INTO d VALUES (-1, NULL, NULL, NULL)",
	)
	r.pollUntil(30*time.Second, "the sentinel", hasRecord("d", isSentinel(-1)))
	byID := map[int64]map[string]any{}
	recs := map[int64]*connect.Record{}
	for _, rec := range r.recs {
		byID[keyID(rec).(int64)], _ = connect.AsMap(rec.Change.After)
		recs[keyID(rec).(int64)] = rec
	}
	sameSchemas(t, recs[1], recs[11])
	for _, id := range []int64{1, 11} {
		if v := byID[id]["dt"]; v != "2023-02-30 10:11:12.345" {
			t.Errorf("row %d: DATETIME(3) 2023-02-30 is %#v, want the server's text", id, v)
		}
		if v := byID[id]["da"]; v != "2023-04-31" {
			t.Errorf("row %d: DATE 2023-04-31 is %#v, want the server's text", id, v)
		}
	}
	for _, id := range []int64{1, 2} {
		snap, bin := byID[id], byID[id+10]
		if bin == nil || snap == nil {
			t.Fatalf("rows %d and %d: %v, %v", id, id+10, snap, bin)
		}
		for _, col := range []string{"dt", "ts", "da"} {
			if fmt.Sprint(snap[col]) != fmt.Sprint(bin[col]) {
				t.Errorf("row %d column %s: snapshot %v, binlog %v", id, col, snap[col], bin[col])
			}
		}
	}
}

// TestLatin1Undefined: the 5 bytes cp1252 leaves undefined decode in a
// latin1 column as the server converts them (U+0081 ...), from the
// snapshot and the binlog alike.
func TestLatin1Undefined(t *testing.T) {
	db := newTestDB(t)
	db.exec(
		"CREATE TABLE l (id INT PRIMARY KEY, s VARCHAR(20) CHARACTER SET latin1)",
		"INSERT INTO l VALUES (1, X'4180818D8F909D42E9')",
	)
	r := startRun(t, db.config(), nil)
	r.pollUntil(30*time.Second, "streaming", streaming(r))
	db.exec("INSERT INTO l SELECT 2, s FROM l WHERE id = 1", "INSERT INTO l VALUES (-1, NULL)")
	r.pollUntil(30*time.Second, "the sentinel", hasRecord("l", isSentinel(-1)))
	want := "A€\u0081\u008d\u008f\u0090\u009dBé"
	got := map[int64]any{}
	recs := map[int64]*connect.Record{}
	for _, rec := range r.recs {
		got[keyID(rec).(int64)] = field(rec.Change.After, "s")
		recs[keyID(rec).(int64)] = rec
	}
	sameSchemas(t, recs[1], recs[2])
	if s := recs[2].Change.After.(*connect.Struct).Schema.Fields[1].Schema; s.Charset != "latin1" {
		t.Errorf("field s: %s, want charset latin1", s)
	}
	if got[1] != want || got[2] != want {
		t.Errorf("snapshot %q, binlog %q, want %q", got[1], got[2], want)
	}
}

// wantMarker is Debezium's source.snapshot of a snapshot row (its
// RelationalSnapshotChangeEventSource.SnapshotMarkerResolver, and the
// snapshot's last record made "last" by EventDispatcher's
// BufferingSnapshotChangeRecordReceiver.completeSnapshot even when the
// tables after it are empty): firstTable is the snapshot's first table,
// whether or not it has rows.
func wantMarker(firstTable, lastInSnapshot, firstInTable, lastInTable bool) string {
	switch {
	case lastInSnapshot:
		return "last"
	case firstTable && firstInTable:
		return "first"
	case lastInTable:
		return "last_in_data_collection"
	case firstInTable:
		return "first_in_data_collection"
	}
	return "true"
}
