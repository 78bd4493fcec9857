package mysqlsource

import (
	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/dbzmodes"
)

// finish sets the column's field schema from what the binlog or
// information_schema told of it. Both sides give the same schema for the
// same column; see "Schemas" in the package documentation.
func (c *column) finish() {
	s := &connect.Schema{Optional: c.nullable}
	switch c.kind {
	case kindInt:
		s.Type = intType(c.bits, c.unsigned)
	case kindYear:
		s.Type = connect.TypeYear
	case kindFloat:
		s.Type = connect.TypeFloat32
	case kindDouble:
		s.Type = connect.TypeFloat64
	case kindDecimal:
		s.Type, s.Precision, s.Scale = connect.TypeDecimal, c.precision, c.scale
	case kindDate:
		s.Type = connect.TypeDate
	case kindDateTime, kindTimestamp:
		s.Type, s.Fraction, s.Zoned = connect.TypeTimestamp, c.fsp, c.kind == kindTimestamp
	case kindTime:
		s.Type, s.Fraction = connect.TypeTime, c.fsp
	case kindString:
		s.Type, s.Charset = connect.TypeString, c.charset
	case kindBytes, kindGeometry:
		s.Type = connect.TypeBytes
	case kindEnum:
		s.Type, s.Members = connect.TypeEnum, c.members
		c.boxedMembers = make([]any, len(c.members))
		for i, m := range c.members {
			c.boxedMembers[i] = m
		}
	case kindSet:
		s.Type, s.Members = connect.TypeSet, c.members
	case kindBit:
		s.Type, s.Width = connect.TypeBit, c.bits
	case kindJSON:
		s.Type = connect.TypeJSON
	}
	// Zero and invalid dates are the server's text (see column.date), not
	// nil: a NOT NULL date column stays required.
	c.schema, c.exact = s, s
}

// intType is the smallest logical integer type that holds every value of
// an integer column of the given width.
func intType(bits int, unsigned bool) connect.Type {
	switch {
	case bits <= 8 && !unsigned:
		return connect.TypeInt8
	case bits <= 8 || bits <= 16 && !unsigned:
		return connect.TypeInt16
	case bits <= 32 && !unsigned, bits <= 24:
		return connect.TypeInt32
	case bits <= 32 || !unsigned:
		return connect.TypeInt64
	}
	return connect.TypeUint64
}

// makeSchemas makes the table's row and key schemas, named as Debezium
// names them, <server>.<db>.<table>.Value and .Key: the row has the
// columns in table order but the system period ones, the key the primary
// key columns in key order (none: no key schema).
//
// With modes (value encodings other than connect-go's), rows are decoded
// with a schema of the columns' exact schemas (ts.row), and value and key
// are what modes maps them to.
func (ts *tableSchema) makeSchemas(server string, modes *dbzmodes.Mapper) {
	ts.box()
	prefix := server + "." + ts.db + "." + ts.table
	fields := make([]connect.StructField, 0, len(ts.cols))
	at := make([]int, len(ts.cols))
	for i := range ts.cols {
		if ts.isPeriod(i) {
			continue
		}
		at[i] = len(fields)
		s := ts.cols[i].schema
		if modes != nil {
			s = ts.cols[i].exact
		}
		fields = append(fields, connect.StructField{Name: ts.cols[i].name, Schema: s})
	}
	ts.width = len(fields)
	ts.value = connect.NewStructSchema(prefix+".Value", true, fields...)
	ts.key, ts.keyAt, ts.row, ts.modes = nil, nil, nil, modes
	if modes != nil {
		ts.row, ts.value = ts.value, mustMap(modes, ts.value)
	}
	if len(ts.pk) == 0 {
		return
	}
	keys := make([]connect.StructField, len(ts.pk))
	ts.keyAt = make([]int, len(ts.pk))
	for k, i := range ts.pk {
		keys[k] = fields[at[i]]
		ts.keyAt[k] = at[i]
	}
	ts.key = connect.NewStructSchema(prefix+".Key", false, keys...)
	if modes != nil {
		ts.key = mustMap(modes, ts.key)
	}
}

// mustMap returns the schema modes maps s to; it fails only for a schema
// without field schemas, which makeSchemas never builds.
func mustMap(modes *dbzmodes.Mapper, s *connect.Schema) *connect.Schema {
	out, err := modes.Schema(s)
	if err != nil {
		panic("mysqlsource: " + err.Error())
	}
	return out
}

// rowSchema is the schema rows are decoded with.
func (ts *tableSchema) rowSchema() *connect.Schema {
	if ts.row != nil {
		return ts.row
	}
	return ts.value
}

// mapRow maps a decoded row to the value encodings chosen, in place.
func (ts *tableSchema) mapRow(r *connect.Struct) error {
	if ts.modes == nil {
		return nil
	}
	return ts.modes.MapInPlace(r)
}
