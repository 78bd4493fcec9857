package converter_test

import (
	"fmt"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/converter"
)

func ExampleJSON() {
	c := converter.NewJSON()
	m, err := c.Encode(&connect.Record{
		Topic: "users",
		Key:   map[string]any{"id": int64(42)},
		Value: map[string]any{
			"name":    "Ada",
			"score":   1.0,
			"avatar":  []byte{0x89, 'P', 'N', 'G'},
			"created": time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
		},
		Headers:   connect.Headers{"trace": "abc"},
		Timestamp: time.UnixMilli(1714564800000),
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("key:   %s\n", m.Key)
	fmt.Printf("value: %s\n", m.Value)
	fmt.Println("types:", m.Headers.Get(converter.HeaderValueTypes))
	fmt.Println("timestamp:", m.Headers.Get(converter.HeaderTimestamp))

	r, err := c.Decode(m)
	if err != nil {
		panic(err)
	}
	v := r.Value.(map[string]any)
	fmt.Printf("decoded: %T %v, %T %v, %T %q\n", v["score"], v["score"], v["created"], v["created"], v["avatar"], v["avatar"])
	fmt.Println("headers:", r.Headers, r.Timestamp.UnixMilli())
	// Output:
	// key:   {"id":42}
	// value: {"avatar":"iVBORw==","created":"2024-05-01T12:00:00Z","name":"Ada","score":1.0}
	// types: /avatar=bytes,/created=time
	// timestamp: 1714564800000000000
	// decoded: float64 1, time.Time 2024-05-01 12:00:00 +0000 UTC, []uint8 "\x89PNG"
	// headers: map[trace:abc] 1714564800000
}

func ExampleJSON_change() {
	c := converter.NewJSON()
	m, err := c.Encode(&connect.Record{
		Topic: "shop.users",
		Key:   map[string]any{"id": int64(7)},
		Change: &connect.Change{
			Op:     connect.OpUpdate,
			Before: map[string]any{"id": int64(7), "email": "old@example.com"},
			After:  map[string]any{"id": int64(7), "email": "new@example.com"},
			Source: map[string]any{"db": "shop", "table": "users"},
		},
		Timestamp: time.UnixMilli(1700000000000),
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s\n%s=%s\n", m.Value, converter.HeaderOp, m.Headers.Get(converter.HeaderOp))
	r, err := c.Decode(m)
	if err != nil {
		panic(err)
	}
	email, _ := connect.Lookup(r.Change.After, "email")
	fmt.Println(r.Change.Op, email, r.Value == nil)
	// Output:
	// {"before":{"email":"old@example.com","id":7},"after":{"email":"new@example.com","id":7},"source":{"db":"shop","table":"users"},"op":"u","ts_ms":1700000000000}
	// connect.op=u
	// u new@example.com true
}

// With schemas enabled, a typed row travels in Kafka Connect's envelope and
// comes back with its schema.
func ExampleWithValueSchemas() {
	schema := connect.NewStructSchema("shop.orders.Value", true,
		connect.StructField{Name: "id", Schema: &connect.Schema{Type: connect.TypeInt32}},
		connect.StructField{Name: "total", Schema: &connect.Schema{Type: connect.TypeDecimal, Precision: 10, Scale: 2}},
	)
	c := converter.NewJSON(converter.WithValueSchemas(true))
	m, err := c.Encode(&connect.Record{Topic: "orders", Value: connect.NewStruct(schema, int64(7), "19.90")})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s\n", m.Value)

	r, err := c.Decode(m)
	if err != nil {
		panic(err)
	}
	row := r.Value.(*connect.Struct)
	fmt.Println(row.Schema, row.Values, row.Schema.Equal(schema))
	// Output:
	// {"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"name":"io.openmessaging.connect.Decimal","parameters":{"scale":"2","connect.decimal.precision":"10"},"field":"total"}],"optional":true,"name":"shop.orders.Value"},"payload":{"id":7,"total":"19.90"}}
	// optional struct shop.orders.Value{id int32, total decimal(10,2)} [7 19.90] true
}

// A connector's converter settings, Kafka Connect's names: keys as
// strings, values as JSON with schemas (Kafka's default for JsonConverter).
func ExampleFromConfig() {
	c, err := converter.FromConfig(connect.Config{
		"key.converter":   "org.apache.kafka.connect.storage.StringConverter",
		"value.converter": "org.apache.kafka.connect.json.JsonConverter",
	}, nil)
	if err != nil {
		panic(err)
	}
	m, err := c.Encode(&connect.Record{Topic: "t", Key: "k1", Value: "hello"})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%T key %s value %s\n", c, m.Key, m.Value)

	_, err = converter.FromConfig(connect.Config{"value.converter": "JsonConverter", "value.converter.decimal.format": "NUMERIC"}, nil)
	fmt.Println(err)
	// Output:
	// *converter.Pair key k1 value {"schema":{"type":"string","optional":false},"payload":"hello"}
	// invalid config: value.converter.decimal.format: is not supported: decimals are written as exact strings (schema io.openmessaging.connect.Decimal), never as Kafka's BASE64 or NUMERIC Decimal
}
