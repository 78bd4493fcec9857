package mysqlsource

import (
	connect "github.com/openmessaging/connect-go"
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
	switch c.kind {
	case kindDate, kindDateTime, kindTimestamp:
		// Zero and invalid dates are nil, also in NOT NULL columns.
		s.Optional = true
	}
	c.schema = s
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
func (ts *tableSchema) makeSchemas(server string) {
	ts.box()
	prefix := server + "." + ts.db + "." + ts.table
	fields := make([]connect.StructField, 0, len(ts.cols))
	at := make([]int, len(ts.cols))
	for i := range ts.cols {
		if ts.isPeriod(i) {
			continue
		}
		at[i] = len(fields)
		fields = append(fields, connect.StructField{Name: ts.cols[i].name, Schema: ts.cols[i].schema})
	}
	ts.width = len(fields)
	ts.value = connect.NewStructSchema(prefix+".Value", true, fields...)
	ts.key, ts.keyAt = nil, nil
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
}
