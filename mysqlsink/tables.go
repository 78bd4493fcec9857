package mysqlsink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	connect "github.com/openmessaging/connect-go"
)

// table is a target table as information_schema describes it, read once
// and again after the task changed it or a statement found it changed.
type table struct {
	name  tableName
	cols  []column
	index map[string]int
	pk    []string
	// checked holds the row schemas already compared with the columns:
	// records of one table version share one schema, so the check runs
	// once per version.
	checked map[*connect.Schema]bool
	// lastNames is the field list of the last untyped row found complete:
	// map rows share their sorted key lists (layouts).
	lastNames []string
}

func (t *table) column(name string) *column {
	if i, ok := t.index[name]; ok {
		return &t.cols[i]
	}
	return nil
}

// loadTable reads a table's columns and primary key; nil when it does not
// exist.
func loadTable(ctx context.Context, db *sql.DB, name tableName) (*table, error) {
	rows, err := db.QueryContext(ctx, `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IFNULL(DATETIME_PRECISION, 0), IFNULL(NUMERIC_SCALE, 0), COLUMN_KEY
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, name.db, name.table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	t := &table{name: name, index: map[string]int{}, checked: map[*connect.Schema]bool{}}
	for rows.Next() {
		var c column
		var colType, key string
		if err := rows.Scan(&c.name, &c.dataType, &colType, &c.fsp, &c.scale, &key); err != nil {
			return nil, err
		}
		c.dataType = strings.ToLower(c.dataType)
		c.unsigned = strings.Contains(strings.ToLower(colType), "unsigned")
		t.index[c.name] = len(t.cols)
		t.cols = append(t.cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(t.cols) == 0 {
		return nil, nil
	}
	pk, err := db.QueryContext(ctx, `SELECT COLUMN_NAME FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`, name.db, name.table)
	if err != nil {
		return nil, err
	}
	defer pk.Close()
	for pk.Next() {
		var n string
		if err := pk.Scan(&n); err != nil {
			return nil, err
		}
		t.pk = append(t.pk, n)
	}
	return t, pk.Err()
}

// recordError is a failure of one record that retrying cannot fix: it
// goes to the dead-letter topic, or fails the task, per errors.tolerance.
type recordError struct{ err error }

func (e *recordError) Error() string { return e.err.Error() }
func (e *recordError) Unwrap() error { return e.err }

func recordErr(format string, args ...any) error {
	return &recordError{fmt.Errorf(format, args...)}
}

// tableFor returns the target table of o, creating or evolving it when the
// settings allow and o's row is typed. DDL commits implicitly, so it runs
// on a pooled connection outside the task's transaction, which the caller
// must have committed or not yet begun. A *recordError reports what o
// alone cannot have (no table, no column, no schema to make them from).
func (t *task) tableFor(ctx context.Context, o *op) (*table, error) {
	tb := t.tables[o.table]
	if tb == nil {
		var err error
		if tb, err = loadTable(ctx, t.db, o.table); err != nil {
			return nil, fmt.Errorf("read the columns of %s: %w", o.table, err)
		}
		if tb == nil {
			if err := t.create(ctx, o); err != nil {
				return nil, err
			}
			if tb, err = loadTable(ctx, t.db, o.table); err != nil || tb == nil {
				return nil, fmt.Errorf("read the columns of %s after creating it: %w", o.table, errors.Join(err, errors.New("not found")))
			}
		}
		t.tables[o.table] = tb
	}
	if o.kind != opWrite {
		return tb, nil
	}
	var rowSchema *connect.Schema
	if st, ok := t.rowSchema(o); ok {
		if tb.checked[st] {
			return tb, nil
		}
		rowSchema = st
	}
	if len(o.row.names) > 0 && len(tb.lastNames) == len(o.row.names) && &tb.lastNames[0] == &o.row.names[0] {
		return tb, nil // the same field list as the last row: checked
	}
	var missing []int
	for i, n := range o.row.names {
		if tb.column(n) == nil {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		names := make([]string, len(missing))
		for i, j := range missing {
			names[i] = o.row.names[j]
		}
		switch {
		case !t.s.autoEvolve:
			return nil, recordErr("table %s has no column %s (auto.evolve is false)", o.table, strings.Join(names, ", "))
		case !o.row.typed():
			return nil, recordErr("table %s has no column %s, and the record has no schema to add it from (auto.evolve needs typed records: value.converter.schemas.enable=true)", o.table, strings.Join(names, ", "))
		}
		if err := t.evolve(ctx, o, tb, missing); err != nil {
			return nil, err
		}
		delete(t.tables, o.table)
		return t.tableFor(ctx, o)
	}
	if rowSchema != nil {
		tb.checked[rowSchema] = true
	}
	tb.lastNames = o.row.names
	return tb, nil
}

// rowSchema returns the struct schema a typed row came with, the key of
// the per-version check.
func (t *task) rowSchema(o *op) (*connect.Schema, bool) {
	return o.row.of, o.row.of != nil
}

// create makes o's table from its typed row, with its primary key.
func (t *task) create(ctx context.Context, o *op) error {
	switch {
	case !t.s.autoCreate:
		return recordErr("table %s does not exist (auto.create is false)", o.table)
	case o.kind != opWrite:
		return recordErr("table %s does not exist", o.table)
	case !o.row.typed():
		return recordErr("table %s does not exist, and the record has no schema to create it from (auto.create needs typed records: value.converter.schemas.enable=true); create the table", o.table)
	}
	var defs []string
	for i, n := range o.row.names {
		s := o.row.schemaOf(i)
		if s == nil {
			return recordErr("field %s of the row has no schema to create table %s from", n, o.table)
		}
		key := o.key.index(n) >= 0
		typ, err := columnType(s, key)
		if err != nil {
			return recordErr("field %s: %v", n, err)
		}
		def := quoteName(n) + " " + typ
		if !s.Optional || key {
			if !strings.HasSuffix(typ, " NULL") {
				def += " NOT NULL"
			} else if key {
				def = strings.TrimSuffix(def, " NULL") + " NOT NULL"
			}
		}
		defs = append(defs, def)
	}
	if len(o.key.names) > 0 {
		q := make([]string, len(o.key.names))
		for i, n := range o.key.names {
			q[i] = quoteName(n)
		}
		defs = append(defs, "PRIMARY KEY ("+strings.Join(q, ", ")+")")
	}
	stmt := "CREATE TABLE IF NOT EXISTS " + o.table.quoted() + " (\n  " + strings.Join(defs, ",\n  ") + "\n)"
	if _, err := t.db.ExecContext(ctx, stmt); err != nil {
		return classify(fmt.Errorf("create table %s: %w", o.table, err))
	}
	t.log.Info("created table", "table", o.table.String(), "columns", len(o.row.names))
	return nil
}

// evolve adds the columns of o's typed row that tb lacks, nullable, so
// that existing rows stay valid.
func (t *task) evolve(ctx context.Context, o *op, tb *table, missing []int) error {
	for _, i := range missing {
		n := o.row.names[i]
		s := o.row.schemaOf(i)
		if s == nil {
			return recordErr("field %s has no schema to add it to table %s from", n, o.table)
		}
		typ, err := columnType(s, false)
		if err != nil {
			return recordErr("field %s: %v", n, err)
		}
		if !strings.HasSuffix(typ, " NULL") {
			typ += " NULL"
		}
		stmt := "ALTER TABLE " + tb.name.quoted() + " ADD COLUMN " + quoteName(n) + " " + typ
		if _, err := t.db.ExecContext(ctx, stmt); err != nil {
			if code(err) == errDupFieldName { // another task added it
				continue
			}
			return classify(fmt.Errorf("add column %s to %s: %w", n, o.table, err))
		}
		t.log.Info("added column", "table", o.table.String(), "column", n, "type", typ)
	}
	return nil
}
