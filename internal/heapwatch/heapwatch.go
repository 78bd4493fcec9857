package heapwatch

import (
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// Start samples the heap's object bytes every 5ms. The returned func stops
// sampling and returns the peak seen, in bytes.
func Start() func() float64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	read := func() {
		metrics.Read(sample)
		if v := sample[0].Value.Uint64(); v > peak.Load() {
			peak.Store(v)
		}
	}
	wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() float64 {
		close(done)
		wg.Wait()
		read() // what happened since the last tick
		return float64(peak.Load())
	}
}
