package converter

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	connect "github.com/openmessaging/connect-go"
)

// FuzzDecodeEnvelope: no envelope panics the decoder; one that decodes
// into a typed row is written again exactly as decoded (schema and values
// survive a second round trip).
func FuzzDecodeEnvelope(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "kafka", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, true, "")
		f.Add(b, false, "c")
	}
	f.Add([]byte(`{"schema":{"type":"map","keys":{"type":"int8"},"values":{"type":"string","name":"io.debezium.data.Enum","parameters":{"members":"[\"a\"]"}}},"payload":{"1":"a"}}`), true, "")
	f.Add([]byte(`{"schema":null,"payload":{"a":"AQI="}}`), false, "")
	f.Fuzz(func(t *testing.T, data []byte, header bool, op string) {
		c := NewJSON(WithKeySchemas(true), WithValueSchemas(true))
		h := connect.Headers{}
		if header {
			h[HeaderValueSchema], h[HeaderKeySchema] = schemaEnvelope, schemaEnvelope
		}
		if op != "" {
			h[HeaderOp] = op
		}
		r, err := c.Decode(&connect.Message{Value: data, Key: data, Headers: h})
		if err != nil {
			return
		}
		row, ok := r.Value.(*connect.Struct)
		if !ok || row.Validate() != nil {
			return
		}
		m, err := c.Encode(&connect.Record{Value: row})
		if err != nil {
			t.Fatalf("Encode of a decoded row %s: %v", row.Schema, err)
		}
		back, err := c.Decode(m)
		if err != nil {
			t.Fatalf("Decode(%s): %v", m.Value, err)
		}
		got := back.Value.(*connect.Struct)
		if !got.Schema.Equal(row.Schema) || !reflect.DeepEqual(got.Values, row.Values) {
			t.Fatalf("second round trip of %s: %s %v, want %s %v", m.Value, got.Schema, got.Values, row.Schema, row.Values)
		}
	})
}
