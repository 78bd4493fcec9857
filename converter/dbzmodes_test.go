package converter

import (
	"math"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/dbzmodes"
)

// Rows mapped to Debezium's value and schema modes (package dbzmodes)
// travel in the envelope with Kafka's and Debezium's versions and
// parameters (Kafka's Decimal scale and precision, Bits' length) and come
// back equal: the semantic names of literal types are not read as this
// package's logical types.
func TestSchemaRoundTripDebeziumModes(t *testing.T) {
	schema := connect.NewStructSchema("db.shop.orders.Value", true,
		connect.StructField{Name: "id", Schema: sch(connect.TypeInt32)},
		connect.StructField{Name: "day", Schema: sch(connect.TypeDate)},
		connect.StructField{Name: "at", Schema: &connect.Schema{Type: connect.TypeTimestamp, Fraction: 6}},
		connect.StructField{Name: "zoned", Schema: &connect.Schema{Type: connect.TypeTimestamp, Fraction: 3, Zoned: true}},
		connect.StructField{Name: "took", Schema: &connect.Schema{Type: connect.TypeTime, Fraction: 3}},
		connect.StructField{Name: "price", Schema: &connect.Schema{Type: connect.TypeDecimal, Precision: 10, Scale: 2}},
		connect.StructField{Name: "big", Schema: sch(connect.TypeUint64)},
		connect.StructField{Name: "flags", Schema: &connect.Schema{Type: connect.TypeBit, Width: 12}},
		connect.StructField{Name: "size", Schema: &connect.Schema{Type: connect.TypeEnum, Members: []string{"s", "m"}}},
		connect.StructField{Name: "year", Schema: sch(connect.TypeYear)},
	)
	row := func() *connect.Struct {
		return connect.NewStruct(schema, int64(1),
			time.Date(2018, 6, 20, 0, 0, 0, 0, time.UTC),
			time.Date(2018, 6, 20, 6, 37, 3, 250000000, time.UTC),
			time.Date(2018, 6, 20, 13, 37, 3, 500000000, time.UTC),
			"12:00:01.500", "-12.50", uint64(math.MaxUint64), int64(0xA05), "m", int64(2024))
	}
	c := NewJSON(WithValueSchemas(true))
	for _, cfg := range []connect.Config{
		{"value.encoding": "debezium"},
		{"value.encoding": "debezium", "time.precision.mode": "connect", "bigint.unsigned.handling.mode": "precise"},
		{"value.encoding": "debezium", "time.precision.mode": "isostring", "decimal.handling.mode": "string"},
		{"value.encoding": "debezium", "decimal.handling.mode": "double", "bit.handling.mode": "number"},
		{"value.encoding": "connect_go"},
	} {
		settings, err := dbzmodes.Parse(cfg, dbzmodes.EncodingConnectGo)
		if err != nil {
			t.Fatal(err)
		}
		mapped, err := dbzmodes.NewMapper(settings, 0).Map(row())
		if err != nil {
			t.Fatalf("%v: Map: %v", cfg, err)
		}
		m, err := c.Encode(&connect.Record{Topic: "t", Value: mapped})
		if err != nil {
			t.Fatalf("%v: Encode: %v", cfg, err)
		}
		r, err := c.Decode(m)
		if err != nil {
			t.Fatalf("%v: Decode %s: %v", cfg, m.Value, err)
		}
		equalRows(t, cfg["value.encoding"]+" "+cfg["time.precision.mode"]+" "+cfg["decimal.handling.mode"], r.Value, mapped)
	}
}
