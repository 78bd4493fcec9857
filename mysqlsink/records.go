package mysqlsink

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	connect "github.com/openmessaging/connect-go"
)

// opKind is what a record does to its target table.
type opKind uint8

const (
	opSkip     opKind = iota // nothing (a delete with delete.enabled=false, say)
	opWrite                  // insert, upsert or update, by insert.mode
	opDelete                 // delete the row of key
	opTruncate               // delete every row
)

// tableName is a target table.
type tableName struct{ db, table string }

func (t tableName) String() string { return t.db + "." + t.table }

func (t tableName) quoted() string { return quoteName(t.db) + "." + quoteName(t.table) }

// fields are the named values of a row or key, with their schemas when the
// record is typed (schema nil otherwise).
type fields struct {
	names  []string
	values []any
	schema []*connect.Schema // nil for untyped rows
	of     *connect.Schema   // the struct schema of a typed row
}

func (f *fields) add(name string, v any, s *connect.Schema) {
	f.names = append(f.names, name)
	f.values = append(f.values, v)
	if s != nil || f.schema != nil {
		for len(f.schema) < len(f.names)-1 {
			f.schema = append(f.schema, nil)
		}
		f.schema = append(f.schema, s)
	}
}

func (f *fields) index(name string) int { return slices.Index(f.names, name) }

func (f *fields) typed() bool { return f.schema != nil }

func (f *fields) schemaOf(i int) *connect.Schema {
	if f.schema == nil {
		return nil
	}
	return f.schema[i]
}

// layouts remembers the sorted key lists of recent map rows: rows of one
// table have the same keys, so most rows reuse one list (read-only, shared)
// instead of sorting their keys.
type layouts struct {
	recent [4][]string
	next   int
	// structs holds the field lists of struct schemas.
	structs map[*connect.Schema]fields
	slab    slab // map rows' values are cut from it
}

// values returns room for n values, capacity n.
func (l *layouts) values(n int) []any { return l.slab.take(n) }

// slab hands out value slices cut from one reused allocation: the slices
// of a batch live until reset, when the batch is done with them, and the
// next batch reuses the memory.
type slab struct {
	buf  []any
	used int // of buf
	need int // values taken since reset, in buf and before it
}

// take returns room for n values, capacity n, valid until reset.
func (s *slab) take(n int) []any {
	s.need += n
	if len(s.buf)-s.used < n {
		// The slices already cut keep the old buf alive until reset.
		s.buf, s.used = make([]any, max(n, s.need, 8192)), 0
	}
	out := s.buf[s.used : s.used+n : s.used+n]
	s.used += n
	return out
}

// reset makes the memory reusable: nothing may use the slices taken
// since the last reset any more.
func (s *slab) reset() {
	clear(s.buf[:s.used])
	if s.need > len(s.buf) {
		// The batch outgrew buf: the next gets room for all of it at once.
		s.buf = make([]any, s.need)
	}
	s.used, s.need = 0, 0
}

// fieldsOf is the function fieldsOf with the map rows' key lists and the
// struct schemas' field lists shared.
func (l *layouts) fieldsOf(row any) (fields, bool) {
	if r, ok := row.(*connect.Struct); ok && r != nil {
		f, ok := l.structs[r.Schema]
		if !ok {
			if f, ok = fieldsOf(r); !ok {
				return f, false
			}
			f.names, f.schema = slices.Clip(f.names), slices.Clip(f.schema)
			if l.structs == nil || len(l.structs) > 1024 {
				l.structs = map[*connect.Schema]fields{}
			}
			l.structs[r.Schema] = f
		}
		f.values = r.Values
		return f, true
	}
	m, ok := row.(map[string]any)
	if !ok || m == nil {
		return fieldsOf(row)
	}
	var values []any
	for _, names := range l.recent {
		if len(names) != len(m) {
			continue
		}
		if values == nil {
			values = l.values(len(m))
		}
		hit := true
		for i, n := range names {
			v, ok := m[n]
			if !ok {
				hit = false
				break
			}
			values[i] = v
		}
		if hit {
			return fields{names: names, values: values}, true
		}
	}
	f, _ := fieldsOf(m)
	f.names = slices.Clip(f.names)
	l.recent[l.next] = f.names
	l.next = (l.next + 1) % len(l.recent)
	return f, true
}

// fieldsOf returns the fields of a row: a *connect.Struct in its schema's
// order, a map in the order of its sorted keys.
func fieldsOf(row any) (fields, bool) {
	switch r := row.(type) {
	case *connect.Struct:
		if r == nil {
			return fields{}, false
		}
		f := fields{names: make([]string, len(r.Values)), values: r.Values, schema: make([]*connect.Schema, len(r.Values)), of: r.Schema}
		for i, sf := range r.Schema.Fields {
			f.names[i], f.schema[i] = sf.Name, sf.Schema
		}
		return f, true
	case map[string]any:
		if r == nil {
			return fields{}, false
		}
		f := fields{names: make([]string, 0, len(r)), values: make([]any, 0, len(r))}
		for k := range r {
			f.names = append(f.names, k)
		}
		slices.Sort(f.names)
		for _, k := range f.names {
			f.values = append(f.values, r[k])
		}
		return f, true
	}
	return fields{}, false
}

// op is what one record does, before its table is looked up.
type op struct {
	index int // in the batch given to Put
	kind  opKind
	table tableName
	row   fields // opWrite: the columns to write
	key   fields // opWrite, opDelete: the primary key (empty under primary.key.mode=none)
	// moveFrom is the old primary key of an update that changed it: the
	// old row is deleted before the new one is written.
	moveFrom *fields
	origin   connect.Origin
	// source and change are a change event's source block and op.
	source any
	change connect.Operation
}

// decode turns a record into its operation. Its errors are the record's
// own: it cannot be written, whatever the target does.
func (t *task) decode(i int, r *connect.Record) (op, error) {
	o := op{index: i, origin: r.Origin}
	ch := r.Change
	value := r.Value
	if ch == nil {
		value, ch = unwrapEnvelope(value)
	}
	var source any
	if ch != nil {
		source = ch.Source
		o.source, o.change = ch.Source, ch.Op
	}
	var err error
	if o.table, err = t.tableOf(r.Topic, source); err != nil {
		return o, err
	}
	if ch != nil {
		return t.decodeChange(o, r, ch)
	}
	if value == nil {
		// A tombstone: Kafka's delete of the key's row.
		if !t.s.deleteEnabled {
			o.kind = opSkip
			return o, nil
		}
		if t.s.pkMode != PKRecordKey {
			return o, fmt.Errorf("a record without a value (a tombstone) deletes by the record key: it needs %s=record_key", KeyPKMode)
		}
		o.kind = opDelete
		o.key, err = t.keyOf(r, nil)
		return o, err
	}
	row, ok := t.lay.fieldsOf(value)
	if !ok {
		return o, fmt.Errorf("the value is a %T, not a row (a struct or a map of columns)", value)
	}
	o.kind = opWrite
	return t.withKey(o, r, row)
}

// decodeChange turns a change event into its operation.
func (t *task) decodeChange(o op, r *connect.Record, ch *connect.Change) (op, error) {
	var err error
	switch ch.Op {
	case connect.OpCreate, connect.OpRead, connect.OpUpdate:
		row, ok := t.lay.fieldsOf(ch.After)
		if !ok {
			return o, fmt.Errorf("a change event with op %s has no after image", ch.Op)
		}
		o.kind = opWrite
		if o, err = t.withKey(o, r, row); err != nil {
			return o, err
		}
		if ch.Op == connect.OpUpdate && connect.IsRow(ch.Before) && len(o.key.names) > 0 && t.s.pkMode != PKKafka {
			// A primary key change: the row moves.
			before, _ := fieldsOf(ch.Before)
			old := fields{}
			moved := false
			for j, n := range o.key.names {
				k := before.index(n)
				if k < 0 {
					moved = false
					break
				}
				old.add(n, before.values[k], before.schemaOf(k))
				if !sameValue(before.values[k], o.key.values[j]) {
					moved = true
				}
			}
			if moved {
				o.moveFrom = &old
			}
		}
		return o, nil
	case connect.OpDelete:
		if !t.s.deleteEnabled {
			o.kind = opSkip
			return o, nil
		}
		o.kind = opDelete
		before, _ := fieldsOf(ch.Before)
		o.key, err = t.keyOf(r, &before)
		return o, err
	case connect.OpTruncate:
		if !t.s.truncate {
			o.kind = opSkip
			return o, nil
		}
		o.kind = opTruncate
		return o, nil
	}
	return o, fmt.Errorf("unknown change event op %q", ch.Op)
}

// withKey sets the row and key of a write under the primary key mode.
func (t *task) withKey(o op, r *connect.Record, row fields) (op, error) {
	var err error
	switch t.s.pkMode {
	case PKNone:
	case PKKafka:
		if r.Origin.IsZero() {
			return o, fmt.Errorf("%s=kafka needs the record's transport origin, and it has none", KeyPKMode)
		}
		names := kafkaColumns(t.s.pkFields)
		vals := []any{r.Origin.Topic, int64(r.Origin.Queue), r.Origin.Offset}
		schemas := []*connect.Schema{{Type: connect.TypeString}, {Type: connect.TypeInt32}, {Type: connect.TypeInt64}}
		row = cloneFields(row)
		for i, n := range names {
			if row.index(n) >= 0 {
				return o, fmt.Errorf("the row has a field %s, a column of %s=kafka", n, KeyPKMode)
			}
			var s *connect.Schema
			if row.typed() {
				s = schemas[i]
			}
			row.add(n, vals[i], s)
			o.key.add(n, vals[i], s)
		}
	case PKRecordValue:
		for _, n := range t.s.pkFields {
			k := row.index(n)
			if k < 0 {
				return o, fmt.Errorf("the row has no field %s of %s", n, KeyPKFields)
			}
			o.key.add(n, row.values[k], row.schemaOf(k))
		}
	case PKRecordKey:
		if o.key, err = t.keyOf(r, &row); err != nil {
			return o, err
		}
		// Key fields the row lacks are columns too (Kafka's record_key).
		var added bool
		for j, n := range o.key.names {
			if row.index(n) < 0 {
				if !added {
					row, added = cloneFields(row), true
				}
				row.add(n, o.key.values[j], o.key.schemaOf(j))
			}
		}
	}
	o.row = row
	return o, nil
}

// kafkaColumns returns the column names of primary.key.mode=kafka.
func kafkaColumns(pkFields []string) []string {
	if len(pkFields) == 3 {
		return pkFields
	}
	return []string{ColumnKafkaTopic, ColumnKafkaPartition, ColumnKafkaOffset}
}

func cloneFields(f fields) fields {
	return fields{names: slices.Clone(f.names), values: slices.Clone(f.values), schema: slices.Clone(f.schema), of: f.of}
}

// keyOf returns the primary key of a record: under record_key its key's
// fields (those of primary.key.fields when set; a key that is a single
// value is the column primary.key.fields names), under record_value the
// fields of primary.key.fields from row.
func (t *task) keyOf(r *connect.Record, row *fields) (fields, error) {
	var key fields
	switch t.s.pkMode {
	case PKRecordValue:
		if row == nil || row.names == nil {
			return key, fmt.Errorf("the record has no row to take the key fields %s from", strings.Join(t.s.pkFields, ","))
		}
		for _, n := range t.s.pkFields {
			k := row.index(n)
			if k < 0 {
				return key, fmt.Errorf("the row has no field %s of %s", n, KeyPKFields)
			}
			key.add(n, row.values[k], row.schemaOf(k))
		}
		return key, nil
	case PKRecordKey:
		k := r.Key
		if env, ok := k.(map[string]any); ok && len(env) == 2 && env["schema"] != nil {
			if p, ok := env["payload"]; ok {
				k = p // a key in Kafka's schema envelope
			}
		}
		if k == nil {
			return key, fmt.Errorf("the record has no key, and %s=record_key takes the primary key from it", KeyPKMode)
		}
		if all, ok := t.lay.fieldsOf(k); ok {
			if len(t.s.pkFields) == 0 {
				if len(all.names) == 0 {
					return key, errors.New("the record key has no fields")
				}
				return all, nil
			}
			for _, n := range t.s.pkFields {
				j := all.index(n)
				if j < 0 {
					return key, fmt.Errorf("the record key has no field %s of %s", n, KeyPKFields)
				}
				key.add(n, all.values[j], all.schemaOf(j))
			}
			return key, nil
		}
		if len(t.s.pkFields) != 1 {
			return key, fmt.Errorf("the record key is a single %T: %s must name its one column", k, KeyPKFields)
		}
		key.add(t.s.pkFields[0], k, nil)
		return key, nil
	}
	return key, fmt.Errorf("%s=%s has no key to delete by", KeyPKMode, t.s.pkMode)
}

// unwrapEnvelope reads a plain value that is a Debezium change event (as
// Debezium's JSON, without connect-go's op header) or Kafka's schema
// envelope {"schema":...,"payload":...} around a row or change event.
func unwrapEnvelope(v any) (any, *connect.Change) {
	m, ok := v.(map[string]any)
	if !ok {
		return v, nil
	}
	if len(m) == 2 {
		if p, ok := m["payload"]; ok {
			if _, ok := m["schema"]; ok {
				v = p
				if m, ok = p.(map[string]any); !ok {
					return v, nil
				}
			}
		}
	}
	opv, ok := m["op"].(string)
	if !ok || !connect.Operation(opv).Valid() {
		return v, nil
	}
	_, hasAfter := m["after"]
	_, hasBefore := m["before"]
	if !hasAfter && !hasBefore && opv != string(connect.OpTruncate) {
		return v, nil
	}
	return nil, &connect.Change{Op: connect.Operation(opv), Before: m["before"], After: m["after"], Source: m["source"]}
}

// tableOf formats the target table of a record; by topic alone it is
// formatted once per topic.
func (t *task) tableOf(topic string, source any) (tableName, error) {
	bySource := strings.Contains(t.s.tableFormat, "${source.")
	if !bySource {
		if tn, ok := t.topicTables[topic]; ok {
			return tn, nil
		}
	}
	tn, err := t.formatTable(topic, source)
	if err == nil && !bySource {
		if t.topicTables == nil {
			t.topicTables = map[string]tableName{}
		}
		t.topicTables[topic] = tn
	}
	return tn, err
}

func (t *task) formatTable(topic string, source any) (tableName, error) {
	var missing error
	name := placeholderRe.ReplaceAllStringFunc(t.s.tableFormat, func(p string) string {
		switch p {
		case "${topic}":
			return strings.ReplaceAll(topic, ".", "_")
		case "${source.db}", "${source.table}":
			f := strings.TrimSuffix(strings.TrimPrefix(p, "${source."), "}")
			v, _ := connect.Lookup(source, f)
			s, ok := v.(string)
			if !ok || s == "" {
				missing = fmt.Errorf("%s=%s: the record has no source.%s (only change events have one)", KeyTableNameFormat, t.s.tableFormat, f)
			}
			return s
		}
		return p
	})
	if missing != nil {
		return tableName{}, missing
	}
	db, table, ok := strings.Cut(name, ".")
	if !ok {
		db, table = t.s.database, name
	}
	if db == "" || table == "" || len(table) > 64 || len(db) > 64 {
		return tableName{}, fmt.Errorf("%s=%s gives %q, not a table name", KeyTableNameFormat, t.s.tableFormat, name)
	}
	return tableName{db, table}, nil
}

// sameValue compares two key values of a row image.
func sameValue(a, b any) bool {
	if ab, ok := a.([]byte); ok {
		bb, ok := b.([]byte)
		return ok && string(ab) == string(bb)
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}
