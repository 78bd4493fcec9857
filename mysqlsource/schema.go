package mysqlsource

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
)

// loadSchema reads a table's current columns and primary key from
// information_schema.
func loadSchema(conn *client.Conn, db, table string) (*tableSchema, error) {
	rows, err := query(conn, `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IFNULL(CHARACTER_SET_NAME, ''),
		IFNULL(NUMERIC_PRECISION, 0), IFNULL(NUMERIC_SCALE, 0), IFNULL(DATETIME_PRECISION, 0), IS_NULLABLE
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, db, table)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("table %s.%s has no columns (dropped?)", db, table)
	}
	ts := &tableSchema{db: db, table: table, cols: make([]column, len(rows))}
	index := make(map[string]int, len(rows))
	for i, r := range rows {
		sc := schemaColumn{name: r[0], dataType: r[1], columnType: r[2], charset: r[3], nullable: r[7] == "YES"}
		sc.precision, _ = strconv.Atoi(r[4])
		sc.scale, _ = strconv.Atoi(r[5])
		sc.fsp, _ = strconv.Atoi(r[6])
		if ts.cols[i], err = snapshotColumn(sc); err != nil {
			return nil, fmt.Errorf("table %s.%s: %w", db, table, err)
		}
		index[sc.name] = i
	}
	pk, err := query(conn, `SELECT COLUMN_NAME FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`, db, table)
	if err != nil {
		return nil, err
	}
	for _, r := range pk {
		if i, ok := index[r[0]]; ok {
			ts.pk = append(ts.pk, i)
		}
	}
	start, end, versioned, err := systemPeriod(conn, db, table)
	if err != nil {
		return nil, err
	}
	if versioned {
		ts.setPeriod(start, end)
	}
	return ts, nil
}

// systemPeriod returns the names of the ROW START and ROW END columns of a
// MariaDB system-versioned table; versioned is false for other tables.
// Implicit period columns (WITH SYSTEM VERSIONING alone) are invisible,
// missing from information_schema.COLUMNS, and named row_start and
// row_end; explicit ones say GENERATED ALWAYS AS ROW START / ROW END.
func systemPeriod(conn *client.Conn, db, table string) (start, end string, versioned bool, err error) {
	rows, err := query(conn, `SELECT TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`, db, table)
	if err != nil || len(rows) == 0 || rows[0][0] != "SYSTEM VERSIONED" {
		return "", "", false, err
	}
	cols, err := query(conn, `SELECT COLUMN_NAME, IFNULL(GENERATION_EXPRESSION, ''), EXTRA FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
		AND (GENERATION_EXPRESSION IN ('ROW START', 'ROW END') OR EXTRA IN ('ROW START', 'ROW END'))`, db, table)
	if err != nil {
		return "", "", false, err
	}
	start, end = "row_start", "row_end"
	for _, c := range cols {
		if c[1] == "ROW START" || c[2] == "ROW START" {
			start = c[0]
		} else {
			end = c[0]
		}
	}
	return start, end, true, nil
}

// setPeriod marks a table as system-versioned with the given period
// columns: they are left out of row images and of the key (MariaDB adds
// the ROW END column to the primary key), so records carry the user's
// columns and primary key, as the snapshot does.
func (ts *tableSchema) setPeriod(start, end string) {
	ts.versioned = true
	ts.rowStart, ts.rowEnd = -1, -1
	for i := range ts.cols {
		switch ts.cols[i].name {
		case start:
			ts.rowStart = i
		case end:
			ts.rowEnd = i
		}
	}
	var pk []int
	for _, i := range ts.pk {
		if !ts.isPeriod(i) {
			pk = append(pk, i)
		}
	}
	ts.pk = pk
}

// isPeriod reports whether column i is a system period column.
func (ts *tableSchema) isPeriod(i int) bool {
	return ts.versioned && (i == ts.rowStart || i == ts.rowEnd)
}

// visible returns the schema without its system period columns, what the
// snapshot reads.
func (ts *tableSchema) visible() *tableSchema {
	if !ts.versioned || ts.rowStart < 0 && ts.rowEnd < 0 {
		return ts
	}
	v := *ts
	v.versioned, v.cols, v.pk = false, nil, nil
	at := make([]int, len(ts.cols))
	for i, c := range ts.cols {
		if ts.isPeriod(i) {
			continue
		}
		at[i] = len(v.cols)
		v.cols = append(v.cols, c)
	}
	for _, i := range ts.pk {
		v.pk = append(v.pk, at[i])
	}
	return &v
}

// mayBeVersioned tells from a table map whether the table can be
// system-versioned (two TIMESTAMP or two BIGINT columns), so that other
// tables need no look-up.
func mayBeVersioned(e *replication.TableMapEvent) bool {
	var ts, ints int
	for _, t := range e.ColumnType {
		switch t {
		case mysql.MYSQL_TYPE_TIMESTAMP, mysql.MYSQL_TYPE_TIMESTAMP2:
			ts++
		case mysql.MYSQL_TYPE_LONGLONG:
			ints++
		}
	}
	return ts >= 2 || ints >= 2
}

// currentRowEnd reports whether a binlog ROW END value is the maximum, the
// mark of a current row: TIMESTAMP '2038-01-19 03:14:07.999999' (MariaDB
// 11.5 and later on 64-bit: '2106-02-07 06:28:15.999999'), in UTC, or the
// largest transaction id for transaction-precise versioning. History rows
// end at the time (or transaction) of their change.
func currentRowEnd(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.HasPrefix(v, "2038-01-19 03:14:07") || strings.HasPrefix(v, "2106-02-07 06:28:15")
	case time.Time:
		return v.UTC().Year() >= 2038
	case uint64:
		return v == math.MaxUint64
	case int64:
		return v == -1
	}
	return false
}

// tableRef names a table.
type tableRef struct{ db, table string }

func (t tableRef) String() string { return t.db + "." + t.table }

// before orders tables as the snapshot reads them.
func (t tableRef) before(o tableRef) bool {
	if t.db != o.db {
		return t.db < o.db
	}
	return t.table < o.table
}

// listTables returns the captured base tables (MariaDB's system-versioned
// tables included), in snapshot order, with the server's estimate of their
// row counts.
func listTables(conn *client.Conn, f *filter) ([]tableRef, map[tableRef]int64, error) {
	rows, err := query(conn, `SELECT TABLE_SCHEMA, TABLE_NAME, IFNULL(TABLE_ROWS, 0) FROM information_schema.TABLES
		WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')`)
	if err != nil {
		return nil, nil, err
	}
	var out []tableRef
	estimates := map[tableRef]int64{}
	for _, r := range rows {
		t := tableRef{r[0], r[1]}
		if !f.include(t.db, t.table) {
			continue
		}
		out = append(out, t)
		estimates[t], _ = strconv.ParseInt(r[2], 10, 64)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].before(out[j]) })
	return out, estimates, nil
}

// liveSchemas reads current table schemas for servers whose binlog lacks
// full row metadata (binlog_row_metadata=MINIMAL, MySQL 5.7, MariaDB before
// 10.5). It is a fallback: a row written before an ALTER and read after it
// decodes with the new schema, so the source warns about it at start.
type liveSchemas struct {
	s       *settings
	conn    *client.Conn
	cache   map[tableRef]*tableSchema
	periods map[tableRef]period
}

func newLiveSchemas(s *settings) *liveSchemas {
	return &liveSchemas{s: s, cache: map[tableRef]*tableSchema{}, periods: map[tableRef]period{}}
}

func (l *liveSchemas) dial() error {
	if l.conn != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.s.connectTimeout)
	conn, err := l.s.dial(ctx)
	cancel()
	if err != nil {
		return err
	}
	l.conn = conn
	return nil
}

// period returns the system period columns of a table, as systemPeriod.
func (l *liveSchemas) period(db, table string) (p period, err error) {
	ref := tableRef{db, table}
	if p, ok := l.periods[ref]; ok {
		return p, nil
	}
	if err := l.dial(); err != nil {
		return p, err
	}
	if p.start, p.end, p.versioned, err = systemPeriod(l.conn, db, table); err != nil {
		l.close()
		return p, l.s.fail("read the system versioning of "+ref.String(), err)
	}
	l.periods[ref] = p
	return p, nil
}

// period names a table's system period columns.
type period struct {
	start, end string
	versioned  bool
}

func (l *liveSchemas) get(db, table string) (*tableSchema, error) {
	ref := tableRef{db, table}
	if ts, ok := l.cache[ref]; ok {
		return ts, nil
	}
	if err := l.dial(); err != nil {
		return nil, err
	}
	ts, err := loadSchema(l.conn, db, table)
	if err != nil {
		l.close()
		return nil, l.s.fail("read the schema of "+ref.String(), err)
	}
	l.cache[ref] = ts
	return ts, nil
}

// forget drops cached schemas after DDL.
func (l *liveSchemas) forget() {
	clear(l.cache)
	clear(l.periods)
}

func (l *liveSchemas) close() {
	if l.conn != nil {
		l.conn.Close()
		l.conn = nil
	}
}
