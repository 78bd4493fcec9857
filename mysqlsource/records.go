package mysqlsource

import (
	"strconv"
	"sync"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/buildinfo"
)

// HeaderBinlogServer is the header of every streamed change event naming
// the binlog it was read from: the server_id of the server that wrote the
// binlog file (from the file's format description event), which for events
// replicated into a replica's binlog differs from the source block's
// server_id (their origin's). Events with the same value have positions
// (file, pos, row) in one binlog, so they are ordered by them:
// mysqlsink's source.dedupe relies on it. Snapshot reads have none.
const HeaderBinlogServer = "connect.binlog.server"

// Source block fields (Debezium's names), in the order of Debezium's
// io.debezium.connector.mysql.Source (and .mariadb.Source): its common
// fields (SchemaFactory.sourceInfoSchemaBuilder), then the binlog ones.
const (
	srcVersion = iota
	srcConnector
	srcName
	srcTsMs
	srcSnapshot
	srcDB
	srcSequence
	srcTsUs
	srcTsNs
	srcTable
	srcServerID
	srcGTID
	srcFile
	srcPos
	srcRow
	srcThread
	srcQuery
	sourceWidth
	// srcSchema is not a field: a sourceBase's slot for the schema of
	// the blocks made of it.
	srcSchema = sourceWidth
)

// Server flavours, as KeyFlavor names them.
const (
	FlavorMySQL   = "mysql"
	FlavorMariaDB = "mariadb"
)

// source.connector by server flavour, as Debezium 3 writes it: its MySQL
// connector writes "mysql", its MariaDB connector (a connector of its own
// since Debezium 2.7) "mariadb", with the source schema named after it.
const (
	connectorMySQL   = FlavorMySQL
	connectorMariaDB = FlavorMariaDB
)

// Values of source.snapshot, Debezium's SnapshotRecord in lower case.
// Debezium's rules (RelationalSnapshotChangeEventSource): the last row
// of the snapshot is "last", else the first row of the first table
// "first", else a table's last row "last_in_data_collection", its first
// "first_in_data_collection", any other snapshot row "true"; streamed
// events are "false".
const (
	snapTrue        = "true"
	snapFirst       = "first"
	snapFirstInColl = "first_in_data_collection"
	snapLastInColl  = "last_in_data_collection"
	snapLast        = "last"
	snapFalse       = "false"
)

// snapshotMembers are the values of Debezium's snapshot field schema (an
// io.debezium.data.Enum), in its order.
var snapshotMembers = []string{snapTrue, snapFirst, snapFirstInColl, snapLastInColl, snapLast, snapFalse, "incremental"}

// The schemas of every record's source block, by server flavour.
var (
	mysqlSourceSchema   = newSourceSchema(connectorMySQL)
	mariadbSourceSchema = newSourceSchema(connectorMariaDB)
)

func newSourceSchema(connector string) *connect.Schema {
	field := func(name string, t connect.Type, optional bool) connect.StructField {
		return connect.StructField{Name: name, Schema: &connect.Schema{Type: t, Optional: optional}}
	}
	f := [sourceWidth]connect.StructField{
		srcVersion:   field("version", connect.TypeString, false),
		srcConnector: field("connector", connect.TypeString, false),
		srcName:      field("name", connect.TypeString, false),
		srcTsMs:      field("ts_ms", connect.TypeInt64, false),
		srcSnapshot: {Name: "snapshot", Schema: &connect.Schema{Type: connect.TypeEnum, Optional: true,
			Members: snapshotMembers}},
		srcDB:       field("db", connect.TypeString, false),
		srcSequence: field("sequence", connect.TypeString, true),
		srcTsUs:     field("ts_us", connect.TypeInt64, true),
		srcTsNs:     field("ts_ns", connect.TypeInt64, true),
		srcTable:    field("table", connect.TypeString, true),
		srcServerID: field("server_id", connect.TypeInt64, false),
		srcGTID:     field("gtid", connect.TypeString, true),
		srcFile:     field("file", connect.TypeString, false),
		srcPos:      field("pos", connect.TypeInt64, false),
		srcRow:      field("row", connect.TypeInt32, false),
		srcThread:   field("thread", connect.TypeInt64, true),
		srcQuery:    field("query", connect.TypeString, true),
	}
	return connect.NewStructSchema("io.debezium.connector."+connector+".Source", false, f[:]...)
}

// SourceSchema returns the schema of Change.Source in this connector's
// records from a server of the given flavour (FlavorMySQL or
// FlavorMariaDB): Debezium's io.debezium.connector.mysql.Source, or
// io.debezium.connector.mariadb.Source as Debezium's MariaDB connector
// names it, in Debezium's field order. Every record shares it: do not
// change it.
func SourceSchema(flavor string) *connect.Schema {
	if flavor == FlavorMariaDB {
		return mariadbSourceSchema
	}
	return mysqlSourceSchema
}

// SourceVersion returns source.version: this module's version in the
// running binary (from its build info, as runtime.Version), or Version
// when the build info has none (a build inside the module, a test).
func SourceVersion() string { return sourceVersion() }

func sourceVersion() string {
	if v, _ := buildinfo.Module(); v != "" && v != "(devel)" {
		return v
	}
	return Version
}

// topicOwners remembers which table's events each topic carries, to warn
// when topic.naming=table gives tables of two databases one topic.
type topicOwners struct {
	mu     sync.Mutex
	owner  map[string]string // topic -> the first db.table seen there
	warned map[string]bool   // topics warned about
}

// shared records that db.table's events go to topic and returns the other
// table already there (or the connector's own events that go there:
// "schema change events", "transaction metadata", "heartbeats"), the
// first time a second one comes; "" otherwise.
func (s *settings) shared(topic, db, table string) string {
	o := &s.topics
	o.mu.Lock()
	defer o.mu.Unlock()
	name := db + "." + table
	if o.owner == nil {
		o.owner, o.warned = map[string]string{}, map[string]bool{}
		// The connector's own topics: a table named like one of them
		// (schema_changes, transaction) would share it.
		for _, own := range [...]struct{ topic, what string }{
			{s.schemaTopic, "schema change events"}, {s.txTopic, "transaction metadata"}, {s.heartbeatTopic, "heartbeats"}} {
			if own.topic != "" {
				o.owner[own.topic] = own.what
			}
		}
	}
	prev, ok := o.owner[topic]
	if !ok {
		o.owner[topic] = name
		return ""
	}
	if prev == name || o.warned[topic] {
		return ""
	}
	o.warned[topic] = true
	return prev
}

// sharedTopicWarning is logged once per topic that two captured tables,
// or a table and the connector's own events, share.
const sharedTopicWarning = "two captured tables, or a table and the connector's own events, share a topic: set topic.naming=database.table or topic.prefix to keep them apart"

// topicFor names the topic of a table's events.
func (s *settings) topicFor(db, table string) string {
	if s.topicWithDB {
		return s.topicPrefix + db + "." + table
	}
	return s.topicPrefix + table
}

// sourceBase is the source block of an event's records before its row
// index is set, and (at srcSchema) the block's schema. Its values are
// boxed once per event (or page, or setting), not per row.
type sourceBase [sourceWidth + 1]any

// eventTimes are an event's time as the source block's ts_ms, ts_us and
// ts_ns, boxed once for all the events of the same time (the binlog's
// times have whole seconds: many events share one).
type eventTimes struct {
	at         time.Time
	ms, us, ns any
}

// box sets the times to at, boxing them unless they are at already.
func (e *eventTimes) box(at time.Time) *eventTimes {
	if e.ms == nil || !at.Equal(e.at) {
		e.at, e.ms, e.us, e.ns = at, at.UnixMilli(), at.UnixMicro(), at.UnixNano()
	}
	return e
}

// boxedVersion is source.version, boxed once.
var boxedVersion = sync.OnceValue(func() any { return sourceVersion() })

// newSource returns a source block with the fields every event of a
// server has. at is the event's time: the binlog header's, in whole
// seconds, so ts_us and ts_ns are that second too. snapshot is a string
// constant (an any, so that it is not boxed again); sequence, which
// Debezium's MySQL and MariaDB connectors leave null, stays nil.
func (s *settings) newSource(info serverInfo, ts *tableSchema, at *eventTimes, snapshot any) sourceBase {
	var b sourceBase
	b[srcSchema] = mysqlSourceSchema
	b[srcVersion] = boxedVersion()
	b[srcConnector] = connectorMySQL
	if info.mariadb() {
		b[srcSchema], b[srcConnector] = mariadbSourceSchema, connectorMariaDB
	}
	b[srcName] = s.boxedName
	b[srcTsMs], b[srcTsUs], b[srcTsNs] = at.ms, at.us, at.ns
	b[srcSnapshot] = snapshot
	b[srcDB], b[srcTable] = ts.boxedDB, ts.boxedTable
	return b
}

// box sets the boxed names of a table's source blocks.
func (ts *tableSchema) box() {
	ts.boxedDB, ts.boxedTable = ts.db, ts.table
}

// keyChanged reports whether an update changed the primary key.
func (ts *tableSchema) keyChanged(before, after *connect.Struct) bool {
	for _, i := range ts.keyAt {
		if !sameValue(before.Values[i], after.Values[i]) {
			return true
		}
	}
	return false
}

// recordBlock hands out the records of one row event (or snapshot page),
// their rows and their offsets from a few blocks, instead of a few
// allocations per row: at hundreds of thousands of rows per second,
// allocation is much of the cost. A record keeps its block alive: blocks
// hold one event's records.
type recordBlock struct {
	// now is the processing time of the block's change events
	// (Change.At): when its first one was made, for a row event's
	// records; a snapshot page moves it on as it reads (time.Now costs
	// as much as a tenth of the rest of a row's record).
	now   time.Time
	items []recordItem
	rows  []connect.Struct
	vals  []any
	offs  []byte
	// headers are the change events' headers (HeaderBinlogServer while
	// streaming; shared, read-only), nil for none.
	headers connect.Headers
}

type recordItem struct {
	rec connect.Record
	ch  connect.Change
}

// newRecordBlock returns a block sized for n records of rows rows and vals
// values each, and offsets of offsetSize bytes.
func newRecordBlock(n, rows, vals, offsetSize int) *recordBlock {
	return &recordBlock{
		items: make([]recordItem, 0, n),
		rows:  make([]connect.Struct, 0, n*rows),
		vals:  make([]any, 0, n*vals),
		offs:  make([]byte, 0, n*offsetSize),
	}
}

// grown is the size of a block's next chunk once one is full: twice the
// last, up to a limit, so that a block sized low (a snapshot page of
// unknown length) allocates a few chunks, not one per row.
func grown(last, limit int) int { return max(min(2*last, limit), 8) }

// row returns a row of schema s with room for its values.
func (b *recordBlock) row(s *connect.Schema) *connect.Struct {
	if len(b.rows) == cap(b.rows) {
		b.rows = make([]connect.Struct, 0, grown(cap(b.rows), 4096))
	}
	b.rows = b.rows[:len(b.rows)+1]
	r := &b.rows[len(b.rows)-1]
	r.Schema, r.Values = s, b.values(len(s.Fields))
	return r
}

// values returns n values, capped so that appending to them cannot touch
// the next ones.
func (b *recordBlock) values(n int) []any {
	if cap(b.vals)-len(b.vals) < n {
		b.vals = make([]any, 0, max(grown(cap(b.vals), 16384), 8*n))
	}
	start := len(b.vals)
	b.vals = b.vals[:start+n]
	return b.vals[start : start+n : start+n]
}

// source returns a source block of base with row index row.
func (b *recordBlock) source(base *sourceBase, row int) *connect.Struct {
	r := b.row(base[srcSchema].(*connect.Schema))
	copy(r.Values, base[:sourceWidth])
	r.Values[srcRow] = int64(row)
	return r
}

// key returns the key of a row image, nil for tables without a primary
// key.
func (b *recordBlock) key(ts *tableSchema, img *connect.Struct) *connect.Struct {
	if ts.key == nil || img == nil {
		return nil
	}
	k := b.row(ts.key)
	for j, i := range ts.keyAt {
		k.Values[j] = img.Values[i]
	}
	return k
}

// change returns a change event record. A nil row stays an untyped nil
// in the change (Before == nil holds).
func (b *recordBlock) change(topic string, key *connect.Struct, op connect.Operation, before, after, source *connect.Struct, at time.Time, pos connect.Position) *connect.Record {
	if len(b.items) == cap(b.items) {
		b.items = make([]recordItem, 0, grown(cap(b.items), 2048))
	}
	b.items = b.items[:len(b.items)+1]
	it := &b.items[len(b.items)-1]
	// At is when the event was made: Debezium's envelope ts_ms (and
	// ts_us, ts_ns) is the connector's processing time.
	if b.now.IsZero() {
		b.now = time.Now()
	}
	it.ch = connect.Change{Op: op, Source: source, At: b.now}
	if before != nil {
		it.ch.Before = before
	}
	if after != nil {
		it.ch.After = after
	}
	it.rec = connect.Record{Topic: topic, Change: &it.ch, Timestamp: at, Position: pos, Headers: b.headers}
	if key != nil {
		it.rec.Key = key
	}
	return &it.rec
}

// offsetSpace returns the block's offsets with room for n more bytes
// (in a new chunk when the current one is full: offsets handed out keep
// pointing at theirs).
func (b *recordBlock) offsetSpace(n int) []byte {
	if cap(b.offs)-len(b.offs) < n {
		b.offs = make([]byte, 0, max(grown(cap(b.offs), 256<<10), 8*n))
	}
	return b.offs
}

// tombstone returns the tombstone of a deleted row: a record with its key
// and neither value nor change, at pos.
func (b *recordBlock) tombstone(topic string, key *connect.Struct, at time.Time, pos connect.Position) *connect.Record {
	if len(b.items) == cap(b.items) {
		b.items = make([]recordItem, 0, max(cap(b.items), 8))
	}
	b.items = b.items[:len(b.items)+1]
	it := &b.items[len(b.items)-1]
	it.rec = connect.Record{Topic: topic, Key: key, Timestamp: at, Position: pos}
	return &it.rec
}

// offset appends a stream offset to the block and returns it, capped so
// that appending to it cannot touch the next one.
func (b *recordBlock) offset(prefix []byte, event, row int) []byte {
	b.offsetSpace(len(prefix) + 48)
	start := len(b.offs)
	b.offs = append(b.offs, prefix...)
	b.offs = append(b.offs, `,"event":`...)
	b.offs = strconv.AppendInt(b.offs, int64(event), 10)
	b.offs = append(b.offs, `,"row":`...)
	b.offs = strconv.AppendInt(b.offs, int64(row), 10)
	b.offs = append(b.offs, '}')
	return b.offs[start:len(b.offs):len(b.offs)]
}
