package mysqlsink

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// queueKey is one transport queue of a topic.
type queueKey struct {
	topic string
	queue int
}

func compareQueues(a, b queueKey) int {
	return cmp.Or(cmp.Compare(a.topic, b.topic), cmp.Compare(a.queue, b.queue))
}

// offsets keeps the consumed positions of exactly_once in a table of the
// target database, one row per connector, topic and queue: the offset of
// the last record applied (or dead-lettered), and the marks of
// source.dedupe (see sourcepos.go). The rows of a batch's queues
// are read with SELECT ... FOR UPDATE in the transaction that writes the
// batch and updated in it, so that whoever holds a queue's row decides
// what of it is new: a redelivery after a crash, or a second task holding
// the queue for a moment during a rebalance, finds the stored offset and
// skips what is at or before it.
type offsets struct {
	db        *sql.DB
	name      tableName
	table     string // quoted db.table
	connector string
	known     map[queueKey]bool // rows known to exist
	dedupe    bool              // source.dedupe: read the marks
}

// create makes the offsets table when missing, and adds the
// source_positions column to a table of an earlier version.
func (o *offsets) create(ctx context.Context) error {
	_, err := o.db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+o.table+` (
  connector VARCHAR(255) NOT NULL,
  topic VARCHAR(255) NOT NULL,
  queue INT NOT NULL,
  `+"`offset`"+` BIGINT NOT NULL,
  source_positions MEDIUMTEXT NULL,
  updated TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (connector, topic, queue)
) ENGINE=InnoDB`)
	if err != nil {
		return err
	}
	var n int
	err = o.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = 'source_positions'",
		o.name.db, o.name.table).Scan(&n)
	if err != nil || n > 0 {
		return err
	}
	_, err = o.db.ExecContext(ctx, "ALTER TABLE "+o.table+" ADD COLUMN source_positions MEDIUMTEXT NULL AFTER `offset`")
	if code(err) == errDupFieldName { // another task added it
		err = nil
	}
	return err
}

// ensure inserts the rows of qs that may not exist yet, outside any
// transaction (committed at once), so that the locking read in the
// batch's transaction finds a row to lock instead of a gap.
func (o *offsets) ensure(ctx context.Context, qs []queueKey) error {
	var b strings.Builder
	var args []any
	for _, q := range qs {
		if o.known[q] {
			continue
		}
		if len(args) == 0 {
			b.WriteString("INSERT IGNORE INTO " + o.table + " (connector, topic, queue, `offset`) VALUES ")
		} else {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,-1)")
		args = append(args, o.connector, q.topic, q.queue)
	}
	if len(args) == 0 {
		return nil
	}
	if _, err := o.db.ExecContext(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("create the offset rows: %w", err)
	}
	for _, q := range qs {
		o.known[q] = true
	}
	return nil
}

// lockQuery returns the SELECT ... FOR UPDATE of the stored offsets of qs
// (sorted): until the transaction that runs it ends, no other transaction
// can write records of these queues.
func (o *offsets) lockQuery(qs []queueKey) (string, []any) {
	var w writer
	w.start()
	o.writeLockQuery(&w, qs)
	return w.end()
}

// writeLockQuery appends lockQuery's text to w's.
func (o *offsets) writeLockQuery(w *writer, qs []queueKey) {
	b := &w.buf
	b.WriteString("SELECT topic, queue, `offset`, source_positions FROM " + o.table + " WHERE connector = ")
	w.arg(o.connector)
	b.WriteString(" AND (")
	for i := 0; i < len(qs); {
		j := i
		for j < len(qs) && qs[j].topic == qs[i].topic {
			j++
		}
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("(topic = ")
		w.arg(qs[i].topic)
		b.WriteString(" AND queue IN (")
		for k := i; k < j; k++ {
			if k > i {
				b.WriteByte(',')
			}
			w.arg(int64(qs[k].queue))
		}
		b.WriteString("))")
		i = j
	}
	b.WriteString(") ORDER BY topic, queue FOR UPDATE")
}

// queueState is what the offsets table holds of a queue.
type queueState struct {
	offset int64       // of the last record applied (or dead-lettered)
	marks  *queueMarks // source.dedupe's, nil for none (or not decoded)
	raw    string      // the marks' column text, as read or written
}

// lock runs the lockQuery q on conn, after START TRANSACTION in the same
// round trip when begin is set, and reads the queues' states into stored.
func (o *offsets) lock(ctx context.Context, conn *sql.Conn, qs []queueKey, begin bool, stored map[queueKey]queueState) error {
	q, args := o.lockQuery(qs)
	if begin {
		q = "START TRANSACTION; " + q
	}
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("lock the stored offsets: %w", err)
	}
	defer rows.Close()
	found, err := o.scan(rows, stored, true)
	if err != nil {
		return err
	}
	if found != len(qs) {
		// Deleted under us (a reset): create them again, then retry.
		clear(o.known)
		return fmt.Errorf("%d of %d offset rows are missing", len(qs)-found, len(qs))
	}
	return nil
}

// scan reads the result of a lockQuery (after START TRANSACTION's, when
// it began one) into stored, the marks decoded when marks is set (and
// source.dedupe on), and returns how many rows it read.
func (o *offsets) scan(rows *sql.Rows, stored map[queueKey]queueState, marks bool) (int, error) {
	if cols, _ := rows.Columns(); len(cols) == 0 && !rows.NextResultSet() {
		// START TRANSACTION's empty result first, with some servers.
		return 0, fmt.Errorf("lock the stored offsets: no result (%v)", rows.Err())
	}
	found := 0
	for rows.Next() {
		var q queueKey
		var off int64
		var src sql.NullString
		if err := rows.Scan(&q.topic, &q.queue, &off, &src); err != nil {
			return found, fmt.Errorf("read the stored offsets: %w", err)
		}
		st := queueState{offset: off, raw: src.String}
		found++
		if o.dedupe && marks {
			var err error
			if st.marks, err = decodeMarks(src); err != nil {
				return found, fmt.Errorf("read the stored offsets of %s queue %d: %w", q.topic, q.queue, err)
			}
		}
		stored[q] = st
	}
	if err := rows.Err(); err != nil {
		return found, fmt.Errorf("read the stored offsets: %w", err)
	}
	return found, nil
}

// storeQuery returns the statement that writes the states of qs, and
// records the marks' column text it writes in stored.
func (o *offsets) storeQuery(qs []queueKey, stored map[queueKey]queueState) (string, []any) {
	slices.SortFunc(qs, compareQueues)
	var b strings.Builder
	args := make([]any, 0, 5*len(qs))
	b.WriteString("INSERT INTO " + o.table + " (connector, topic, queue, `offset`, source_positions) VALUES ")
	for i, q := range qs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?)")
		st := stored[q]
		text := st.marks.encode()
		args = append(args, o.connector, q.topic, q.queue, st.offset, text)
		st.raw, _ = text.(string)
		stored[q] = st
	}
	b.WriteString(" ON DUPLICATE KEY UPDATE `offset` = VALUES(`offset`), source_positions = VALUES(source_positions)")
	return b.String(), args
}

// read returns the stored offsets of qs that have a row, without locking
// them.
func (o *offsets) read(ctx context.Context, qs []queueKey) (map[queueKey]int64, error) {
	slices.SortFunc(qs, compareQueues)
	q, args := o.lockQuery(qs)
	q = strings.TrimSuffix(q, " FOR UPDATE")
	rows, err := o.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read the stored offsets: %w", err)
	}
	defer rows.Close()
	states := make(map[queueKey]queueState, len(qs))
	if _, err := o.scan(rows, states, false); err != nil {
		return nil, err
	}
	stored := make(map[queueKey]int64, len(states))
	for q, st := range states {
		stored[q] = st.offset
	}
	return stored, nil
}
