package runtime_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/converter"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
)

func orderSchema() *connect.Schema {
	return connect.NewStructSchema("shop.orders.Value", true,
		connect.StructField{Name: "id", Schema: &connect.Schema{Type: connect.TypeInt64}},
		connect.StructField{Name: "total", Schema: &connect.Schema{Type: connect.TypeDecimal, Precision: 10, Scale: 2}},
	)
}

func orders(topic string, n int) []*connect.Record {
	s := orderSchema()
	out := make([]*connect.Record, n)
	for i := range out {
		out[i] = &connect.Record{Topic: topic, Key: "k", Value: connect.NewStruct(s, int64(i), "9.99")}
	}
	return out
}

// A source with value.converter=JsonConverter (Kafka's schemas.enable
// default, true) writes Kafka Connect's envelope; a sink with the same
// setting gets typed rows back; connectors without the setting keep the
// worker's converter.
func TestConnectorJSONConverterWithSchemas(t *testing.T) {
	broker := memory.New(memory.WithDefaultQueues(1))
	defer broker.Close()
	typed, plain := connecttest.NewCollector(), connecttest.NewCollector()
	rt := startRuntime(t, runtime.WithTransport(broker),
		runtime.WithPlugin("slice", func() connect.Connector { return connecttest.NewSliceSource(orders("orders", 2)...) }),
		runtime.WithPlugin("slice2", func() connect.Connector { return connecttest.NewSliceSource(orders("orders2", 2)...) }),
		runtime.WithPlugin("plain-slice", func() connect.Connector { return connecttest.NewSliceSource(orders("plain", 1)...) }),
		runtime.WithPlugin("typed", func() connect.Connector { return typed.Connector() }),
		runtime.WithPlugin("plain", func() connect.Connector { return plain.Connector() }))
	create(t, rt, "src", connect.Config{"connector.class": "slice",
		"value.converter": "org.apache.kafka.connect.json.JsonConverter", "key.converter": "org.apache.kafka.connect.storage.StringConverter"})
	create(t, rt, "src2", connect.Config{"connector.class": "slice2", "value.converter": "JsonConverter"})
	create(t, rt, "plain-src", connect.Config{"connector.class": "plain-slice"})

	msgs := fetchAll(t, broker, "orders", 2)
	want := `{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},` +
		`{"type":"string","optional":false,"name":"io.openmessaging.connect.Decimal","parameters":{"scale":"2","connect.decimal.precision":"10"},"field":"total"}],` +
		`"optional":true,"name":"shop.orders.Value"},"payload":{"id":0,"total":"9.99"}}`
	if string(msgs[0].Value) != want || string(msgs[0].Key) != "k" || msgs[0].Headers[converter.HeaderValueSchema] != "envelope" {
		t.Errorf("message %s (key %q, headers %v), want %s", msgs[0].Value, msgs[0].Key, msgs[0].Headers, want)
	}
	if m := fetchAll(t, broker, "plain", 1)[0]; string(m.Value) != `{"id":0,"total":"9.99"}` {
		t.Errorf("a connector without converter settings wrote %s", m.Value)
	}

	create(t, rt, "typed-sink", connect.Config{"connector.class": "typed", "topics": "orders",
		"value.converter": "JsonConverter", "key.converter": "StringConverter"})
	create(t, rt, "plain-sink", connect.Config{"connector.class": "plain", "topics": "orders2",
		"value.converter": "JsonConverter", "value.converter.schemas.enable": "false"})
	waitCollected(t, typed, 2, 10*time.Second)
	waitCollected(t, plain, 2, 10*time.Second)
	for i, r := range typed.Records() {
		row, ok := r.Value.(*connect.Struct)
		if !ok || !row.Schema.Equal(orderSchema()) || row.Values[0] != int64(i) || row.Values[1] != "9.99" || r.Key != "k" {
			t.Errorf("typed sink record %d: %#v key %#v", i, r.Value, r.Key)
		}
	}
	// The envelope's header tells any JSON converter what it reads, so a
	// sink with schemas.enable=false gets typed rows too.
	if r := plain.Records()[0]; !isRow(r.Value) {
		t.Errorf("sink without schemas: %#v", r.Value)
	}
}

func isRow(v any) bool { _, ok := v.(*connect.Struct); return ok }

// A sink with value.converter=StringConverter gets each message's text,
// whatever wrote it; the worker's converter (here String) applies where a
// connector sets nothing.
func TestConnectorStringConverter(t *testing.T) {
	broker := memory.New(memory.WithDefaultQueues(1))
	defer broker.Close()
	str, worker := connecttest.NewCollector(), connecttest.NewCollector()
	rt := startRuntime(t, runtime.WithTransport(broker), runtime.WithConverter(converter.NewBytes()),
		runtime.WithPlugin("str", func() connect.Connector { return str.Connector() }),
		runtime.WithPlugin("worker", func() connect.Connector { return worker.Connector() }))
	cv := converter.NewJSON()
	// One topic per sink: records published before a group reads a topic
	// go to the first group that subscribes (transport/memory).
	for _, r := range append(numberedN("in", 2), numberedN("in2", 1)...) {
		m, err := cv.Encode(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := broker.Publish(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	create(t, rt, "str-sink", connect.Config{"connector.class": "str", "topics": "in",
		"value.converter": "org.apache.kafka.connect.storage.StringConverter", "value.converter.converter.encoding": "UTF-8"})
	create(t, rt, "worker-sink", connect.Config{"connector.class": "worker", "topics": "in2"})
	waitCollected(t, str, 2, 10*time.Second)
	waitCollected(t, worker, 1, 10*time.Second)
	for i, r := range str.Records() {
		// The key converter is the worker's (Bytes): the key was written
		// as a string, and comes back as one.
		if r.Value != `{"n":`+string(rune('0'+i))+`}` || r.Key != string(rune('0'+i)) {
			t.Errorf("String sink record %d: value %#v key %#v", i, r.Value, r.Key)
		}
	}
	if v, ok := worker.Records()[0].Value.([]byte); !ok || string(v) != `{"n":0}` {
		t.Errorf("worker converter (Bytes) sink: %#v", worker.Records()[0].Value)
	}
}

// Bad converter settings are field errors at creation and validation,
// never ignored.
func TestConnectorConverterErrors(t *testing.T) {
	rt := startRuntime(t, runtime.WithPlugin("slice", func() connect.Connector { return connecttest.NewSliceSource() }))
	for _, tc := range []struct {
		cfg    connect.Config
		fields []string
	}{
		{connect.Config{"value.converter": "io.confluent.connect.avro.AvroConverter"}, []string{"value.converter"}},
		{connect.Config{"value.converter": "JsonConverter", "value.converter.schemas.enable": "maybe"}, []string{"value.converter.schemas.enable"}},
		{connect.Config{"value.converter": "JsonConverter", "value.converter.decimal.format": "NUMERIC"}, []string{"value.converter.decimal.format"}},
		{connect.Config{"key.converter.schemas.enable": "false"}, []string{"key.converter.schemas.enable"}},
		{connect.Config{"header.converter": "JsonConverter"}, []string{"header.converter"}},
	} {
		tc.cfg["connector.class"] = "slice"
		for _, err := range []error{rt.Validate(context.Background(), tc.cfg), rt.CreateConnector(context.Background(), "bad", tc.cfg)} {
			var ce *connect.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("%v: %v, want a *connect.ConfigError", tc.cfg, err)
			}
			var fields []string
			for _, f := range ce.Fields {
				fields = append(fields, f.Field)
			}
			if !slices.Equal(fields, tc.fields) {
				t.Errorf("%v: fields %v, want %v (%v)", tc.cfg, fields, tc.fields, err)
			}
		}
	}
	if err := rt.Validate(context.Background(), connect.Config{"connector.class": "slice",
		"key.converter": "ByteArrayConverter", "value.converter": "org.apache.rocketmq.connect.runtime.converter.record.json.JsonConverter",
		"value.converter.schemas.enable": "false", "header.converter": "org.apache.kafka.connect.storage.SimpleHeaderConverter"}); err != nil {
		t.Errorf("valid converter settings: %v", err)
	}
	spec, _, err := rt.PluginSpec("slice")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"key.converter", "value.converter", "header.converter"} {
		if f, ok := spec.Config.Field(name); !ok || !strings.Contains(f.Description, "onverter") {
			t.Errorf("%s not listed among the settings", name)
		}
	}
}
