package converter

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// Golden files of Kafka's JsonConverter with schemas.enable=true, in the
// member order it writes (Jackson keeps insertion order: "type", then
// "fields", "items" or "keys"/"values", "optional", "name", "version",
// "doc", "parameters", and a struct field's "field" last):
//
//   - string.json: the record of Kafka's quickstart (FileStreamSource,
//     "foo"), as the Kafka documentation shows it on the topic.
//   - struct.json: Kafka's JsonConverterTest.structToJson.
//   - nested.json: the array and map shapes of JsonConverterTest
//     (arrayToJson, mapToJsonStringKeys), a double, bytes (base64) and a
//     null optional field in one named, documented struct.
//   - debezium-key.json, debezium-create.json: the customers key and
//     create event of Debezium's MySQL connector documentation, the source
//     block reduced to ten of its fields.
func goldenCases() map[string]*connect.Record {
	str := func(optional bool) *connect.Schema {
		return &connect.Schema{Type: connect.TypeString, Optional: optional}
	}
	i32 := &connect.Schema{Type: connect.TypeInt32}
	i64 := &connect.Schema{Type: connect.TypeInt64}
	boolean := &connect.Schema{Type: connect.TypeBool}

	structSchema := connect.NewStructSchema("", false,
		connect.StructField{Name: "field1", Schema: boolean}, connect.StructField{Name: "field2", Schema: str(false)},
		connect.StructField{Name: "field3", Schema: str(false)}, connect.StructField{Name: "field4", Schema: boolean})
	nested := connect.NewStructSchema("com.example.Nested", false,
		connect.StructField{Name: "ints", Schema: &connect.Schema{Type: connect.TypeArray, Elem: i32}},
		connect.StructField{Name: "counts", Schema: &connect.Schema{Type: connect.TypeMap, Elem: i32}},
		connect.StructField{Name: "maybe", Schema: &connect.Schema{Type: connect.TypeInt64, Optional: true}},
		connect.StructField{Name: "ratio", Schema: &connect.Schema{Type: connect.TypeFloat64}},
		connect.StructField{Name: "raw", Schema: &connect.Schema{Type: connect.TypeBytes}})
	nested.Doc = "nested shapes"
	key := connect.NewStructSchema("mysql-server-1.inventory.customers.Key", false, connect.StructField{Name: "id", Schema: i32})
	row := connect.NewStructSchema("mysql-server-1.inventory.customers.Value", true,
		connect.StructField{Name: "id", Schema: i32}, connect.StructField{Name: "first_name", Schema: str(false)},
		connect.StructField{Name: "last_name", Schema: str(false)}, connect.StructField{Name: "email", Schema: str(false)})
	source := connect.NewStructSchema("io.debezium.connector.mysql.Source", false,
		connect.StructField{Name: "version", Schema: str(false)}, connect.StructField{Name: "connector", Schema: str(false)},
		connect.StructField{Name: "name", Schema: str(false)}, connect.StructField{Name: "ts_ms", Schema: i64},
		connect.StructField{Name: "db", Schema: str(true)}, connect.StructField{Name: "table", Schema: str(true)},
		connect.StructField{Name: "server_id", Schema: i64}, connect.StructField{Name: "file", Schema: str(false)},
		connect.StructField{Name: "pos", Schema: i64}, connect.StructField{Name: "row", Schema: i32})

	return map[string]*connect.Record{
		"string.json": {Value: "foo"},
		"struct.json": {Value: connect.NewStruct(structSchema, true, "string2", "string3", false)},
		"nested.json": {Value: connect.NewStruct(nested, []any{int64(1), int64(2), int64(3)},
			map[string]any{"key1": int64(12), "key2": int64(15)}, nil, 12.34, []byte{1, 2, 3})},
		"debezium-key.json": {Key: connect.NewStruct(key, int64(1001))},
		"debezium-create.json": {Timestamp: time.UnixMilli(1486500577691), Change: &connect.Change{
			Op:     connect.OpCreate,
			After:  connect.NewStruct(row, int64(1004), "Anne", "Kretchmar", "annek@noanswer.org"),
			Source: connect.NewStruct(source, "1.9.7.Final", "mysql", "mysql-server-1", int64(0), "inventory", "customers", int64(0), "mysql-bin.000003", int64(154), int64(0)),
		}},
	}
}

func TestGoldenKafkaEnvelope(t *testing.T) {
	c := NewJSON(WithKeySchemas(true), WithValueSchemas(true))
	for file, r := range goldenCases() {
		want, err := os.ReadFile(filepath.Join("testdata", "kafka", file))
		if err != nil {
			t.Fatal(err)
		}
		want = bytes.TrimSpace(want)
		r.Topic = "t"
		m, err := c.Encode(r)
		if err != nil {
			t.Fatalf("%s: Encode: %v", file, err)
		}
		got := m.Value
		if r.Key != nil {
			got = m.Key
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", file, got, want)
		}

		// Kafka's bytes, without our headers, read back into the record.
		in := &connect.Message{Topic: "t", Value: want}
		if r.Key != nil {
			in = &connect.Message{Topic: "t", Key: want}
		}
		if r.Change != nil {
			in.Headers = connect.Headers{HeaderOp: string(r.Change.Op)}
		}
		back, err := c.Decode(in)
		if err != nil {
			t.Fatalf("%s: Decode: %v", file, err)
		}
		switch {
		case r.Change != nil:
			equalRows(t, file+" after", back.Change.After, r.Change.After.(*connect.Struct))
			equalRows(t, file+" source", back.Change.Source, r.Change.Source.(*connect.Struct))
			if back.Change.Before != nil || !back.Timestamp.Equal(r.Timestamp) {
				t.Errorf("%s: before %v, timestamp %v", file, back.Change.Before, back.Timestamp)
			}
		case r.Key != nil:
			equalRows(t, file, back.Key, r.Key.(*connect.Struct))
		default:
			if want, ok := r.Value.(*connect.Struct); ok {
				equalRows(t, file, back.Value, want)
			} else if back.Value != r.Value {
				t.Errorf("%s: %#v", file, back.Value)
			}
		}
	}
}
