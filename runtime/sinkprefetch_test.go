package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/converter"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// settleTransport counts the messages its subscriptions fetched and
// neither acknowledged nor nacked. The memory transport forgives a message
// left unsettled (a nack of an earlier one rewinds its queue past it); a
// transport that redelivers only what was nacked would lose track of it.
type settleTransport struct {
	connect.MessageTransport
	mu        sync.Mutex
	unsettled map[*connect.Message]bool
	fetched   int // fetches that returned messages
}

func (s *settleTransport) Subscribe(ctx context.Context, group string, topics ...string) (connect.Subscription, error) {
	sub, err := s.MessageTransport.Subscribe(ctx, group, topics...)
	if err != nil {
		return nil, err
	}
	return &settleSub{sub, s}, nil
}

func (s *settleTransport) batches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetched
}

func (s *settleTransport) left() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.unsettled)
}

func (s *settleTransport) settle(msgs []*connect.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range msgs {
		delete(s.unsettled, m)
	}
}

type settleSub struct {
	connect.Subscription
	s *settleTransport
}

func (s *settleSub) Fetch(ctx context.Context, max int) ([]*connect.Message, error) {
	msgs, err := s.Subscription.Fetch(ctx, max)
	s.s.mu.Lock()
	for _, m := range msgs {
		s.s.unsettled[m] = true
	}
	if len(msgs) > 0 {
		s.s.fetched++
	}
	s.s.mu.Unlock()
	return msgs, err
}

func (s *settleSub) Ack(ctx context.Context, msgs ...*connect.Message) error {
	s.s.settle(msgs)
	return s.Subscription.Ack(ctx, msgs...)
}

func (s *settleSub) Nack(ctx context.Context, msgs ...*connect.Message) error {
	s.s.settle(msgs)
	return s.Subscription.Nack(ctx, msgs...)
}

// publishSeq publishes n JSON records {"i": i} to topic, which has one
// queue, before any sink runs.
func publishSeq(t *testing.T, tr connect.MessageTransport, topic string, n int) {
	t.Helper()
	ctx := context.Background()
	if err := tr.CreateTopic(ctx, topic, 1); err != nil {
		t.Fatal(err)
	}
	cv := converter.NewJSON()
	for i := range n {
		m, err := cv.Encode(&connect.Record{Topic: topic, Key: "k", Value: map[string]any{"i": int64(i)}})
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Publish(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
}

// failAheadSink fails its first two Flush calls, each once the batch
// after it was fetched ahead, and keeps what it flushed after that.
type failAheadSink struct {
	tr      *settleTransport
	mu      *sync.Mutex
	seen    map[int64]bool
	flushes *int
	pending []*connect.Record
}

func (s *failAheadSink) Start(context.Context, connect.SinkTaskContext, connect.Config) error {
	return nil
}

func (s *failAheadSink) Put(_ context.Context, recs []*connect.Record) error {
	s.pending = append(s.pending, recs...)
	return nil
}

func (s *failAheadSink) Flush(ctx context.Context) error {
	s.mu.Lock()
	*s.flushes++
	n := *s.flushes
	s.mu.Unlock()
	pending := s.pending
	s.pending = nil
	if n <= 2 {
		// The next batch is being fetched: wait until it was.
		for s.tr.batches() < n+1 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Millisecond):
			}
		}
		return connect.Retriable(errors.New("target busy"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range pending {
		i, _ := connect.Lookup(r.Value, "i")
		s.seen[i.(int64)] = true
	}
	return nil
}

func (s *failAheadSink) Stop(context.Context) error { return nil }

// The batch fetched ahead while a Flush fails goes back to the transport
// with the failed one: every message the sink loop fetched is
// acknowledged or nacked, none is left for the transport to forget. Only
// the failed batch counts as retried.
func TestPrefetchedBatchHandedBackWhenFlushFails(t *testing.T) {
	const total = 1000
	broker := memory.New()
	defer broker.Close()
	tr := &settleTransport{MessageTransport: broker, unsettled: map[*connect.Message]bool{}}
	publishSeq(t, broker, "ahead", total)
	var (
		mu      sync.Mutex
		seen    = map[int64]bool{}
		flushes int
	)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	rt := runtime.New(runtime.WithTransport(tr), runtime.WithRestartBackoff(20*time.Millisecond, 200*time.Millisecond),
		runtime.WithMeterProvider(mp),
		runtime.WithPlugin("ahead", func() connect.Connector {
			return connect.NewSink(connect.Spec{Name: "Ahead"}, func() connect.SinkTask {
				return &failAheadSink{tr: tr, mu: &mu, seen: seen, flushes: &flushes}
			})
		}))
	if err := rt.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	create(t, rt, "sink", connect.Config{"connector.class": "ahead", "topics": "ahead", "batch.size.max": "100",
		"errors.retry.delay.max": "20ms"})
	eventually(t, 20*time.Second, "every record flushed and acknowledged", func() bool {
		return broker.Lag("connect-sink", "ahead") == 0
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rt.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if n := tr.left(); n != 0 {
		t.Errorf("%d fetched messages were neither acknowledged nor nacked", n)
	}
	got, _ := collect(t, reader)
	if n := sum(got["connect.records.retried"], nil); n != 200 {
		t.Errorf("connect.records.retried = %d, want 200 (two failed flushes of 100)", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != total {
		t.Errorf("%d distinct records flushed, want %d", len(seen), total)
	}
}

// seekingSink asks, after its second Flush, to skip ahead to offset 500
// of its queue (the memory transport has forgotten what was acknowledged,
// so it cannot go back), and checks that the next record it gets is that
// one, not one of a batch fetched before it asked.
type seekingSink struct {
	tc      connect.SinkTaskContext
	mu      *sync.Mutex
	errs    *[]string
	flushes int
	skipped bool // expecting the record at offset 500 next
	done    *bool
}

func (s *seekingSink) Start(_ context.Context, tc connect.SinkTaskContext, _ connect.Config) error {
	s.tc = tc
	return nil
}

func (s *seekingSink) Put(_ context.Context, recs []*connect.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.skipped {
		s.skipped = false
		if off := recs[0].Origin.Offset; off != 500 {
			*s.errs = append(*s.errs, fmt.Sprintf("after Seek to 500 the next record is at offset %d", off))
		}
		*s.done = true
	}
	return nil
}

func (s *seekingSink) Flush(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushes++
	if s.flushes == 2 && !*s.done {
		if err := s.tc.(connect.QueueSeeker).Seek(connect.QueueRef{Topic: "again", Queue: 0}, 500); err != nil {
			return err
		}
		s.skipped = true
	}
	return nil
}

func (s *seekingSink) Stop(context.Context) error { return nil }

// A Seek the task asks for while the next batch is being fetched applies
// before that batch: it is handed back and the queue read from the
// offset asked.
func TestSeekAppliesBeforePrefetchedBatch(t *testing.T) {
	broker := memory.New()
	defer broker.Close()
	publishSeq(t, broker, "again", 1000)
	var (
		mu   sync.Mutex
		errs []string
		done bool
	)
	rt := startRuntime(t, runtime.WithTransport(broker),
		runtime.WithPlugin("seeking", func() connect.Connector {
			return connect.NewSink(connect.Spec{Name: "Seeking"}, func() connect.SinkTask {
				return &seekingSink{mu: &mu, errs: &errs, done: &done}
			})
		}))
	create(t, rt, "sink", connect.Config{"connector.class": "seeking", "topics": "again", "batch.size.max": "100"})
	eventually(t, 20*time.Second, "the records after the seek", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return done
	})
	mu.Lock()
	defer mu.Unlock()
	for _, e := range errs {
		t.Error(e)
	}
}
