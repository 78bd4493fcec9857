package mysqlsource_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/converter"
)

// TestZeroDates: under a relaxed sql_mode, zero and invalid dates in NOT
// NULL columns are the server's own text in connect_go's encoding (the
// fields stay required), the same from the snapshot and the binlog, and
// an update from one zero or invalid date to another has different before
// and after images; in Debezium's encoding they are its epoch 0 ("Temporal
// types" of Debezium's MySQL connector documentation: "as the epoch day
// when the column does not" allow null), where such an update's images
// are alike, as in Debezium.
func TestZeroDates(t *testing.T) {
	for _, tc := range []struct {
		encoding string
		// JSON of d, dt, ts: the snapshot's row (and the update's before
		// image), then the update's after image.
		before, after string
		schema        string // the field schema of d
	}{
		{"connect_go",
			`{"id":1,"d":"0000-00-00","dt":"0000-00-00 00:00:00.000000","ts":"0000-00-00 00:00:00.000"}`,
			`{"id":1,"d":"2024-00-10","dt":"2024-02-30 10:11:12.500000","ts":"0000-00-00 00:00:00.000"}`,
			`{"type":"string","optional":false,"name":"io.openmessaging.connect.Date","field":"d"}`},
		{"debezium",
			`{"id":1,"d":0,"dt":0,"ts":"1970-01-01T00:00:00Z"}`,
			`{"id":1,"d":0,"dt":0,"ts":"1970-01-01T00:00:00Z"}`,
			`{"type":"int32","optional":false,"name":"io.debezium.time.Date","version":1,"field":"d"}`},
	} {
		t.Run(tc.encoding, func(t *testing.T) {
			db := newTestDB(t)
			db.exec("SET SESSION sql_mode = 'ALLOW_INVALID_DATES'",
				"CREATE TABLE z (id INT PRIMARY KEY, d DATE NOT NULL, dt DATETIME(6) NOT NULL, ts TIMESTAMP(3) NOT NULL DEFAULT '0000-00-00 00:00:00.000')",
				"INSERT INTO z VALUES (1, '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00')")
			r := startRun(t, db.config("value.encoding", tc.encoding), nil)
			r.pollUntil(20*time.Second, "the snapshot", func(recs []*connect.Record) bool { return ops(recs)[connect.OpRead] == 1 })
			db.exec("SET SESSION sql_mode = 'ALLOW_INVALID_DATES'",
				"UPDATE z SET d = '2024-00-10', dt = '2024-02-30 10:11:12.5' WHERE id = 1")
			r.pollUntil(20*time.Second, "the update", func(recs []*connect.Record) bool { return ops(recs)[connect.OpUpdate] == 1 })
			snap, upd := r.recs[0], r.recs[1]
			enc := converter.NewJSON(converter.WithValueSchemas(true))
			row := func(rec *connect.Record, which string) string {
				m, err := enc.Encode(rec)
				if err != nil {
					t.Fatal(err)
				}
				var env struct {
					Schema  json.RawMessage
					Payload map[string]json.RawMessage
				}
				if err := json.Unmarshal(m.Value, &env); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(env.Schema), tc.schema) {
					t.Errorf("the schema lacks %s:\n%s", tc.schema, env.Schema)
				}
				return string(env.Payload[which])
			}
			if got := row(snap, "after"); got != tc.before {
				t.Errorf("snapshot: %s, want %s", got, tc.before)
			}
			if got := row(upd, "before"); got != tc.before {
				t.Errorf("update's before image: %s, want %s (as the snapshot)", got, tc.before)
			}
			if got := row(upd, "after"); got != tc.after {
				t.Errorf("update's after image: %s, want %s", got, tc.after)
			}
			for _, rec := range []*connect.Record{snap, upd} {
				if err := rec.Change.After.(*connect.Struct).Validate(); err != nil {
					t.Errorf("%s: %v", rec.Change.Op, err)
				}
			}
		})
	}
}
