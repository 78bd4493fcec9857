package mysqlsource

import (
	"strconv"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// Source block fields (Debezium's names).
const (
	srcVersion   = "version"
	srcConnector = "connector"
	srcName      = "name"
	srcTsMs      = "ts_ms"
	srcSnapshot  = "snapshot"
	srcDB        = "db"
	srcTable     = "table"
	srcServerID  = "server_id"
	srcGTID      = "gtid"
	srcFile      = "file"
	srcPos       = "pos"
	srcRow       = "row"
	srcThread    = "thread"
	srcQuery     = "query"
)

// connectorName is source.connector, as Debezium's MySQL connector writes it.
const connectorName = "mysql"

// topicFor names the topic of a table's events.
func (s *settings) topicFor(db, table string) string {
	if s.topicWithDB {
		return s.topicPrefix + db + "." + table
	}
	return s.topicPrefix + table
}

// keyOf returns the primary key columns of a row image, nil for tables
// without a primary key.
func (ts *tableSchema) keyOf(row map[string]any) map[string]any {
	if len(ts.pk) == 0 || row == nil {
		return nil
	}
	k := make(map[string]any, len(ts.pk))
	for _, i := range ts.pk {
		n := ts.cols[i].name
		k[n] = row[n]
	}
	return k
}

// keyChanged reports whether an update changed the primary key.
func (ts *tableSchema) keyChanged(before, after map[string]any) bool {
	for _, i := range ts.pk {
		n := ts.cols[i].name
		if !sameValue(before[n], after[n]) {
			return true
		}
	}
	return false
}

// newSource returns a source block with the fields every event has.
func (s *settings) newSource(ts *tableSchema, at time.Time, snapshot string, size int) map[string]any {
	m := make(map[string]any, size)
	m[srcVersion] = Version
	m[srcConnector] = connectorName
	m[srcName] = s.serverName
	m[srcTsMs] = at.UnixMilli()
	m[srcSnapshot] = snapshot
	m[srcDB] = ts.db
	m[srcTable] = ts.table
	return m
}

// change builds a change event record.
func change(topic string, key map[string]any, op connect.Operation, before, after, source map[string]any, at time.Time, pos connect.Position) *connect.Record {
	r := &connect.Record{
		Topic:     topic,
		Change:    &connect.Change{Op: op, Before: before, After: after, Source: source},
		Timestamp: at,
		Position:  pos,
	}
	if key != nil {
		r.Key = key
	}
	return r
}

// recordBlock hands out the records of one row event and their offsets
// from a few blocks, instead of a few allocations per row: at hundreds of
// thousands of rows per second, allocation is much of the cost.
type recordBlock struct {
	items []recordItem
	offs  []byte
}

type recordItem struct {
	rec connect.Record
	ch  connect.Change
}

func newRecordBlock(n, offsetSize int) *recordBlock {
	return &recordBlock{items: make([]recordItem, 0, n), offs: make([]byte, 0, n*offsetSize)}
}

// change is the block's version of the change function.
func (b *recordBlock) change(topic string, key map[string]any, op connect.Operation, before, after, source map[string]any, at time.Time, pos connect.Position) *connect.Record {
	if len(b.items) == cap(b.items) {
		b.items = make([]recordItem, 0, max(cap(b.items), 8))
	}
	b.items = b.items[:len(b.items)+1]
	it := &b.items[len(b.items)-1]
	it.ch = connect.Change{Op: op, Before: before, After: after, Source: source}
	it.rec = connect.Record{Topic: topic, Change: &it.ch, Timestamp: at, Position: pos}
	if key != nil {
		it.rec.Key = key
	}
	return &it.rec
}

// offset appends a stream offset to the block and returns it, capped so
// that appending to it cannot touch the next one.
func (b *recordBlock) offset(prefix []byte, event, row int) []byte {
	start := len(b.offs)
	b.offs = append(b.offs, prefix...)
	b.offs = append(b.offs, `,"event":`...)
	b.offs = strconv.AppendInt(b.offs, int64(event), 10)
	b.offs = append(b.offs, `,"row":`...)
	b.offs = strconv.AppendInt(b.offs, int64(row), 10)
	b.offs = append(b.offs, '}')
	return b.offs[start:len(b.offs):len(b.offs)]
}
