package mysqlsource_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/converter"
)

// TestTombstones: with tombstones.on.delete, a delete (and the delete of a
// primary key change) is followed by a record with the key and no value,
// which the JSON converter writes as an empty value; keyless tables get
// none, and without the setting there are none.
func TestTombstones(t *testing.T) {
	for _, on := range []bool{true, false} {
		db := newTestDB(t)
		db.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT)", "CREATE TABLE nokey (v INT)")
		cfg := db.config()
		if on {
			cfg["tombstones.on.delete"] = "true"
		}
		r := startRun(t, cfg, nil)
		r.pollUntil(20*time.Second, "streaming", streaming(r))
		db.exec("INSERT INTO t VALUES (1, 1), (2, 2)", "INSERT INTO nokey VALUES (1)",
			"DELETE FROM t WHERE id = 1", "UPDATE t SET id = 3 WHERE id = 2", "DELETE FROM nokey", "INSERT INTO t VALUES (9, 9)")
		r.pollUntil(20*time.Second, "the last insert", hasRecord("t", func(rec *connect.Record) bool {
			return rec.Change.Op == connect.OpCreate && keyID(rec) == int64(9)
		}))
		var seq []string
		for _, rec := range r.recs {
			switch {
			case rec.Change != nil:
				seq = append(seq, string(rec.Change.Op)+fmtID(rec))
			case rec.Value == nil && rec.Key != nil:
				seq = append(seq, "tomb"+fmtID(rec))
				m, err := converter.NewJSON().Encode(rec)
				if err != nil || len(m.Value) != 0 || len(m.Key) == 0 {
					t.Errorf("tombstone encodes as key %q value %q (%v), want a key and no value", m.Key, m.Value, err)
				}
				if prev := r.recs[len(seq)-2].Position; rec.Position.Partition != prev.Partition || string(rec.Position.Offset) != string(prev.Offset) {
					t.Errorf("tombstone at %s, the delete at %s", rec.Position.Offset, r.recs[len(seq)-2].Position.Offset)
				}
			}
		}
		want := "c1 c2 cnokey d1 tomb1 d2 tomb2 c3 dnokey c9"
		if !on {
			want = "c1 c2 cnokey d1 d2 c3 dnokey c9"
		}
		if got := strings.Join(seq, " "); got != want {
			t.Errorf("tombstones.on.delete=%v: %s, want %s", on, got, want)
		}
	}
}

func fmtID(rec *connect.Record) string {
	if rec.Key == nil {
		return "nokey"
	}
	return fmt.Sprint(keyID(rec))
}
