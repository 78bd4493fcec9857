package transforms

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// withHeaders returns a copy of h with room for n more, never nil: a
// record's headers may be shared with other records.
func withHeaders(h connect.Headers, n int) connect.Headers {
	out := make(connect.Headers, len(h)+n)
	maps.Copy(out, h)
	return out
}

// headerFrom is Kafka's HeaderFrom$Key / $Value.
type headerFrom struct {
	op      operand
	fields  []string
	headers []string
	move    bool
	env     envelopes
	cache   schemaCache[*connect.Schema, *reshape]
}

var headerFromSpec = connect.ConfigSpec{
	{Name: keyFields, Type: connect.FieldList, Required: true, Validate: nonEmptyList,
		Description: "Field names whose values are copied or moved to headers."},
	{Name: "headers", Type: connect.FieldList, Required: true, Validate: func(v string) error {
		if err := nonEmptyList(v); err != nil {
			return err
		}
		return reservedHeaders(v)
	}, Description: "Header names, in the same order as the field names."},
	{Name: "operation", Required: true, Allowed: []string{"move", "copy"},
		Description: "move: the fields are removed from the key or value; copy: they are kept."},
	replaceNullField,
}

func (t *headerFrom) Spec() connect.Spec {
	return connect.Spec{Name: kafkaPkg + "HeaderFrom" + t.op.suffix(), Config: headerFromSpec,
		Description: "Move or copy fields of the key or value into headers."}
}

func (t *headerFrom) Configure(cfg connect.Config) error {
	cfg, errs := configure(headerFromSpec, cfg)
	if len(errs.Fields) > 0 {
		return errs
	}
	t.fields, t.headers = cfg.List(keyFields), cfg.List("headers")
	t.move = cfg.Get("operation") == "move"
	if len(t.fields) != len(t.headers) {
		errs.Add("headers", "names %d headers for %d fields: fields and headers must have the same number of items", len(t.headers), len(t.fields))
	}
	return errs.Err()
}

func (t *headerFrom) Apply(ctx context.Context, r *connect.Record) (*connect.Record, error) {
	s, m, err := requireRow(t.op.get(r, &t.env), "header "+map[bool]string{true: "move", false: "copy"}[t.move])
	if err != nil {
		return nil, err
	}
	h := withHeaders(r.Headers, len(t.headers))
	for i, f := range t.fields {
		var v any
		if s != nil {
			j := s.Schema.FieldIndex(f)
			if j < 0 {
				return nil, fmt.Errorf("%s is not a valid field name", f) // Kafka's Struct.get
			}
			v = s.Values[j]
		} else {
			v = m[f]
		}
		str, ok, err := headerString(v)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f, err)
		}
		if ok {
			h[t.headers[i]] = str
		} else {
			delete(h, t.headers[i])
		}
	}
	if t.move {
		if s != nil {
			d, err := t.cache.get(s.Schema, t.derive)
			if err != nil {
				return nil, err
			}
			t.op.set(r, d.apply(ctx, r, s))
		} else {
			out := editable(ctx, r, m)
			for _, f := range t.fields {
				delete(out, f)
			}
			t.op.set(r, out)
		}
	}
	r.Headers = h
	return r, nil
}

// derive drops the moved fields from a row schema.
func (t *headerFrom) derive(in *connect.Schema) (*reshape, error) {
	var fields []connect.StructField
	var from []int
	for i, f := range in.Fields {
		if !slices.Contains(t.fields, f.Name) {
			fields = append(fields, f)
			from = append(from, i)
		}
	}
	return newReshape(in, fields, from)
}

func (*headerFrom) Close() error { return nil }

// headerString renders a field value as a header: strings as they are,
// numbers and booleans as Kafka's header converter writes them, bytes in
// base64, times as ISO 8601 in UTC with milliseconds, lists and maps as
// JSON. A null value gives no header (ok false).
func headerString(v any) (s string, ok bool, err error) {
	switch x := v.(type) {
	case nil:
		return "", false, nil
	case string:
		return x, true, nil
	case bool:
		return strconv.FormatBool(x), true, nil
	case []byte:
		return base64.StdEncoding.EncodeToString(x), true, nil
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.000Z"), true, nil
	case json.Number:
		return x.String(), true, nil
	}
	if n, isNum, err := asNumber(v); isNum {
		if err != nil {
			return "", false, err
		}
		return castNumber(n, castString).(string), true, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", false, fmt.Errorf("cannot write a %T as a header: %w", v, err)
	}
	return string(b), true, nil
}

// insertHeader is Kafka's InsertHeader.
type insertHeader struct {
	header, value string
}

var insertHeaderSpec = connect.ConfigSpec{
	{Name: "header", Required: true, Validate: reservedHeaders, Description: "The name of the header."},
	{Name: "value.literal", Required: true, Description: "The literal value set as the header on all records."},
}

func (*insertHeader) Spec() connect.Spec {
	return connect.Spec{Name: kafkaPkg + "InsertHeader", Config: insertHeaderSpec, Description: "Add a header to each record."}
}

func (t *insertHeader) Configure(cfg connect.Config) error {
	cfg, errs := configure(insertHeaderSpec, cfg)
	t.header, t.value = cfg.Get("header"), cfg.Get("value.literal")
	return errs.Err()
}

func (t *insertHeader) Apply(_ context.Context, r *connect.Record) (*connect.Record, error) {
	h := withHeaders(r.Headers, 1)
	h[t.header] = t.value
	r.Headers = h
	return r, nil
}

func (*insertHeader) Close() error { return nil }

// dropHeaders is Kafka's DropHeaders.
type dropHeaders struct {
	headers []string
}

var dropHeadersSpec = connect.ConfigSpec{
	{Name: "headers", Type: connect.FieldList, Required: true, Validate: nonEmptyList, Description: "The names of the headers to remove."},
}

func (*dropHeaders) Spec() connect.Spec {
	return connect.Spec{Name: kafkaPkg + "DropHeaders", Config: dropHeadersSpec, Description: "Remove one or more headers from each record."}
}

func (t *dropHeaders) Configure(cfg connect.Config) error {
	cfg, errs := configure(dropHeadersSpec, cfg)
	t.headers = cfg.List("headers")
	return errs.Err()
}

func (t *dropHeaders) Apply(_ context.Context, r *connect.Record) (*connect.Record, error) {
	present := false
	for _, name := range t.headers {
		if _, ok := r.Headers[name]; ok {
			present = true
			break
		}
	}
	if !present {
		return r, nil
	}
	h := withHeaders(r.Headers, 0)
	for _, name := range t.headers {
		delete(h, name)
	}
	if len(h) == 0 {
		h = nil
	}
	r.Headers = h
	return r, nil
}

func (*dropHeaders) Close() error { return nil }
