package converter

import (
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

var benchRowSchema = connect.NewStructSchema("shop.users.Value", true,
	connect.StructField{Name: "id", Schema: &connect.Schema{Type: connect.TypeInt64}},
	connect.StructField{Name: "name", Schema: &connect.Schema{Type: connect.TypeString}},
	connect.StructField{Name: "email", Schema: &connect.Schema{Type: connect.TypeString, Optional: true}},
	connect.StructField{Name: "score", Schema: &connect.Schema{Type: connect.TypeDecimal, Precision: 5, Scale: 2}},
	connect.StructField{Name: "active", Schema: &connect.Schema{Type: connect.TypeBool}},
)

var benchSourceSchema = connect.NewStructSchema("io.debezium.connector.mysql.Source", false,
	connect.StructField{Name: "db", Schema: &connect.Schema{Type: connect.TypeString}},
	connect.StructField{Name: "table", Schema: &connect.Schema{Type: connect.TypeString}},
	connect.StructField{Name: "file", Schema: &connect.Schema{Type: connect.TypeString}},
	connect.StructField{Name: "pos", Schema: &connect.Schema{Type: connect.TypeInt64}},
)

// benchTypedChange is benchChange's event with typed rows.
func benchTypedChange() *connect.Record {
	row := func() *connect.Struct {
		return connect.NewStruct(benchRowSchema, int64(1234567), "Ada Lovelace", "ada.lovelace@example.com", "97.25", true)
	}
	return &connect.Record{
		Topic: "shop.users",
		Key:   "1234567",
		Change: &connect.Change{
			Op: connect.OpUpdate, Before: row(), After: row(),
			Source: connect.NewStruct(benchSourceSchema, "shop", "users", "binlog.000042", int64(123456)),
		},
		Timestamp: time.Unix(1700000000, 0),
	}
}

// The typed change event without the envelope, with it, and back.
func BenchmarkEncodeTypedChange(b *testing.B) { benchEncode(b, NewJSON(), benchTypedChange()) }

func BenchmarkEncodeTypedChangeSchemas(b *testing.B) {
	benchEncode(b, NewJSON(WithValueSchemas(true)), benchTypedChange())
}

func BenchmarkDecodeTypedChangeSchemas(b *testing.B) {
	c := NewJSON(WithValueSchemas(true))
	m, err := c.Encode(benchTypedChange())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(m.Value)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(m); err != nil {
			b.Fatal(err)
		}
	}
}

func benchEncode(b *testing.B, c *JSON, r *connect.Record) {
	m, err := c.Encode(r)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(m.Value)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Encode(r); err != nil {
			b.Fatal(err)
		}
	}
}
