package dbzmodes

import (
	"testing"

	connect "github.com/openmessaging/connect-go"
)

// BenchmarkMapInPlace maps a row of the common types with Debezium's
// defaults: the cost a source pays per row in that mode.
func BenchmarkMapInPlace(b *testing.B) {
	s := connect.NewStructSchema("t", false,
		connect.StructField{Name: "id", Schema: &connect.Schema{Type: connect.TypeInt64}},
		connect.StructField{Name: "name", Schema: &connect.Schema{Type: connect.TypeString}},
		connect.StructField{Name: "d", Schema: &connect.Schema{Type: connect.TypeDate}},
		connect.StructField{Name: "at", Schema: &connect.Schema{Type: connect.TypeTimestamp, Fraction: 6}},
		connect.StructField{Name: "price", Schema: &connect.Schema{Type: connect.TypeDecimal, Precision: 10, Scale: 2}},
	)
	vals := []any{int64(7), "x", date(2024, 5, 6), ts(2024, 5, 6, 7, 8, 9, 123456000), "12.50"}
	m := NewMapper(dbz, 0)
	row := &connect.Struct{Values: make([]any, len(vals))}
	b.ReportAllocs()
	for b.Loop() {
		row.Schema = s
		copy(row.Values, vals)
		if err := m.MapInPlace(row); err != nil {
			b.Fatal(err)
		}
	}
}
