package converter

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// typedCase is one logical type: a schema and a value of it.
type typedCase struct {
	name   string
	schema *connect.Schema
	value  any
}

func sch(t connect.Type) *connect.Schema { return &connect.Schema{Type: t} }

// typedCases covers every logical type, with the parameters each has.
func typedCases() []typedCase {
	inner := connect.NewStructSchema("shop.Address", true,
		connect.StructField{Name: "city", Schema: sch(connect.TypeString)},
		connect.StructField{Name: "zip", Schema: &connect.Schema{Type: connect.TypeInt32, Optional: true}},
	)
	return []typedCase{
		{"bool", sch(connect.TypeBool), true},
		{"int8", sch(connect.TypeInt8), int64(-128)},
		{"int16", sch(connect.TypeInt16), int64(32767)},
		{"int32", sch(connect.TypeInt32), int64(math.MinInt32)},
		{"int64", sch(connect.TypeInt64), int64(math.MaxInt64)},
		{"uint64 small", sch(connect.TypeUint64), int64(5)},
		{"uint64 big", sch(connect.TypeUint64), uint64(math.MaxUint64)},
		{"float32", sch(connect.TypeFloat32), 1.5},
		{"float64", sch(connect.TypeFloat64), 3.141592653589793},
		{"float64 whole", sch(connect.TypeFloat64), 2.0},
		{"decimal", &connect.Schema{Type: connect.TypeDecimal, Precision: 10, Scale: 2}, "-12.50"},
		{"decimal big", &connect.Schema{Type: connect.TypeDecimal, Precision: 65, Scale: 30}, "12345678901234567890123456789012345.123456789012345678901234567890"},
		{"date", sch(connect.TypeDate), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"time", &connect.Schema{Type: connect.TypeTime, Fraction: 6}, "-838:59:59.000000"},
		{"time 0", sch(connect.TypeTime), "12:00:01"},
		{"datetime", &connect.Schema{Type: connect.TypeTimestamp, Fraction: 3}, time.Date(2024, 1, 2, 3, 4, 5, 123000000, time.UTC)},
		{"timestamp", &connect.Schema{Type: connect.TypeTimestamp, Fraction: 6, Zoned: true}, time.Date(1970, 1, 1, 0, 0, 1, 1000, time.UTC)},
		{"year", sch(connect.TypeYear), int64(2155)},
		{"year 0", sch(connect.TypeYear), int64(0)},
		{"string", sch(connect.TypeString), "héllo \"world\""},
		{"string latin1", &connect.Schema{Type: connect.TypeString, Charset: "latin1"}, "abc"},
		{"bytes", sch(connect.TypeBytes), []byte{0, 1, 2, 255}},
		{"json", sch(connect.TypeJSON), `{"a":[1,2]}`},
		{"enum", &connect.Schema{Type: connect.TypeEnum, Members: []string{"small", "medium", "large"}}, "medium"},
		{"enum comma", &connect.Schema{Type: connect.TypeEnum, Members: []string{"a,b", "c"}}, "a,b"},
		{"set", &connect.Schema{Type: connect.TypeSet, Members: []string{"r", "w", "x"}}, "r,x"},
		{"bit 1", &connect.Schema{Type: connect.TypeBit, Width: 1}, true},
		{"bit 64", &connect.Schema{Type: connect.TypeBit, Width: 64}, uint64(math.MaxUint64)},
		{"bit 8", &connect.Schema{Type: connect.TypeBit, Width: 8}, int64(0xA5)},
		{"array", &connect.Schema{Type: connect.TypeArray, Elem: sch(connect.TypeDate)}, []any{time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"map", &connect.Schema{Type: connect.TypeMap, Elem: &connect.Schema{Type: connect.TypeBytes, Optional: true}}, map[string]any{"a": []byte("x"), "b": nil}},
		{"map int keys", &connect.Schema{Type: connect.TypeMap, Key: sch(connect.TypeInt32), Elem: sch(connect.TypeString)}, map[string]any{"1": "one"}},
		{"struct", inner, connect.NewStruct(inner, "Paris", nil)},
		{"named int", &connect.Schema{Type: connect.TypeInt64, Name: "custom.Id", Doc: "the id"}, int64(1)},
		{"named decimal", &connect.Schema{Type: connect.TypeDecimal, Name: "custom.Money", Precision: 5, Scale: 0}, "12345"},
		{"optional null", &connect.Schema{Type: connect.TypeDecimal, Precision: 5, Scale: 1, Optional: true}, nil},
	}
}

// rowOf puts every case into one row, so that each is a field.
func rowOf(cases []typedCase) *connect.Struct {
	fields := make([]connect.StructField, len(cases))
	values := make([]any, len(cases))
	for i, c := range cases {
		fields[i] = connect.StructField{Name: c.name, Schema: c.schema}
		values[i] = c.value
	}
	return connect.NewStruct(connect.NewStructSchema("db.shop.items.Value", true, fields...), values...)
}

func equalRows(t *testing.T, what string, got any, want *connect.Struct) {
	t.Helper()
	g, ok := got.(*connect.Struct)
	if !ok {
		t.Fatalf("%s: %T, want a *connect.Struct", what, got)
	}
	if !g.Schema.Equal(want.Schema) {
		t.Fatalf("%s: schema\n got %s\nwant %s", what, g.Schema, want.Schema)
	}
	for i, f := range want.Schema.Fields {
		if !reflect.DeepEqual(g.Values[i], want.Values[i]) {
			t.Errorf("%s: field %s = %#v (%T), want %#v (%T)", what, f.Name, g.Values[i], g.Values[i], want.Values[i], want.Values[i])
		}
	}
}

// Every logical type goes through the envelope and comes back with an
// equal schema and equal values, as a value, as a key, and as a field of
// a row.
func TestSchemaRoundTripEveryType(t *testing.T) {
	c := NewJSON(WithKeySchemas(true), WithValueSchemas(true))
	for _, tc := range typedCases() {
		t.Run(tc.name, func(t *testing.T) {
			row := rowOf([]typedCase{tc})
			m, err := c.Encode(&connect.Record{Topic: "t", Key: row, Value: row})
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if !json.Valid(m.Value) {
				t.Fatalf("invalid JSON %s", m.Value)
			}
			if m.Headers[HeaderValueSchema] != "envelope" || m.Headers[HeaderKeySchema] != "envelope" || m.Headers[HeaderValueTypes] != "" {
				t.Errorf("headers %v", m.Headers)
			}
			r, err := c.Decode(m)
			if err != nil {
				t.Fatalf("Decode %s: %v", m.Value, err)
			}
			equalRows(t, "value", r.Value, row)
			equalRows(t, "key", r.Key, row)
			if r.Headers != nil {
				t.Errorf("Headers = %v", r.Headers)
			}
			// A plain JSON converter reads it too: the header says what it is.
			r, err = NewJSON().Decode(m)
			if err != nil {
				t.Fatalf("plain Decode: %v", err)
			}
			equalRows(t, "value read by a plain converter", r.Value, row)
		})
	}
	row := rowOf(typedCases())
	m, err := c.Encode(&connect.Record{Topic: "t", Value: row})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Decode(m)
	if err != nil {
		t.Fatal(err)
	}
	equalRows(t, "all types", r.Value, row)
}

// Without the envelope the same rows are plain JSON in schema order, and
// decode as maps whose bytes and times come back through the types
// header.
func TestSchemaRoundTripWithoutEnvelope(t *testing.T) {
	c := NewJSON()
	for _, tc := range typedCases() {
		row := rowOf([]typedCase{tc})
		m, err := c.Encode(&connect.Record{Topic: "t", Value: row})
		if err != nil {
			t.Fatalf("%s: Encode: %v", tc.name, err)
		}
		if strings.Contains(string(m.Value), `"schema"`) || m.Headers[HeaderValueSchema] != "" {
			t.Errorf("%s: envelope without schemas: %s", tc.name, m.Value)
		}
		r, err := c.Decode(m)
		if err != nil {
			t.Fatalf("%s: Decode: %v", tc.name, err)
		}
		got, ok := r.Value.(map[string]any)
		if !ok {
			t.Fatalf("%s: %T, want a map", tc.name, r.Value)
		}
		if d := diff(got[tc.name], decodedForm(plainForm(tc.value))); d != "" {
			t.Errorf("%s: %s", tc.name, d)
		}
	}
}

// plainForm is what a typed value is in untyped JSON: a row is its map.
func plainForm(v any) any {
	if r, ok := v.(*connect.Struct); ok {
		return r.Map()
	}
	return v
}

// A change event of typed rows is written with Debezium's envelope
// schema and comes back typed, rows sharing one decoded schema.
func TestSchemaChangeRoundTrip(t *testing.T) {
	c := NewJSON(WithValueSchemas(true))
	rowSchema := connect.NewStructSchema("dbserver1.inventory.customers.Value", true,
		connect.StructField{Name: "id", Schema: sch(connect.TypeInt32)},
		connect.StructField{Name: "email", Schema: &connect.Schema{Type: connect.TypeString, Optional: true}},
	)
	srcSchema := connect.NewStructSchema("io.debezium.connector.mysql.Source", false,
		connect.StructField{Name: "name", Schema: sch(connect.TypeString)},
		connect.StructField{Name: "pos", Schema: sch(connect.TypeInt64)},
	)
	for _, op := range []connect.Operation{connect.OpCreate, connect.OpUpdate, connect.OpDelete, connect.OpRead} {
		ch := &connect.Change{Op: op, Source: connect.NewStruct(srcSchema, "dbserver1", int64(154))}
		if op != connect.OpCreate && op != connect.OpRead {
			ch.Before = connect.NewStruct(rowSchema, int64(1001), "old@example.com")
		}
		if op != connect.OpDelete {
			ch.After = connect.NewStruct(rowSchema, int64(1001), nil)
		}
		ts := time.UnixMilli(1700000000123)
		m, err := c.Encode(&connect.Record{Topic: "t", Change: ch, Timestamp: ts})
		if err != nil {
			t.Fatalf("%s: Encode: %v", op, err)
		}
		var env struct {
			Schema struct {
				Name   string `json:"name"`
				Fields []struct {
					Field    string `json:"field"`
					Name     string `json:"name"`
					Optional bool   `json:"optional"`
				} `json:"fields"`
			} `json:"schema"`
			Payload map[string]any `json:"payload"`
		}
		if err := json.Unmarshal(m.Value, &env); err != nil {
			t.Fatal(err)
		}
		if env.Schema.Name != "dbserver1.inventory.customers.Envelope" || len(env.Schema.Fields) != 5 ||
			env.Schema.Fields[0].Name != "dbserver1.inventory.customers.Value" || !env.Schema.Fields[0].Optional ||
			env.Schema.Fields[2].Name != "io.debezium.connector.mysql.Source" || env.Schema.Fields[2].Optional ||
			env.Payload["op"] != string(op) || env.Payload["ts_ms"] != 1700000000123.0 {
			t.Errorf("%s: envelope %s", op, m.Value)
		}
		r, err := c.Decode(m)
		if err != nil {
			t.Fatalf("%s: Decode: %v", op, err)
		}
		if r.Change == nil || r.Change.Op != op || !r.Timestamp.Equal(ts) {
			t.Fatalf("%s: decoded %+v", op, r)
		}
		for name, pair := range map[string][2]any{
			"before": {r.Change.Before, ch.Before}, "after": {r.Change.After, ch.After}, "source": {r.Change.Source, ch.Source},
		} {
			if pair[1] == nil {
				if pair[0] != nil {
					t.Errorf("%s: %s = %v, want nil", op, name, pair[0])
				}
				continue
			}
			equalRows(t, string(op)+" "+name, pair[0], pair[1].(*connect.Struct))
		}
	}
}

// The decoded rows of one schema share one *connect.Schema.
func TestSchemaDecodeSharesSchemas(t *testing.T) {
	c := NewJSON(WithValueSchemas(true))
	row := rowOf(typedCases())
	var first *connect.Schema
	for range 3 {
		m, err := c.Encode(&connect.Record{Topic: "t", Value: row})
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.Decode(m)
		if err != nil {
			t.Fatal(err)
		}
		s := r.Value.(*connect.Struct).Schema
		if first == nil {
			first = s
		} else if s != first {
			t.Fatal("two records of one schema decoded into two schemas")
		}
	}
	uncached := NewJSON(WithValueSchemas(true), WithSchemaCacheSize(0))
	m, _ := uncached.Encode(&connect.Record{Topic: "t", Value: row})
	r1, _ := uncached.Decode(m)
	r2, _ := uncached.Decode(m)
	if r1.Value.(*connect.Struct).Schema == r2.Value.(*connect.Struct).Schema {
		t.Error("a converter without a cache shared a schema")
	}
}

// Untyped values with schemas enabled: scalars get their one Kafka type,
// everything else Kafka's schemaless form ("schema": null), and all of
// them decode to what plain JSON gives.
func TestSchemaUntypedValues(t *testing.T) {
	c := NewJSON(WithKeySchemas(true), WithValueSchemas(true))
	for _, tc := range []struct {
		v      any
		schema string
	}{
		{"text", `{"type":"string","optional":false}`},
		{[]byte("raw"), `{"type":"bytes","optional":false}`},
		{true, `{"type":"boolean","optional":false}`},
		{int64(-3), `{"type":"int64","optional":false}`},
		{7, `{"type":"int64","optional":false}`},
		{2.5, `{"type":"double","optional":false}`},
		{float32(0.1), `{"type":"float","optional":false}`},
		{map[string]any{"b": t1, "a": []byte{1}}, `null`},
		{[]any{"x", int64(1)}, `null`},
		{uint64(math.MaxUint64), `null`},
	} {
		m, err := c.Encode(&connect.Record{Topic: "t", Key: tc.v, Value: tc.v})
		if err != nil {
			t.Fatalf("%#v: %v", tc.v, err)
		}
		if !strings.HasPrefix(string(m.Value), `{"schema":`+tc.schema+`,"payload":`) {
			t.Errorf("%#v: %s", tc.v, m.Value)
		}
		r, err := c.Decode(m)
		if err != nil {
			t.Fatalf("%#v: Decode: %v", tc.v, err)
		}
		want := decodedForm(tc.v)
		switch v := tc.v.(type) {
		case string, []byte:
			want = v
		case map[string]any:
			want = map[string]any{"b": t1, "a": []byte{1}}
		}
		if d := diff(r.Value, want); d != "" {
			t.Errorf("value %#v: %s", tc.v, d)
		}
		if d := diff(r.Key, want); d != "" {
			t.Errorf("key %#v: %s", tc.v, d)
		}
	}
	// An untyped change event: schema null, payload as without schemas.
	ch := &connect.Change{Op: connect.OpCreate, After: map[string]any{"id": int64(1), "at": t1}, Source: map[string]any{"db": "x"}}
	m, err := c.Encode(&connect.Record{Topic: "t", Change: ch})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(m.Value), `{"schema":null,"payload":{"before":null,"after":{`) || m.Headers[HeaderValueTypes] != "/after/at=time" {
		t.Errorf("untyped change: %s %v", m.Value, m.Headers)
	}
	r, err := c.Decode(m)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(r.Change.After, ch.After); d != "" {
		t.Error(d)
	}
}

// A converter with schemas enabled reads Kafka's envelopes that carry no
// header, and plain JSON that is not an envelope.
func TestSchemaDecodeWithoutHeader(t *testing.T) {
	c := NewJSON(WithValueSchemas(true))
	r, err := c.Decode(&connect.Message{Topic: "t", Value: []byte(`{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"k"},"payload":{"id":5}}`)})
	if err != nil {
		t.Fatal(err)
	}
	want := connect.NewStruct(connect.NewStructSchema("k", false, connect.StructField{Name: "id", Schema: sch(connect.TypeInt32)}), int64(5))
	equalRows(t, "Kafka's envelope", r.Value, want)
	for _, plain := range []string{`{"id":5}`, `{"schema":1,"payload":2,"x":3}`, `[1]`, `"s"`} {
		r, err := c.Decode(&connect.Message{Topic: "t", Value: []byte(plain)})
		if err != nil {
			t.Fatalf("%s: %v", plain, err)
		}
		want, err := NewJSON().Decode(&connect.Message{Topic: "t", Value: []byte(plain)})
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(r.Value, want.Value); d != "" {
			t.Errorf("%s: %s", plain, d)
		}
	}
	// Without schemas enabled, Kafka's envelope is plain JSON, as in Kafka.
	r, err = NewJSON().Decode(&connect.Message{Topic: "t", Value: []byte(`{"schema":null,"payload":1}`)})
	if err != nil || diff(r.Value, map[string]any{"schema": nil, "payload": int64(1)}) != "" {
		t.Errorf("plain: %v %v", r, err)
	}
}

// Values that do not fit their schema are encode errors naming the field;
// a change event's rows must share one schema.
func TestSchemaEncodeErrors(t *testing.T) {
	c := NewJSON(WithValueSchemas(true))
	s := connect.NewStructSchema("r", false,
		connect.StructField{Name: "id", Schema: sch(connect.TypeInt32)},
		connect.StructField{Name: "price", Schema: &connect.Schema{Type: connect.TypeDecimal, Precision: 4, Scale: 2}},
		connect.StructField{Name: "tags", Schema: &connect.Schema{Type: connect.TypeArray, Elem: sch(connect.TypeString)}})
	other := connect.NewStructSchema("r", false, connect.StructField{Name: "id", Schema: sch(connect.TypeInt64)})
	for _, tc := range []struct {
		r    *connect.Record
		want string
	}{
		{&connect.Record{Value: &connect.Struct{Schema: s, Values: []any{int64(1), 1.5, []any{}}}}, "/price: float64 is not a value of type decimal"},
		{&connect.Record{Value: &connect.Struct{Schema: s, Values: []any{nil, "1.50", []any{}}}}, "/id: null in a non-optional int32"},
		{&connect.Record{Value: &connect.Struct{Schema: s, Values: []any{uint64(1), "1.50", []any{}}}}, "/id: uint64 is not a value of type int32"},
		{&connect.Record{Value: &connect.Struct{Schema: s, Values: []any{int64(1), "1.50", []any{"a", 2}}}}, "/tags/1: int is not a value of type string"},
		{&connect.Record{Value: &connect.Struct{Schema: s, Values: []any{int64(1)}}}, "row of 1 values for 3 fields"},
		{&connect.Record{Change: &connect.Change{Op: connect.OpUpdate,
			Before: connect.NewStruct(other, int64(1)), After: connect.NewStruct(s, int64(1), "1.00", []any{})}}, "change event rows of two schemas"},
	} {
		_, err := c.Encode(tc.r)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "converter: encode value of topic") {
			t.Errorf("error %v, want one containing %q", err, tc.want)
		}
	}
}

// Debezium's envelope makes before and after optional: a change event's
// rows of a required schema come back optional, everything else equal.
func TestSchemaChangeRowsComeBackOptional(t *testing.T) {
	c := NewJSON(WithValueSchemas(true))
	s := connect.NewStructSchema("db.t.Value", false, connect.StructField{Name: "id", Schema: sch(connect.TypeInt64)})
	m, err := c.Encode(&connect.Record{Change: &connect.Change{Op: connect.OpCreate, After: connect.NewStruct(s, int64(1))}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Decode(m)
	if err != nil {
		t.Fatal(err)
	}
	want := connect.NewStructSchema("db.t.Value", true, s.Fields...)
	equalRows(t, "after", r.Change.After, connect.NewStruct(want, int64(1)))
	if r.Change.Source != nil || r.Change.Before != nil {
		t.Errorf("source %v before %v, want nil", r.Change.Source, r.Change.Before)
	}
}
