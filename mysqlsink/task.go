package mysqlsink

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"

	connect "github.com/openmessaging/connect-go"
)

// task writes the records of its share of the topics' queues. Put writes
// them in a transaction that it leaves open, so that the records it reports
// failed can go to the dead-letter topic first; Flush commits it. Under
// exactly_once the transaction also holds the locked offset rows of the
// batch's queues and their new values.
type task struct {
	spec connect.ConfigSpec
	s    *settings
	log  *slog.Logger
	tc   connect.SinkTaskContext
	db   *sql.DB
	w    writer

	tables      map[tableName]*table
	offs        *offsets
	lay         layouts
	topicTables map[string]tableName // tableOf's by topic
	cols        colCache

	// conn is the task's session: READ COMMITTED, its transaction begun
	// by Put (inTx) and committed by Flush, with plain statements rather
	// than a *sql.Tx, so that beginning, locking the offsets, and storing
	// them with the commit take one round trip each.
	conn     *sql.Conn
	inTx     bool
	txCtx    context.Context
	txCancel context.CancelFunc
	// stored holds, for the queues locked in tx, their state: the offset
	// of the last record applied and source.dedupe's marks (sourcepos.go),
	// including those of tx itself.
	stored map[queueKey]queueState
	dirty  []queueKey // queues of stored to write before commit
	// last holds the states of the queues the task's last commit held:
	// unless another task (or someone resetting them) wrote them since,
	// what the next transaction finds. A batch of those queues alone
	// assumes them, and the transaction's begin and locking read go in
	// the round trip of its first statement (ahead), which checks their
	// offsets and the marks' text (see execAhead).
	last map[queueKey]queueState
	// ahead: the transaction is begun by the next statement, with the
	// locking read of aheadQs (none without exactly_once).
	ahead   bool
	aheadQs []queueKey

	written, skipped, failed int64
	replayed                 int64 // skipped by source.dedupe

	// pb holds putOnce's per-record slices, reused by every batch.
	pb putBufs
}

// putBufs are the slices putOnce needs per record. They, and the slabs the
// rows' values are cut from, are reused from batch to batch: nothing holds
// them once putOnce returns (the statements are run, the failures
// formatted).
type putBufs struct {
	ops   []op
	errs  []error
	tbs   []*table
	fresh []bool
	preps []prepared
	batch []*prepared
}

// get returns the slices for n records: ops, errs, tbs and fresh of
// length n and zero, preps and batch empty with capacity n.
func (b *putBufs) get(n int) (ops []op, errs []error, tbs []*table, fresh []bool, preps []prepared, batch []*prepared) {
	if cap(b.ops) < n {
		*b = putBufs{ops: make([]op, n), errs: make([]error, n), tbs: make([]*table, n), fresh: make([]bool, n),
			preps: make([]prepared, 0, n), batch: make([]*prepared, 0, n)}
	}
	return b.ops[:n], b.errs[:n], b.tbs[:n], b.fresh[:n], b.preps[:0], b.batch[:0]
}

// release clears what the batch of n records left in the buffers and the
// slabs, for the next.
func (t *task) release(n int) {
	b := &t.pb
	clear(b.ops[:n])
	clear(b.errs[:n])
	clear(b.tbs[:n])
	clear(b.fresh[:n])
	clear(b.preps[:n])
	clear(b.batch[:n])
	t.lay.slab.reset()
	t.cols.slab.reset()
	t.w.reset()
}

// Start parses the config, connects, and creates the offsets table under
// exactly_once.
func (t *task) Start(ctx context.Context, tc connect.SinkTaskContext, cfg connect.Config) error {
	s, err := parseSettings(t.spec, cfg)
	if err != nil {
		return err
	}
	t.s, t.tc, t.log = s, tc, tc.Logger()
	t.w = writer{mode: s.insertMode, batchSize: s.batchSize}
	t.tables = map[tableName]*table{}
	t.txCtx, t.txCancel = context.WithCancel(context.WithoutCancel(ctx))
	if t.db, err = open(ctx, s, t.log); err != nil {
		t.txCancel()
		return err
	}
	if s.exactlyOnce {
		name := tableName{s.offsetsDB, s.offsetsTable}
		t.offs = &offsets{db: t.db, name: name, table: name.quoted(), connector: tc.Connector(), known: map[queueKey]bool{}, dedupe: s.dedupe}
		if err := t.offs.create(ctx); err != nil {
			t.db.Close()
			t.txCancel()
			return classify(fmt.Errorf("mysqlsink: create the offsets table %s.%s on %s: %w", s.offsetsDB, s.offsetsTable, s.addr, err))
		}
	}
	return nil
}

// Put writes records in the open transaction (beginning one when none is
// open). Records that cannot be written (a value that does not fit its
// column, a missing table without auto.create) are reported in a
// *connect.BatchError and the others are written; under exactly_once their
// offsets count as consumed, as the runtime dead-letters them or fails the
// task. A failure of the target (a lost connection, a lock wait timeout)
// rolls everything back since the last Flush and is retriable.
func (t *task) Put(ctx context.Context, records []*connect.Record) error {
	if len(records) == 0 {
		return nil
	}
	err := t.put(ctx, records)
	var be *connect.BatchError
	if err != nil && !errors.As(err, &be) {
		t.rollback()
		return err
	}
	return err
}

// errStale reports that the offsets a batch assumed (task.last) were not
// those its transaction found: another task wrote the queues since.
var errStale = errors.New("mysqlsink: the stored offsets changed since this task's last commit")

func (t *task) put(ctx context.Context, records []*connect.Record) error {
	err := t.putOnce(ctx, records)
	if errors.Is(err, errStale) {
		// Nothing of it stays: read the offsets first this time.
		t.rollback()
		err = t.putOnce(ctx, records)
	}
	return err
}

func (t *task) putOnce(ctx context.Context, records []*connect.Record) error {
	ops, errs, tbs, fresh, preps, batch := t.pb.get(len(records))
	defer t.release(len(records))
	for i, r := range records {
		ops[i], errs[i] = t.decode(i, r)
		if errs[i] == nil && t.offs != nil && r.Origin.IsZero() {
			errs[i] = errors.New("delivery=exactly_once needs the record's transport origin (records from the runtime have one)")
		}
	}
	// Tables first: creating or altering one commits implicitly, so it
	// happens before the transaction begins (after committing one that
	// an earlier Put left open).
	for i := range ops {
		if errs[i] != nil || ops[i].kind == opSkip {
			continue
		}
		if t.inTx && t.mayChangeTable(&ops[i]) {
			if err := t.commit(); err != nil {
				return err
			}
		}
		tb, err := t.tableFor(ctx, &ops[i])
		var re *recordError
		switch {
		case errors.As(err, &re):
			errs[i] = err
			continue
		case err != nil:
			return classify(fmt.Errorf("mysqlsink: %w", err))
		}
		tbs[i] = tb
	}
	// fresh: not at or before a stored offset (nor a source's mark)
	skipped, replayed := 0, 0
	if t.offs != nil {
		if err := t.lockQueues(ctx, records); err != nil {
			return err
		}
		for i, r := range records {
			q := queueKey{r.Origin.Topic, r.Origin.Queue}
			if r.Origin.IsZero() {
				fresh[i] = true // failed above
				continue
			}
			st := t.stored[q]
			if r.Origin.Offset <= st.offset {
				skipped++
				continue
			}
			if !slices.Contains(t.dirty, q) {
				t.dirty = append(t.dirty, q)
			}
			st.offset = r.Origin.Offset
			t.stored[q] = st
			if t.s.dedupe && errs[i] == nil && t.isCopy(q, r, &ops[i]) {
				replayed++
				continue
			}
			fresh[i] = true
		}
	} else {
		for i := range fresh {
			fresh[i] = true
		}
	}
	var failed []connect.RecordError
	// preps holds batch's, in one allocation: never grown
	for i := range ops {
		if !fresh[i] {
			continue
		}
		if errs[i] == nil && ops[i].kind != opSkip {
			p, err := t.cols.prepare(&ops[i], tbs[i])
			if err == nil {
				preps = append(preps, p)
				batch = append(batch, &preps[len(preps)-1])
				continue
			}
			errs[i] = err
		}
		if errs[i] != nil {
			failed = append(failed, connect.RecordError{Index: i, Err: fmt.Errorf("mysqlsink: %w", errs[i])})
		}
	}
	if !t.inTx && !t.ahead {
		// Without exactly_once (or when every record was skipped) no
		// locking read began it: the first statement does.
		if err := t.session(ctx); err != nil {
			return err
		}
		t.stored, t.dirty = map[queueKey]queueState{}, t.dirty[:0]
		t.ahead, t.aheadQs = true, nil
	}
	if t.ahead && (len(batch) == 0 || slices.ContainsFunc(batch, func(p *prepared) bool { return p.moveFrom != nil })) {
		// No statement to carry it, or a savepoint to set first.
		if err := t.execAhead(ctx, nil); err != nil {
			return err
		}
	}
	bad, err := t.write(ctx, batch)
	if err != nil {
		return err
	}
	t.skipped += int64(skipped)
	t.replayed += int64(replayed)
	for _, p := range bad {
		failed = append(failed, connect.RecordError{Index: p.p.index, Err: fmt.Errorf("mysqlsink: write to %s: %w", p.p.tb.name, p.err)})
	}
	t.written += int64(len(batch) - len(bad))
	if len(failed) > 0 {
		t.failed += int64(len(failed))
		slices.SortFunc(failed, func(a, b connect.RecordError) int { return a.Index - b.Index })
		return &connect.BatchError{Failed: failed}
	}
	return nil
}

// isCopy reports whether r, read from queue q after the queue's stored
// offset, is a copy a restarted source published again (source.dedupe;
// see sourcepos.go), and keeps q's marks.
func (t *task) isCopy(q queueKey, r *connect.Record, o *op) bool {
	st := t.stored[q]
	qm := st.marks
	tombstone := int64(0)
	if qm != nil {
		tombstone, qm.Tombstone = qm.Tombstone, 0
	}
	if o.change == "" && r.Value == nil && r.Origin.Offset == tombstone {
		return true // the tombstone of a delete skipped as a copy
	}
	if !r.Origin.Keyed {
		return false
	}
	ev, ok := sourceEventOf(o.change, o.source, r.Headers)
	if !ok {
		return false
	}
	dup, qm := qm.apply(ev)
	st.marks = qm // new when the queue had none
	t.stored[q] = st
	if dup && ev.delete {
		qm.Tombstone = r.Origin.Offset + 1
	}
	return dup
}

// mayChangeTable reports whether looking up o's table may run DDL: the
// table is not known yet, or o brings a schema version not yet compared.
func (t *task) mayChangeTable(o *op) bool {
	tb := t.tables[o.table]
	if tb == nil {
		return t.s.autoCreate
	}
	return t.s.autoEvolve && o.kind == opWrite && o.row.of != nil && !tb.checked[o.row.of]
}

// lockQueues locks the offset rows of the records' queues not yet locked
// in the transaction.
func (t *task) lockQueues(ctx context.Context, records []*connect.Record) error {
	var qs []queueKey
	for _, r := range records {
		if r.Origin.IsZero() {
			continue
		}
		q := queueKey{r.Origin.Topic, r.Origin.Queue}
		if _, ok := t.stored[q]; !ok && !slices.Contains(qs, q) {
			qs = append(qs, q)
		}
	}
	if len(qs) == 0 {
		return nil
	}
	slices.SortFunc(qs, compareQueues)
	if !t.inTx && !slices.ContainsFunc(qs, func(q queueKey) bool { _, ok := t.last[q]; return !ok }) {
		// As the last commit left them, unless another task wrote them
		// since: the first statement locks and checks them.
		if err := t.session(ctx); err != nil {
			return err
		}
		t.stored, t.dirty = make(map[queueKey]queueState, len(qs)), t.dirty[:0]
		for _, q := range qs {
			t.stored[q] = t.last[q]
		}
		t.ahead, t.aheadQs = true, qs
		return nil
	}
	if err := t.offs.ensure(ctx, qs); err != nil {
		return classify(fmt.Errorf("mysqlsink: %w", err))
	}
	if !t.inTx {
		return t.begin(ctx, qs)
	}
	if err := t.offs.lock(ctx, t.conn, qs, false, t.stored); err != nil {
		return t.lockErr(err)
	}
	return nil
}

// failure is a record the target refused.
type failure struct {
	p   *prepared
	err error
}

// write runs the statements of batch in the transaction: merged into
// multi-row statements first; when one fails for a row's values, again
// one record at a time to find the records at fault, which are returned.
// Any other failure is returned as the error.
func (t *task) write(ctx context.Context, batch []*prepared) ([]failure, error) {
	if len(batch) == 0 {
		return nil, nil
	}
	// A failed statement is rolled back by the server, the statements
	// before it stay: the records of the failed one and those after it
	// are written again one at a time. A row move is two statements,
	// though, whose first must go with its failed second: batches with
	// moves roll back to a savepoint and go one at a time from the start.
	moves := slices.ContainsFunc(batch, func(p *prepared) bool { return p.moveFrom != nil })
	if moves {
		if _, err := t.conn.ExecContext(ctx, "SAVEPOINT batch"); err != nil {
			return nil, t.targetErr(err)
		}
	}
	stmts := t.w.plan(batch, true)
	var first error
	from := 0 // the first op not written
	for _, s := range stmts {
		var err error
		if t.ahead {
			err = t.execAhead(ctx, s)
			if errors.Is(err, errStale) {
				return nil, err
			}
		} else {
			err = t.w.exec(ctx, t.conn, s)
		}
		if err != nil {
			first = err
			break
		}
		from += len(s.ops)
		if len(s.ops) > 0 && from < len(batch) && batch[from-1] != s.ops[len(s.ops)-1] {
			from-- // an op split over two statements
		}
	}
	if first == nil {
		return nil, nil
	}
	if !isDataErr(first) {
		return nil, t.targetErr(first)
	}
	if moves {
		if _, err := t.conn.ExecContext(ctx, "ROLLBACK TO SAVEPOINT batch"); err != nil {
			return nil, t.targetErr(err)
		}
		from = 0
	}
	var bad []failure
	for _, p := range batch[from:] {
		if _, err := t.conn.ExecContext(ctx, "SAVEPOINT one"); err != nil {
			return nil, t.targetErr(err)
		}
		var failedErr error
		for _, s := range t.w.plan([]*prepared{p}, false) {
			if err := t.w.exec(ctx, t.conn, s); err != nil {
				if !isDataErr(err) {
					return nil, t.targetErr(err)
				}
				failedErr = err
				break
			}
		}
		if failedErr != nil {
			bad = append(bad, failure{p, failedErr})
			if _, err := t.conn.ExecContext(ctx, "ROLLBACK TO SAVEPOINT one"); err != nil {
				return nil, t.targetErr(err)
			}
		}
	}
	return bad, nil
}

// targetErr reports a failure of the target that is not a record's: a
// table changed under the task is read again, and the batch retried.
func (t *task) targetErr(err error) error {
	switch code(err) {
	case errBadField, errNoSuchTable:
		clear(t.tables)
		return connect.Retriable(fmt.Errorf("mysqlsink: a target table changed; reading it again: %w", err))
	}
	return classify(fmt.Errorf("mysqlsink: write to %s: %w", t.s.addr, err))
}

// Flush commits the open transaction: the rows of every record put since
// the last Flush and, under exactly_once, their offsets.
func (t *task) Flush(context.Context) error {
	if !t.inTx {
		return nil
	}
	err := t.commit()
	if err != nil {
		t.rollback()
	}
	return err
}

// begin starts the session's transaction, getting a session first if
// needed, and locks the offsets of qs (when any) in the same round trip.
func (t *task) begin(ctx context.Context, qs []queueKey) error {
	if err := t.session(ctx); err != nil {
		return err
	}
	t.stored, t.dirty = map[queueKey]queueState{}, t.dirty[:0]
	if len(qs) == 0 {
		if _, err := t.conn.ExecContext(ctx, "START TRANSACTION"); err != nil {
			t.dropConn()
			return classify(fmt.Errorf("mysqlsink: begin a transaction on %s: %w", t.s.addr, err))
		}
		t.inTx = true
		return nil
	}
	t.inTx = true // when it fails, the rollback makes sure
	if err := t.offs.lock(ctx, t.conn, qs, true, t.stored); err != nil {
		return t.lockErr(err)
	}
	return nil
}

// session gets the task's session when it has none.
func (t *task) session(ctx context.Context) error {
	if t.conn != nil {
		return nil
	}
	c, err := t.db.Conn(ctx)
	if err != nil {
		return classify(fmt.Errorf("mysqlsink: connect to %s: %w", t.s.addr, scrubErr(err, t.s.password)))
	}
	if _, err := c.ExecContext(ctx, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"); err != nil {
		c.Close()
		return classify(fmt.Errorf("mysqlsink: set up a session on %s: %w", t.s.addr, err))
	}
	t.conn = c
	return nil
}

// execAhead begins the transaction, with the locking read of aheadQs
// when there are any, and runs s (when not nil) in the same round trip.
// The offsets read must be those put assumed (last): else it returns
// errStale, and the caller rolls back. s's own failure is returned as is,
// for write to tell a record's failure from the target's.
func (t *task) execAhead(ctx context.Context, s *stmt) error {
	qs := t.aheadQs
	t.ahead, t.aheadQs = false, nil
	t.inTx = true // when it fails, the rollback makes sure
	if s != nil && s.noop() {
		s = nil
	}
	// One text: the begin, the locking read (when any) and s.
	w := &t.w
	w.start()
	defer clear(w.args)
	w.buf.WriteString("START TRANSACTION")
	if len(qs) > 0 {
		w.buf.WriteString("; ")
		t.offs.writeLockQuery(w, qs)
	}
	if s != nil {
		w.buf.WriteString("; ")
		w.write(s)
	}
	q, args := w.end()
	if len(qs) == 0 {
		if _, err := t.conn.ExecContext(ctx, q, args...); err != nil {
			if s != nil {
				return err // write tells a record's failure from the target's
			}
			return classify(fmt.Errorf("mysqlsink: begin a transaction on %s: %w", t.s.addr, err))
		}
		return nil
	}
	lq, largs := q, args
	rows, err := t.conn.QueryContext(ctx, lq, largs...)
	if err != nil {
		return t.lockErr(fmt.Errorf("lock the stored offsets: %w", err))
	}
	defer rows.Close()
	found := make(map[queueKey]queueState, len(qs))
	if _, err := t.offs.scan(rows, found, false); err != nil { // the marks assumed are checked by their text
		return t.lockErr(err)
	}
	if len(found) != len(qs) {
		return errStale // rows deleted (a reset): the locking read tells
	}
	for k, st := range found {
		if want, ok := t.last[k]; !ok || want.offset != st.offset || want.raw != st.raw {
			return errStale
		}
	}
	if s == nil {
		return nil
	}
	// The statement's result follows the offsets'.
	rows.NextResultSet()
	return rows.Err()
}

// lockErr reports a failure to read the stored offsets: retriable (rows
// deleted under the task, a lost connection), or not (a stored value the
// task cannot read).
func (t *task) lockErr(err error) error {
	if errors.Is(err, connect.ErrFatal) {
		return fmt.Errorf("mysqlsink: %w", err)
	}
	if code(err) == 0 && !isConnErr(err) {
		return connect.Retriable(fmt.Errorf("mysqlsink: %w", err))
	}
	return classify(fmt.Errorf("mysqlsink: %w", err))
}

// commit stores the offsets of the transaction and commits it, in one
// round trip.
func (t *task) commit() error {
	q, args := "COMMIT", []any(nil)
	if t.offs != nil && len(t.dirty) > 0 {
		q, args = t.offs.storeQuery(t.dirty, t.stored)
		q += "; COMMIT"
	}
	_, err := t.conn.ExecContext(t.txCtx, q, args...)
	stored := t.stored
	t.inTx, t.stored = false, nil
	t.dirty = t.dirty[:0]
	if err != nil {
		// Whether it committed is unknown: the records come again, and
		// under exactly_once the stored offsets tell.
		clear(t.last)
		return classify(fmt.Errorf("mysqlsink: commit on %s: %w", t.s.addr, err))
	}
	if t.offs != nil {
		if t.last == nil {
			t.last = make(map[queueKey]queueState, len(stored))
		}
		maps.Copy(t.last, stored)
	}
	progress := map[string]any{"written": t.written, "skipped": t.skipped, "failed": t.failed}
	if t.s.dedupe {
		progress["replayed"] = t.replayed
	}
	t.tc.SetProgress(progress)
	return nil
}

// rollback ends the open transaction without writing anything. When that
// fails the session is dropped: the server rolls back a transaction whose
// connection closed.
func (t *task) rollback() {
	if t.conn == nil {
		return
	}
	if t.inTx {
		ctx, cancel := context.WithTimeout(t.txCtx, t.s.lockTimeout)
		_, err := t.conn.ExecContext(ctx, "ROLLBACK")
		cancel()
		if err != nil {
			t.log.Debug("rollback failed; closing the connection, the server rolls back", "error", err)
			t.dropConn()
		}
	}
	t.inTx, t.stored = false, nil
	t.dirty = t.dirty[:0]
	t.ahead, t.aheadQs = false, nil
	clear(t.last)
}

// dropConn closes the session's connection for good (not back to the
// pool: its state is unknown).
func (t *task) dropConn() {
	if t.conn == nil {
		return
	}
	t.conn.Raw(func(any) error { return driver.ErrBadConn })
	t.conn.Close()
	t.conn, t.inTx = nil, false
}

// Stop rolls back what was put since the last Flush (those records were
// not acknowledged and come again) and closes the connections.
func (t *task) Stop(context.Context) error {
	if t.db == nil {
		return nil
	}
	t.rollback()
	if t.conn != nil {
		t.conn.Close()
		t.conn = nil
	}
	t.txCancel()
	err := t.db.Close()
	t.db = nil
	return err
}
