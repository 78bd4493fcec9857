package mysqlsource

import (
	"testing"

	"github.com/go-mysql-org/go-mysql/replication"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/converter"
)

// BenchmarkRowsEvent measures turning a row event of 100 rows of
// bench/mysql's table into records (make), and that plus encoding each
// with the JSON converter (make+encode), per row.
func BenchmarkRowsEvent(b *testing.B) {
	const rows = 100
	for _, encode := range []bool{false, true} {
		name := "make"
		if encode {
			name = "make+encode"
		}
		b.Run(name, func(b *testing.B) {
			tm := benchTableMap()
			r, h := newTestStreamer(b, tm)
			e := &replication.RowsEvent{TableID: tm.TableID, Rows: benchRows(1, rows)}
			enc := converter.NewJSON()
			out := make([]*connect.Record, 0, rows)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if out, err = r.rowsEvent(h, replication.WRITE_ROWS_EVENTv2, e, 0, out[:0]); err != nil || len(out) != rows {
					b.Fatalf("%d records, error %v", len(out), err)
				}
				if encode {
					for _, rec := range out {
						if _, err := enc.Encode(rec); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
			b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
