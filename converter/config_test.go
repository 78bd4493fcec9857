package converter

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	connect "github.com/openmessaging/connect-go"
)

// custom is a converter that is none of this package's.
type custom struct{ JSON }

func TestFromConfig(t *testing.T) {
	fallback := NewJSON()
	for _, tc := range []struct {
		name string
		cfg  connect.Config
		want connect.Converter
	}{
		{"none", connect.Config{"topic": "x"}, fallback},
		{"Kafka's JSON, schemas by default", connect.Config{"value.converter": "org.apache.kafka.connect.json.JsonConverter"},
			NewJSON(WithValueSchemas(true))},
		{"JSON without schemas", connect.Config{"value.converter": "JsonConverter", "value.converter.schemas.enable": "FALSE"},
			NewJSON()},
		{"JSON key and value", connect.Config{"key.converter": "Json", "key.converter.schemas.enable": "false",
			"value.converter": "org.apache.rocketmq.connect.runtime.converter.record.json.JsonConverter", "value.converter.schemas.cache.size": "10"},
			&JSON{valueSchemas: true, cache: newSchemaCache(1000)}},
		{"strings", connect.Config{"key.converter": "org.apache.kafka.connect.storage.StringConverter",
			"value.converter": "org.apache.rocketmq.connect.runtime.converter.record.StringConverter", "value.converter.converter.encoding": "utf8"},
			NewString()},
		{"bytes", connect.Config{"key.converter": "ByteArray", "value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter"},
			NewBytes()},
		{"string key, worker's JSON value", connect.Config{"key.converter": "StringConverter"},
			NewPair(NewString(), fallback)},
		{"headers only", connect.Config{"header.converter": "org.apache.kafka.connect.storage.SimpleHeaderConverter"}, fallback},
		{"string headers", connect.Config{"header.converter": "StringConverter", "header.converter.converter.encoding": "UTF-8"}, fallback},
	} {
		got, err := FromConfig(tc.cfg, fallback)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %#v, want %#v", tc.name, got, tc.want)
		}
		if Configured(tc.cfg) == (tc.name == "none") {
			t.Errorf("%s: Configured = %v", tc.name, !Configured(tc.cfg))
		}
	}
	// Another worker converter stays as it is for the part not set.
	other := &custom{}
	got, err := FromConfig(connect.Config{"value.converter": "JsonConverter"}, other)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := got.(*Pair); !ok || p.Key != other || !reflect.DeepEqual(p.Value, NewJSON(WithKeySchemas(true), WithValueSchemas(true))) {
		t.Errorf("custom worker converter: %#v", got)
	}
	if got, _ := FromConfig(connect.Config{}, nil); !reflect.DeepEqual(got, NewJSON()) {
		t.Errorf("nil fallback: %#v", got)
	}
}

// Every bad setting is a field error naming it, never ignored.
func TestFromConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg    connect.Config
		fields []string
	}{
		{connect.Config{"value.converter": "io.confluent.connect.avro.AvroConverter"}, []string{"value.converter"}},
		{connect.Config{"value.converter": "x", "value.converter.schemas.enable": "true"}, []string{"value.converter", "value.converter.schemas.enable"}},
		{connect.Config{"key.converter": " "}, []string{"key.converter"}},
		{connect.Config{"key.converter.schemas.enable": "false"}, []string{"key.converter.schemas.enable"}},
		{connect.Config{"value.converter": "JsonConverter", "value.converter.schemas.enable": "yes"}, []string{"value.converter.schemas.enable"}},
		{connect.Config{"value.converter": "JsonConverter", "value.converter.schemas.cache.size": "-1"}, []string{"value.converter.schemas.cache.size"}},
		{connect.Config{"value.converter": "JsonConverter", "value.converter.decimal.format": "NUMERIC"}, []string{"value.converter.decimal.format"}},
		{connect.Config{"value.converter": "JsonConverter", "value.converter.replace.null.with.default": "maybe"}, []string{"value.converter.replace.null.with.default"}},
		{connect.Config{"value.converter": "JsonConverter", "value.converter.converter.encoding": "UTF-8"}, []string{"value.converter.converter.encoding"}},
		{connect.Config{"value.converter": "StringConverter", "value.converter.converter.encoding": "UTF-16"}, []string{"value.converter.converter.encoding"}},
		{connect.Config{"value.converter": "ByteArrayConverter", "value.converter.schemas.enable": "true"}, []string{"value.converter.schemas.enable"}},
		{connect.Config{"value.converter": "SimpleHeaderConverter"}, []string{"value.converter"}},
		{connect.Config{"header.converter": "JsonConverter"}, []string{"header.converter"}},
		{connect.Config{"header.converter": "ByteArrayConverter"}, []string{"header.converter"}},
		{connect.Config{"header.converter": "SimpleHeaderConverter", "header.converter.x": "1"}, []string{"header.converter.x"}},
	} {
		_, err := FromConfig(tc.cfg, nil)
		var ce *connect.ConfigError
		if !errors.As(err, &ce) || !errors.Is(err, connect.ErrInvalidConfig) {
			t.Errorf("%v: error %v, want a *connect.ConfigError", tc.cfg, err)
			continue
		}
		var fields []string
		for _, f := range ce.Fields {
			fields = append(fields, f.Field)
			if f.Reason == "" {
				t.Errorf("%v: %s without a reason", tc.cfg, f.Field)
			}
		}
		slices.Sort(fields)
		if !slices.Equal(fields, tc.fields) {
			t.Errorf("%v: fields %v, want %v (%v)", tc.cfg, fields, tc.fields, err)
		}
	}
}

// A Pair of different converters writes each part as its converter does
// and reads it back, headers included.
func TestPairRoundTrip(t *testing.T) {
	row := rowOf(typedCases()[:5])
	for _, tc := range []struct {
		name       string
		cfg        connect.Config
		key, value any
		change     bool
		wantKey    string // the key's bytes
	}{
		{"string key, JSON envelope value", connect.Config{"key.converter": "StringConverter", "value.converter": "JsonConverter"},
			"k1", row, false, "k1"},
		{"JSON envelope key, bytes value", connect.Config{"key.converter": "JsonConverter", "value.converter": "ByteArrayConverter"},
			row, []byte{1, 2}, false, ""},
		{"bytes key, change event", connect.Config{"key.converter": "ByteArrayConverter", "value.converter": "JsonConverter",
			"value.converter.schemas.enable": "false"}, []byte("id-1"), nil, true, "id-1"},
		{"string key, string value", connect.Config{"key.converter": "StringConverter", "value.converter": "StringConverter"},
			"k", "v", false, "k"},
	} {
		c, err := FromConfig(tc.cfg, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		r := &connect.Record{Topic: "t", Key: tc.key, Value: tc.value, Headers: connect.Headers{"app": "1"}, Timestamp: t1}
		if tc.change {
			r.Change = &connect.Change{Op: connect.OpCreate, After: map[string]any{"id": int64(1), "at": t1}}
		}
		m, err := c.Encode(r)
		if err != nil {
			t.Fatalf("%s: Encode: %v", tc.name, err)
		}
		if tc.wantKey != "" && string(m.Key) != tc.wantKey {
			t.Errorf("%s: key bytes %q", tc.name, m.Key)
		}
		got, err := c.Decode(m)
		if err != nil {
			t.Fatalf("%s: Decode %v: %v", tc.name, m.Headers, err)
		}
		if !got.Timestamp.Equal(t1) || !reflect.DeepEqual(got.Headers, connect.Headers{"app": "1"}) {
			t.Errorf("%s: timestamp %v headers %v", tc.name, got.Timestamp, got.Headers)
		}
		for what, pair := range map[string][2]any{"key": {got.Key, tc.key}, "value": {got.Value, tc.value}} {
			if want, ok := pair[1].(*connect.Struct); ok {
				equalRows(t, tc.name+" "+what, pair[0], want)
			} else if d := diff(pair[0], pair[1]); d != "" {
				t.Errorf("%s: %s: %s", tc.name, what, d)
			}
		}
		if tc.change && (got.Change == nil || diff(got.Change.After, r.Change.After) != "") {
			t.Errorf("%s: change %+v", tc.name, got.Change)
		}
	}
	// A key the key converter cannot write fails, naming the key.
	c, _ := FromConfig(connect.Config{"key.converter": "ByteArrayConverter", "value.converter": "JsonConverter"}, nil)
	if _, err := c.Encode(&connect.Record{Topic: "t", Key: map[string]any{"a": 1}, Value: "v"}); err == nil || !strings.Contains(err.Error(), "key") {
		t.Errorf("bad key: %v", err)
	}
}
