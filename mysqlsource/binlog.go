package mysqlsource

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/google/uuid"

	connect "github.com/openmessaging/connect-go"
)

// eventCache is how many parsed events go-mysql buffers ahead of the
// reader. Row events are at most binlog_row_event_max_size (8 KiB by
// default) each. While the pipeline is behind (the steady state of a
// backlog: encoding is its slowest stage) the buffer is full, so it is
// memory held, not speed: 32 events are about 3,000 small rows, a few
// milliseconds of parsing.
const eventCache = 32

// batchQueue is how many made batches of records wait for Poll besides
// the one the reader holds until Poll takes it. None: the runtime queues
// batches of its own, so Poll comes back at once while it is not behind,
// and while it is, more would only hold more of the backlog in memory
// (bench/mysql: peak heap 54-58 MB with one, 40-46 MB with none, at the
// same speed).
const batchQueue = 0

// errHeartbeatDue ends a wait for an event when a heartbeat record is due.
var errHeartbeatDue = errors.New("heartbeat due")

// streamer reads the binlog from a transaction boundary and turns row
// events into change records.
//
// A transaction ("group") runs from its GTID event (or BEGIN) to its XID or
// COMMIT; a DDL statement is a group of its own. Records carry the group's
// start as their position plus how many of its data events and rows were
// emitted, so that resuming never replays half a group nor skips one.
//
// Three goroutines share the work: go-mysql's reads and parses events, the
// streamer's reader turns them into batches of records, and Poll hands the
// batches to the runtime, which encodes them meanwhile. The reader owns
// every field below the "reader" line while it runs; Poll starts it and
// stops it (waiting for it) and only then touches them.
type streamer struct {
	s         *settings
	log       *slog.Logger
	info      serverInfo
	partition string
	serverID  uint32
	live      *liveSchemas // current table schemas, for servers without full row metadata

	syncer   *replication.BinlogSyncer
	st       *replication.BinlogStreamer
	batches  chan batch
	stop     context.CancelFunc
	wg       sync.WaitGroup
	returned offset // resume point after the last batch Poll returned
	deferred error  // failure to report on the next poll
	sending  bool   // the server sent an event since connect

	// reader
	pending []*replication.BinlogEvent
	heard   bool // an event arrived since connect
	// resume is where reading would start again: every record before it
	// was put in a batch.
	resume offset
	file   string // binlog file being read
	gtids  mysql.GTIDSet
	gtidS  string // gtids.String(), before the current group

	// The current group.
	inGroup, explicit bool
	start             coordinates // where the group starts
	prefix            []byte      // offsetPrefix(start), made on first use
	gtid              string      // the group's GTID, "" when none
	boxedGTID         any         // gtid for source blocks, nil when none
	// payloadRows counts the rows of the row events before the current
	// one in a compressed transaction's payload: all its events have the
	// payload's position, so a source block's row is the row's index in
	// the payload (pos and row then still tell every row apart, as
	// consumers that dedupe by them need), while positions (offsets)
	// keep counting events and rows per event.
	payloadRows int
	// binlogServer is the server_id of the binlog being read (from its
	// format description event), and binlogHeaders the change events'
	// headers saying so (HeaderBinlogServer), shared by all of them.
	binlogServer  uint32
	binlogHeaders connect.Headers
	boxedFile     any        // file for source blocks
	thread        int64      // MySQL's thread id from BEGIN, -1 when unknown
	query         string     // statement text from annotate/rows-query events
	events        int        // data events of the group seen so far
	times         eventTimes // the last event's time, boxed for source blocks

	// Skipping what a previous run emitted of the first group.
	skipArmed, skipping bool
	skipEvent, skipRow  int
	skipTx              string // the id of its transaction, when its BEGIN was emitted

	tx       txState // transaction metadata (txmeta.go)
	beginPos uint32  // the group's BEGIN statement, 0 when none

	warnedMinimal bool // logged that table maps lack column names

	tables   map[uint64]*tableSchema // the group's table maps, by table id
	schemas  map[string]*cachedTable // by db.table: reuse when the table map repeats
	excluded *tableSchema            // marks filtered-out tables in tables

	heartbeatAt time.Time       // last heartbeat or batch of records
	lastOffset  json.RawMessage // offset of the last record batched
}

// batch is what the reader hands to Poll: records, the resume point after
// them, or the failure that stopped the reader.
type batch struct {
	recs   []*connect.Record
	resume offset
	err    error
}

type cachedTable struct {
	sig    []byte
	schema *tableSchema
}

func newStreamer(s *settings, log *slog.Logger, info serverInfo, partition string, serverID uint32, live *liveSchemas, from offset) *streamer {
	return &streamer{
		s: s, log: log, info: info, partition: partition, serverID: serverID, live: live,
		resume:   from,
		returned: from,
		schemas:  map[string]*cachedTable{},
		excluded: &tableSchema{},
	}
}

// connect starts reading at r.returned and starts the reader.
func (r *streamer) connect() error {
	r.resume = r.returned
	mariadb := r.info.mariadb()
	cfg := replication.BinlogSyncerConfig{
		ServerID:  r.serverID,
		Flavor:    r.info.flavor,
		Host:      r.s.host,
		Port:      uint16(r.s.port),
		User:      r.s.user,
		Password:  r.s.password,
		TLSConfig: r.s.tls,
		// Temporal values as text, parsed as the snapshot's are: a
		// time.Time made by go-mysql would roll an invalid date (February
		// 30 under ALLOW_INVALID_DATES) forward instead of giving nil.
		// TIMESTAMP text is in UTC.
		ParseTime:               false,
		TimestampStringLocation: time.UTC,
		RenderJSONAsMySQLText:   !mariadb, // MySQL's own text form, as a snapshot query returns it
		HeartbeatPeriod:         r.s.heartbeat,
		ReadTimeout:             r.s.readTimeout,
		DisableRetrySync:        true, // go-mysql would resume mid-transaction; we resume at its start
		Logger:                  libraryLogger(r.log),
		Dialer:                  (&net.Dialer{Timeout: r.s.connectTimeout}).DialContext,
		EventCacheCount:         eventCache,
		FillZeroLogPos:          mariadb && r.info.atLeast(11, 4),
	}
	if mariadb && r.s.includeQuery {
		cfg.DumpCommandFlag |= replication.BINLOG_SEND_ANNOTATE_ROWS_EVENT
	}
	gtids, err := mysql.ParseGTIDSet(r.info.flavor, r.resume.GTIDs)
	if err != nil {
		return connect.Fatal(fmt.Errorf("mysqlsource: stored GTID set %q: %w", r.resume.GTIDs, err))
	}
	syncer := replication.NewBinlogSyncer(cfg)
	var st *replication.BinlogStreamer
	at := r.describe()
	if r.s.resumeGTID && r.resume.GTIDs != "" {
		st, err = syncer.StartSyncGTID(gtids.Clone())
	} else {
		st, err = syncer.StartSync(mysql.Position{Name: r.resume.File, Pos: r.resume.Pos})
	}
	if err != nil {
		syncer.Close()
		return r.s.fail("start reading the binlog at "+at, err)
	}
	r.syncer, r.st, r.pending, r.heard = syncer, st, nil, false
	r.setFile(r.resume.File)
	r.gtids, r.gtidS = gtids, r.resume.GTIDs
	r.inGroup, r.skipping = false, false
	r.skipEvent, r.skipRow, r.skipTx = r.resume.Event, r.resume.Row, r.resume.TxID
	r.skipArmed = r.resume.Event > 0 || r.resume.Row > 0 || r.resume.TxID != ""
	r.tables = map[uint64]*tableSchema{}
	r.heartbeatAt = time.Now()
	r.log.Info("reading the binlog", "at", at, "server_id", r.serverID)

	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	r.batches = make(chan batch, batchQueue)
	r.wg.Add(1)
	go r.run(ctx)
	return nil
}

func (r *streamer) describe() string {
	o := r.returned
	s := coordinates{File: o.File, Pos: o.Pos, GTIDs: o.GTIDs}.String()
	if o.Event > 0 || o.Row > 0 {
		s += fmt.Sprintf(" after %d events and %d rows of its transaction", o.Event, o.Row)
	}
	return s
}

// connected reports whether the server is sending the binlog: it sent an
// event (the first is a rotate to the binlog asked for) since connect, and
// reading has not failed since.
func (r *streamer) connected() bool { return r.sending }

// close stops the reader and the binlog connection; batches not returned
// yet are dropped: connect starts again after the last one returned.
func (r *streamer) close() {
	if r.syncer == nil {
		return
	}
	r.stop()
	r.wg.Wait()
	r.syncer.Close()
	r.syncer, r.st, r.pending, r.batches = nil, nil, nil, nil
	r.sending = false
}

// poll returns the reader's next batch, waiting for it. While it waits it
// calls report when the connection is established or the resume point
// moves without records (events of tables not captured), so that the
// caller can show it.
func (r *streamer) poll(ctx context.Context, report func()) ([]*connect.Record, error) {
	if err := r.deferred; err != nil {
		r.deferred = nil
		return nil, err
	}
	if r.syncer == nil {
		if err := r.connect(); err != nil {
			return nil, err
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil, nil
		case b := <-r.batches:
			if b.err == nil || len(b.recs) > 0 {
				r.returned = b.resume
			}
			if b.err != nil {
				r.close()
				if len(b.recs) > 0 {
					r.deferred = b.err
					return b.recs, nil
				}
				return nil, b.err
			}
			r.sending = true
			if len(b.recs) > 0 {
				return b.recs, nil
			}
			report()
		}
	}
}

// run is the reader: it turns events into batches until ctx is done or
// reading fails.
func (r *streamer) run(ctx context.Context) {
	defer r.wg.Done()
	for {
		b, ok := r.collect(ctx)
		if !ok {
			return
		}
		select {
		case r.batches <- b:
		case <-ctx.Done():
			return
		}
		if b.err != nil {
			return
		}
	}
}

// collect returns the next batch: records of the events at hand, up to
// poll.max.records; when no event is at hand, it waits for one.
func (r *streamer) collect(ctx context.Context) (batch, bool) {
	var out []*connect.Record
	from := r.resume
	for {
		ev := r.ready()
		if ev == nil {
			if len(out) > 0 || r.resume != from {
				return r.batch(out, nil), true
			}
			var err error
			ev, err = r.next(ctx)
			switch {
			case ctx.Err() != nil:
				return batch{}, false
			case errors.Is(err, errHeartbeatDue):
				if rec := r.heartbeat(); rec != nil {
					return r.batch([]*connect.Record{rec}, nil), true
				}
				continue
			case err != nil:
				return r.batch(nil, r.broken(err)), true
			}
		}
		n := len(out)
		var err error
		if out, err = r.handle(ev, ev.Header, out); err != nil {
			clear(out[n:])
			return r.batch(out[:n], err), true
		}
		// A batch after the first event, even an empty one, tells Poll that
		// the server is streaming.
		first := !r.heard
		r.heard = true
		if first || len(out) >= r.s.maxBatch {
			return r.batch(out, nil), true
		}
	}
}

func (r *streamer) batch(recs []*connect.Record, err error) batch {
	if len(recs) > 0 {
		r.heartbeatAt = time.Now()
		r.lastOffset = recs[len(recs)-1].Position.Offset
	}
	return batch{recs: recs, resume: r.resume, err: err}
}

// next returns the next event, waiting for it.
func (r *streamer) next(ctx context.Context) (*replication.BinlogEvent, error) {
	if r.s.heartbeatTopic == "" {
		return r.st.GetEvent(ctx)
	}
	wait := time.Until(r.heartbeatAt.Add(r.s.heartbeat))
	if wait <= 0 {
		return nil, errHeartbeatDue
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	ev, err := r.st.GetEvent(wctx)
	if err != nil && ctx.Err() == nil && wctx.Err() != nil {
		return nil, errHeartbeatDue
	}
	return ev, err
}

// ready returns a buffered event without waiting, or nil.
func (r *streamer) ready() *replication.BinlogEvent {
	if len(r.pending) == 0 {
		r.pending = r.st.DumpEvents()
		if len(r.pending) == 0 {
			return nil
		}
	}
	ev := r.pending[0]
	r.pending[0] = nil
	r.pending = r.pending[1:]
	return ev
}

// errPurged is the failure to read a binlog that is gone.
type errPurged struct{ err error }

func (e *errPurged) Error() string { return e.err.Error() }
func (e *errPurged) Unwrap() error { return e.err }

// broken says what a failed stream means: a purged binlog is fatal (the
// task decides whether to snapshot again), anything else a retriable
// error: the next poll reconnects.
func (r *streamer) broken(err error) error {
	at := coordinates{File: r.resume.File, Pos: r.resume.Pos, GTIDs: r.resume.GTIDs}.String()
	if hasCode(err, errBinlogRead) {
		return &errPurged{connect.Fatal(fmt.Errorf("mysqlsource: %s cannot send the binlog from %s: %s: the binlog was purged or the GTID is unknown; set %s=%s to take a new snapshot, or reset the connector's offsets",
			r.s.addr, at, serverError(err).Message, KeySnapshotMode, SnapshotWhenNeeded))}
	}
	r.log.Warn("binlog connection lost; reconnecting", "at", at, "error", r.s.redact(err.Error()))
	return r.s.fail("read the binlog at "+at, err)
}

// heartbeat returns a heartbeat record when the binlog moved past the last
// record batched (events of other tables, say), else nil.
func (r *streamer) heartbeat() *connect.Record {
	r.heartbeatAt = time.Now()
	off := r.currentOffset()
	if bytes.Equal(off, r.lastOffset) {
		return nil
	}
	return &connect.Record{
		Topic:     r.s.heartbeatTopic,
		Key:       map[string]any{"server": r.s.serverName},
		Value:     map[string]any{"ts_ms": r.heartbeatAt.UnixMilli()},
		Timestamp: r.heartbeatAt,
		Position:  connect.Position{Partition: r.partition, Offset: off},
	}
}

func (r *streamer) currentOffset() json.RawMessage {
	o := r.resume
	return streamOffset(resumePrefix(o), o.Event, o.Row)
}

// handle applies one event: group bookkeeping, records for row events and
// TRUNCATE. h is the header positions come from (the outer event's for
// events inside a compressed transaction payload).
func (r *streamer) handle(ev *replication.BinlogEvent, h *replication.EventHeader, out []*connect.Record) ([]*connect.Record, error) {
	switch e := ev.Event.(type) {
	case *replication.FormatDescriptionEvent:
		// The first event of every binlog file, and of every connection:
		// its server_id is that of the server that wrote the file (events
		// replicated into it keep their origin's).
		if id := ev.Header.ServerID; r.binlogHeaders == nil || id != r.binlogServer {
			r.binlogServer = id
			r.binlogHeaders = connect.Headers{HeaderBinlogServer: strconv.FormatUint(uint64(id), 10)}
		}
	case *replication.RotateEvent:
		r.setFile(string(e.NextLogName))
		// A real rotate (not the one the server sends on connecting) moves
		// the resume point to the next file.
		if ev.Header.Timestamp != 0 && !r.inGroup {
			r.resume = offset{File: r.file, Pos: uint32(e.Position), GTIDs: r.gtidS}
		}
	case *replication.MariadbGTIDEvent:
		r.begin(h)
		r.explicit = !e.IsStandalone()
		r.setGTID(e.GTID.String())
	case *replication.GtidTaggedLogEvent:
		r.begin(h)
		r.setGTID(mysqlGTID(&e.GTIDEvent))
	case *replication.GTIDEvent:
		r.begin(h)
		r.setGTID(mysqlGTID(e))
	case *replication.QueryEvent:
		return r.queryEvent(h, e, out)
	case *replication.TableMapEvent:
		if !r.inGroup {
			r.begin(h)
		}
		ts, err := r.tableFor(e)
		if err != nil {
			return out, err
		}
		r.tables[e.TableID] = ts
	case *replication.RowsEvent:
		if !r.inGroup {
			r.begin(h)
		}
		idx := r.events
		r.events++
		var err error
		if out, err = r.rowsEvent(h, ev.Header.EventType, e, idx, out); err != nil {
			return out, err
		}
		r.progress()
	case *replication.XIDEvent:
		r.commit(h)
		if r.s.txTopic != "" {
			out = r.txEnd(h, out)
		}
	case *replication.MariadbAnnotateRowsEvent:
		if r.s.includeQuery {
			r.query = maskCredentials(string(e.Query))
		}
	case *replication.RowsQueryEvent:
		if r.s.includeQuery {
			r.query = maskCredentials(string(e.Query))
		}
	case *replication.TransactionPayloadEvent:
		// A compressed transaction (MySQL's
		// binlog_transaction_compression): its events share the payload's
		// position, so their source blocks number the rows through the
		// whole payload (see payloadRows).
		defer func() { r.payloadRows = 0 }()
		for _, inner := range e.Events {
			var err error
			if out, err = r.handle(inner, h, out); err != nil {
				return out, err
			}
			if re, ok := inner.Event.(*replication.RowsEvent); ok {
				r.payloadRows += eventRows(inner.Header.EventType, re)
			}
		}
	default:
		if ev.Header.EventType == replication.XA_PREPARE_LOG_EVENT && r.inGroup {
			r.commit(h)
			if r.s.txTopic != "" {
				out = r.txEnd(h, out)
			}
		}
	}
	return out, nil
}

// eventRows returns how many rows a row event holds (an update's rows have
// two images each), whatever of them is emitted.
func eventRows(typ replication.EventType, e *replication.RowsEvent) int {
	if rowsOp(typ) == connect.OpUpdate {
		return len(e.Rows) / 2
	}
	return len(e.Rows)
}

// setGTID sets the current group's GTID ("" for none).
func (r *streamer) setGTID(g string) {
	r.gtid, r.boxedGTID = g, nil
	if g != "" {
		r.boxedGTID = g
	}
}

// setFile sets the binlog file being read.
func (r *streamer) setFile(f string) { r.file, r.boxedFile = f, f }

func mysqlGTID(e *replication.GTIDEvent) string {
	if len(e.SID) != 16 || bytes.Equal(e.SID, make([]byte, 16)) {
		return "" // anonymous transaction: GTIDs are off
	}
	u, err := uuid.FromBytes(e.SID)
	if err != nil {
		return ""
	}
	if tag := e.Tag.String(); tag != "" {
		return u.String() + ":" + tag + ":" + strconv.FormatInt(e.GNO, 10)
	}
	return u.String() + ":" + strconv.FormatInt(e.GNO, 10)
}

// begin starts a group at the event of h.
func (r *streamer) begin(h *replication.EventHeader) {
	r.inGroup, r.explicit = true, false
	r.start = coordinates{File: r.file, Pos: h.LogPos - h.EventSize, GTIDs: r.gtidS}
	r.prefix = nil
	r.setGTID("")
	r.query, r.thread = "", -1
	r.events, r.beginPos = 0, 0
	if r.s.txTopic != "" {
		r.txReset(h)
	}
	// What a previous run emitted is skipped in the first group only.
	r.skipping, r.skipArmed = r.skipArmed, false
	r.progress()
}

// progress moves the resume point within the current group.
func (r *streamer) progress() {
	e, row := r.events, 0
	if r.skipping && (r.skipEvent > e || r.skipEvent == e && r.skipRow > 0) {
		e, row = r.skipEvent, r.skipRow
	}
	r.resume = offset{File: r.start.File, Pos: r.start.Pos, GTIDs: r.start.GTIDs, Event: e, Row: row, TxID: r.txBegunID()}
}

// commit ends the current group at the event of h.
func (r *streamer) commit(h *replication.EventHeader) {
	if r.gtid != "" && r.gtids != nil {
		if err := r.gtids.Update(r.gtid); err != nil {
			r.log.Warn("cannot track a GTID", "gtid", r.gtid, "error", err)
		} else {
			r.gtidS = r.gtids.String()
		}
	}
	r.inGroup, r.explicit, r.skipping = false, false, false
	clear(r.tables)
	r.resume = offset{File: r.file, Pos: h.LogPos, GTIDs: r.gtidS}
}

// queryEvent handles BEGIN, COMMIT, statements inside transactions and DDL.
func (r *streamer) queryEvent(h *replication.EventHeader, e *replication.QueryEvent, out []*connect.Record) ([]*connect.Record, error) {
	q := bytes.TrimSpace(e.Query)
	word := firstWord(q)
	switch {
	case word == "BEGIN" || word == "XA" && bytes.HasPrefix(bytes.ToUpper(q), []byte("XA START")):
		if !r.inGroup {
			r.begin(h)
		}
		r.explicit = true
		r.thread = int64(e.SlaveProxyID)
		r.beginPos = h.LogPos - h.EventSize
		return out, nil
	case word == "COMMIT" || word == "ROLLBACK" && !bytes.Contains(bytes.ToUpper(q), []byte(" TO ")):
		if r.inGroup {
			r.commit(h)
			if r.s.txTopic != "" {
				out = r.txEnd(h, out)
			}
		}
		return out, nil
	case r.inGroup && r.explicit:
		return out, nil // SAVEPOINT and the like inside a transaction
	}
	// DDL: a group of its own.
	if !r.inGroup {
		r.begin(h)
	}
	idx := r.events
	r.events++
	schema := string(e.Schema)
	level := slog.LevelDebug
	if schema == "" || r.s.filter.includeDB(schema) {
		level = slog.LevelInfo
	}
	// The text only at Debug, masked: account statements carry passwords.
	r.log.Log(context.Background(), level, "DDL", "db", schema, "statement", statementKind(q), "file", r.file, "pos", h.LogPos-h.EventSize)
	r.log.Debug("DDL text", "db", schema, "query", maskCredentials(string(q)), "file", r.file, "pos", h.LogPos-h.EventSize)
	if r.live != nil {
		r.live.forget()
	}
	if word == "TRUNCATE" && !(r.skipping && idx < r.skipEvent) {
		if db, table, ok := truncatedTable(q, schema); ok && r.s.filter.include(db, table) && !r.s.skip[connect.OpTruncate] {
			ts := &tableSchema{db: db, table: table}
			ts.box()
			at := time.Unix(int64(h.Timestamp), 0)
			base := r.source(ts, h, at)
			base[srcQuery] = maskCredentials(string(q))
			blk := newRecordBlock(1, 1, sourceWidth, 0)
			blk.headers = r.binlogHeaders
			out = append(out, blk.change(r.s.topicFor(db, table), nil, connect.OpTruncate, nil, nil, blk.source(&base, 0), at,
				r.position(idx+1, 0)))
		}
	}
	if r.s.schemaTopic != "" && word != "TRUNCATE" && !(r.skipping && idx < r.skipEvent) {
		var err error
		if out, err = r.schemaChanges(h, q, schema, idx, out); err != nil {
			return out, err
		}
	}
	r.commit(h)
	return out, nil
}

// statementKind returns the first two words of a statement, upper case
// ("ALTER TABLE", "CREATE USER"): what the Info log says of DDL.
func statementKind(q []byte) string {
	f := strings.Fields(string(q[:min(len(q), 64)]))
	if len(f) > 2 {
		f = f[:2]
	}
	for i, w := range f {
		if end := strings.IndexAny(w, ";/('\"`"); end >= 0 {
			f[i] = w[:end]
			f = f[:i+1]
			break
		}
	}
	return strings.ToUpper(strings.Join(f, " "))
}

func firstWord(q []byte) string {
	end := bytes.IndexAny(q, " \t\r\n;/(")
	if end < 0 {
		end = len(q)
	}
	if end > 16 {
		return ""
	}
	return strings.ToUpper(string(q[:end]))
}

// truncatedTable parses "TRUNCATE [TABLE] [db.]table".
func truncatedTable(q []byte, schema string) (db, table string, ok bool) {
	rest := strings.TrimSpace(string(q[len("TRUNCATE"):]))
	if len(rest) > 6 && strings.EqualFold(rest[:6], "TABLE ") {
		rest = strings.TrimSpace(rest[6:])
	}
	first, rest, ok := identifier(rest)
	if !ok {
		return "", "", false
	}
	if strings.HasPrefix(rest, ".") {
		second, _, ok := identifier(rest[1:])
		return first, second, ok
	}
	return schema, first, schema != ""
}

// identifier reads a plain or backquoted identifier.
func identifier(s string) (name, rest string, ok bool) {
	if strings.HasPrefix(s, "`") {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] == '`' {
				if i+1 < len(s) && s[i+1] == '`' {
					b.WriteByte('`')
					i++
					continue
				}
				return b.String(), s[i+1:], true
			}
			b.WriteByte(s[i])
		}
		return "", "", false
	}
	end := strings.IndexAny(s, ". \t\r\n;")
	if end < 0 {
		end = len(s)
	}
	return s[:end], s[end:], end > 0
}

// tableFor returns the decoding schema of a table map, r.excluded for
// tables not captured.
func (r *streamer) tableFor(e *replication.TableMapEvent) (*tableSchema, error) {
	db, table := string(e.Schema), string(e.Table)
	if !r.s.filter.include(db, table) {
		return r.excluded, nil
	}
	key := db + "." + table
	sig := tableMapSignature(e)
	// A table map without column names was written while
	// binlog_row_metadata was not FULL, also on a server where it is now
	// (an older binlog, or the setting changed since): decode it with the
	// current schema, as for a server without full metadata.
	full := r.info.fullMetadata && len(e.ColumnName) > 0
	if c, ok := r.schemas[key]; ok && bytes.Equal(c.sig, sig) && full {
		return c.schema, nil
	}
	if !full && r.info.fullMetadata && !r.warnedMinimal {
		r.warnedMinimal = true
		r.log.Warn("the binlog has table maps without column names (written while binlog_row_metadata was not FULL): decoding their rows with the tables' current schemas", "table", key, "file", r.file)
	}
	var live *tableSchema
	if !full && r.live != nil {
		var err error
		if live, err = r.live.get(db, table); err != nil {
			return nil, err
		}
	}
	ts, err := binlogColumns(e, live)
	if err != nil {
		return nil, connect.Fatal(fmt.Errorf("mysqlsource: %w", err))
	}
	if r.info.mariadb() && r.live != nil && mayBeVersioned(e) {
		p, err := r.live.period(db, table)
		if err != nil {
			return nil, err
		}
		if p.versioned {
			ts.setPeriod(p.start, p.end)
		}
	}
	ts.topic = r.s.topicFor(db, table)
	if other := r.s.shared(ts.topic, db, table); other != "" {
		r.log.Warn(sharedTopicWarning, "topic", ts.topic, "tables", []string{other, db + "." + table})
	}
	ts.makeSchemas(r.s.serverName, r.s.modes)
	r.schemas[key] = &cachedTable{sig: sig, schema: ts}
	return ts, nil
}

// tableMapSignature identifies what a table map says about a table (not
// its id), so an unchanged table reuses its decoding schema.
func tableMapSignature(e *replication.TableMapEvent) []byte {
	b := make([]byte, 0, 256)
	b = append(b, e.ColumnType...)
	for _, m := range e.ColumnMeta {
		b = binary.LittleEndian.AppendUint16(b, m)
	}
	b = append(b, e.NullBitmap...)
	b = append(b, e.SignednessBitmap...)
	for _, s := range [][]uint64{e.DefaultCharset, e.ColumnCharset, e.GeometryType, e.PrimaryKey, e.EnumSetDefaultCharset, e.EnumSetColumnCharset} {
		b = append(b, 0xff)
		for _, v := range s {
			b = binary.AppendUvarint(b, v)
		}
	}
	for _, names := range [][][]byte{e.ColumnName} {
		for _, n := range names {
			b = append(b, n...)
			b = append(b, 0)
		}
	}
	for _, members := range [][][][]byte{e.EnumStrValue, e.SetStrValue} {
		b = append(b, 0xfe)
		for _, col := range members {
			for _, m := range col {
				b = append(b, m...)
				b = append(b, 0)
			}
			b = append(b, 1)
		}
	}
	return b
}

// position returns the Position of a record of the current group after
// which event data events and then row rows are done.
func (r *streamer) position(event, row int) connect.Position {
	if r.prefix == nil {
		r.prefix = offsetPrefix(r.start)
	}
	return connect.Position{Partition: r.partition, Offset: streamOffset(r.prefix, event, row)}
}

// source returns the source block of an event's records, before the row
// index is set.
func (r *streamer) source(ts *tableSchema, h *replication.EventHeader, at time.Time) sourceBase {
	b := r.s.newSource(r.info, ts, r.times.box(at), snapFalse)
	b[srcServerID] = int64(h.ServerID)
	b[srcGTID] = r.boxedGTID
	b[srcFile] = r.boxedFile
	b[srcPos] = int64(h.LogPos - h.EventSize)
	if r.thread >= 0 {
		b[srcThread] = r.thread
	}
	if r.query != "" {
		b[srcQuery] = r.query
	}
	return b
}

// rowsOp is the operation of a row event type, "" for other events.
func rowsOp(typ replication.EventType) connect.Operation {
	switch typ {
	case replication.WRITE_ROWS_EVENTv0, replication.WRITE_ROWS_EVENTv1, replication.WRITE_ROWS_EVENTv2, replication.MARIADB_WRITE_ROWS_COMPRESSED_EVENT_V1:
		return connect.OpCreate
	case replication.UPDATE_ROWS_EVENTv0, replication.UPDATE_ROWS_EVENTv1, replication.UPDATE_ROWS_EVENTv2, replication.MARIADB_UPDATE_ROWS_COMPRESSED_EVENT_V1:
		return connect.OpUpdate
	case replication.DELETE_ROWS_EVENTv0, replication.DELETE_ROWS_EVENTv1, replication.DELETE_ROWS_EVENTv2, replication.MARIADB_DELETE_ROWS_COMPRESSED_EVENT_V1:
		return connect.OpDelete
	}
	return ""
}

// rowsEvent makes the records of a row event of type typ, the idx-th data
// event of the group.
func (r *streamer) rowsEvent(h *replication.EventHeader, typ replication.EventType, e *replication.RowsEvent, idx int, out []*connect.Record) ([]*connect.Record, error) {
	ts := r.tables[e.TableID]
	if ts == nil {
		return out, fmt.Errorf("mysqlsource: row event for table id %d at %s:%d without its table map", e.TableID, r.file, h.LogPos-h.EventSize)
	}
	if ts == r.excluded || r.skipping && idx < r.skipEvent {
		if ts != r.excluded && r.s.txTopic != "" && !r.tx.recounting {
			return out, r.txRecount(h, typ, e, idx, -1)
		}
		return out, nil
	}
	op := rowsOp(typ)
	if op == "" {
		if typ == replication.PARTIAL_UPDATE_ROWS_EVENT {
			return out, connect.Fatal(fmt.Errorf("mysqlsource: partial JSON update of %s.%s at %s:%d: set binlog_row_value_options='' so updates log full rows", ts.db, ts.table, r.file, h.LogPos-h.EventSize))
		}
		return out, nil
	}
	if r.s.skip[op] && !ts.versioned {
		return out, nil
	}
	rows, images := len(e.Rows), 1
	if op == connect.OpUpdate {
		rows, images = rows/2, 2
	}
	first := 0
	if r.skipping && idx == r.skipEvent {
		first = r.skipRow
	}
	if first > 0 && r.s.txTopic != "" && !r.tx.recounting {
		if err := r.txRecount(h, typ, e, idx, first); err != nil {
			return out, err
		}
	}
	if first >= rows {
		return out, nil
	}
	at := time.Unix(int64(h.Timestamp), 0)
	base := r.source(ts, h, at)
	from := len(out)
	if r.s.txTopic != "" && !r.tx.recounting {
		r.txBefore()
	}
	if r.prefix == nil {
		r.prefix = offsetPrefix(r.start)
	}
	// Room for a record per row (a key change makes two, rare: the block
	// then grows) with its images, key and source block.
	n := rows - first
	blk := newRecordBlock(n, images+2, images*ts.width+len(ts.keyAt)+sourceWidth, len(r.prefix)+32)
	blk.headers = r.binlogHeaders
	pos := func(event, row int) connect.Position {
		return connect.Position{Partition: r.partition, Offset: blk.offset(r.prefix, event, row)}
	}
	image := func(row []any) (*connect.Struct, error) {
		img, err := ts.binlogRow(blk, row)
		if err != nil {
			return nil, r.decodeError(ts, h, err)
		}
		return img, nil
	}
	change := blk.change
	for i := first; i < rows; i++ {
		switch op {
		case connect.OpCreate, connect.OpDelete:
			if !ts.current(e.Rows[i]) || ts.versioned && r.s.skip[op] {
				continue // a history row: the current rows tell the changes
			}
			img, err := image(e.Rows[i])
			if err != nil {
				return out, err
			}
			before, after := img, (*connect.Struct)(nil)
			if op == connect.OpCreate {
				before, after = nil, img
			}
			out = append(out, change(ts.topic, blk.key(ts, img), op, before, after, blk.source(&base, r.payloadRows+i), at, pos(idx, i+1)))
			if op == connect.OpDelete {
				out = r.tombstone(out, blk)
			}
		case connect.OpUpdate:
			// A system-versioned table's DELETE ends the current row: an
			// update moving ROW END from the maximum to the change time.
			op := op
			wasCurrent, isCurrent := ts.current(e.Rows[2*i]), ts.current(e.Rows[2*i+1])
			switch {
			case wasCurrent && !isCurrent:
				op = connect.OpDelete
			case !wasCurrent && isCurrent:
				op = connect.OpCreate
			case !wasCurrent:
				continue // history rewritten
			}
			if ts.versioned && r.s.skip[op] {
				continue
			}
			before, err := image(e.Rows[2*i])
			if err != nil {
				return out, err
			}
			after, err := image(e.Rows[2*i+1])
			if err != nil {
				return out, err
			}
			src := blk.source(&base, r.payloadRows+i)
			switch op {
			case connect.OpDelete:
				out = append(out, change(ts.topic, blk.key(ts, before), op, before, nil, src, at, pos(idx, i+1)))
				out = r.tombstone(out, blk)
				continue
			case connect.OpCreate:
				out = append(out, change(ts.topic, blk.key(ts, after), op, nil, after, src, at, pos(idx, i+1)))
				continue
			}
			if ts.key != nil && ts.keyChanged(before, after) {
				// A new primary key is a delete and a create, as in
				// Debezium. The delete's position does not cover the row,
				// so a restart between them emits both again.
				out = append(out, change(ts.topic, blk.key(ts, before), connect.OpDelete, before, nil, src, at, pos(idx, i)))
				out = r.tombstone(out, blk)
				out = append(out, change(ts.topic, blk.key(ts, after), connect.OpCreate, nil, after, src, at, pos(idx, i+1)))
				continue
			}
			out = append(out, change(ts.topic, blk.key(ts, after), op, before, after, src, at, pos(idx, i+1)))
		}
	}
	if r.s.txTopic != "" && !r.tx.recounting {
		out = r.txAfter(out, from, idx)
	}
	return out, nil
}

// tombstone follows the delete event last in out with its tombstone, when
// tombstones.on.delete is on and the row has a key.
func (r *streamer) tombstone(out []*connect.Record, blk *recordBlock) []*connect.Record {
	del := out[len(out)-1]
	if !r.s.tombstones || del.Key == nil {
		return out
	}
	return append(out, blk.tombstone(del.Topic, del.Key.(*connect.Struct), del.Timestamp, del.Position))
}

func (r *streamer) decodeError(ts *tableSchema, h *replication.EventHeader, err error) error {
	return connect.Fatal(fmt.Errorf("mysqlsource: decode a row of %s.%s at %s:%d: %w", ts.db, ts.table, r.file, h.LogPos-h.EventSize, err))
}

// binlogRow converts a row image of a row event into a row of blk.
func (ts *tableSchema) binlogRow(blk *recordBlock, row []any) (*connect.Struct, error) {
	if len(row) != len(ts.cols) {
		return nil, fmt.Errorf("row has %d columns, the table map %d", len(row), len(ts.cols))
	}
	img := blk.row(ts.rowSchema())
	vals, j := img.Values, 0
	for i := range ts.cols {
		if ts.isPeriod(i) {
			continue
		}
		v, err := ts.cols[i].fromBinlog(row[i])
		if err != nil {
			return nil, err
		}
		vals[j] = v
		j++
	}
	if err := ts.mapRow(img); err != nil {
		return nil, err
	}
	return img, nil
}

// current reports whether a row image of a system-versioned table is a
// current row (ROW END at its maximum) rather than a history row; every
// row of other tables is current.
func (ts *tableSchema) current(row []any) bool {
	return !ts.versioned || ts.rowEnd < 0 || ts.rowEnd >= len(row) || currentRowEnd(row[ts.rowEnd])
}
