package mysqlsink

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// prepared is an op whose table is known and whose values are converted
// to the columns' types.
type prepared struct {
	*op
	tb   *table
	vals []any // o.row's values, converted
	key  []any // o.key's values, converted
	move []any // o.moveFrom's values, converted
}

// colCache remembers the columns of the last field list converted: rows
// of a table share their field list (layouts, a struct schema), so most
// rows skip the look-ups.
type colCache struct {
	tb    *table
	names []string
	cols  []*column
	slab  slab // converted values are cut from it
}

// values returns room for n converted values.
func (cc *colCache) values(n int) []any { return cc.slab.take(n) }

func (cc *colCache) columns(tb *table, names []string) ([]*column, error) {
	if cc.tb == tb && len(names) > 0 && len(cc.names) == len(names) && &cc.names[0] == &names[0] {
		return cc.cols, nil
	}
	cols := make([]*column, len(names))
	for i, n := range names {
		if cols[i] = tb.column(n); cols[i] == nil {
			return nil, recordErr("table %s has no column %s", tb.name, n)
		}
	}
	cc.tb, cc.names, cc.cols = tb, names, cols
	return cols, nil
}

// prepare converts the values of o for table tb. Its errors are the
// record's.
func (cc *colCache) prepare(o *op, tb *table) (prepared, error) {
	p := prepared{op: o, tb: tb}
	conv := func(f *fields) ([]any, error) {
		cols, err := cc.columns(tb, f.names)
		if err != nil {
			return nil, err
		}
		out := cc.values(len(f.values))
		for i, n := range f.names {
			c := cols[i]
			v, err := toColumn(f.values[i], f.schemaOf(i), c)
			if err != nil {
				return nil, recordErr("column %s of %s: %v", n, tb.name, err)
			}
			out[i] = v
		}
		return out, nil
	}
	var err error
	switch o.kind {
	case opWrite:
		if p.vals, err = conv(&o.row); err != nil {
			return p, err
		}
		if len(o.key.names) > 0 {
			p.key = cc.values(len(o.key.names))
			for i, n := range o.key.names {
				p.key[i] = p.vals[o.row.index(n)]
			}
		}
		if o.moveFrom != nil {
			if p.move, err = conv(o.moveFrom); err != nil {
				return p, err
			}
		}
	case opDelete:
		if p.key, err = conv(&o.key); err != nil {
			return p, err
		}
	}
	return p, nil
}

// stmtKind is the shape of a statement; consecutive ops of one shape, table
// and column list share a multi-row statement.
type stmtKind uint8

const (
	stmtInsert stmtKind = iota
	stmtUpsert
	stmtUpdate
	stmtDelete
	stmtTruncate
)

// stmt is one statement over consecutive ops.
type stmt struct {
	kind  stmtKind
	tb    *table
	cols  []string // insert, upsert: the columns; delete: the key columns
	rows  [][]any
	ops   []*prepared
	bytes int
}

// maxStmtBytes bounds the values of one statement, well under the
// server's max_allowed_packet (16 MiB by default on MySQL 8, 4 MiB on
// older servers and MariaDB before 10.2).
const maxStmtBytes = 2 << 20

// writer builds and runs the statements of a batch.
type writer struct {
	mode      string // insert.mode
	batchSize int
	buf       strings.Builder
	args      []any
	scratch   []byte // a literal being formatted
	hint      int    // the room a text is begun with
	// The statements of plan, reused: pool[:used] are the last plan's,
	// out lists them.
	pool []*stmt
	used int
	out  []*stmt
}

// arg writes v into the statement being built: as a literal when it is a
// value the driver's client-side interpolation would write the same way
// with nothing to escape, else as a placeholder, with v appended to the
// arguments for the driver to interpolate. So most statements reach the
// driver without arguments, which spares database/sql's conversion of
// each of them and the driver's pass over the text.
//
// A literal is safe among placeholders: a string is inlined only when
// it holds no quote, backslash or byte the driver escapes, so the
// driver's scan of the text sees it as the quoted string it is, and it
// reads the same whether or not the session has NO_BACKSLASH_ESCAPES.
func (w *writer) arg(v any) {
	b := &w.buf
	lit := w.scratch[:0]
	switch v := v.(type) {
	case nil:
		b.WriteString("NULL")
		return
	case int64:
		lit = strconv.AppendInt(lit, v, 10)
	case uint64:
		lit = strconv.AppendUint(lit, v, 10)
	case string:
		if !plainString(v) {
			break
		}
		b.WriteByte('\'')
		b.WriteString(v)
		b.WriteByte('\'')
		return
	case time.Time:
		lit = appendDateTime(lit, v)
	}
	if len(lit) == 0 {
		b.WriteByte('?')
		w.args = append(w.args, v)
		return
	}
	b.Write(lit)
	w.scratch = lit[:0]
}

// plainString reports whether s needs no escaping in a quoted SQL string
// literal, under either escaping mode: it has none of the bytes
// go-sql-driver/mysql escapes (NUL, LF, CR, SUB, quotes, backslash).
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 0, '\n', '\r', 0x1a, '\'', '"', '\\':
			return false
		}
	}
	return true
}

// appendDateTime appends t as go-sql-driver/mysql's interpolation writes
// a time.Time on the task's connections (Loc UTC, no truncation), quoted:
// the date alone at midnight, else with the time and the fraction's
// significant digits. It appends nothing for a zero time or a year
// outside 1-9999 (the driver's own rules apply to those: a placeholder).
func appendDateTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	t = t.In(time.UTC) // the connection's Loc
	year, month, day := t.Date()
	if year < 1 || year > 9999 {
		return b
	}
	hour, minute, sec := t.Clock()
	nsec := t.Nanosecond()
	b = append(b, '\'')
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	if hour != 0 || minute != 0 || sec != 0 || nsec != 0 {
		b = append(b, ' ')
		b = appendDigits(b, hour, 2)
		b = append(b, ':')
		b = appendDigits(b, minute, 2)
		b = append(b, ':')
		b = appendDigits(b, sec, 2)
		if nsec != 0 {
			b = append(b, '.')
			b = appendDigits(b, nsec, 9)
			for b[len(b)-1] == '0' {
				b = b[:len(b)-1] // the fraction's significant digits
			}
		}
	}
	return append(b, '\'')
}

// appendDigits appends v (not negative) in n decimal digits, zero-padded.
func appendDigits(b []byte, v, n int) []byte {
	b = append(b, "000000000"[:n]...)
	for i := len(b) - 1; i >= len(b)-n; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return b
}

// plan groups ops into statements in their order. With merge false, each
// op gets statements of its own (to find the records that fail).
// The statements are the writer's until the next plan or reset.
func (w *writer) plan(ops []*prepared, merge bool) []*stmt {
	w.reset()
	out := w.out[:0]
	defer func() { w.out = out }()
	add := func(kind stmtKind, p *prepared, cols []string, row []any) {
		if merge && len(out) > 0 {
			last := out[len(out)-1]
			if last.kind == kind && last.tb == p.tb && kind != stmtUpdate && kind != stmtTruncate &&
				len(last.rows) < w.batchSize && last.bytes < maxStmtBytes && sameNames(last.cols, cols) {
				last.rows = append(last.rows, row)
				if last.ops[len(last.ops)-1] != p {
					last.ops = append(last.ops, p)
				}
				last.bytes += size(row)
				return
			}
		}
		out = append(out, w.stmt(kind, p, cols, row))
	}
	for _, p := range ops {
		switch p.kind {
		case opTruncate:
			add(stmtTruncate, p, nil, nil)
		case opDelete:
			add(stmtDelete, p, p.op.key.names, p.key)
		case opWrite:
			if p.moveFrom != nil {
				add(stmtDelete, p, p.moveFrom.names, p.move)
			}
			switch w.mode {
			case InsertModeInsert:
				add(stmtInsert, p, p.row.names, p.vals)
			case InsertModeUpdate:
				add(stmtUpdate, p, p.row.names, p.vals)
			default:
				add(stmtUpsert, p, p.row.names, p.vals)
			}
		}
	}
	return out
}

// stmt returns a statement of the first row of op p, reusing one of an
// earlier plan.
func (w *writer) stmt(kind stmtKind, p *prepared, cols []string, row []any) *stmt {
	if w.used == len(w.pool) {
		w.pool = append(w.pool, &stmt{})
	}
	s := w.pool[w.used]
	w.used++
	*s = stmt{kind: kind, tb: p.tb, cols: cols, rows: append(s.rows[:0], row), ops: append(s.ops[:0], p), bytes: size(row)}
	return s
}

// reset makes the statements of the last plan reusable, dropping what
// they refer to.
func (w *writer) reset() {
	for _, s := range w.pool[:w.used] {
		clear(s.rows)
		clear(s.ops)
		s.tb, s.cols = nil, nil
	}
	clear(w.out)
	w.used = 0
}

// sameNames compares column lists, at once when they share an array
// (the rows of one table share their field list).
func sameNames(a, b []string) bool {
	if len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0]) {
		return true
	}
	return slices.Equal(a, b)
}

// size estimates the bytes a row takes in a statement.
func size(row []any) int {
	n := 0
	for _, v := range row {
		switch v := v.(type) {
		case string:
			n += len(v) + 3
		case []byte:
			n += 2*len(v) + 10
		default:
			n += 12
		}
	}
	return n
}

// execer runs statements: the task's session.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// exec runs s on tx.
func (w *writer) exec(ctx context.Context, tx execer, s *stmt) error {
	q, args := w.build(s)
	if q == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, q, args...)
	clear(w.args)
	return err
}

// build returns the text and arguments of s, "" when s changes nothing.
// The arguments are the writer's until the next build.
func (w *writer) build(s *stmt) (string, []any) {
	if s.noop() {
		return "", nil
	}
	w.start()
	w.write(s)
	return w.end()
}

// start begins a text in buf, with room for one like the last ones.
func (w *writer) start() {
	w.buf.Reset()
	w.buf.Grow(w.hint)
	w.args = w.args[:0]
}

// end returns the text begun by start and its arguments (the writer's
// until the next start), and remembers its length to size the next.
func (w *writer) end() (string, []any) {
	n := w.buf.Len()
	w.hint = max(n+n/8, w.hint-w.hint/4)
	return w.buf.String(), w.args
}

// noop reports whether s changes nothing: an update of the key columns
// alone.
func (s *stmt) noop() bool {
	if s.kind != stmtUpdate {
		return false
	}
	keys := s.ops[0].op.key.names
	for _, c := range s.cols {
		if !slices.Contains(keys, c) {
			return false
		}
	}
	return true
}

// write appends s (not noop) to the text begun by start.
func (w *writer) write(s *stmt) {
	b := &w.buf
	switch s.kind {
	case stmtTruncate:
		b.WriteString("DELETE FROM ")
		b.WriteString(s.tb.name.quoted())
	case stmtInsert, stmtUpsert:
		b.WriteString("INSERT INTO ")
		b.WriteString(s.tb.name.quoted())
		b.WriteString(" (")
		for i, c := range s.cols {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(quoteName(c))
		}
		b.WriteString(") VALUES ")
		for i, r := range s.rows {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('(')
			for j, v := range r {
				if j > 0 {
					b.WriteByte(',')
				}
				w.arg(v)
			}
			b.WriteByte(')')
		}
		if s.kind == stmtUpsert {
			b.WriteString(" ON DUPLICATE KEY UPDATE ")
			keys := s.ops[0].op.key.names
			n := 0
			for _, c := range s.cols {
				if slices.Contains(keys, c) {
					continue
				}
				if n > 0 {
					b.WriteByte(',')
				}
				n++
				fmt.Fprintf(b, "%s=VALUES(%s)", quoteName(c), quoteName(c))
			}
			if n == 0 { // every column is in the key: nothing to update
				fmt.Fprintf(b, "%s=%s", quoteName(s.cols[0]), quoteName(s.cols[0]))
			}
		}
	case stmtUpdate:
		keys := s.ops[0].op.key.names
		b.WriteString("UPDATE ")
		b.WriteString(s.tb.name.quoted())
		b.WriteString(" SET ")
		n := 0
		for i, c := range s.cols {
			if slices.Contains(keys, c) {
				continue
			}
			if n > 0 {
				b.WriteByte(',')
			}
			n++
			b.WriteString(quoteName(c))
			b.WriteByte('=')
			w.arg(s.rows[0][i])
		}
		b.WriteString(" WHERE ")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(" AND ")
			}
			b.WriteString(quoteName(k))
			b.WriteByte('=')
			w.arg(s.ops[0].key[i])
		}
	case stmtDelete:
		b.WriteString("DELETE FROM ")
		b.WriteString(s.tb.name.quoted())
		b.WriteString(" WHERE ")
		if len(s.cols) == 1 {
			b.WriteString(quoteName(s.cols[0]))
			b.WriteString(" IN (")
			for i, r := range s.rows {
				if i > 0 {
					b.WriteByte(',')
				}
				w.arg(r[0])
			}
			b.WriteByte(')')
			break
		}
		for i, r := range s.rows {
			if i > 0 {
				b.WriteString(" OR ")
			}
			b.WriteByte('(')
			for j, c := range s.cols {
				if j > 0 {
					b.WriteString(" AND ")
				}
				b.WriteString(quoteName(c))
				b.WriteByte('=')
				w.arg(r[j])
			}
			b.WriteByte(')')
		}
	}
}
