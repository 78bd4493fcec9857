package converter

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/dbzmodes"
)

// Schema names of the logical types in Kafka Connect's schema JSON (see the
// table in the package documentation). Debezium's where its payload is
// ours too, this project's otherwise.
const (
	nameZonedTimestamp = "io.debezium.time.ZonedTimestamp"
	nameYear           = "io.debezium.time.Year"
	nameJSON           = "io.debezium.data.Json"
	nameEnum           = "io.debezium.data.Enum"
	nameEnumSet        = "io.debezium.data.EnumSet"

	nameUint64    = "io.openmessaging.connect.Uint64"
	nameDecimal   = "io.openmessaging.connect.Decimal"
	nameDate      = "io.openmessaging.connect.Date"
	nameTime      = "io.openmessaging.connect.Time"
	nameTimestamp = "io.openmessaging.connect.Timestamp"
	nameBits      = "io.openmessaging.connect.Bits"
)

// Schema parameters.
const (
	paramScale     = "scale"                     // Kafka's Decimal
	paramPrecision = "connect.decimal.precision" // Kafka's Decimal
	paramAllowed   = "allowed"                   // Debezium's Enum and EnumSet
	paramLength    = "length"                    // Debezium's Bits
	paramFraction  = "fraction"
	paramCharset   = "charset"
	// paramMembers carries enum and set members as a JSON array when one
	// holds a ',', which "allowed" cannot tell from a separator.
	paramMembers = "members"
	// paramName keeps Schema.Name of a logical type, whose Kafka name is
	// the logical name.
	paramName = "io.openmessaging.connect.name"
)

// kafkaForm is how a schema is written: Kafka's type name, the logical
// name, Debezium's schema version (0: none) and the parameters.
type kafkaForm struct {
	typ     string
	name    string
	version int
	params  [][2]string
}

func kafkaFormOf(s *connect.Schema) (kafkaForm, error) {
	f := kafkaForm{name: s.Name}
	logical := func(typ, name string, version int, params ...[2]string) {
		f.typ, f.name, f.version, f.params = typ, name, version, params
		if s.Name != "" {
			f.params = append(f.params, [2]string{paramName, s.Name})
		}
	}
	fraction := [2]string{paramFraction, strconv.Itoa(s.Fraction)}
	switch s.Type {
	case connect.TypeBool:
		f.typ = "boolean"
	case connect.TypeInt8:
		f.typ = "int8"
	case connect.TypeInt16:
		f.typ = "int16"
	case connect.TypeInt32:
		f.typ = "int32"
	case connect.TypeInt64:
		f.typ = "int64"
	case connect.TypeFloat32:
		f.typ = "float"
	case connect.TypeFloat64:
		f.typ = "double"
	case connect.TypeBytes:
		f.typ = "bytes"
	case connect.TypeString:
		f.typ = "string"
		if s.Charset != "" {
			f.params = [][2]string{{paramCharset, s.Charset}}
		}
	case connect.TypeArray:
		f.typ = "array"
	case connect.TypeMap:
		f.typ = "map"
	case connect.TypeStruct:
		f.typ = "struct"
	case connect.TypeUint64:
		logical("int64", nameUint64, 0)
	case connect.TypeDecimal:
		logical("string", nameDecimal, 0,
			[2]string{paramScale, strconv.Itoa(s.Scale)}, [2]string{paramPrecision, strconv.Itoa(s.Precision)})
	case connect.TypeDate:
		logical("string", nameDate, 0)
	case connect.TypeTime:
		logical("string", nameTime, 0, fraction)
	case connect.TypeTimestamp:
		if s.Zoned {
			logical("string", nameZonedTimestamp, 1, fraction)
		} else {
			logical("string", nameTimestamp, 0, fraction)
		}
	case connect.TypeYear:
		logical("int32", nameYear, 1)
	case connect.TypeJSON:
		logical("string", nameJSON, 1)
	case connect.TypeEnum, connect.TypeSet:
		name := nameEnum
		if s.Type == connect.TypeSet {
			name = nameEnumSet
		}
		params := [][2]string{{paramAllowed, strings.Join(s.Members, ",")}}
		if membersAmbiguous(s.Members) {
			params = append(params, [2]string{paramMembers, string(appendStrings(nil, s.Members))})
		}
		logical("string", name, 1, params...)
	case connect.TypeBit:
		typ := "int64"
		if s.Width == 1 {
			typ = "boolean"
		}
		logical(typ, nameBits, 0, [2]string{paramLength, strconv.Itoa(s.Width)})
	default:
		return f, fmt.Errorf("schema of invalid type %s", s.Type)
	}
	if f.name == s.Name && s.Name != "" {
		// A schema of a literal type named as one of Kafka's or Debezium's
		// semantic types (as package dbzmodes maps rows for Debezium's
		// modes): their version and parameters.
		if version, params, ok := dbzmodes.KafkaForm(s); ok {
			f.version, f.params = version, params
		}
	}
	return f, nil
}

// membersAmbiguous reports whether members joined with ',' cannot be split
// back.
func membersAmbiguous(members []string) bool {
	if len(members) == 1 && members[0] == "" {
		return true
	}
	for _, m := range members {
		if strings.IndexByte(m, ',') >= 0 {
			return true
		}
	}
	return false
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendSchema writes s as Kafka Connect's schema JSON, members in the
// order Kafka's JsonConverter writes them. field, when not "", is the
// struct field the schema describes; optional forces "optional":true.
func appendSchema(b []byte, s *connect.Schema, field string, optional bool) ([]byte, error) {
	if s == nil {
		return nil, errors.New("nil schema")
	}
	f, err := kafkaFormOf(s)
	if err != nil {
		return nil, err
	}
	b = append(b, `{"type":`...)
	b = appendString(b, f.typ)
	switch s.Type {
	case connect.TypeStruct:
		b = append(b, `,"fields":[`...)
		for i, fl := range s.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendSchema(b, fl.Schema, fl.Name, false); err != nil {
				return nil, fmt.Errorf("field %s: %w", fl.Name, err)
			}
		}
		b = append(b, ']')
	case connect.TypeArray:
		b = append(b, `,"items":`...)
		if b, err = appendSchema(b, s.Elem, "", false); err != nil {
			return nil, fmt.Errorf("array items: %w", err)
		}
	case connect.TypeMap:
		b = append(b, `,"keys":`...)
		if s.Key == nil {
			b = append(b, `{"type":"string","optional":false}`...)
		} else if b, err = appendSchema(b, s.Key, "", false); err != nil {
			return nil, fmt.Errorf("map keys: %w", err)
		}
		b = append(b, `,"values":`...)
		if b, err = appendSchema(b, s.Elem, "", false); err != nil {
			return nil, fmt.Errorf("map values: %w", err)
		}
	}
	b = append(b, `,"optional":`...)
	b = strconv.AppendBool(b, s.Optional || optional)
	if f.name != "" {
		b = append(b, `,"name":`...)
		b = appendString(b, f.name)
	}
	if f.version != 0 {
		b = append(b, `,"version":`...)
		b = strconv.AppendInt(b, int64(f.version), 10)
	}
	if s.Doc != "" {
		b = append(b, `,"doc":`...)
		b = appendString(b, s.Doc)
	}
	if len(f.params) > 0 {
		b = append(b, `,"parameters":{`...)
		for i, p := range f.params {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, p[0])
			b = append(b, ':')
			b = appendString(b, p[1])
		}
		b = append(b, '}')
	}
	if field != "" {
		b = append(b, `,"field":`...)
		b = appendString(b, field)
	}
	return append(b, '}'), nil
}

// parseSchema reads Kafka Connect's schema JSON, decoded generically, back
// into a schema. Names and parameters of the table in the package
// documentation give the logical types back; any other name is kept as
// Schema.Name of the base type, and its parameters are dropped.
func parseSchema(v any) (*connect.Schema, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema is %s, not an object", jsonKind(v))
	}
	typ, _ := m["type"].(string)
	s := &connect.Schema{}
	s.Optional, _ = m["optional"].(bool)
	s.Name, _ = m["name"].(string)
	s.Doc, _ = m["doc"].(string)
	params := map[string]string{}
	if p, ok := m["parameters"]; ok && p != nil {
		pm, ok := p.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("schema parameters are %s, not an object", jsonKind(p))
		}
		for k, v := range pm {
			sv, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("schema parameter %q is %s, not a string", k, jsonKind(v))
			}
			params[k] = sv
		}
	}
	intParam := func(name string) (int, error) {
		v, ok := params[name]
		if !ok {
			return 0, fmt.Errorf("schema %s has no parameter %q", s.Name, name)
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("schema %s: parameter %s=%q is not a count", s.Name, name, v)
		}
		return n, nil
	}
	var err error
	// A logical type: the name is Kafka's name slot; Schema.Name, if any,
	// is in paramName.
	setLogical := func(t connect.Type) {
		s.Type, s.Name = t, params[paramName]
	}
	switch typ {
	case "boolean":
		s.Type = connect.TypeBool
		if s.Name == nameBits {
			setLogical(connect.TypeBit)
			s.Width, err = intParam(paramLength)
		}
	case "int8":
		s.Type = connect.TypeInt8
	case "int16":
		s.Type = connect.TypeInt16
	case "int32":
		s.Type = connect.TypeInt32
		if s.Name == nameYear {
			setLogical(connect.TypeYear)
		}
	case "int64":
		s.Type = connect.TypeInt64
		switch s.Name {
		case nameUint64:
			setLogical(connect.TypeUint64)
		case nameBits:
			setLogical(connect.TypeBit)
			s.Width, err = intParam(paramLength)
		}
	case "float":
		s.Type = connect.TypeFloat32
	case "double":
		s.Type = connect.TypeFloat64
	case "bytes":
		s.Type = connect.TypeBytes
		// Kafka's Decimal and Debezium's Bits: scale and precision, length.
		_, err = dbzmodes.SetParameters(s, params)
	case "string":
		s.Type = connect.TypeString
		switch s.Name {
		case nameDecimal:
			setLogical(connect.TypeDecimal)
			if s.Scale, err = intParam(paramScale); err == nil {
				s.Precision, err = intParam(paramPrecision)
			}
		case nameDate:
			setLogical(connect.TypeDate)
		case nameTime:
			setLogical(connect.TypeTime)
			s.Fraction, err = intParam(paramFraction)
		case nameTimestamp:
			setLogical(connect.TypeTimestamp)
			s.Fraction, err = intParam(paramFraction)
		case nameZonedTimestamp:
			// Ours carries its fraction; Debezium's (no fraction) is a
			// string of that name, as Debezium's consumers read it.
			if _, ok := params[paramFraction]; ok {
				setLogical(connect.TypeTimestamp)
				s.Zoned = true
				s.Fraction, err = intParam(paramFraction)
			}
		case nameJSON:
			setLogical(connect.TypeJSON)
		case nameEnum, nameEnumSet:
			t := connect.TypeEnum
			if s.Name == nameEnumSet {
				t = connect.TypeSet
			}
			setLogical(t)
			s.Members, err = members(params)
		default:
			s.Charset = params[paramCharset]
		}
	case "array":
		s.Type = connect.TypeArray
		items, ok := m["items"]
		if !ok || items == nil {
			return nil, errors.New("array schema has no items")
		}
		if s.Elem, err = parseSchema(items); err != nil {
			return nil, fmt.Errorf("array items: %w", err)
		}
	case "map":
		s.Type = connect.TypeMap
		if s.Key, err = parseSchema(m["keys"]); err != nil {
			return nil, fmt.Errorf("map keys: %w", err)
		}
		if k := s.Key; k.Type == connect.TypeString && !k.Optional && k.Name == "" && k.Doc == "" && k.Charset == "" {
			s.Key = nil // string keys, the default
		}
		if s.Elem, err = parseSchema(m["values"]); err != nil {
			return nil, fmt.Errorf("map values: %w", err)
		}
	case "struct":
		return parseStruct(m, s)
	default:
		return nil, fmt.Errorf("schema of unknown type %q", m["type"])
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

func parseStruct(m map[string]any, s *connect.Schema) (*connect.Schema, error) {
	list, ok := m["fields"].([]any)
	if !ok {
		return nil, fmt.Errorf("struct schema %q: fields are %s, not an array", s.Name, jsonKind(m["fields"]))
	}
	fields := make([]connect.StructField, 0, len(list))
	seen := make(map[string]bool, len(list))
	for i, f := range list {
		fm, _ := f.(map[string]any)
		name, ok := fm["field"].(string)
		if !ok {
			return nil, fmt.Errorf("struct schema %q: field %d has no name", s.Name, i)
		}
		if seen[name] {
			return nil, fmt.Errorf("struct schema %q: two fields named %q", s.Name, name)
		}
		seen[name] = true
		fs, err := parseSchema(fm)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", name, err)
		}
		fields = append(fields, connect.StructField{Name: name, Schema: fs})
	}
	out := connect.NewStructSchema(s.Name, s.Optional, fields...)
	out.Doc = s.Doc
	return out, nil
}

// members reads the members of an enum or set schema.
func members(params map[string]string) ([]string, error) {
	if js, ok := params[paramMembers]; ok {
		d := getDecoder()
		defer putDecoder(d)
		v, err := d.decode([]byte(js))
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %w", paramMembers, err)
		}
		list, _ := v.([]any)
		out := make([]string, 0, len(list))
		for _, e := range list {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("parameter %s holds a %s", paramMembers, jsonKind(e))
			}
			out = append(out, s)
		}
		return out, nil
	}
	allowed, ok := params[paramAllowed]
	if !ok {
		return nil, fmt.Errorf("enum schema has no parameter %q", paramAllowed)
	}
	if allowed == "" {
		return []string{}, nil
	}
	return strings.Split(allowed, ","), nil
}

// jsonKind names the JSON kind of a generically decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	return "a number"
}
