package mysqlsink

import (
	"cmp"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	connect "github.com/openmessaging/connect-go"
)

// A source that is restarted publishes again what it published after its
// last stored position: new messages, with new transport offsets, that the
// stored transport offsets cannot tell from the first ones. With
// source.dedupe the sink therefore also remembers, per transport queue,
// source and table, the binlog position of the last streamed change event
// it applied (a mark, stored in the queue's offsets row in the same
// transaction as the rows), and skips a change event at or before it.
//
// Why per queue: one source's events spread over the queues by key, so a
// queue holds a subsequence of the binlog in binlog order (the runtime
// publishes a source task's batches one after the other, each queue's
// messages in order, and nothing after a batch that failed or was skipped),
// and a re-published event lands in the queue of its first copy (the queue
// of a keyed message is fixed by its key, while the topic's route stays;
// messages without a key are never skipped nor marked). So every event of
// the queue before the mark was applied before it, and an event at or
// before the mark is a copy. Per table too, so that a table newly captured
// (its events in the replayed stretch published for the first time) is not
// held against the marks of the others.
//
// Positions (file, pos, row) order the events of one binlog. Which binlog
// an event was read from is mysqlsource's HeaderBinlogServer (the server_id
// of the server that wrote it: the source block's server_id is the
// transaction's origin, the same in a primary's and its replicas' binlogs).
// Events without the header (Debezium's) are not deduplicated; positions
// of another binlog than the mark's replace it.

// headerBinlogServer is mysqlsource.HeaderBinlogServer (a connector does
// not import another).
const headerBinlogServer = "connect.binlog.server"

// srcPos is where a streamed change event is in the binlog it was read
// from: the binlog's writer (Binlog), file, pos (the row event's position)
// and row (the row in the event, or in a compressed transaction). Rank
// orders the two events of a primary key change, which share one row: the
// delete (0) before the create (1).
type srcPos struct {
	Binlog string `json:"binlog"`
	File   string `json:"file"`
	Pos    int64  `json:"pos"`
	Row    int64  `json:"row"`
	Rank   int8   `json:"rank,omitempty"`
}

// queueMarks are source.dedupe's state of one queue.
type queueMarks struct {
	// Positions holds the position of the last streamed change event
	// applied, by markKey.
	Positions map[string]srcPos `json:"positions,omitempty"`
	// Tombstone is the transport offset right after a delete skipped as a
	// copy, 0 for none: the tombstone a source writes after a delete sits
	// there and is a copy too. Applied, it would delete the row again
	// after the copies of the changes that followed it were skipped.
	Tombstone int64 `json:"tombstone,omitempty"`
}

// sourceEvent is what source.dedupe reads of a change event.
type sourceEvent struct {
	key      string // markKey: source name, database, table
	pos      srcPos
	snapshot bool // a snapshot read: never skipped
	delete   bool
}

// markKey names the marks of a source's table, unambiguously.
func markKey(name, db, table string) string { return name + "\x1f" + db + "\x1f" + table }

// sourceEventOf reads a MySQL or MariaDB change event of mysqlsource (the
// source block and HeaderBinlogServer): ok is false for any other record.
func sourceEventOf(op connect.Operation, source any, headers connect.Headers) (ev sourceEvent, ok bool) {
	if source == nil {
		return ev, false
	}
	str := func(f string) string {
		v, _ := connect.Lookup(source, f)
		s, _ := v.(string)
		return s
	}
	switch str("connector") {
	case "mysql", "mariadb":
	default:
		return ev, false
	}
	switch v, _ := connect.Lookup(source, "snapshot"); s := v.(type) {
	case nil:
	case bool:
		ev.snapshot = s
	case string:
		ev.snapshot = s != "" && s != "false"
	default:
		return ev, false
	}
	name := str("name")
	if name == "" {
		return ev, false
	}
	ev.key = markKey(name, str("db"), str("table"))
	if ev.snapshot {
		return ev, true // clears the table's mark
	}
	if ev.pos.Binlog = headers[headerBinlogServer]; ev.pos.Binlog == "" {
		return ev, false
	}
	if ev.pos.File = str("file"); ev.pos.File == "" {
		return ev, false
	}
	var okPos, okRow bool
	ev.pos.Pos, okPos = intField(source, "pos")
	ev.pos.Row, okRow = intField(source, "row")
	if !okPos || !okRow {
		return ev, false
	}
	switch op {
	case connect.OpCreate:
		ev.pos.Rank = 1 // after the delete of a primary key change at the same row
	case connect.OpDelete:
		ev.delete = true
	}
	return ev, true
}

// intField returns an integer field of a source block, as a typed block
// or decoded JSON holds it.
func intField(row any, name string) (int64, bool) {
	v, _ := connect.Lookup(row, name)
	switch n := v.(type) {
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case int:
		return int64(n), true
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// binlogFile splits a binlog file name into its base and number
// (mysql-bin.000042: mysql-bin, 42): names are compared by number, so that
// mysql-bin.999999 comes before mysql-bin.1000000. A name without a number
// is its own base.
func binlogFile(f string) (base string, n uint64) {
	i := strings.LastIndexByte(f, '.')
	if i < 0 {
		return f, 0
	}
	n, err := strconv.ParseUint(f[i+1:], 10, 64)
	if err != nil {
		return f, 0
	}
	return f[:i], n
}

// compare orders p and m when both are positions in one binlog (the same
// writer and binlog base name); comparable is false otherwise.
func (p srcPos) compare(m srcPos) (c int, comparable bool) {
	pb, pn := binlogFile(p.File)
	mb, mn := binlogFile(m.File)
	if p.Binlog != m.Binlog || pb != mb {
		return 0, false
	}
	return cmp.Or(cmp.Compare(pn, mn), cmp.Compare(p.Pos, m.Pos), cmp.Compare(p.Row, m.Row), cmp.Compare(p.Rank, m.Rank)), true
}

// apply decides about ev, a change event read from the queue of qm: it
// reports whether ev was applied before (at or before its mark), and
// otherwise makes ev the mark. It returns the marks to keep (qm, or new
// ones when qm was nil).
//
// A snapshot read is never skipped (snapshot rows all share the position
// the binlog is read from after the snapshot; a snapshot cut by a restart
// emits its last rows again) and clears its table's mark: a new snapshot
// follows a reset of the source's positions (RESET MASTER, say), whose
// events must not be mistaken for copies. A position that cannot be
// compared with the mark replaces it, so duplicates are possible there,
// never a skipped event.
func (qm *queueMarks) apply(ev sourceEvent) (dup bool, out *queueMarks) {
	if ev.snapshot {
		if qm != nil {
			delete(qm.Positions, ev.key)
		}
		return false, qm
	}
	if qm != nil {
		if m, ok := qm.Positions[ev.key]; ok {
			if c, comparable := ev.pos.compare(m); comparable && c <= 0 {
				return true, qm
			}
		}
	} else {
		qm = &queueMarks{}
	}
	if qm.Positions == nil {
		qm.Positions = map[string]srcPos{}
	}
	qm.Positions[ev.key] = ev.pos
	return false, qm
}

// encode returns the column value of qm: JSON, or nil (NULL) when empty.
func (qm *queueMarks) encode() any {
	if qm == nil || len(qm.Positions) == 0 && qm.Tombstone == 0 {
		return nil
	}
	b, _ := json.Marshal(qm)
	return string(b)
}

// decodeMarks reads the column value of a queue's marks.
func decodeMarks(v sql.NullString) (*queueMarks, error) {
	if !v.Valid || v.String == "" {
		return nil, nil
	}
	var qm queueMarks
	if err := json.Unmarshal([]byte(v.String), &qm); err != nil {
		// Not written by this connector: trying again cannot help.
		return nil, connect.Fatal(fmt.Errorf("the source positions %q cannot be read (delete them, or the row, to start the queue's marks anew): %w", v.String, err))
	}
	return &qm, nil
}
