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
// transport queue, source and table, the binlog position of the last
// streamed change event it applied (a mark, stored in the queue's offsets
// row in the same transaction as the rows), and skips a change event at or
// before it.
//
// Why per queue: one source's events spread over the queues by key, so a
// queue holds a subsequence of the binlog in binlog order (the runtime
// publishes a source task's batches one after the other, each queue's
// messages in order, and nothing after a batch that failed or was skipped),
// and a re-published event lands in the queue of its first copy (the queue
// of a keyed message is fixed by its key; events of messages without a key
// are never skipped nor marked). So every event of the queue before the
// mark was applied before it, and an event at or before the mark is a
// copy. Per table too, so that a table newly captured (its events in the
// replayed stretch published for the first time) is not held against the
// marks of the others.
//
// How positions compare: with GTIDs, by the transaction's sequence number
// within its GTID source (a MySQL server UUID, a MariaDB domain), which
// survives a failover to another server (whose binlog files and positions
// differ, while the events of replicated transactions keep their origin's
// server_id); within one transaction by file position only in the same
// binlog file. Without GTIDs, by binlog file number, position and row, on
// the same server_id and binlog base name. What cannot be compared is
// applied.

// srcPos is where a streamed change event of MySQL or MariaDB is: the
// source block's server_id, file, pos (the row event's position), row (the
// row in the event) and the sequence number of its GTID. Rank orders the
// two events of a primary key change, which share one row: the delete (0)
// before the create (1).
type srcPos struct {
	Server int64  `json:"server_id"`
	File   string `json:"file"`
	Pos    int64  `json:"pos"`
	Row    int64  `json:"row"`
	Rank   int8   `json:"rank,omitempty"`
	Seq    int64  `json:"gtid_seq,omitempty"` // with a GTID (the mark's key names its source)
}

// marks are the positions of a queue's last applied change events, by
// markKey.
type marks map[string]srcPos

// sourceEvent is what source.dedupe reads of a change event.
type sourceEvent struct {
	key      string // markKey
	table    string // name/db.table: the prefix of the marks a snapshot read clears
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
	name := str("name")
	if name == "" {
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
	ev.table = name + "/" + str("db") + "." + str("table") + "/"
	ev.key = ev.table
	if src, seq, ok := gtidOf(str("gtid")); ok {
		ev.key += src
		ev.pos.Seq = seq
	}
	return ev, true
}

// gtidOf splits a GTID into its source and sequence number: MySQL's
// UUID:N, MariaDB's DOMAIN-SERVER-N (whose sequence numbers grow per
// domain).
func gtidOf(g string) (source string, seq int64, ok bool) {
	if g == "" {
		return "", 0, false
	}
	if u, n, found := strings.Cut(g, ":"); found {
		seq, err := strconv.ParseInt(n, 10, 64)
		return "uuid " + u, seq, err == nil && u != ""
	}
	parts := strings.Split(g, "-")
	if len(parts) != 3 {
		return "", 0, false
	}
	seq, err := strconv.ParseInt(parts[2], 10, 64)
	return "domain " + parts[0], seq, err == nil
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

// compare orders p and m, both positions of one mark key; comparable is
// false when their order is unknown (see above).
func (p srcPos) compare(m srcPos) (c int, comparable bool) {
	if p.Seq != 0 || m.Seq != 0 { // with GTIDs
		if c := cmp.Compare(p.Seq, m.Seq); c != 0 {
			return c, true
		}
		if p.File != m.File {
			return 0, false // one transaction in two servers' binlogs
		}
		return cmp.Or(cmp.Compare(p.Pos, m.Pos), cmp.Compare(p.Row, m.Row), cmp.Compare(p.Rank, m.Rank)), true
	}
	pb, pn := binlogFile(p.File)
	mb, mn := binlogFile(m.File)
	if p.Server != m.Server || pb != mb {
		return 0, false
	}
	return cmp.Or(cmp.Compare(pn, mn), cmp.Compare(p.Pos, m.Pos), cmp.Compare(p.Row, m.Row), cmp.Compare(p.Rank, m.Rank)), true
}

// apply decides about ev, a change event read from a queue with the marks
// ms: it reports whether ev was applied before (at or before its mark),
// and otherwise makes ev the mark, returning the marks to keep (ms, or a
// new map when ms was nil).
//
// A snapshot read is never skipped (snapshot rows all share the position
// the binlog is read from after the snapshot; a snapshot cut by a restart
// emits its last rows again) and clears the marks of its table: a new
// snapshot follows a reset of the source's positions (RESET MASTER, say),
// whose events must not be mistaken for copies. A position that cannot be
// compared with the mark replaces it, so duplicates are possible there,
// never a skipped event.
func (ms marks) apply(ev sourceEvent) (dup bool, out marks) {
	if ev.snapshot {
		for k := range ms {
			if strings.HasPrefix(k, ev.table) {
				delete(ms, k)
			}
		}
		return false, ms
	}
	if m, ok := ms[ev.key]; ok {
		if c, comparable := ev.pos.compare(m); comparable && c <= 0 {
			return true, ms
		}
	}
	if ms == nil {
		ms = marks{}
	}
	ms[ev.key] = ev.pos
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
		// Not written by this connector: trying again cannot help.
		return nil, connect.Fatal(fmt.Errorf("the source positions %q cannot be read (delete them, or the row, to start the queue's marks anew): %w", v.String, err))
	}
	return ms, nil
}
