package connect

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Type is the logical type of a schema: what its values mean, beyond the
// Go type that holds them. The types cover every MySQL column type without
// loss, and the array, map and struct shapes of other sources.
type Type uint8

// Logical types. The Go values each one holds are listed beside it; a nil
// value is null, allowed where the schema is optional.
const (
	TypeInvalid   Type = iota
	TypeBool           // bool
	TypeInt8           // int64 (any Go integer is accepted on encode)
	TypeInt16          // int64
	TypeInt32          // int64
	TypeInt64          // int64
	TypeUint64         // int64 up to math.MaxInt64, uint64 above
	TypeFloat32        // float64 (the float32's shortest decimal) or float32
	TypeFloat64        // float64
	TypeDecimal        // string, exact, with Scale digits after the point ("-12.50"); Precision, Scale
	TypeDate           // time.Time at midnight UTC, or the server's text of a zero or invalid date (see IsDateText)
	TypeTime           // string "[-]HH:MM:SS[.f]", negative and over 24 h allowed; Fraction digits
	TypeTimestamp      // time.Time in UTC, or a zero or invalid date's text; Zoned: an instant (TIMESTAMP) or a wall clock (DATETIME); Fraction digits
	TypeYear           // int64 (0 for the year 0000)
	TypeString         // string, UTF-8; Charset the source's character set where it matters
	TypeBytes          // []byte
	TypeJSON           // string: a JSON document's text
	TypeEnum           // string: one of Members ("" for an invalid value)
	TypeSet            // string: members of Members joined with ","
	TypeBit            // bool for Width 1, else int64 (uint64 above math.MaxInt64); Width bits
	TypeArray          // []any of Elem
	TypeMap            // map[string]any of Elem (keys of schema Key, string when nil)
	TypeStruct         // *Struct of Fields
)

var typeNames = [...]string{
	TypeInvalid:   "invalid",
	TypeBool:      "bool",
	TypeInt8:      "int8",
	TypeInt16:     "int16",
	TypeInt32:     "int32",
	TypeInt64:     "int64",
	TypeUint64:    "uint64",
	TypeFloat32:   "float32",
	TypeFloat64:   "float64",
	TypeDecimal:   "decimal",
	TypeDate:      "date",
	TypeTime:      "time",
	TypeTimestamp: "timestamp",
	TypeYear:      "year",
	TypeString:    "string",
	TypeBytes:     "bytes",
	TypeJSON:      "json",
	TypeEnum:      "enum",
	TypeSet:       "set",
	TypeBit:       "bit",
	TypeArray:     "array",
	TypeMap:       "map",
	TypeStruct:    "struct",
}

// String returns the type's name ("decimal", "timestamp").
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", t)
}

// ParseType returns the type named s, as Type.String spells it.
func ParseType(s string) (Type, bool) {
	for t, n := range typeNames {
		if n == s && t != int(TypeInvalid) {
			return Type(t), true
		}
	}
	return TypeInvalid, false
}

// Schema describes a value: its logical type, whether it may be null, the
// type's parameters and, for structs, the ordered fields.
//
// A schema is immutable once built: never change one that a record or
// another schema refers to. Records of one table version share one
// *Schema, so building schemas is rare and comparing them is cheap (Equal
// returns at once for the same pointer). Build struct schemas with
// NewStructSchema, which indexes the fields by name.
type Schema struct {
	Type Type
	// Name names the schema, as Kafka Connect's schema names do
	// ("dbserver1.inventory.customers.Value"); optional.
	Name     string
	Optional bool
	// Doc describes the value; optional.
	Doc string

	Precision, Scale int      // TypeDecimal: total and fraction digits
	Fraction         int      // TypeTime, TypeTimestamp: fraction-of-second digits (0..9)
	Zoned            bool     // TypeTimestamp: the value is an instant, not a wall clock
	Charset          string   // TypeString: the source's character set ("latin1"), "" when not known or UTF-8
	Members          []string // TypeEnum, TypeSet: the allowed members, in order
	Width            int      // TypeBit: the number of bits

	Elem *Schema // TypeArray, TypeMap: the elements' (values') schema
	Key  *Schema // TypeMap: the keys' schema; nil for string keys

	Fields []StructField // TypeStruct: the fields in order

	index map[string]int // field positions by name; built by NewStructSchema
}

// StructField is one field of a struct schema.
type StructField struct {
	Name   string
	Schema *Schema
}

// NewStructSchema returns a struct schema with fields in the given order.
// It panics when two fields share a name or a field has no schema, which is
// a programming error of the source that builds it.
func NewStructSchema(name string, optional bool, fields ...StructField) *Schema {
	s := &Schema{Type: TypeStruct, Name: name, Optional: optional, Fields: fields}
	if len(fields) > 8 {
		s.index = make(map[string]int, len(fields))
	}
	for i, f := range fields {
		if f.Schema == nil {
			panic(fmt.Sprintf("connect: field %q of struct schema %q has no schema", f.Name, name))
		}
		for _, g := range fields[:i] {
			if g.Name == f.Name {
				panic(fmt.Sprintf("connect: struct schema %q has two fields named %q", name, f.Name))
			}
		}
		if s.index != nil {
			s.index[f.Name] = i
		}
	}
	return s
}

// FieldIndex returns the position of the field named name, or -1.
func (s *Schema) FieldIndex(name string) int {
	if s.index != nil {
		if i, ok := s.index[name]; ok {
			return i
		}
		return -1
	}
	for i := range s.Fields {
		if s.Fields[i].Name == name {
			return i
		}
	}
	return -1
}

// Equal reports whether s and o describe the same values: same type,
// parameters, name, optionality and, recursively, fields and elements.
// Doc is ignored.
func (s *Schema) Equal(o *Schema) bool {
	if s == o {
		return true
	}
	if s == nil || o == nil {
		return false
	}
	if s.Type != o.Type || s.Name != o.Name || s.Optional != o.Optional ||
		s.Precision != o.Precision || s.Scale != o.Scale || s.Fraction != o.Fraction ||
		s.Zoned != o.Zoned || s.Charset != o.Charset || s.Width != o.Width ||
		!slices.Equal(s.Members, o.Members) || !s.Elem.Equal(o.Elem) || !s.Key.Equal(o.Key) ||
		len(s.Fields) != len(o.Fields) {
		return false
	}
	for i := range s.Fields {
		if s.Fields[i].Name != o.Fields[i].Name || !s.Fields[i].Schema.Equal(o.Fields[i].Schema) {
			return false
		}
	}
	return true
}

// String returns a compact description: "decimal(10,2)", "optional
// struct inventory.Value{id int64, name optional string}".
func (s *Schema) String() string {
	var b strings.Builder
	s.write(&b)
	return b.String()
}

func (s *Schema) write(b *strings.Builder) {
	if s == nil {
		b.WriteString("<nil>")
		return
	}
	if s.Optional {
		b.WriteString("optional ")
	}
	b.WriteString(s.Type.String())
	switch s.Type {
	case TypeDecimal:
		fmt.Fprintf(b, "(%d,%d)", s.Precision, s.Scale)
	case TypeTime:
		fmt.Fprintf(b, "(%d)", s.Fraction)
	case TypeTimestamp:
		fmt.Fprintf(b, "(%d)", s.Fraction)
		if s.Zoned {
			b.WriteString(" zoned")
		}
	case TypeString:
		if s.Charset != "" {
			fmt.Fprintf(b, "(%s)", s.Charset)
		}
	case TypeEnum, TypeSet:
		fmt.Fprintf(b, "(%s)", strings.Join(s.Members, ","))
	case TypeBit:
		fmt.Fprintf(b, "(%d)", s.Width)
	case TypeArray:
		b.WriteString("<")
		s.Elem.write(b)
		b.WriteString(">")
	case TypeMap:
		b.WriteString("<")
		if s.Key != nil {
			s.Key.write(b)
			b.WriteString(", ")
		}
		s.Elem.write(b)
		b.WriteString(">")
	case TypeStruct:
		if s.Name != "" {
			b.WriteString(" " + s.Name)
		}
		b.WriteString("{")
		for i, f := range s.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(f.Name + " ")
			f.Schema.write(b)
		}
		b.WriteString("}")
	}
}

// Struct is a typed row: a struct schema and the values of its fields in
// the schema's order, with no map per row. Values[i] holds the value of
// Schema.Fields[i], of the Go type its logical type lists (see Type).
//
// A source may reuse one schema for every row of a table version. A Struct
// handed to the runtime belongs to it: do not change it afterwards.
type Struct struct {
	Schema *Schema
	Values []any
}

// NewStruct returns a row of schema s. With no values it has room for all
// fields, set to nil; otherwise values must match s's fields one to one.
func NewStruct(s *Schema, values ...any) *Struct {
	if s == nil || s.Type != TypeStruct {
		panic("connect: NewStruct needs a struct schema")
	}
	if len(values) == 0 {
		values = make([]any, len(s.Fields))
	} else if len(values) != len(s.Fields) {
		panic(fmt.Sprintf("connect: NewStruct: %d values for %d fields of %q", len(values), len(s.Fields), s.Name))
	}
	return &Struct{Schema: s, Values: values}
}

// Get returns the value of the field named name; ok is false when the
// schema has no such field.
func (r *Struct) Get(name string) (v any, ok bool) {
	i := r.Schema.FieldIndex(name)
	if i < 0 {
		return nil, false
	}
	return r.Values[i], true
}

// Map returns the row as a new map from field names to values.
func (r *Struct) Map() map[string]any {
	m := make(map[string]any, len(r.Values))
	for i, f := range r.Schema.Fields {
		m[f.Name] = r.Values[i]
	}
	return m
}

// MarshalJSON writes the row as a JSON object with its fields in the
// schema's order (encoding/json's forms for the values), so that
// json.Marshal of a record's row keeps the column order.
func (r *Struct) MarshalJSON() ([]byte, error) {
	if r == nil {
		return []byte("null"), nil
	}
	if len(r.Values) != len(r.Schema.Fields) {
		return nil, fmt.Errorf("connect: row of %d values for %d fields", len(r.Values), len(r.Schema.Fields))
	}
	b := []byte{'{'}
	for i, f := range r.Schema.Fields {
		if i > 0 {
			b = append(b, ',')
		}
		name, err := json.Marshal(f.Name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(r.Values[i])
		if err != nil {
			return nil, fmt.Errorf("connect: field %s: %w", f.Name, err)
		}
		b = append(append(append(b, name...), ':'), v...)
	}
	return append(b, '}'), nil
}

// Validate checks that the row has one value per field and that each is
// of the Go type its field's logical type holds (nested rows, arrays and
// maps included), and reports the first field that is not.
func (r *Struct) Validate() error {
	return validateValue("", r.Schema, r)
}

// Lookup returns the value named name in row, which is a *Struct, a
// map[string]any, or nil (a row image that is absent). ok is false when
// the row has no such field.
func Lookup(row any, name string) (v any, ok bool) {
	switch r := row.(type) {
	case *Struct:
		if r == nil {
			return nil, false
		}
		return r.Get(name)
	case map[string]any:
		v, ok = r[name]
		return v, ok
	}
	return nil, false
}

// AsMap returns row as a map from field names to values: a map[string]any
// as it is, a *Struct as a new map, nil as nil. ok is false for any other
// value. Sinks that do not need types read both kinds of rows with it.
func AsMap(row any) (m map[string]any, ok bool) {
	switch r := row.(type) {
	case nil:
		return nil, true
	case map[string]any:
		return r, true
	case *Struct:
		if r == nil {
			return nil, true
		}
		return r.Map(), true
	}
	return nil, false
}

// IsRow reports whether v is a row: a non-nil *Struct or a non-nil
// map[string]any. A nil of either type is an absent row, as nil is.
func IsRow(v any) bool {
	switch r := v.(type) {
	case *Struct:
		return r != nil
	case map[string]any:
		return r != nil
	}
	return false
}

// CloneRow returns a copy of a row whose top level can be changed without
// touching row: a map is copied, a *Struct gets its own Values (sharing
// the schema). Other values are returned as they are.
func CloneRow(row any) any {
	switch r := row.(type) {
	case map[string]any:
		return maps.Clone(r)
	case *Struct:
		if r == nil {
			return r
		}
		return &Struct{Schema: r.Schema, Values: slices.Clone(r.Values)}
	}
	return row
}

// validateValue checks v against s; path names the field for errors.
func validateValue(path string, s *Schema, v any) error {
	if s == nil {
		return fmt.Errorf("%s: no schema", pathName(path))
	}
	if v == nil {
		if !s.Optional {
			return fmt.Errorf("%s: null in a non-optional %s", pathName(path), s.Type)
		}
		return nil
	}
	ok := true
	switch s.Type {
	case TypeBool:
		_, ok = v.(bool)
	case TypeInt8, TypeInt16, TypeInt32, TypeInt64, TypeYear:
		ok = isInteger(v, false)
	case TypeUint64:
		ok = isInteger(v, true)
	case TypeBit:
		if s.Width == 1 {
			_, ok = v.(bool)
		} else {
			ok = isInteger(v, true)
		}
	case TypeFloat32, TypeFloat64:
		switch v.(type) {
		case float32, float64:
		default:
			ok = false
		}
	case TypeDecimal, TypeTime, TypeString, TypeJSON, TypeEnum, TypeSet:
		_, ok = v.(string)
	case TypeDate, TypeTimestamp:
		switch t := v.(type) {
		case time.Time:
		case string:
			ok = IsDateText(t)
		default:
			ok = false
		}
	case TypeBytes:
		_, ok = v.([]byte)
	case TypeArray:
		a, isArray := v.([]any)
		if !isArray {
			ok = false
			break
		}
		for i, e := range a {
			if err := validateValue(fmt.Sprintf("%s[%d]", path, i), s.Elem, e); err != nil {
				return err
			}
		}
	case TypeMap:
		m, isMap := v.(map[string]any)
		if !isMap {
			ok = false
			break
		}
		for k, e := range m {
			if err := validateValue(path+"["+k+"]", s.Elem, e); err != nil {
				return err
			}
		}
	case TypeStruct:
		r, isStruct := v.(*Struct)
		if !isStruct || r == nil {
			ok = false
			break
		}
		if !r.Schema.Equal(s) {
			return fmt.Errorf("%s: row of schema %s where %s is expected", pathName(path), r.Schema, s)
		}
		if len(r.Values) != len(s.Fields) {
			return fmt.Errorf("%s: %d values for %d fields", pathName(path), len(r.Values), len(s.Fields))
		}
		for i, f := range s.Fields {
			p := f.Name
			if path != "" {
				p = path + "." + f.Name
			}
			if err := validateValue(p, f.Schema, r.Values[i]); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("%s: invalid schema type %s", pathName(path), s.Type)
	}
	if !ok {
		return fmt.Errorf("%s: %T is not a value of type %s", pathName(path), v, s.Type)
	}
	return nil
}

func pathName(path string) string {
	if path == "" {
		return "row"
	}
	return path
}

func isInteger(v any, unsigned bool) bool {
	switch v.(type) {
	case int, int8, int16, int32, int64, uint8, uint16, uint32:
		return true
	case uint, uint64:
		return unsigned
	}
	return false
}

// IsDateText reports whether s is a date as MySQL writes it,
// "YYYY-MM-DD" optionally followed by " HH:MM:SS" and a fraction: the
// form a DATE, DATETIME or TIMESTAMP value takes when it is not a
// time.Time, because the server stored a zero or invalid date
// ("0000-00-00", "2024-00-10 00:00:00") that no time.Time can hold.
// Sources pass such dates as this text rather than dropping them, and
// sinks write the text back.
func IsDateText(s string) bool {
	digits := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return true
	}
	if len(s) < 10 || !digits(s[0:4]) || s[4] != '-' || !digits(s[5:7]) || s[7] != '-' || !digits(s[8:10]) {
		return false
	}
	rest := s[10:]
	if rest == "" {
		return true
	}
	if len(rest) < 9 || rest[0] != ' ' || !digits(rest[1:3]) || rest[3] != ':' || !digits(rest[4:6]) || rest[6] != ':' || !digits(rest[7:9]) {
		return false
	}
	frac := rest[9:]
	return frac == "" || len(frac) >= 2 && len(frac) <= 10 && frac[0] == '.' && digits(frac[1:])
}
