package transforms

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// maskField is Kafka's MaskField$Key / $Value.
type maskField struct {
	op          operand
	fields      []string
	replacement string
	hasRepl     bool
	env         envelopes
}

var maskFieldSpec = connect.ConfigSpec{
	{Name: keyFields, Type: connect.FieldList, Required: true, Validate: nonEmptyList, Description: "Names of fields to mask."},
	{Name: "replacement", Validate: func(v string) error {
		if v == "" {
			return fmt.Errorf("must not be empty")
		}
		return nil
	}, Description: "Custom replacement applied to every masked value (numeric or non-empty string values only)."},
	replaceNullField,
}

func (t *maskField) Spec() connect.Spec {
	return connect.Spec{Name: kafkaPkg + "MaskField" + t.op.suffix(), Config: maskFieldSpec,
		Description: "Mask fields with the null value of their type (0, false, empty string, empty list or map) or a custom replacement."}
}

func (t *maskField) Configure(cfg connect.Config) error {
	cfg, errs := configure(maskFieldSpec, cfg)
	t.fields = cfg.List(keyFields)
	t.replacement, t.hasRepl = cfg["replacement"]
	if t.hasRepl && t.replacement == "" {
		errs.Add("replacement", "must not be empty: leave it out to mask with null values")
	}
	return errs.Err()
}

func (t *maskField) Apply(ctx context.Context, r *connect.Record) (*connect.Record, error) {
	s, m, err := requireRow(t.op.get(r, &t.env), "masking fields")
	if err != nil {
		return nil, err
	}
	if s != nil {
		out, err := t.maskStruct(ctx, r, s)
		if err != nil {
			return nil, err
		}
		t.op.set(r, out)
		return r, nil
	}
	out := editable(ctx, r, m)
	for _, f := range t.fields {
		v, ok := m[f]
		if !ok || v == nil {
			continue
		}
		masked, err := t.mask(nil, v)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f, err)
		}
		out[f] = masked
	}
	t.op.set(r, out)
	return r, nil
}

// maskStruct masks the fields of a row, whose schema stays as it is.
func (t *maskField) maskStruct(ctx context.Context, r *connect.Record, s *connect.Struct) (*connect.Struct, error) {
	var out *connect.Struct
	for _, f := range t.fields {
		i := s.Schema.FieldIndex(f)
		if i < 0 || s.Values[i] == nil {
			continue
		}
		masked, err := t.mask(s.Schema.Fields[i].Schema, s.Values[i])
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f, err)
		}
		if out == nil {
			out = retyped(ctx, r, s, s.Schema)
		}
		out.Values[i] = masked
	}
	if out == nil {
		return s, nil
	}
	return out, nil
}

// mask masks v, of schema fs when the row is typed (nil otherwise).
func (t *maskField) mask(fs *connect.Schema, v any) (any, error) {
	if fs != nil {
		if masked, ok, err := t.maskTyped(fs, v); ok {
			return masked, err
		}
	}
	if t.hasRepl {
		return maskWith(v, t.replacement)
	}
	return maskNull(v)
}

// maskTyped masks the logical types whose Go value alone does not say
// what their null is: a decimal masks to zero (Kafka's BigDecimal.ZERO,
// with the scale's digits), a time of day to midnight (Kafka's Time of
// Date(0)); a replacement for a date or time is refused, as Kafka refuses
// one for java.util.Date. ok is false for the other types.
func (t *maskField) maskTyped(fs *connect.Schema, v any) (masked any, ok bool, err error) {
	switch fs.Type {
	case connect.TypeDecimal:
		if !t.hasRepl {
			return new(big.Rat).FloatString(fs.Scale), true, nil
		}
		d, valid := new(big.Rat).SetString(strings.TrimSpace(t.replacement))
		if !valid {
			return nil, true, fmt.Errorf("unable to convert %s to a decimal", t.replacement)
		}
		return d.FloatString(fs.Scale), true, nil
	case connect.TypeTime:
		if !t.hasRepl {
			return "00:00:00", true, nil
		}
		return nil, true, fmt.Errorf("cannot mask a value of type %s with a custom replacement", fs.Type)
	case connect.TypeDate, connect.TypeTimestamp:
		if t.hasRepl {
			return nil, true, fmt.Errorf("cannot mask a value of type %s with a custom replacement", fs.Type)
		}
	}
	return nil, false, nil
}

func (*maskField) Close() error { return nil }

// maskNull is the valid null value of v's type: false, zero, "", the Unix
// epoch, or an empty list or map.
func maskNull(v any) (any, error) {
	switch x := v.(type) {
	case bool:
		return false, nil
	case string:
		return "", nil
	case json.Number:
		return json.Number("0"), nil
	case time.Time:
		return time.Unix(0, 0).UTC(), nil
	case *big.Int:
		return new(big.Int), nil
	case []byte:
		return nil, fmt.Errorf("cannot mask value of type %T", x)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return reflect.Zero(rv.Type()).Interface(), nil
	case reflect.Slice:
		return reflect.MakeSlice(rv.Type(), 0, 0).Interface(), nil
	case reflect.Map:
		return reflect.MakeMap(rv.Type()).Interface(), nil
	}
	return nil, fmt.Errorf("cannot mask value of type %T", v)
}

// maskWith converts the custom replacement to v's type: numbers and
// strings only, as Kafka's MaskField.
func maskWith(v any, repl string) (any, error) {
	bad := func() (any, error) {
		return nil, fmt.Errorf("unable to convert %s to the type of the value (%T)", repl, v)
	}
	switch v.(type) {
	case string:
		return repl, nil
	case json.Number:
		if _, err := strconv.ParseFloat(repl, 64); err != nil {
			return bad()
		}
		return json.Number(repl), nil
	case *big.Int:
		n, ok := new(big.Int).SetString(strings.TrimSpace(repl), 10)
		if !ok {
			return bad()
		}
		return n, nil
	}
	rv := reflect.ValueOf(v)
	out := reflect.New(rv.Type()).Elem()
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(repl), 10, rv.Type().Bits())
		if err != nil {
			return bad()
		}
		out.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(strings.TrimSpace(repl), 10, rv.Type().Bits())
		if err != nil {
			return bad()
		}
		out.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(repl), rv.Type().Bits())
		if err != nil {
			return bad()
		}
		out.SetFloat(f)
	default:
		return nil, fmt.Errorf("cannot mask value of type %T with a custom replacement", v)
	}
	return out.Interface(), nil
}
