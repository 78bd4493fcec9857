package memory_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/transport/memory"
)

const benchBatch = 500

func benchMessages() []*connect.Message {
	msgs := make([]*connect.Message, benchBatch)
	value := make([]byte, 200)
	for i := range msgs {
		msgs[i] = &connect.Message{
			Topic:   "bench",
			Key:     fmt.Appendf(nil, "key-%d", i%64),
			Value:   value,
			Headers: connect.Headers{"h": "v"},
		}
	}
	return msgs
}

// BenchmarkPublishFetchAck moves b.N messages through the broker: one
// publisher in batches of 500, members fetching up to 500 and acking each
// batch. Compare msgs/s with BenchmarkChannelBaseline.
func BenchmarkPublishFetchAck(b *testing.B) {
	for _, members := range []int{1, 2} {
		b.Run(fmt.Sprintf("members=%d", members), func(b *testing.B) {
			benchPublishFetchAck(b, members, false)
		})
	}
}

// BenchmarkPublishTrackedFetchAck is BenchmarkPublishFetchAck with every
// batch published by PublishTracked and reported consumed.
func BenchmarkPublishTrackedFetchAck(b *testing.B) {
	for _, members := range []int{1, 2} {
		b.Run(fmt.Sprintf("members=%d", members), func(b *testing.B) {
			benchPublishFetchAck(b, members, true)
		})
	}
}

func benchPublishFetchAck(b *testing.B, members int, tracked bool) {
	broker := memory.New()
	defer broker.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	msgs := benchMessages()
	var subs []connect.Subscription
	for range members {
		sub, err := broker.Subscribe(ctx, "bench", "bench")
		if err != nil {
			b.Fatal(err)
		}
		subs = append(subs, sub)
	}
	var (
		mu  sync.Mutex
		got int
		wg  sync.WaitGroup
	)
	done := make(chan struct{})
	var reported atomic.Int64
	consumed := func() { reported.Add(1) }
	b.ReportAllocs()
	b.ResetTimer()
	for _, sub := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				batch, err := sub.Fetch(ctx, benchBatch)
				if err != nil {
					return
				}
				if err := sub.Ack(ctx, batch...); err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				got += len(batch)
				if got == b.N {
					close(done)
				}
				mu.Unlock()
			}
		}()
	}
	batches := int64(0)
	for sent := 0; sent < b.N; sent += benchBatch {
		batch := msgs[:min(benchBatch, b.N-sent)]
		var err error
		if tracked {
			err = broker.PublishTracked(ctx, consumed, batch...)
			batches++
		} else {
			err = broker.Publish(ctx, batch...)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	<-done
	b.StopTimer()
	if n := reported.Load(); n != batches {
		b.Fatalf("%d of %d batches reported consumed", n, batches)
	}
	cancel()
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkChannelBaseline moves b.N messages over a bare Go channel of
// batches: the floor a broker is measured against.
func BenchmarkChannelBaseline(b *testing.B) {
	msgs := benchMessages()
	ch := make(chan []*connect.Message, 16)
	done := make(chan struct{})
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		got := 0
		for batch := range ch {
			// A delivery copy per message, as a transport hands out.
			copies := make([]connect.Message, len(batch))
			for i, m := range batch {
				copies[i] = *m
			}
			got += len(batch)
		}
		close(done)
	}()
	for sent := 0; sent < b.N; sent += benchBatch {
		ch <- msgs[:min(benchBatch, b.N-sent)]
	}
	close(ch)
	<-done
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
