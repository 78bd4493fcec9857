package heapwatch

import "testing"

var sink [][]byte

func TestPeakSeesAllocations(t *testing.T) {
	stop := Start()
	for i := 0; i < 64; i++ {
		sink = append(sink, make([]byte, 1<<20))
	}
	peak := stop()
	if peak < 64<<20 {
		t.Fatalf("peak %.0f bytes with 64 MiB live", peak)
	}
	sink = nil
}
