package transforms

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// Target types of TimestampConverter: Kafka's names.
const (
	tsString    = "string"
	tsUnix      = "unix"
	tsDate      = "Date"
	tsTime      = "Time"
	tsTimestamp = "Timestamp"
)

// timestampConverter is Kafka's TimestampConverter$Key / $Value. Inputs are
// inferred from the Go type: time.Time is a Timestamp, an integer is Unix
// time in unix.precision, a string is parsed with format. Date, Time and
// Timestamp results are time.Time values in UTC.
type timestampConverter struct {
	op        operand
	field     string
	target    string
	format    *dateFormat
	precision time.Duration
	env       envelopes
	cache     schemaCache[*connect.Schema, *connect.Schema]
}

var timestampConverterSpec = connect.ConfigSpec{
	{Name: keyField, Description: "The field holding the timestamp, or empty when the whole value is the timestamp."},
	{Name: "target.type", Required: true, Allowed: []string{tsString, tsUnix, tsDate, tsTime, tsTimestamp},
		Description: "The desired representation: string, unix, Date, Time or Timestamp."},
	{Name: "format", Description: "A java.text.SimpleDateFormat pattern (in UTC), to write strings when target.type=string and to parse string inputs."},
	{Name: "unix.precision", Default: "milliseconds", Allowed: []string{"seconds", "milliseconds", "microseconds", "nanoseconds"},
		Description: "Unit of Unix timestamps, read and written."},
	replaceNullField,
}

func (t *timestampConverter) Spec() connect.Spec {
	return connect.Spec{Name: kafkaPkg + "TimestampConverter" + t.op.suffix(), Config: timestampConverterSpec,
		Description: "Convert timestamps between Unix epoch, strings, and Date/Time/Timestamp values, in a field or the whole value."}
}

func (t *timestampConverter) Configure(cfg connect.Config) error {
	cfg, errs := configure(timestampConverterSpec, cfg)
	if len(errs.Fields) > 0 {
		return errs
	}
	t.field, t.target = cfg.Get(keyField), cfg.Get("target.type")
	if p := cfg.Get("format"); strings.TrimSpace(p) != "" {
		f, err := parseDateFormat(p)
		if err != nil {
			errs.Add("format", "%v", err)
		}
		t.format = f
	} else if t.target == tsString {
		errs.Add("format", "is required when target.type is string")
	}
	t.precision = map[string]time.Duration{
		"seconds": time.Second, "milliseconds": time.Millisecond, "microseconds": time.Microsecond, "nanoseconds": time.Nanosecond,
	}[cfg.Get("unix.precision")]
	return errs.Err()
}

func (t *timestampConverter) Apply(ctx context.Context, r *connect.Record) (*connect.Record, error) {
	v := t.op.get(r, &t.env)
	if v == nil || t.field == "" {
		if _, ok := v.(*connect.Struct); ok {
			return nil, fmt.Errorf("timestampConverter does not support a struct as a timestamp: set field to convert one of its fields")
		}
		out, err := t.convert(v)
		if err != nil {
			return nil, err
		}
		t.op.set(r, out)
		return r, nil
	}
	s, m, err := requireRow(v, "converting timestamp formats")
	if err != nil {
		return nil, err
	}
	if s != nil {
		out, err := t.convertStruct(ctx, r, s)
		if err != nil {
			return nil, err
		}
		t.op.set(r, out)
		return r, nil
	}
	fv, ok := m[t.field]
	if !ok {
		return r, nil
	}
	c, err := t.convert(fv)
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", t.field, err)
	}
	out := editable(ctx, r, m)
	out[t.field] = c
	t.op.set(r, out)
	return r, nil
}

// convertStruct is Kafka's applyWithSchema on a struct: the field's schema
// says what its value is (a date or timestamp, an int64 of Unix time, a
// string in format, a time of day), any other type is an error; the field
// gets the target's schema, optional when its was. A row without the field
// passes unchanged.
func (t *timestampConverter) convertStruct(ctx context.Context, r *connect.Record, s *connect.Struct) (*connect.Struct, error) {
	i := s.Schema.FieldIndex(t.field)
	if i < 0 {
		return s, nil
	}
	fs := s.Schema.Fields[i].Schema
	us, err := t.cache.get(s.Schema, t.derive)
	if err != nil {
		return nil, err
	}
	v := s.Values[i]
	if v != nil {
		if fs.Type == connect.TypeTime {
			str, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("field %s: %T is not a value of type time", t.field, v)
			}
			d, err := parseTimeOfDay(str)
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", t.field, err)
			}
			v = time.Unix(0, 0).Add(d).UTC()
		}
		if v, err = t.convert(v); err != nil {
			return nil, fmt.Errorf("field %s: %w", t.field, err)
		}
		if t.target == tsTime {
			v = timeOfDay(v.(time.Time), us.Fields[i].Schema.Fraction)
		}
	}
	out := retyped(ctx, r, s, us)
	out.Values[i] = v
	return out, nil
}

// derive gives the field the target type's schema. Kafka's Time becomes
// connect.TypeTime, whose values are text; Time and Timestamp keep the
// input's fraction digits (Unix time: the precision's; text: 3).
func (t *timestampConverter) derive(in *connect.Schema) (*connect.Schema, error) {
	i := in.FieldIndex(t.field)
	fs := in.Fields[i].Schema
	frac, zoned := 3, true
	switch fs.Type {
	case connect.TypeTimestamp:
		frac, zoned = fs.Fraction, fs.Zoned
	case connect.TypeTime:
		frac = fs.Fraction
	case connect.TypeDate:
		frac = 0
	case connect.TypeInt64:
		frac = map[time.Duration]int{time.Second: 0, time.Millisecond: 3, time.Microsecond: 6, time.Nanosecond: 9}[t.precision]
	case connect.TypeString:
	default:
		return nil, fmt.Errorf("field %s: schema type %s does not correspond to a known timestamp type format", t.field, fs.Type)
	}
	out := &connect.Schema{Optional: fs.Optional}
	switch t.target {
	case tsString:
		out.Type = connect.TypeString
	case tsUnix:
		out.Type = connect.TypeInt64
	case tsDate:
		out.Type = connect.TypeDate
	case tsTime:
		out.Type, out.Fraction = connect.TypeTime, frac
	default:
		out.Type, out.Fraction, out.Zoned = connect.TypeTimestamp, frac, zoned
	}
	fields := slices.Clone(in.Fields)
	fields[i].Schema = out
	return structLike(in, fields)
}

// timeOfDay writes t's time of day as connect.TypeTime holds it, with
// frac fraction digits.
func timeOfDay(t time.Time, frac int) string {
	layout := "15:04:05"
	if frac > 0 {
		layout += "." + strings.Repeat("0", frac)
	}
	return t.Format(layout)
}

func (*timestampConverter) Close() error { return nil }

func (t *timestampConverter) convert(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	var ts time.Time
	switch x := v.(type) {
	case time.Time:
		ts = x
	case string:
		if t.format == nil {
			return nil, fmt.Errorf("cannot parse the string timestamp %q: the format setting is empty", x)
		}
		p, err := t.format.parse(x)
		if err != nil {
			return nil, fmt.Errorf("could not parse timestamp: %w", err)
		}
		ts = p
	case json.Number:
		n, err := x.Int64()
		if err != nil {
			return nil, fmt.Errorf("timestampConverter does not support %s (not an integer) as a Unix timestamp", x)
		}
		ts = t.fromUnix(n)
	default:
		n, isNum, err := asNumber(v)
		if err != nil {
			return nil, err
		}
		if !isNum || n.isFloat {
			return nil, fmt.Errorf("timestampConverter does not support %T values as timestamps", v)
		}
		ts = t.fromUnix(n.i)
	}
	ts = ts.UTC()
	switch t.target {
	case tsString:
		return t.format.format(ts), nil
	case tsUnix:
		return t.toUnix(ts), nil
	case tsDate:
		y, m, d := ts.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	case tsTime:
		return time.Date(1970, time.January, 1, ts.Hour(), ts.Minute(), ts.Second(), ts.Nanosecond(), time.UTC), nil
	default:
		return ts, nil
	}
}

func (t *timestampConverter) fromUnix(n int64) time.Time {
	switch t.precision {
	case time.Second:
		return time.Unix(n, 0)
	case time.Microsecond:
		return time.UnixMicro(n)
	case time.Nanosecond:
		return time.Unix(0, n)
	}
	return time.UnixMilli(n)
}

// toUnix truncates toward zero, as Java's TimeUnit conversions do, and
// saturates nanoseconds beyond int64.
func (t *timestampConverter) toUnix(ts time.Time) int64 {
	switch t.precision {
	case time.Second:
		return ts.UnixMilli() / 1000
	case time.Microsecond:
		return ts.UnixMicro()
	case time.Nanosecond:
		switch {
		case ts.Before(minNano):
			return math.MinInt64
		case ts.After(maxNano):
			return math.MaxInt64
		}
		return ts.UnixNano()
	}
	return ts.UnixMilli()
}

var (
	minNano = time.Unix(0, math.MinInt64)
	maxNano = time.Unix(0, math.MaxInt64)
)
