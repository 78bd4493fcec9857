package mysqlsink_test

import (
	"fmt"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/mysqlsink"
)

func TestAcceptance(t *testing.T) {
	db := newTestDB(t)
	schema := connect.NewStructSchema("acceptance", false,
		connect.StructField{Name: "id", Schema: &connect.Schema{Type: connect.TypeString}},
		connect.StructField{Name: "at", Schema: &connect.Schema{Type: connect.TypeTimestamp, Fraction: 6}})
	var offset int64
	connecttest.AcceptanceTest(t, connecttest.Driver{
		Connector: func() connect.Connector { return mysqlsink.New() },
		Config:    db.config("auto.create", "true", "primary.key.mode", "record_value", "primary.key.fields", "id"),
		SinkRecords: func(_ testing.TB, n int) ([]*connect.Record, []string) {
			run := time.Now().UnixNano()
			recs := make([]*connect.Record, n)
			ids := make([]string, n)
			for i := range recs {
				ids[i] = fmt.Sprintf("acc-%x-%d", run, i)
				recs[i] = &connect.Record{
					Topic:  "acceptance",
					Key:    ids[i],
					Value:  connect.NewStruct(schema, ids[i], time.Now().UTC()),
					Origin: connect.Origin{Topic: "acceptance", Queue: i % 3, Offset: offset},
				}
				offset++
			}
			return recs, ids
		},
		ReadSink: func(t testing.TB) []string {
			var ids []string
			for _, r := range db.rows("SELECT id FROM acceptance") {
				ids = append(ids, r[0])
			}
			return ids
		},
	})
}
