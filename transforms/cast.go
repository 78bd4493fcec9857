package transforms

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// castType is a Kafka Connect schema type Cast converts to.
type castType string

const (
	castInt8    castType = "int8"
	castInt16   castType = "int16"
	castInt32   castType = "int32"
	castInt64   castType = "int64"
	castFloat32 castType = "float32"
	castFloat64 castType = "float64"
	castBool    castType = "boolean"
	castString  castType = "string"
)

var castOutputs = []castType{castInt8, castInt16, castInt32, castInt64, castFloat32, castFloat64, castBool, castString}

// cast is Kafka's Cast$Key / $Value: the whole key or value, or fields of
// a map, to int8..int64, float32, float64, boolean or string. The Go types
// of the results are int8, int16, int32, int64, float32, float64, bool and
// string.
type cast struct {
	op     operand
	whole  castType // set when the spec is a single type
	fields []fieldCast
	env    envelopes
	cache  schemaCache[*connect.Schema, *connect.Schema]
}

type fieldCast struct {
	name string
	to   castType
}

var castSpec = connect.ConfigSpec{
	{Name: "spec", Type: connect.FieldList, Required: true, Validate: func(v string) error { _, _, err := parseCastSpec(v); return err },
		Description: "field1:type,field2:type to cast fields of maps, or a single type to cast the whole value. Types: int8, int16, int32, int64, float32, float64, boolean, string; binary values cast to string only (base64)."},
	replaceNullField,
}

func (t *cast) Spec() connect.Spec {
	return connect.Spec{Name: kafkaPkg + "Cast" + t.op.suffix(), Config: castSpec,
		Description: "Cast fields or the entire key or value to a specific type."}
}

func parseCastType(s string) (castType, error) {
	ct := castType(strings.ToLower(strings.TrimSpace(s)))
	for _, ok := range castOutputs {
		if ct == ok {
			return ct, nil
		}
	}
	switch ct {
	case "bytes", "array", "map", "struct":
		return "", fmt.Errorf("cast transformation does not support casting to %s; supported types are %v", strings.ToUpper(string(ct)), castOutputs)
	}
	return "", fmt.Errorf("invalid type found in casting spec: %s", strings.TrimSpace(s))
}

func parseCastSpec(v string) (castType, []fieldCast, error) {
	items := splitList(v)
	if len(items) == 0 {
		return "", nil, errors.New("must specify at least one field to cast")
	}
	var whole castType
	var fields []fieldCast
	for _, item := range items {
		parts := strings.Split(item, ":")
		switch len(parts) {
		case 1:
			ct, err := parseCastType(parts[0])
			if err != nil {
				return "", nil, err
			}
			whole = ct
		case 2:
			ct, err := parseCastType(parts[1])
			if err != nil {
				return "", nil, err
			}
			fields = append(fields, fieldCast{name: strings.TrimSpace(parts[0]), to: ct})
		default:
			return "", nil, fmt.Errorf("invalid cast mapping: %s", item)
		}
	}
	if whole != "" && len(items) > 1 {
		return "", nil, errors.New("cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec")
	}
	return whole, fields, nil
}

func (t *cast) Configure(cfg connect.Config) error {
	cfg, errs := configure(castSpec, cfg)
	if len(errs.Fields) > 0 {
		return errs
	}
	t.whole, t.fields, _ = parseCastSpec(cfg.Get("spec"))
	return nil
}

func (t *cast) Apply(ctx context.Context, r *connect.Record) (*connect.Record, error) {
	v := t.op.get(r, &t.env)
	if v == nil {
		return r, nil
	}
	if t.whole != "" {
		if _, ok := v.(*connect.Struct); ok {
			return nil, fmt.Errorf("cast transformation does not support casting from STRUCT; supported types are %v", castInputs)
		}
		out, err := castValue(v, t.whole)
		if err != nil {
			return nil, err
		}
		t.op.set(r, out)
		return r, nil
	}
	s, m, err := requireRow(v, "cast types")
	if err != nil {
		return nil, err
	}
	if s != nil {
		out, err := t.castStruct(ctx, r, s)
		if err != nil {
			return nil, err
		}
		t.op.set(r, out)
		return r, nil
	}
	out := editable(ctx, r, m)
	for _, f := range t.fields {
		fv, ok := m[f.name]
		if !ok {
			continue
		}
		c, err := castValue(fv, f.to)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.name, err)
		}
		out[f.name] = c
	}
	t.op.set(r, out)
	return r, nil
}

// castStruct is Kafka's applyWithSchema: the cast fields get the target
// type's schema, optional when theirs was; the others keep theirs.
func (t *cast) castStruct(ctx context.Context, r *connect.Record, s *connect.Struct) (*connect.Struct, error) {
	us, err := t.cache.get(s.Schema, t.derive)
	if err != nil {
		return nil, err
	}
	in := s.Schema // s may become the output, in place
	var values []any
	for _, f := range t.fields {
		i := in.FieldIndex(f.name)
		if i < 0 {
			continue
		}
		c, err := castTyped(in.Fields[i].Schema, s.Values[i], f.to)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.name, err)
		}
		if values == nil {
			out := retyped(ctx, r, s, us)
			values = out.Values
			s = out
		}
		values[i] = c
	}
	if values == nil {
		return sharedRow(ctx, r, s, us), nil
	}
	return s, nil
}

func (t *cast) derive(in *connect.Schema) (*connect.Schema, error) {
	fields := slices.Clone(in.Fields)
	for _, f := range t.fields {
		i := in.FieldIndex(f.name)
		if i < 0 {
			continue
		}
		fields[i].Schema = &connect.Schema{Type: castSchemaTypes[f.to], Optional: in.Fields[i].Schema.Optional}
	}
	return structLike(in, fields)
}

// castSchemaTypes are the logical types of Cast's targets.
var castSchemaTypes = map[castType]connect.Type{
	castInt8: connect.TypeInt8, castInt16: connect.TypeInt16, castInt32: connect.TypeInt32, castInt64: connect.TypeInt64,
	castFloat32: connect.TypeFloat32, castFloat64: connect.TypeFloat64, castBool: connect.TypeBool, castString: connect.TypeString,
}

// castTyped casts a value of schema fs as Kafka's castValueToType does
// with a schema: the schema's type decides what the value is. Numbers,
// booleans, strings (JSON, enum and set are strings, as Debezium writes
// them) and bytes are cast as without a schema; a decimal is a number;
// a date, time or timestamp becomes text in Kafka's ISO 8601 forms, or a
// number as Kafka's logical types encode them (days, milliseconds of the
// day, Unix milliseconds). Arrays, maps and structs cannot be cast.
func castTyped(fs *connect.Schema, v any, to castType) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch fs.Type {
	case connect.TypeArray, connect.TypeMap, connect.TypeStruct:
		return nil, fmt.Errorf("cast transformation does not support casting from %s; supported types are %v", strings.ToUpper(fs.Type.String()), castInputs)
	case connect.TypeDecimal:
		d, ok := v.(string)
		if !ok {
			break
		}
		if to == castString {
			return d, nil
		}
		n, err := decimalNumber(d, to)
		if err != nil {
			return nil, err
		}
		return castNumber(n, to), nil
	case connect.TypeDate, connect.TypeTimestamp:
		tv, ok := v.(time.Time)
		if !ok {
			break
		}
		tv = tv.UTC()
		if to == castString {
			return kafkaDateString(tv), nil
		}
		if fs.Type == connect.TypeDate {
			return castNumber(number{i: floorDiv(tv.Unix(), 86400)}, to), nil
		}
		return castNumber(number{i: tv.UnixMilli()}, to), nil
	case connect.TypeTime:
		tv, ok := v.(string)
		if !ok || to == castString {
			break
		}
		d, err := parseTimeOfDay(tv)
		if err != nil {
			return nil, err
		}
		return castNumber(number{i: d.Milliseconds()}, to), nil
	}
	return castValue(v, to)
}

// decimalNumber reads a decimal's text as Java's BigDecimal gives numbers:
// floats for float targets, else the integer part, wrapped to 64 bits.
func decimalNumber(d string, to castType) (number, error) {
	if to == castFloat32 || to == castFloat64 {
		f, err := strconv.ParseFloat(strings.TrimSpace(d), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return number{}, fmt.Errorf("decimal value (%s) is not a number", d)
		}
		return number{f: f, isFloat: true}, nil
	}
	x, ok := new(big.Rat).SetString(strings.TrimSpace(d))
	if !ok {
		return number{}, fmt.Errorf("decimal value (%s) is not a number", d)
	}
	i := new(big.Int).Quo(x.Num(), x.Denom()) // truncated toward zero
	return number{i: int64(new(big.Int).And(i, maxUint64).Uint64())}, nil
}

var maxUint64 = new(big.Int).SetUint64(math.MaxUint64)

// kafkaDateString is Kafka's Values.dateFormatFor: a time of day before
// the first day as HH:mm:ss.SSS'Z', a midnight as yyyy-MM-dd, anything
// else as yyyy-MM-dd'T'HH:mm:ss.SSS'Z' (in UTC).
func kafkaDateString(t time.Time) string {
	ms := t.UnixMilli()
	switch {
	case ms >= 0 && ms < 86400000:
		return t.Format("15:04:05.000Z")
	case ms%86400000 == 0:
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// parseTimeOfDay reads a connect.TypeTime value, "[-]HH:MM:SS[.f]" (hours
// may exceed 24).
func parseTimeOfDay(s string) (time.Duration, error) {
	bad := fmt.Errorf("time value %q is not [-]HH:MM:SS[.fraction]", s)
	t, neg := strings.CutPrefix(s, "-")
	hms, frac, _ := strings.Cut(t, ".")
	parts := strings.Split(hms, ":")
	if len(parts) != 3 {
		return 0, bad
	}
	var d time.Duration
	for i, unit := range []time.Duration{time.Hour, time.Minute, time.Second} {
		n, err := strconv.ParseUint(parts[i], 10, 32)
		if err != nil || (i > 0 && n > 59) {
			return 0, bad
		}
		d += time.Duration(n) * unit
	}
	if frac != "" {
		if len(frac) > 9 {
			return 0, bad
		}
		n, err := strconv.ParseUint(frac, 10, 32)
		if err != nil {
			return 0, bad
		}
		for range 9 - len(frac) {
			n *= 10
		}
		d += time.Duration(n)
	}
	if neg {
		d = -d
	}
	return d, nil
}

func (*cast) Close() error { return nil }

// number is a numeric value as Java's Number sees it: an integer or a
// floating-point value.
type number struct {
	i       int64
	f       float64
	isFloat bool
	f32     bool // a float32: Float.toString formatting
}

// asNumber classifies v for Cast. ok is false for non-numbers; err is set
// for numbers Kafka Connect has no type for (unsigned above int64).
func asNumber(v any) (n number, ok bool, err error) {
	switch x := v.(type) {
	case int:
		return number{i: int64(x)}, true, nil
	case int8:
		return number{i: int64(x)}, true, nil
	case int16:
		return number{i: int64(x)}, true, nil
	case int32:
		return number{i: int64(x)}, true, nil
	case int64:
		return number{i: x}, true, nil
	case uint:
		return unsignedNumber(uint64(x))
	case uint8:
		return number{i: int64(x)}, true, nil
	case uint16:
		return number{i: int64(x)}, true, nil
	case uint32:
		return number{i: int64(x)}, true, nil
	case uint64:
		return unsignedNumber(x)
	case float32:
		return number{f: float64(x), isFloat: true, f32: true}, true, nil
	case float64:
		return number{f: x, isFloat: true}, true, nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return number{i: i}, true, nil
		}
		f, err := x.Float64()
		if err != nil {
			return number{}, true, fmt.Errorf("value (%s) was out of range for requested data type", x)
		}
		return number{f: f, isFloat: true}, true, nil
	}
	return number{}, false, nil
}

func unsignedNumber(u uint64) (number, bool, error) {
	if u > math.MaxInt64 {
		return number{}, true, fmt.Errorf("value (%d) is beyond int64, which Kafka Connect's types cannot hold", u)
	}
	return number{i: int64(u)}, true, nil
}

// long is Number.longValue: floats truncate toward zero and saturate.
func (n number) long() int64 {
	if !n.isFloat {
		return n.i
	}
	return saturate(n.f, math.MinInt64, math.MaxInt64)
}

// int32Value is Number.intValue, the base of byteValue and shortValue:
// longs wrap, floats saturate to int32 first.
func (n number) int32Value() int32 {
	if !n.isFloat {
		return int32(n.i)
	}
	return int32(saturate(n.f, math.MinInt32, math.MaxInt32))
}

func saturate(f float64, lo, hi int64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f <= float64(lo):
		return lo
	case f >= float64(hi):
		return hi
	}
	return int64(f)
}

func (n number) float() float64 {
	if n.isFloat {
		return n.f
	}
	return float64(n.i)
}

// castValue is Cast.castValueToType for schemaless values.
func castValue(v any, to castType) (any, error) {
	if v == nil {
		return nil, nil
	}
	n, isNum, err := asNumber(v)
	if err != nil {
		return nil, err
	}
	if isNum {
		return castNumber(n, to), nil
	}
	switch x := v.(type) {
	case bool:
		b := int64(0)
		if x {
			b = 1
		}
		if to == castBool {
			return x, nil
		}
		if to == castString {
			return strconv.FormatBool(x), nil
		}
		return castNumber(number{i: b}, to), nil
	case string:
		return castFromString(x, to)
	case []byte:
		if to != castString {
			return nil, fmt.Errorf("cast transformation can cast binary values only to string, not to %s", to)
		}
		return base64.StdEncoding.EncodeToString(x), nil
	case map[string]any:
		return nil, fmt.Errorf("cast transformation does not support casting from MAP; supported types are %v", castInputs)
	case []any:
		return nil, fmt.Errorf("cast transformation does not support casting from ARRAY; supported types are %v", castInputs)
	}
	return nil, fmt.Errorf("cast transformation was passed a value of type %T, which Kafka Connect's data API does not support", v)
}

var castInputs = []string{"int8", "int16", "int32", "int64", "float32", "float64", "boolean", "string", "bytes"}

func castNumber(n number, to castType) any {
	switch to {
	case castInt8:
		if n.isFloat {
			return int8(n.int32Value())
		}
		return int8(n.i)
	case castInt16:
		if n.isFloat {
			return int16(n.int32Value())
		}
		return int16(n.i)
	case castInt32:
		return n.int32Value()
	case castInt64:
		return n.long()
	case castFloat32:
		return float32(n.float())
	case castFloat64:
		return n.float()
	case castBool:
		return n.long() != 0
	default: // string
		switch {
		case n.f32:
			return javaFloat(n.f, 32)
		case n.isFloat:
			return javaFloat(n.f, 64)
		}
		return strconv.FormatInt(n.i, 10)
	}
}

// castFromString parses s as Java's Byte/Short/Integer/Long.parseX,
// Float/Double.parseX and Boolean.parseBoolean do.
func castFromString(s string, to castType) (any, error) {
	outOfRange := func() error {
		return fmt.Errorf("value (%s) was out of range for requested data type %s", s, to)
	}
	parseInt := func(bits int) (int64, error) {
		n, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return 0, outOfRange()
		}
		return n, nil
	}
	switch to {
	case castInt8:
		n, err := parseInt(8)
		return int8(n), err
	case castInt16:
		n, err := parseInt(16)
		return int16(n), err
	case castInt32:
		n, err := parseInt(32)
		return int32(n), err
	case castInt64:
		return parseInt(64)
	case castFloat32, castFloat64:
		bits := 64
		if to == castFloat32 {
			bits = 32
		}
		t := strings.TrimSpace(s)
		t = strings.TrimRight(t, "fFdD")
		f, err := strconv.ParseFloat(t, bits)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, outOfRange()
		}
		if bits == 32 {
			return float32(f), nil
		}
		return f, nil
	case castBool:
		return strings.EqualFold(s, "true"), nil
	default:
		return s, nil
	}
}

// javaFloat formats f as Java's Double.toString (bits 64) or
// Float.toString (bits 32): shortest digits, plain notation with at least
// one decimal for magnitudes in [1e-3, 1e7), else d.dddE±n.
func javaFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(f, 'e', -1, bits) // -d.ddde±xx
	neg := e[0] == '-'
	if neg {
		e = e[1:]
	}
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		if exp >= 0 {
			intLen := exp + 1
			for len(digits) < intLen {
				digits += "0"
			}
			b.WriteString(digits[:intLen])
			b.WriteByte('.')
			if frac := digits[intLen:]; frac != "" {
				b.WriteString(frac)
			} else {
				b.WriteByte('0')
			}
		} else {
			b.WriteString("0.")
			b.WriteString(strings.Repeat("0", -exp-1))
			b.WriteString(digits)
		}
		return b.String()
	}
	b.WriteString(digits[:1])
	b.WriteByte('.')
	if len(digits) > 1 {
		b.WriteString(digits[1:])
	} else {
		b.WriteByte('0')
	}
	b.WriteByte('E')
	b.WriteString(strconv.Itoa(exp))
	return b.String()
}
