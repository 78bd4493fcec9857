package converter

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// A change event with a processing time gets Debezium 3's envelope:
// transaction (null when absent), op, ts_ms, ts_us and ts_ns in that
// order, as Debezium's MySQL connector documentation shows its change
// events ("Data change events", the create event example: "op": "c",
// "ts_ms", "ts_us", "ts_ns", and "transaction" after "source").
func TestEnvelopeTailWireOrder(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 0, 0, 123456789, time.UTC)
	for _, schemas := range []bool{false, true} {
		for _, tx := range []*connect.Transaction{nil, {ID: "0-1-42", TotalOrder: 3, DataCollectionOrder: 2}} {
			r := benchTypedChange()
			r.Change.At, r.Change.Transaction = at, tx
			m, err := NewJSON(WithValueSchemas(schemas)).Encode(r)
			if err != nil {
				t.Fatal(err)
			}
			payload := m.Value
			if schemas {
				var env struct {
					Schema struct {
						Fields []struct {
							Field string `json:"field"`
							Name  string `json:"name"`
						} `json:"fields"`
					} `json:"schema"`
					Payload json.RawMessage `json:"payload"`
				}
				if err := json.Unmarshal(m.Value, &env); err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, f := range env.Schema.Fields {
					names = append(names, f.Field)
				}
				want := []string{"before", "after", "source", "transaction", "op", "ts_ms", "ts_us", "ts_ns"}
				if !reflect.DeepEqual(names, want) {
					t.Errorf("schemas=%v tx=%v: envelope schema fields %v, want %v", schemas, tx, names, want)
				}
				if env.Schema.Fields[3].Name != "event.block" {
					t.Errorf("transaction schema name %q, want Debezium's event.block", env.Schema.Fields[3].Name)
				}
				payload = env.Payload
			}
			wantTx := `"transaction":null,`
			if tx != nil {
				wantTx = `"transaction":{"id":"0-1-42","total_order":3,"data_collection_order":2},`
			}
			wantTail := wantTx + `"op":"u","ts_ms":1796205600123,"ts_us":1796205600123456,"ts_ns":1796205600123456789}`
			if !strings.HasSuffix(string(payload), wantTail) {
				t.Errorf("schemas=%v: payload %s\nwant it to end with %s", schemas, payload, wantTail)
			}
			back, err := NewJSON(WithValueSchemas(schemas)).Decode(m)
			if err != nil {
				t.Fatal(err)
			}
			if !back.Change.At.Equal(at) {
				t.Errorf("schemas=%v: decoded At %v, want %v", schemas, back.Change.At, at)
			}
			if !reflect.DeepEqual(back.Change.Transaction, tx) {
				t.Errorf("schemas=%v: decoded transaction %+v, want %+v", schemas, back.Change.Transaction, tx)
			}
			if !back.Timestamp.Equal(r.Timestamp) {
				t.Errorf("schemas=%v: record timestamp %v, want %v (the header's, not the processing time)", schemas, back.Timestamp, r.Timestamp)
			}
		}
	}
}

// An event without a processing time keeps the envelope connect-go wrote
// before (ts_ms from the record's timestamp, no ts_us, ts_ns or
// transaction), so that earlier consumers and golden files still match;
// a transaction block alone adds just that block.
func TestEnvelopeTailWithoutProcessingTime(t *testing.T) {
	r := benchTypedChange()
	m, err := NewJSON().Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(m.Value); !strings.HasSuffix(s, `"op":"u","ts_ms":1700000000000}`) || strings.Contains(s, "transaction") {
		t.Errorf("envelope %s", s)
	}
	r.Change.Transaction = &connect.Transaction{ID: "t1", TotalOrder: 1, DataCollectionOrder: 1}
	m, err = NewJSON().Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(m.Value); !strings.HasSuffix(s, `"transaction":{"id":"t1","total_order":1,"data_collection_order":1},"op":"u","ts_ms":1700000000000}`) {
		t.Errorf("envelope %s", s)
	}
	back, err := NewJSON().Decode(m)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Change.At.IsZero() || back.Change.Transaction == nil || back.Change.Transaction.ID != "t1" {
		t.Errorf("decoded At %v, transaction %+v", back.Change.At, back.Change.Transaction)
	}
}

// Debezium's own events (no connect-go headers) give their transaction
// block and processing time; a malformed block is an error, not dropped.
func TestEnvelopeTailFromDebezium(t *testing.T) {
	doc := `{"before":null,"after":{"id":1},"source":{"db":"d"},"transaction":{"id":"file=mysql-bin.000003,pos=154","total_order":1,"data_collection_order":1},"op":"c","ts_ms":1700000000001,"ts_us":1700000000001002,"ts_ns":1700000000001002003}`
	r, err := NewJSON().Decode(&connect.Message{Topic: "t", Value: []byte(doc), Headers: map[string]string{HeaderOp: "c"}})
	if err != nil {
		t.Fatal(err)
	}
	want := &connect.Transaction{ID: "file=mysql-bin.000003,pos=154", TotalOrder: 1, DataCollectionOrder: 1}
	if !reflect.DeepEqual(r.Change.Transaction, want) {
		t.Errorf("transaction %+v, want %+v", r.Change.Transaction, want)
	}
	if got := r.Change.At.UnixNano(); got != 1700000000001002003 {
		t.Errorf("At %d ns, want ts_ns", got)
	}
	if r.Timestamp.UnixMilli() != 1700000000001 {
		t.Errorf("timestamp %v, want ts_ms without a timestamp header", r.Timestamp)
	}
	bad := strings.Replace(doc, `"total_order":1`, `"total_order":"x"`, 1)
	if _, err := NewJSON().Decode(&connect.Message{Topic: "t", Value: []byte(bad), Headers: map[string]string{HeaderOp: "c"}}); err == nil || !strings.Contains(err.Error(), "total_order") {
		t.Errorf("malformed transaction block: error %v, want one naming total_order", err)
	}
}

// A zero or invalid date passed as the server's text is written as that
// text and read back as it, with and without schemas.
func TestZeroDateTextRoundTrip(t *testing.T) {
	s := connect.NewStructSchema("db.t.Value", false,
		connect.StructField{Name: "id", Schema: &connect.Schema{Type: connect.TypeInt32}},
		connect.StructField{Name: "d", Schema: &connect.Schema{Type: connect.TypeDate}},
		connect.StructField{Name: "dt", Schema: &connect.Schema{Type: connect.TypeTimestamp, Fraction: 6}},
	)
	row := connect.NewStruct(s, int32(1), "0000-00-00", "2024-00-10 00:00:00.000000")
	for _, schemas := range []bool{false, true} {
		c := NewJSON(WithValueSchemas(schemas))
		m, err := c.Encode(&connect.Record{Topic: "t", Value: row})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(m.Value), `"d":"0000-00-00","dt":"2024-00-10 00:00:00.000000"`) {
			t.Errorf("schemas=%v: %s", schemas, m.Value)
		}
		back, err := c.Decode(m)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := connect.AsMap(back.Value)
		if got["d"] != "0000-00-00" || got["dt"] != "2024-00-10 00:00:00.000000" {
			t.Errorf("schemas=%v: decoded %v", schemas, got)
		}
	}
	bad := connect.NewStruct(s, int32(1), "not a date", "0000-00-00 00:00:00")
	if _, err := NewJSON(WithValueSchemas(true)).Encode(&connect.Record{Topic: "t", Value: bad}); err == nil {
		t.Error("a date field holding other text encoded without an error")
	}
}
