package mysqlsource

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	connect "github.com/openmessaging/connect-go"
)

// The binlog row path without a server: a table map and row events as
// go-mysql hands them over (binlog_row_metadata=FULL), through the
// streamer into records.

// benchTableMap is the table map of bench/mysql's table: id BIGINT PRIMARY
// KEY, name VARCHAR(64), email VARCHAR(64), score DOUBLE, status
// VARCHAR(40), utf8mb4.
func benchTableMap() *replication.TableMapEvent {
	return &replication.TableMapEvent{
		TableID:     7,
		Schema:      []byte("shop"),
		Table:       []byte("t"),
		ColumnCount: 5,
		ColumnType: []byte{mysql.MYSQL_TYPE_LONGLONG, mysql.MYSQL_TYPE_VARCHAR, mysql.MYSQL_TYPE_VARCHAR,
			mysql.MYSQL_TYPE_DOUBLE, mysql.MYSQL_TYPE_VARCHAR},
		ColumnMeta:       []uint16{0, 256, 256, 8, 160},
		NullBitmap:       []byte{0b11110},
		SignednessBitmap: []byte{0},
		DefaultCharset:   []uint64{45}, // utf8mb4_general_ci
		ColumnName:       [][]byte{[]byte("id"), []byte("name"), []byte("email"), []byte("score"), []byte("status")},
		PrimaryKey:       []uint64{0},
	}
}

// benchRows returns n row images as go-mysql decodes them, ids from
// first; every value is boxed already, as go-mysql's are.
func benchRows(first, n int) [][]any {
	rows := make([][]any, n)
	for i := range rows {
		id := first + i
		rows[i] = []any{int64(id), fmt.Sprintf("customer-%d-of-the-benchmark", id),
			fmt.Sprintf("customer%d@example.com", id), float64(id%1000) / 7, strings.Clone("active, subscribed")}
	}
	return rows
}

// updateImages returns the before and after images of updates of rows, as
// an update row event holds them: each row's before image, then its
// after image, with a new score.
func updateImages(rows [][]any) [][]any {
	out := make([][]any, 0, 2*len(rows))
	for _, r := range rows {
		after := append([]any(nil), r...)
		after[3] = r[3].(float64) + 1
		out = append(out, r, after)
	}
	return out
}

// newTestStreamer returns a streamer in a transaction of file
// mysql-bin.000001 at 4, with tm's table mapped.
func newTestStreamer(t testing.TB, tm *replication.TableMapEvent) (*streamer, *replication.EventHeader) {
	t.Helper()
	s, err := parseSettings(connect.Config{"host": "db", "user": "cdc", "server.name": "bench"})
	if err != nil {
		t.Fatal(err)
	}
	info := serverInfo{version: "10.11.6-MariaDB", flavor: mysql.MariaDBFlavor, fullMetadata: true}
	r := newStreamer(s, slog.New(slog.DiscardHandler), info, Partition("bench"), 1, nil, offset{File: "mysql-bin.000001", Pos: 4})
	r.tables = map[uint64]*tableSchema{}
	r.setFile("mysql-bin.000001")
	h := &replication.EventHeader{Timestamp: 1_700_000_000, ServerID: 1, EventSize: 100, LogPos: 1000}
	r.begin(h)
	r.setGTID("0-1-42")
	ts, err := r.tableFor(tm)
	if err != nil {
		t.Fatal(err)
	}
	r.tables[tm.TableID] = ts
	return r, h
}

func TestRowPathRecords(t *testing.T) {
	r, h := newTestStreamer(t, benchTableMap())
	e := &replication.RowsEvent{TableID: 7, Rows: benchRows(1, 3)}
	recs, err := r.rowsEvent(h, replication.WRITE_ROWS_EVENTv2, e, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	value, key := recs[0].Change.After.(*connect.Struct), recs[0].Key.(*connect.Struct)
	want := "optional struct bench.shop.t.Value{id int64, name optional string, email optional string, score optional float64, status optional string}"
	if got := value.Schema.String(); got != want {
		t.Errorf("row schema %s, want %s", got, want)
	}
	if got, want := key.Schema.String(), "struct bench.shop.t.Key{id int64}"; got != want {
		t.Errorf("key schema %s, want %s", got, want)
	}
	for i, rec := range recs {
		after := rec.Change.After.(*connect.Struct)
		if after.Schema != value.Schema || rec.Key.(*connect.Struct).Schema != key.Schema {
			t.Errorf("record %d does not share the table's schemas", i)
		}
		if err := after.Validate(); err != nil {
			t.Errorf("record %d: %v", i, err)
		}
		if got := fmt.Sprint(after.Values); got != fmt.Sprint(e.Rows[i]) {
			t.Errorf("record %d: values %s, want %s", i, got, fmt.Sprint(e.Rows[i]))
		}
		if rec.Change.Before != nil {
			t.Errorf("record %d: before %#v, want nil", i, rec.Change.Before)
		}
		src := rec.Change.Source.(*connect.Struct)
		if err := src.Validate(); err != nil {
			t.Errorf("record %d: source: %v", i, err)
		}
		m := src.Map()
		if m["row"] != int64(i) || m["gtid"] != "0-1-42" || m["file"] != "mysql-bin.000001" || m["pos"] != int64(900) ||
			m["db"] != "shop" || m["table"] != "t" || m["name"] != "bench" || m["thread"] != nil || m["query"] != nil {
			t.Errorf("record %d: source %v", i, m)
		}
		if want := fmt.Sprintf(`{"file":"mysql-bin.000001","pos":900,"event":0,"row":%d}`, i+1); string(rec.Position.Offset) != want {
			t.Errorf("record %d: offset %s, want %s", i, rec.Position.Offset, want)
		}
	}

	// An update changing the key: a delete and a create sharing the source
	// block; one keeping it: an update.
	e = &replication.RowsEvent{TableID: 7, Rows: append(benchRows(1, 1), append(benchRows(5, 1), append(benchRows(2, 1), benchRows(2, 1)...)...)...)}
	recs, err = r.rowsEvent(h, replication.UPDATE_ROWS_EVENTv2, e, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, rec := range recs {
		ops = append(ops, fmt.Sprintf("%s:%v", rec.Change.Op, rec.Key.(*connect.Struct).Values[0]))
	}
	if got, want := strings.Join(ops, " "), "d:1 c:5 u:2"; got != want {
		t.Errorf("update records %s, want %s", got, want)
	}

	// The converted table's values and schema.
	r2, h2 := newTestStreamer(t, convertedTableMap())
	recs, err = r2.rowsEvent(h2, replication.WRITE_ROWS_EVENTv2, &replication.RowsEvent{TableID: 8, Rows: convertedRows(1)}, 0, nil)
	if err != nil || len(recs) != 1 {
		t.Fatalf("%d records, error %v", len(recs), err)
	}
	row := recs[0].Change.After.(*connect.Struct)
	if got, want := fmt.Sprintf("%v %#v", row.Schema, row.Values), `optional struct bench.shop.c.Value{id int32, dt optional timestamp(6), f optional float32, tm optional time(0), dec optional decimal(10,2), e optional enum(a,b)} []interface {}{1000, time.Date(2024, time.January, 2, 3, 4, 5, 123456000, time.UTC), 1.5, "12:34:56", "12.50", "b"}`; got != want {
		t.Errorf("converted row\n%s, want\n%s", got, want)
	}
	if err := row.Validate(); err != nil {
		t.Error(err)
	}
}

// convertedTableMap is a table whose values go-mysql does not give in the
// connector's form: id INT PRIMARY KEY, dt DATETIME(6), f FLOAT, tm TIME,
// dec DECIMAL(10,2), e ENUM('a','b').
func convertedTableMap() *replication.TableMapEvent {
	return &replication.TableMapEvent{
		TableID:     8,
		Schema:      []byte("shop"),
		Table:       []byte("c"),
		ColumnCount: 6,
		ColumnType: []byte{mysql.MYSQL_TYPE_LONG, mysql.MYSQL_TYPE_DATETIME2, mysql.MYSQL_TYPE_FLOAT,
			mysql.MYSQL_TYPE_TIME2, mysql.MYSQL_TYPE_NEWDECIMAL, mysql.MYSQL_TYPE_STRING},
		ColumnMeta:       []uint16{0, 6, 4, 0, 10<<8 | 2, uint16(mysql.MYSQL_TYPE_ENUM)<<8 | 1},
		NullBitmap:       []byte{0b111110},
		SignednessBitmap: []byte{0},
		EnumStrValue:     [][][]byte{{[]byte("a"), []byte("b")}},
		ColumnName:       [][]byte{[]byte("id"), []byte("dt"), []byte("f"), []byte("tm"), []byte("dec"), []byte("e")},
		PrimaryKey:       []uint64{0},
	}
}

func convertedRows(n int) [][]any {
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{int32(1000 + i), "2024-01-02 03:04:05.123456", float32(1.5), "12:34:56", "12.50", int64(2)}
	}
	return rows
}

// TestRowPathAllocs pins the allocations of turning a row event into
// records: a few per event (its blocks, the source block's boxed numbers),
// none per row when go-mysql's values are already the connector's (BIGINT,
// DOUBLE, UTF-8 text), as for bench/mysql's table.
func TestRowPathAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	const rows = 100
	for _, tc := range []struct {
		name     string
		typ      replication.EventType
		rows     [][]any
		perEvent float64 // allocations of one event of 100 rows
	}{
		// newRecordBlock's 4 blocks and pos boxed; ts_ms, ts_us and ts_ns
		// are boxed once per second of event time (so not here: the
		// events share their time), the version once.
		{"insert", replication.WRITE_ROWS_EVENTv2, benchRows(1, rows), 5},
		{"update", replication.UPDATE_ROWS_EVENTv2, updateImages(benchRows(1, rows)), 5},
		{"delete", replication.DELETE_ROWS_EVENTv2, benchRows(1, rows), 5},
		// Per row, boxed: the INT (an int32 from go-mysql, above 255), the
		// DATETIME (a time.Time), the FLOAT (its shortest decimal), the
		// TIME's text; the DECIMAL's text and the ENUM's member (boxed
		// once per table) are free.
		{"converted", replication.WRITE_ROWS_EVENTv2, convertedRows(rows), 5 + 4*rows},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tm := benchTableMap()
			if tc.name == "converted" {
				tm = convertedTableMap()
			}
			r, h := newTestStreamer(t, tm)
			e := &replication.RowsEvent{TableID: tm.TableID, Rows: tc.rows}
			out := make([]*connect.Record, 0, 2*rows)
			allocs := testing.AllocsPerRun(100, func() {
				var err error
				if out, err = r.rowsEvent(h, tc.typ, e, 0, out[:0]); err != nil || len(out) != rows {
					t.Fatalf("%d records, error %v", len(out), err)
				}
			})
			t.Logf("%.1f allocations for an event of %d rows", allocs, rows)
			if allocs > tc.perEvent {
				t.Errorf("%.1f allocations for an event of %d rows (%.2f per row), want at most %.0f", allocs, rows, allocs/rows, tc.perEvent)
			}
		})
	}
}

// A compressed transaction (MySQL's binlog_transaction_compression) hands
// its row events inside one payload event, all at the payload's position:
// the source blocks number the rows through the payload, so that no two
// change events share file, pos and row (mysqlsink's source.dedupe tells
// copies by them), while the offsets count events and rows per event as
// for any transaction.
func TestCompressedTransactionRows(t *testing.T) {
	r, h := newTestStreamer(t, benchTableMap())
	inner := func(typ replication.EventType, rows [][]any) *replication.BinlogEvent {
		return &replication.BinlogEvent{Header: &replication.EventHeader{EventType: typ, Timestamp: h.Timestamp, ServerID: 1},
			Event: &replication.RowsEvent{TableID: 7, Rows: rows}}
	}
	payload := &replication.BinlogEvent{Header: h, Event: &replication.TransactionPayloadEvent{Events: []*replication.BinlogEvent{
		inner(replication.WRITE_ROWS_EVENTv2, benchRows(1, 2)),
		inner(replication.UPDATE_ROWS_EVENTv2, updateImages(benchRows(1, 2))),
		inner(replication.DELETE_ROWS_EVENTv2, benchRows(2, 1)),
	}}}
	recs, err := r.handle(payload, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rec := range recs {
		m := rec.Change.Source.(*connect.Struct).Map()
		got = append(got, fmt.Sprintf("%s pos %v row %v offset %s", rec.Change.Op, m["pos"], m["row"], rec.Position.Offset))
	}
	want := []string{
		`c pos 900 row 0 offset {"file":"mysql-bin.000001","pos":900,"event":0,"row":1}`,
		`c pos 900 row 1 offset {"file":"mysql-bin.000001","pos":900,"event":0,"row":2}`,
		`u pos 900 row 2 offset {"file":"mysql-bin.000001","pos":900,"event":1,"row":1}`,
		`u pos 900 row 3 offset {"file":"mysql-bin.000001","pos":900,"event":1,"row":2}`,
		`d pos 900 row 4 offset {"file":"mysql-bin.000001","pos":900,"event":2,"row":1}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("records\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The next transaction's rows count from 0 again.
	recs, err = r.rowsEvent(h, replication.WRITE_ROWS_EVENTv2, &replication.RowsEvent{TableID: 7, Rows: benchRows(9, 1)}, 3, nil)
	if err != nil || len(recs) != 1 || recs[0].Change.Source.(*connect.Struct).Map()["row"] != int64(0) {
		t.Errorf("after the payload: %v, %v", recs, err)
	}
}

// Streamed change events say which binlog they were read from
// (HeaderBinlogServer): the server_id of the binlog file's format
// description event, which for replicated events differs from their
// source block's server_id.
func TestBinlogServerHeader(t *testing.T) {
	r, h := newTestStreamer(t, benchTableMap())
	fde := &replication.BinlogEvent{Header: &replication.EventHeader{EventType: replication.FORMAT_DESCRIPTION_EVENT, ServerID: 7},
		Event: &replication.FormatDescriptionEvent{}}
	if _, err := r.handle(fde, fde.Header, nil); err != nil {
		t.Fatal(err)
	}
	h.ServerID = 3 // replicated from server 3
	recs, err := r.rowsEvent(h, replication.WRITE_ROWS_EVENTv2, &replication.RowsEvent{TableID: 7, Rows: benchRows(1, 2)}, 0, nil)
	if err != nil || len(recs) != 2 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	for _, rec := range recs {
		if got := rec.Headers[HeaderBinlogServer]; got != "7" {
			t.Errorf("header %s = %q, want 7", HeaderBinlogServer, got)
		}
		if got := rec.Change.Source.(*connect.Struct).Map()["server_id"]; got != int64(3) {
			t.Errorf("source server_id %v, want 3", got)
		}
	}
}
