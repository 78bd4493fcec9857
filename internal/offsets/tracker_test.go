package offsets

import (
	"testing"

	connect "github.com/openmessaging/connect-go"
)

func rec(part string, off int) *connect.Record {
	return &connect.Record{Position: connect.NewPosition(part, off)}
}

func submit(t *testing.T, tr *Tracker, recs ...*connect.Record) *Batch {
	t.Helper()
	b, err := tr.Submit(recs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func committed(t *testing.T, tr *Tracker) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, p := range tr.Committable() {
		var n int
		if err := p.Decode(&n); err != nil {
			t.Fatal(err)
		}
		out[p.Partition] = n
	}
	return out
}

func TestCommitOnlyContiguousAcks(t *testing.T) {
	tr := New()
	b1 := submit(t, tr, rec("a", 1), rec("a", 2), rec("b", 1))
	b2 := submit(t, tr, rec("a", 3), rec("b", 2))
	b3 := submit(t, tr, rec("a", 4))

	tr.Ack(b2) // out of order: nothing before it is acked
	if got := committed(t, tr); len(got) != 0 {
		t.Fatalf("committed %v before the first batch was acked", got)
	}
	tr.Ack(b1)
	got := committed(t, tr)
	if got["a"] != 3 || got["b"] != 2 || len(got) != 2 {
		t.Fatalf("after b1+b2 acked: %v, want a=3 b=2", got)
	}
	if again := committed(t, tr); len(again) != 0 {
		t.Fatalf("positions handed out twice: %v", again)
	}
	if tr.Pending() != 1 {
		t.Fatalf("pending = %d, want 1", tr.Pending())
	}
	tr.Ack(b3)
	if got := committed(t, tr); got["a"] != 4 || len(got) != 1 {
		t.Fatalf("after b3: %v", got)
	}
}

func TestRestoreHandsPositionsOutAgain(t *testing.T) {
	tr := New()
	tr.Ack(submit(t, tr, rec("a", 7)))
	ps := tr.Committable()
	tr.Restore(ps)
	if got := committed(t, tr); got["a"] != 7 {
		t.Fatalf("after restore: %v", got)
	}
}

func TestUntrackedRecords(t *testing.T) {
	tr := New()
	b := submit(t, tr, &connect.Record{Value: "no position"})
	tr.Ack(b)
	if len(tr.Committable()) != 0 || tr.Pending() != 0 {
		t.Fatal("record without partition was tracked")
	}
}

func TestInvalidOffsetRejected(t *testing.T) {
	tr := New()
	if _, err := tr.Submit([]*connect.Record{{Position: connect.Position{Partition: "p", Offset: []byte("{oops")}}}); err == nil {
		t.Fatal("offset that is not JSON accepted")
	}
	if tr.Pending() != 0 {
		t.Fatal("rejected batch was tracked")
	}
}
