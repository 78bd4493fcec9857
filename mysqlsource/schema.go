package mysqlsource

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/go-mysql-org/go-mysql/client"
)

// loadSchema reads a table's current columns and primary key from
// information_schema.
func loadSchema(conn *client.Conn, db, table string) (*tableSchema, error) {
	rows, err := query(conn, `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IFNULL(CHARACTER_SET_NAME, ''),
		IFNULL(NUMERIC_PRECISION, 0), IFNULL(NUMERIC_SCALE, 0), IFNULL(DATETIME_PRECISION, 0)
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
		sc := schemaColumn{name: r[0], dataType: r[1], columnType: r[2], charset: r[3]}
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
	return ts, nil
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
	s     *settings
	conn  *client.Conn
	cache map[tableRef]*tableSchema
}

func newLiveSchemas(s *settings) *liveSchemas {
	return &liveSchemas{s: s, cache: map[tableRef]*tableSchema{}}
}

func (l *liveSchemas) get(db, table string) (*tableSchema, error) {
	ref := tableRef{db, table}
	if ts, ok := l.cache[ref]; ok {
		return ts, nil
	}
	if l.conn == nil {
		ctx, cancel := context.WithTimeout(context.Background(), l.s.connectTimeout)
		conn, err := l.s.dial(ctx)
		cancel()
		if err != nil {
			return nil, err
		}
		l.conn = conn
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
func (l *liveSchemas) forget() { clear(l.cache) }

func (l *liveSchemas) close() {
	if l.conn != nil {
		l.conn.Close()
		l.conn = nil
	}
}
