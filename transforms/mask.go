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
	m, err := requireMap(t.op.get(r), "masking fields")
	if err != nil {
		return nil, err
	}
	out := editable(ctx, r, m)
	for _, f := range t.fields {
		v, ok := m[f]
		if !ok || v == nil {
			continue
		}
		var masked any
		if t.hasRepl {
			masked, err = maskWith(v, t.replacement)
		} else {
			masked, err = maskNull(v)
		}
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f, err)
		}
		out[f] = masked
	}
	t.op.set(r, out)
	return r, nil
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
