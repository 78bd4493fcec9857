package mysqlsource

import (
	"slices"
	"strconv"
	"time"

	"github.com/go-mysql-org/go-mysql/replication"

	connect "github.com/openmessaging/connect-go"
)

// Transaction metadata (provide.transaction.metadata), as Debezium's
// TransactionMonitor makes it: each streamed change event of a transaction
// gets a transaction block (Change.Transaction: id, total_order and
// data_collection_order, from 1), and the transaction's events are
// bracketed by a BEGIN and an END event on the transaction topic, with
// SchemaFactory's TransactionMetadataKey {id} and TransactionMetadataValue
// {status, id, event_count, data_collections, ts_ms}.
//
// The id is Debezium's MySQL transaction id (BinlogOffsetContext): the
// GTID, else "file=F,pos=P" with the position of the transaction's BEGIN.
// BEGIN comes right before the transaction's first change event, END
// right after its commit; a transaction without change events (only
// tables not captured, say) has neither.
//
// Restart: positions inside a transaction whose BEGIN was emitted carry
// its id (transaction_id, Debezium's offset key), so that a restart, which
// reads the transaction again from its start, knows the BEGIN was emitted;
// the change events it skips are made again and counted (not emitted), so
// that the orders and END's counts go on where they were.

var (
	txKeySchema = connect.NewStructSchema("io.debezium.connector.common.TransactionMetadataKey", false,
		sfield("id", required(connect.TypeString)))

	txCollectionSchema = connect.NewStructSchema("event.collection", true,
		sfield("data_collection", required(connect.TypeString)),
		sfield("event_count", required(connect.TypeInt64)))

	txValueSchema = connect.NewStructSchema("io.debezium.connector.common.TransactionMetadataValue", false,
		sfield("status", required(connect.TypeString)),
		sfield("id", required(connect.TypeString)),
		sfield("event_count", optional(connect.TypeInt64)),
		sfield("data_collections", &connect.Schema{Type: connect.TypeArray, Optional: true, Elem: txCollectionSchema}),
		sfield("ts_ms", required(connect.TypeInt64)))
)

// TransactionKeySchema and TransactionValueSchema return the schemas of
// the key and value of transaction metadata events
// (provide.transaction.metadata): Debezium's
// io.debezium.connector.common.TransactionMetadataKey and
// TransactionMetadataValue. Do not change them.
func TransactionKeySchema() *connect.Schema   { return txKeySchema }
func TransactionValueSchema() *connect.Schema { return txValueSchema }

// txState is the transaction metadata of the current group, owned by the
// streamer's reader.
type txState struct {
	open  bool   // the group's id is known and its counting started
	begun bool   // its BEGIN was emitted (now or by a previous run)
	id    string // Debezium's transaction id
	// prefixed: r.prefix carries the id (txBefore set it).
	prefixed   bool
	recounting bool   // making skipped events again, to count them
	at         uint32 // the group's first event's time, Unix seconds
	total      int64
	tables     []txCount      // per table, in first-event order
	index      map[string]int // tables by db.table
	last       int            // the table of the last event counted
	blocks     []connect.Transaction
}

type txCount struct {
	db, table, name string
	count           int64
}

// txReset forgets the transaction metadata of the last group; h is the
// new group's first event.
func (r *streamer) txReset(h *replication.EventHeader) {
	t := &r.tx
	t.open, t.begun, t.prefixed, t.id, t.total = false, false, false, "", 0
	t.tables, t.last = t.tables[:0], 0
	clear(t.index)
	t.at = h.Timestamp
}

// txOpen starts counting the current group's events.
func (r *streamer) txOpen() {
	t := &r.tx
	if t.open {
		return
	}
	t.open = true
	t.id = r.gtid
	if t.id == "" {
		pos := r.start.Pos
		if r.beginPos != 0 {
			pos = r.beginPos
		}
		t.id = "file=" + r.start.File + ",pos=" + strconv.FormatUint(uint64(pos), 10)
	}
	// A previous run emitted this transaction's BEGIN.
	t.begun = r.skipping && r.skipTx == t.id
	if t.index == nil {
		t.index = map[string]int{}
	}
}

// txBefore prepares the transaction metadata of a row event about to
// make records: the group's id in their positions.
func (r *streamer) txBefore() {
	r.txOpen()
	if !r.tx.prefixed {
		r.prefix = appendJSONString(append(offsetPrefix(r.start), `,"transaction_id":`...), r.tx.id)
		r.tx.prefixed = true
	}
}

// txAfter gives the change events out[from:] of a row event their
// transaction blocks, preceded by the transaction's BEGIN when these are
// its first; the row event is the idx-th data event of the group.
func (r *streamer) txAfter(out []*connect.Record, from, idx int) []*connect.Record {
	t := &r.tx
	first := -1
	for i := from; i < len(out); i++ {
		if out[i].Change != nil {
			first = i
			break
		}
	}
	if first < 0 {
		if !t.begun {
			// No record has the id in its position: none is needed yet.
			r.prefix, t.prefixed = nil, false
		}
		return out
	}
	if !t.begun {
		t.begun = true
		// BEGIN's position: before its first event, whose row index its
		// source block tells, with the id.
		row, _ := rowSource(out[first]).Values[srcRow].(int64)
		pos := connect.Position{Partition: r.partition, Offset: streamOffset(r.prefix, idx, int(row)-r.payloadRows)}
		out = slices.Insert(out, from, r.txEvent("BEGIN", time.Unix(int64(t.at), 0), pos))
		from++
	}
	for _, rec := range out[from:] {
		if rec.Change == nil {
			continue
		}
		n := r.txCount(rec)
		if len(t.blocks) == cap(t.blocks) {
			t.blocks = make([]connect.Transaction, 0, max(len(out)-from, 16))
		}
		t.blocks = append(t.blocks, connect.Transaction{ID: t.id, TotalOrder: t.total, DataCollectionOrder: n})
		rec.Change.Transaction = &t.blocks[len(t.blocks)-1]
	}
	return out
}

// txCount counts a change event of the current transaction and returns
// its order among its table's.
func (r *streamer) txCount(rec *connect.Record) int64 {
	t := &r.tx
	src := rowSource(rec)
	db, _ := src.Values[srcDB].(string)
	table, _ := src.Values[srcTable].(string)
	t.total++
	i := t.last
	if i >= len(t.tables) || t.tables[i].db != db || t.tables[i].table != table {
		var ok bool
		name := db + "." + table
		if i, ok = t.index[name]; !ok {
			i = len(t.tables)
			t.index[name] = i
			t.tables = append(t.tables, txCount{db: db, table: table, name: name})
		}
		t.last = i
	}
	t.tables[i].count++
	return t.tables[i].count
}

// rowSource is a change event's source block, as this connector makes it.
func rowSource(rec *connect.Record) *connect.Struct {
	s, _ := rec.Change.Source.(*connect.Struct)
	if s == nil || len(s.Values) < sourceWidth {
		return &connect.Struct{Values: make([]any, sourceWidth)}
	}
	return s
}

// txRecount counts the change events a previous run emitted of a row
// event: all of them, or those of its first rows rows (rows < 0: all).
func (r *streamer) txRecount(h *replication.EventHeader, typ replication.EventType, e *replication.RowsEvent, idx, rows int) error {
	r.txOpen()
	skipping := r.skipping
	r.skipping, r.tx.recounting = false, true
	recs, err := r.rowsEvent(h, typ, e, idx, nil)
	r.skipping, r.tx.recounting = skipping, false
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if rec.Change == nil {
			continue
		}
		if row, _ := rowSource(rec).Values[srcRow].(int64); rows < 0 || row-int64(r.payloadRows) < int64(rows) {
			r.txCount(rec)
		}
	}
	return nil
}

// txEnd returns out with the END event of the transaction just committed
// (the one of h), when its BEGIN was emitted.
func (r *streamer) txEnd(h *replication.EventHeader, out []*connect.Record) []*connect.Record {
	t := &r.tx
	if !t.begun {
		return out
	}
	t.begun, t.open = false, false
	o := r.resume
	pos := connect.Position{Partition: r.partition, Offset: streamOffset(offsetPrefix(coordinates{File: o.File, Pos: o.Pos, GTIDs: o.GTIDs}), 0, 0)}
	return append(out, r.txEvent("END", time.Unix(int64(h.Timestamp), 0), pos))
}

// txEvent makes a BEGIN or END event of the current transaction.
func (r *streamer) txEvent(status string, at time.Time, pos connect.Position) *connect.Record {
	t := &r.tx
	v := []any{status, t.id, nil, nil, at.UnixMilli()}
	if status == "END" {
		cols := make([]any, len(t.tables))
		for i, c := range t.tables {
			cols[i] = &connect.Struct{Schema: txCollectionSchema, Values: []any{c.name, c.count}}
		}
		v[2], v[3] = t.total, cols
	}
	return &connect.Record{
		Topic:     r.s.txTopic,
		Key:       &connect.Struct{Schema: txKeySchema, Values: []any{t.id}},
		Value:     &connect.Struct{Schema: txValueSchema, Values: v},
		Timestamp: at,
		Position:  pos,
	}
}

// txBegunID is the id of the current transaction when its BEGIN was
// emitted, for resume points; "" otherwise.
func (r *streamer) txBegunID() string {
	if r.tx.begun {
		return r.tx.id
	}
	return ""
}

// resumePrefix is the offset prefix of a resume point, with its
// transaction's id when it has one (see offsetPrefix).
func resumePrefix(o offset) []byte {
	b := offsetPrefix(coordinates{File: o.File, Pos: o.Pos, GTIDs: o.GTIDs})
	if o.TxID != "" {
		b = appendJSONString(append(b, `,"transaction_id":`...), o.TxID)
	}
	return b
}
