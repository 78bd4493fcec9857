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
// stored transport offsets cannot tell from the first ones. Under
// exactly_once with source.dedupe, the sink therefore also remembers, per
// transport queue and source server, the binlog position of the last
// streamed change event it applied (a mark, stored in the queue's offsets
// row in the same transaction as the rows), and skips a change event at or
// before it.
//
// Why per queue: one source's events spread over the queues by key, so a
// queue holds a subsequence of the binlog in binlog order (the runtime
// publishes a source task's batches one after the other, each queue's
// messages in order, and a failed publish stops the task before anything
// later is sent), and a re-published event lands in the queue of its first
// copy (the queue of a keyed message is fixed by its key; events without a
// key are never skipped). So every event of the queue before the mark was
// applied before it, and an event at or before the mark is a copy.

// srcPos is where a streamed change event of MySQL or MariaDB is in its
// server's binlog: the source block's server_id, file, pos (the row event's
// position) and row (the row in the event). Rank orders the two events of a
// primary key change, which share one row: the delete (0) before the
// create (1).
type srcPos struct {
	Server int64  `json:"server_id"`
	File   string `json:"file"`
	Pos    int64  `json:"pos"`
	Row    int64  `json:"row"`
	Rank   int8   `json:"rank,omitempty"`
}

// marks are the positions of a queue's last applied change events, by the
// source block's name (the source server's logical name).
type marks map[string]srcPos

// sourceEvent is what source.dedupe reads of a change event.
type sourceEvent struct {
	name     string
	pos      srcPos
	snapshot bool // a snapshot read: never skipped
}

// sourceEventOf reads the source block of a MySQL or MariaDB change event
// (connect-go's or Debezium's): ok is false for any other record.
func sourceEventOf(op connect.Operation, source any) (ev sourceEvent, ok bool) {
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
	if ev.name = str("name"); ev.name == "" {
		return ev, false
	}
	if ev.pos.File = str("file"); ev.pos.File == "" {
		return ev, false
	}
	var okServer, okPos, okRow bool
	ev.pos.Server, okServer = intField(source, "server_id")
	ev.pos.Pos, okPos = intField(source, "pos")
	ev.pos.Row, okRow = intField(source, "row")
	if !okServer || !okPos || !okRow {
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
	if op == connect.OpCreate {
		ev.pos.Rank = 1 // after the delete of a primary key change at the same row
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

// compare orders p and m when both are positions in the same binlog (the
// same server and binlog base name); comparable is false otherwise (a
// failover to another server, a renamed binlog).
func (p srcPos) compare(m srcPos) (c int, comparable bool) {
	pb, pn := binlogFile(p.File)
	mb, mn := binlogFile(m.File)
	if p.Server != m.Server || pb != mb {
		return 0, false
	}
	return cmp.Or(cmp.Compare(pn, mn), cmp.Compare(p.Pos, m.Pos), cmp.Compare(p.Row, m.Row), cmp.Compare(p.Rank, m.Rank)), true
}

// apply decides about ev, a change event read from a queue with the marks
// ms: it reports whether ev was applied before (at or before the mark of
// its source), and otherwise makes ev the mark, returning the marks to
// keep (ms, or a new map when ms was nil).
//
// A snapshot read is never skipped (snapshot rows all share the position
// the binlog is read from after the snapshot; a snapshot cut by a restart
// emits its last rows again) and sets the mark to its position, even when
// that is lower: a new snapshot follows a reset of the source's positions,
// whose events must not be mistaken for copies. A position that cannot be
// compared with the mark (another server after a failover) replaces it,
// so duplicates are possible across a failover, never a skipped event.
func (ms marks) apply(ev sourceEvent) (dup bool, out marks) {
	if m, ok := ms[ev.name]; ok && !ev.snapshot {
		if c, comparable := ev.pos.compare(m); comparable && c <= 0 {
			return true, ms
		}
	}
	if ms == nil {
		ms = marks{}
	}
	ms[ev.name] = ev.pos
	return false, ms
}

// encode returns the column value of ms: JSON, or nil (NULL) when empty.
func (ms marks) encode() any {
	if len(ms) == 0 {
		return nil
	}
	b, _ := json.Marshal(map[string]srcPos(ms))
	return string(b)
}

// decodeMarks reads the column value of a queue's marks.
func decodeMarks(v sql.NullString) (marks, error) {
	if !v.Valid || v.String == "" {
		return nil, nil
	}
	var ms marks
	if err := json.Unmarshal([]byte(v.String), &ms); err != nil {
		return nil, fmt.Errorf("the source positions %q: %w", v.String, err)
	}
	return ms, nil
}
