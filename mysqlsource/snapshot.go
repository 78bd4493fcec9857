package mysqlsource

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"

	connect "github.com/openmessaging/connect-go"
)

// progressEvery is how often snapshot progress is logged.
const progressEvery = 10 * time.Second

// snapshotter reads the captured tables inside one consistent-snapshot
// transaction, page by page in primary key order, and knows the binlog
// position the snapshot corresponds to.
type snapshotter struct {
	s         *settings
	log       *slog.Logger
	info      serverInfo
	tc        connect.SourceTaskContext
	partition string

	// from is where the binlog is streamed from once the snapshot is done:
	// the position of the first snapshot transaction this snapshot belongs
	// to (a resumed snapshot keeps the one it started with).
	from       coordinates
	fromPrefix []byte

	conn      *client.Conn
	tables    []tableRef
	estimates map[tableRef]int64
	rows      map[tableRef]int64 // rows read per table
	idx       int                // tables[idx] is being read
	nonEmpty  int                // tables[nonEmpty] has rows, when > idx (see restEmpty)
	cur       *snapTable
	reading   *pageRead       // the page of cur being read, if any
	resumeAt  *snapshotOffset // where an interrupted snapshot stopped
	began     time.Time
	loggedAt  time.Time
	total     int64
	finished  bool

	// The CREATE events of include.schema.changes, emitted before any
	// row (see schemaEvents): done, or the last table emitted (nil: none
	// yet) and where to look for the next one in tables.
	ddlDone  bool
	ddlAfter *tableRef
	ddlNext  int
}

// snapTable is the table being read.
type snapTable struct {
	ref      tableRef
	ts       *tableSchema
	keyed    bool // paged by primary key; else by OFFSET
	first    *client.Stmt
	next     *client.Stmt
	lastKey  []json.RawMessage // primary key of the last row of the last page read
	returned *connect.Record   // the last record handed out of a page still being read
	keyCols  []string          // names of the primary key columns
	colsJSON []byte            // keyCols as a JSON array
	keySpans [][2]int          // scratch of position: where key values sit in an offset
	read     int64             // rows read, the OFFSET of unkeyed tables
	dbJSON   []byte
	tblJSON  []byte
}

func newSnapshotter(s *settings, log *slog.Logger, info serverInfo, tc connect.SourceTaskContext, partition string, resume *offset) *snapshotter {
	sn := &snapshotter{s: s, log: log, info: info, tc: tc, partition: partition, rows: map[tableRef]int64{}, began: time.Now()}
	if resume != nil {
		sn.from = coordinates{File: resume.File, Pos: resume.Pos, GTIDs: resume.GTIDs}
		sn.resumeAt = resume.Snapshot
	}
	switch {
	case s.schemaTopic == "":
		sn.ddlDone = true
	case sn.resumeAt != nil && sn.resumeAt.Schema != nil:
		sn.ddlAfter = &tableRef{sn.resumeAt.Schema.DB, sn.resumeAt.Schema.Table}
	case sn.resumeAt != nil:
		sn.ddlDone = true // rows were emitted: the events came before them
	}
	return sn
}

// open connects and starts the consistent snapshot transaction. On MariaDB
// the binlog position of the snapshot comes from the binlog_snapshot_file
// and binlog_snapshot_position status variables, exact inside a START
// TRANSACTION WITH CONSISTENT SNAPSHOT without any lock. MySQL has no such
// thing: the position is read under a brief FLUSH TABLES WITH READ LOCK.
func (sn *snapshotter) open(ctx context.Context) error {
	conn, err := sn.s.dialOwnDeadlines(ctx)
	if err != nil {
		return err
	}
	sn.conn = conn
	sn.deadline()
	exec := func(q string) error {
		if _, err := conn.Execute(q); err != nil {
			return sn.s.fail("snapshot: "+q, err)
		}
		return nil
	}
	if err := exec("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"); err != nil {
		return err
	}
	var at coordinates
	if sn.info.mariadb() {
		if err := exec("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
			return err
		}
		rows, err := query(conn, "SHOW STATUS LIKE 'binlog_snapshot_%'")
		if err != nil {
			return sn.s.fail("snapshot: read its binlog position", err)
		}
		for _, r := range rows {
			switch strings.ToLower(r[0]) {
			case "binlog_snapshot_file":
				at.File = r[1]
			case "binlog_snapshot_position":
				p, _ := strconv.ParseUint(r[1], 10, 32)
				at.Pos = uint32(p)
			}
		}
		if at.File == "" {
			return connect.Fatal(fmt.Errorf("mysqlsource: %s reports no binlog position for the snapshot: is log_bin on?", sn.s.addr))
		}
		if at.GTIDs, err = mariadbGTIDPos(conn, at.File, at.Pos); err != nil {
			return sn.s.fail("snapshot: read its GTID position", err)
		}
	} else {
		if err := exec("FLUSH TABLES WITH READ LOCK"); err != nil {
			return err
		}
		err := exec("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
		if err == nil {
			at.File, at.Pos, at.GTIDs, err = binlogStatus(conn)
			if err != nil {
				err = sn.s.fail("snapshot: read its binlog position", err)
			}
		}
		if uerr := exec("UNLOCK TABLES"); err == nil {
			err = uerr
		}
		if err != nil {
			return err
		}
	}
	if sn.from.File == "" {
		sn.from = at
	}
	sn.fromPrefix = offsetPrefix(sn.from)
	sn.tables, sn.estimates, err = listTables(conn, sn.s.filter)
	if err != nil {
		return sn.s.fail("snapshot: list the tables", err)
	}
	sn.idx, sn.nonEmpty, sn.ddlNext = 0, 0, 0
	if r := sn.resumeAt; r != nil {
		ref := tableRef{r.DB, r.Table}
		for sn.idx < len(sn.tables) && sn.tables[sn.idx].before(ref) {
			sn.idx++
		}
	}
	sn.log.Info("snapshot transaction open", "binlog", at.String(), "stream_from", sn.from.String(),
		"tables", len(sn.tables), "resuming_at", sn.resumeTable())
	sn.publish()
	return nil
}

func (sn *snapshotter) resumeTable() string {
	if sn.resumeAt == nil {
		return ""
	}
	return tableRef{sn.resumeAt.DB, sn.resumeAt.Table}.String()
}

// close ends the snapshot transaction and closes the connection. Opened
// again (after a lost connection, say), the snapshot goes on after the last
// row read, in a new transaction.
func (sn *snapshotter) close() {
	sn.stopPage()
	switch {
	case sn.finished || sn.conn == nil:
	case sn.cur != nil:
		sn.resumeAt = &snapshotOffset{DB: sn.cur.ref.db, Table: sn.cur.ref.table, Key: sn.cur.resumeKey(), Cols: sn.cur.keyCols}
	case sn.resumeAt != nil:
		// Not reached yet: keep it.
	case sn.idx < len(sn.tables):
		sn.resumeAt = &snapshotOffset{DB: sn.tables[sn.idx].db, Table: sn.tables[sn.idx].table}
	}
	sn.closeTable()
	if sn.conn != nil {
		sn.conn.Close()
		sn.conn = nil
	}
}

func (sn *snapshotter) closeTable() {
	if sn.cur == nil {
		return
	}
	if sn.conn != nil {
		for _, st := range []*client.Stmt{sn.cur.first, sn.cur.next} {
			if st != nil {
				_ = st.Close()
			}
		}
	}
	sn.cur = nil
}

// next returns the records of the next page. When it returns no records
// and no error with sn.finished set, the snapshot is over.
func (sn *snapshotter) next(ctx context.Context) ([]*connect.Record, error) {
	if sn.conn == nil {
		if err := sn.open(ctx); err != nil {
			sn.close()
			return nil, err
		}
	}
	if !sn.ddlDone {
		recs, err := sn.schemaEvents()
		if err != nil {
			sn.close()
			return nil, err
		}
		if len(recs) > 0 {
			return recs, nil
		}
	}
	for sn.idx < len(sn.tables) {
		if sn.cur == nil {
			if err := sn.startTable(sn.tables[sn.idx]); err != nil {
				sn.close()
				return nil, err
			}
		}
		recs, final, more, err := sn.page(ctx)
		if err != nil {
			sn.close()
			return nil, err
		}
		if !final {
			if len(recs) > 0 {
				sn.publish()
			}
			return recs, nil // none: ctx is done, the page goes on being read
		}
		if !more {
			t := sn.cur
			sn.log.Info("snapshot of a table done", "table", t.ref.String(), "rows", sn.rows[t.ref])
			sn.closeTable()
			sn.idx++
			if len(recs) > 0 {
				if last := recs[len(recs)-1]; sn.restEmpty(ctx) {
					// No row comes after these: the last one ends the snapshot.
					sn.markLast(last)
					sn.idx = len(sn.tables)
				} else if snapshotMarker(last) != snapFirst {
					// Debezium: "first" (the snapshot's first row) wins over
					// a table's last row of one.
					markSnapshot(last, snapLastInColl)
				}
			}
		}
		sn.publish()
		if len(recs) > 0 {
			return recs, nil
		}
	}
	sn.close()
	sn.finished = true
	took := time.Since(sn.began)
	sn.log.Info("snapshot done", "tables", len(sn.tables), "rows", sn.total, "took", took.Round(time.Millisecond),
		"rows_per_sec", int64(float64(sn.total)/max(took.Seconds(), 1e-3)), "stream_from", sn.from.String())
	return nil, nil
}

// restEmpty reports whether the tables after the current one, tables[idx:],
// are all empty in the snapshot, so that the last row read is the
// snapshot's last record. Each table is probed once: probing stops at the
// first table with a row. A failed probe says no (the page read is then
// returned, and the error comes again when the next table is read).
func (sn *snapshotter) restEmpty(ctx context.Context) bool {
	if sn.nonEmpty > sn.idx {
		return false
	}
	for i := sn.idx; i < len(sn.tables); i++ {
		ref := sn.tables[i]
		_, stop := sn.watch(ctx)
		res, err := sn.conn.Execute("SELECT 1 FROM " + quoteName(ref.db) + "." + quoteName(ref.table) + " LIMIT 1")
		stop()
		if err != nil {
			sn.log.Debug("snapshot: probing a table for rows failed", "table", ref.String(), "error", err)
			return false
		}
		n := len(res.Values)
		res.Close()
		if n > 0 {
			sn.nonEmpty = i
			return false
		}
	}
	return true
}

// markLast makes the snapshot's last record say so, and gives it the
// position of the binlog stream: committing it means the snapshot is done.
func (sn *snapshotter) markLast(r *connect.Record) {
	markSnapshot(r, snapLast)
	r.Position = connect.Position{Partition: sn.partition, Offset: streamOffset(sn.fromPrefix, 0, 0)}
}

// markSnapshot sets a snapshot record's source.snapshot. The page's
// records share their source block: this one gets its own.
func markSnapshot(r *connect.Record, marker any) {
	if src, ok := r.Change.Source.(*connect.Struct); ok {
		own := &connect.Struct{Schema: src.Schema, Values: slices.Clone(src.Values)}
		own.Values[srcSnapshot] = marker
		r.Change.Source = own
	}
}

// snapshotMarker returns a snapshot record's source.snapshot.
func snapshotMarker(r *connect.Record) any {
	if src, ok := r.Change.Source.(*connect.Struct); ok {
		return src.Values[srcSnapshot]
	}
	return nil
}

// startTable loads a table's schema and prepares its page queries.
func (sn *snapshotter) startTable(ref tableRef) error {
	sn.deadline()
	ts, err := loadSchema(sn.conn, ref.db, ref.table)
	if err != nil {
		return sn.s.fail("snapshot: read the schema of "+ref.String(), err)
	}
	ts = ts.visible() // current rows only: the period columns are the stream's business
	ts.topic = sn.s.topicFor(ref.db, ref.table)
	if other := sn.s.shared(ts.topic, ref.db, ref.table); other != "" {
		sn.log.Warn(sharedTopicWarning, "topic", ts.topic, "tables", []string{other, ref.String()})
	}
	ts.makeSchemas(sn.s.serverName, sn.s.modes)
	t := &snapTable{ref: ref, ts: ts, keyed: len(ts.pk) > 0}
	t.dbJSON, _ = json.Marshal(ref.db)
	t.tblJSON, _ = json.Marshal(ref.table)
	t.keyCols = make([]string, len(ts.pk))
	for k, i := range ts.pk {
		t.keyCols[k] = ts.cols[i].name
	}
	t.colsJSON, _ = json.Marshal(t.keyCols)
	t.keySpans = make([][2]int, len(ts.pk))
	for _, i := range ts.pk {
		switch ts.cols[i].kind {
		case kindEnum, kindSet, kindBit, kindGeometry, kindJSON:
			// Ordered by index or bytes, compared as text: keyset paging
			// would skip rows.
			t.keyed = false
		}
	}
	cols := make([]string, len(ts.cols))
	for i, c := range ts.cols {
		cols[i] = quoteName(c.name)
	}
	from := "SELECT " + strings.Join(cols, ", ") + " FROM " + quoteName(ref.db) + "." + quoteName(ref.table)
	// One row more than a page: whether it comes says whether the page is
	// the table's last.
	limit := " LIMIT " + strconv.Itoa(sn.s.fetchSize+1)
	if t.keyed {
		order := make([]string, len(ts.pk))
		var or []string
		for k, i := range ts.pk {
			order[k] = quoteName(ts.cols[i].name)
			var and []string
			for j := 0; j <= k; j++ {
				op := " = "
				if j == k {
					op = " > "
				}
				and = append(and, quoteName(ts.cols[ts.pk[j]].name)+op+sn.placeholder(&ts.cols[ts.pk[j]]))
			}
			or = append(or, "("+strings.Join(and, " AND ")+")")
		}
		orderBy := " ORDER BY " + strings.Join(order, ", ")
		if t.first, err = sn.conn.Prepare(from + orderBy + limit); err == nil {
			t.next, err = sn.conn.Prepare(from + " WHERE " + strings.Join(or, " OR ") + orderBy + limit)
		}
	} else {
		t.first, err = sn.conn.Prepare(from + limit + " OFFSET ?")
	}
	if err != nil {
		sn.cur = t
		return sn.s.fail("snapshot: prepare the queries of "+ref.String(), err)
	}
	if r := sn.resumeAt; r != nil && (tableRef{r.DB, r.Table}) == ref {
		switch {
		case len(r.Key) == 0:
		case !t.keyed:
			sn.log.Info("snapshot reads a table again from the start: it is no longer paged by primary key", "table", ref.String())
		case r.Cols != nil && !slices.Equal(r.Cols, t.keyCols),
			r.Cols == nil && len(r.Key) != len(ts.pk):
			sn.log.Info("snapshot reads a table again from the start: its primary key changed", "table", ref.String(),
				"stored_key_columns", r.Cols, "key_columns", t.keyCols)
		default:
			t.lastKey = r.Key
		}
		sn.log.Info("snapshot resumes a table", "table", ref.String(), "after_key", string(mustJSON(t.lastKey)))
	}
	sn.resumeAt = nil
	sn.cur = t
	sn.log.Info("snapshot of a table started", "table", ref.String(), "rows_estimated", sn.estimates[ref],
		"paging", map[bool]string{true: "primary key", false: "offset"}[t.keyed])
	return nil
}

// resumeKey is the primary key after which the table's snapshot resumes:
// that of the last record handed out.
func (t *snapTable) resumeKey() []json.RawMessage {
	if t.returned == nil {
		return t.lastKey
	}
	var o offset
	if err := json.Unmarshal(t.returned.Position.Offset, &o); err != nil || o.Snapshot == nil {
		return t.lastKey
	}
	return o.Snapshot.Key
}

// deadline gives what the connection reads next read.timeout. It is
// dialed without go-mysql's deadline per packet (see dialOwnDeadlines).
func (sn *snapshotter) deadline() {
	_ = sn.conn.SetReadDeadline(time.Now().Add(sn.s.readTimeout))
}

// watch gives what the connection reads next read.timeout, as deadline,
// until ctx is done: then at once, which interrupts a query (the
// connection is then dropped). refresh moves the deadline ahead again,
// while ctx is not done; stop ends the watch.
func (sn *snapshotter) watch(ctx context.Context) (refresh func(), stop func() bool) {
	var mu sync.Mutex
	done := false
	refresh = func() {
		mu.Lock()
		if !done {
			sn.deadline()
		}
		mu.Unlock()
	}
	refresh()
	stop = context.AfterFunc(ctx, func() {
		mu.Lock()
		done = true
		_ = sn.conn.SetReadDeadline(time.Now())
		mu.Unlock()
	})
	return refresh, stop
}

// placeholder binds a key value; decimals are cast so that they compare
// exactly (a string compares with a DECIMAL as a double).
func (sn *snapshotter) placeholder(c *column) string {
	if c.kind == kindDecimal && c.precision > 0 {
		return fmt.Sprintf("CAST(? AS DECIMAL(%d,%d))", c.precision, c.scale)
	}
	return "?"
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// pageRead is a page being read by its own goroutine, so that the records
// of its first rows go to the runtime (and are encoded) while the rest
// arrive. The goroutine owns the connection, the statement and the
// table's keySpans until it ends; Poll takes records under mu.
type pageRead struct {
	t      *snapTable
	cancel context.CancelFunc // interrupts the query (see close)
	wg     sync.WaitGroup
	signal chan struct{} // capacity 1: records were added, or the page ended

	mu   sync.Mutex
	recs []*connect.Record // read, not taken yet
	key  []json.RawMessage // of the last row read
	read int               // rows read
	more bool              // the table goes on after the page
	done bool
	err  error
}

// readPage starts reading the current table's next page.
func (sn *snapshotter) readPage() error {
	t := sn.cur
	stmt := t.first
	var args []any
	switch {
	case !t.keyed:
		args = []any{t.read}
	case t.lastKey != nil:
		stmt = t.next
		for k := range t.ts.pk {
			for j := 0; j <= k; j++ {
				a, err := keyArg(t.lastKey[j])
				if err != nil {
					return connect.Fatal(fmt.Errorf("mysqlsource: snapshot key of %s: %w", t.ref, err))
				}
				args = append(args, a)
			}
		}
	}
	// The table's first row (read from its start) is marked as Debezium
	// marks it: "first" in the snapshot's first table, else
	// "first_in_data_collection".
	var first any
	if t.read == 0 && (!t.keyed || t.lastKey == nil) {
		first = snapFirstInColl
		if sn.idx == 0 {
			first = snapFirst
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr := &pageRead{t: t, cancel: cancel, signal: make(chan struct{}, 1),
		recs: make([]*connect.Record, 0, min(sn.s.fetchSize, 4096)), key: make([]json.RawMessage, len(t.ts.pk))}
	sn.reading = pr
	pr.wg.Go(func() { sn.runPage(ctx, pr, stmt, args, first) })
	return nil
}

// runPage reads a page into pr: rows are converted as they arrive (go-mysql
// reuses the row and its buffer). It never waits for Poll, so the server
// is never kept waiting mid-result. first, when not nil, is the
// source.snapshot of the page's first row.
func (sn *snapshotter) runPage(ctx context.Context, pr *pageRead, stmt *client.Stmt, args []any, first any) {
	t := pr.t
	now := time.Now()
	ts := t.ts
	var times eventTimes
	base := sn.s.newSource(sn.info, ts, times.box(now), snapTrue)
	base[srcServerID] = int64(0)
	base[srcFile] = sn.from.File
	base[srcPos] = int64(sn.from.Pos)
	base[srcRow] = int64(0)
	blk := newRecordBlock(min(sn.s.fetchSize, 1024), 2, ts.width+len(ts.keyAt), len(sn.fromPrefix)+64)
	// The rows of a page share one source block: only their position
	// differs (markLast gives the snapshot's last record its own).
	src := blk.source(&base, 0)
	var (
		read   int
		more   bool
		key    = make([]json.RawMessage, len(ts.pk))
		rowErr error
		result mysql.Result
	)
	notify := func() {
		select {
		case pr.signal <- struct{}{}:
		default:
		}
	}
	refresh, stop := sn.watch(ctx)
	err := stmt.ExecuteSelectStreaming(&result, func(row []mysql.FieldValue) error {
		if read == sn.s.fetchSize {
			more = true // the extra row: the table goes on
			return nil
		}
		read++
		after := blk.row(ts.rowSchema())
		for j := range ts.cols {
			v, err := ts.cols[j].fromSnapshot(&row[j])
			if err != nil {
				rowErr = connect.Fatal(fmt.Errorf("mysqlsource: snapshot of %s: %w", t.ref, err))
				return rowErr
			}
			after.Values[j] = v
		}
		if err := ts.mapRow(after); err != nil {
			rowErr = connect.Fatal(fmt.Errorf("mysqlsource: snapshot of %s: %w", t.ref, err))
			return rowErr
		}
		src := src
		if read == 1 && first != nil {
			b := base
			b[srcSnapshot] = first
			src = blk.source(&b, 0)
		}
		rec := blk.change(ts.topic, blk.key(ts, after), connect.OpRead, nil, after, src, now, sn.position(blk, t, row, key))
		pr.mu.Lock()
		pr.recs = append(pr.recs, rec)
		pr.mu.Unlock()
		if read%256 == 0 {
			blk.now = time.Now() // the processing time of the rows to come
			notify()
			if read%1024 == 0 {
				refresh()
			}
		}
		return nil
	}, nil, args...)
	stop()
	switch {
	case rowErr != nil:
		err = rowErr
	case err != nil:
		err = sn.s.fail("snapshot: read "+t.ref.String(), err)
	}
	pr.mu.Lock()
	pr.read, pr.more, pr.err, pr.done = read, more, err, true
	if read > 0 {
		pr.key = key
	}
	pr.mu.Unlock()
	notify()
}

// page returns records of the current table's page, starting to read it
// if needed: while it is being read, records of poll.max.records at a
// time (final false; none when ctx is done first), and once it is read
// the rest (final true) with more false when the table ends there. The
// page's last record is always among the final ones, so that markLast can
// still mark it. The table's paging state moves with the records taken.
func (sn *snapshotter) page(ctx context.Context) (recs []*connect.Record, final, more bool, err error) {
	if sn.reading == nil {
		if err := sn.readPage(); err != nil {
			return nil, false, false, err
		}
	}
	pr, t := sn.reading, sn.cur
	for {
		pr.mu.Lock()
		switch {
		case pr.done:
			recs, more, err = pr.recs, pr.more, pr.err
			key, read := pr.key, pr.read
			pr.recs = nil
			pr.mu.Unlock()
			pr.wg.Wait()
			sn.reading = nil
			if err != nil {
				return nil, false, false, err
			}
			if t.keyed && read > 0 {
				t.lastKey = key
			}
			t.returned = nil
			sn.took(t, recs)
			return recs, true, more, nil
		case len(pr.recs) > sn.s.maxBatch:
			n := sn.s.maxBatch
			recs = pr.recs[:n:n]
			pr.recs = pr.recs[n:]
			pr.mu.Unlock()
			t.returned = recs[n-1]
			sn.took(t, recs)
			return recs, false, false, nil
		}
		pr.mu.Unlock()
		select {
		case <-pr.signal:
		case <-ctx.Done():
			return nil, false, false, nil
		}
	}
}

// took counts records handed out.
func (sn *snapshotter) took(t *snapTable, recs []*connect.Record) {
	t.read += int64(len(recs))
	sn.rows[t.ref] += int64(len(recs))
	sn.total += int64(len(recs))
}

// stopPage interrupts a page being read and waits for its goroutine.
func (sn *snapshotter) stopPage() {
	if pr := sn.reading; pr != nil {
		pr.cancel()
		pr.wg.Wait()
		sn.reading = nil
	}
}

// position appends to blk the offset of a snapshot row: the stream start,
// the table and, for tables paged by key, the row's primary key, whose
// values' JSON it leaves in key (slices of the offset).
func (sn *snapshotter) position(blk *recordBlock, t *snapTable, row []mysql.FieldValue, key []json.RawMessage) connect.Position {
	b := blk.offsetSpace(len(sn.fromPrefix) + 64 + len(t.dbJSON) + len(t.tblJSON) + len(t.colsJSON))
	start := len(b)
	b = append(b, sn.fromPrefix...)
	b = append(b, `,"snapshot":{"db":`...)
	b = append(b, t.dbJSON...)
	b = append(b, `,"table":`...)
	b = append(b, t.tblJSON...)
	if t.keyed {
		b = append(b, `,"key":[`...)
		for k, i := range t.ts.pk {
			if k > 0 {
				b = append(b, ',')
			}
			// Where the value sits in the offset: b may move meanwhile.
			t.keySpans[k][0] = len(b) - start
			b = appendKeyJSON(b, &row[i])
			t.keySpans[k][1] = len(b) - start
		}
		b = append(b, `],"cols":`...)
		b = append(b, t.colsJSON...)
	}
	b = append(b, "}}"...)
	blk.offs = b
	off := b[start:len(b):len(b)]
	if t.keyed {
		for k, sp := range t.keySpans {
			key[k] = off[sp[0]:sp[1]:sp[1]]
		}
	}
	return connect.Position{Partition: sn.partition, Offset: off}
}

// publish reports progress in the task status, and in the log every
// progressEvery.
func (sn *snapshotter) publish() {
	tables := make(map[string]any, len(sn.tables))
	done := 0
	for i, ref := range sn.tables {
		state := "pending"
		switch {
		case i < sn.idx:
			state, done = "done", done+1
		case i == sn.idx && sn.cur != nil:
			state = "running"
		}
		tables[ref.String()] = map[string]any{
			"state":          state,
			"rows_done":      sn.rows[ref],
			"rows_estimated": sn.estimates[ref],
		}
	}
	p := map[string]any{
		"phase":        "snapshot",
		"tables_total": len(sn.tables),
		"tables_done":  done,
		"rows_done":    sn.total,
		"tables":       tables,
		"binlog":       sn.from.String(),
	}
	if sn.cur != nil {
		p["table"] = sn.cur.ref.String()
	}
	sn.tc.SetProgress(p)
	if time.Since(sn.loggedAt) >= progressEvery && sn.cur != nil {
		sn.loggedAt = time.Now()
		sn.log.Info("snapshot progress", "table", sn.cur.ref.String(), "rows_done", sn.rows[sn.cur.ref],
			"rows_estimated", sn.estimates[sn.cur.ref], "tables_done", done, "tables_total", len(sn.tables))
	}
}
