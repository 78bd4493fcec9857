package mysqlsource

import "testing"

// TestTransactionID: Debezium's MySQL transaction id is the GTID, and
// without one "file=<binlog>,pos=<position of BEGIN>"
// (BinlogOffsetContext.NON_GTID_TRANSACTION_ID_FORMAT, set when BEGIN is
// read), the group's start when it has no BEGIN.
func TestTransactionID(t *testing.T) {
	for _, tc := range []struct {
		gtid     string
		beginPos uint32
		want     string
	}{
		{"0-1-42", 1234, "0-1-42"},
		{"3e11fa47-71ca-11e1-9e33-c80aa9429562:23", 0, "3e11fa47-71ca-11e1-9e33-c80aa9429562:23"},
		{"", 1234, "file=mysql-bin.000001,pos=1234"},
		{"", 0, "file=mysql-bin.000001,pos=900"},
	} {
		r, _ := newTestStreamer(t, benchTableMap())
		r.s.txTopic = "transaction"
		r.start = coordinates{File: "mysql-bin.000001", Pos: 900}
		r.setGTID(tc.gtid)
		r.beginPos = tc.beginPos
		r.tx = txState{}
		r.txOpen()
		if r.tx.id != tc.want {
			t.Errorf("GTID %q, BEGIN at %d: id %q, want %q", tc.gtid, tc.beginPos, r.tx.id, tc.want)
		}
	}
}
