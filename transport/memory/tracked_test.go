package memory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// calls counts the calls of a consumed callback.
type calls struct{ n atomic.Int32 }

func (c *calls) consumed() { c.n.Add(1) }

// want fails unless the callback ran n times. Callbacks run on the goroutine
// of the Ack, DeleteGroup or PublishTracked that completed their batch, so
// the count is settled when that call returned.
func (c *calls) want(t *testing.T, when string, n int32) {
	t.Helper()
	if got := c.n.Load(); got != n {
		t.Fatalf("%s: consumed called %d times, want %d", when, got, n)
	}
}

func publishTracked(t *testing.T, tr connect.DeliveryTracker, c *calls, msgs ...*connect.Message) {
	t.Helper()
	if err := tr.PublishTracked(testCtx(t), c.consumed, msgs...); err != nil {
		t.Fatalf("PublishTracked: %v", err)
	}
}

func ack(t *testing.T, s connect.Subscription, msgs ...*connect.Message) {
	t.Helper()
	if err := s.Ack(testCtx(t), msgs...); err != nil {
		t.Fatalf("Ack: %v", err)
	}
}

// spread returns n messages to topic, one per queue of a 4-queue topic in
// turn, so that a batch spans every queue. Their values are tag0, tag1...
func spread(topic, tag string, n int) []*connect.Message {
	out := make([]*connect.Message, n)
	for i := range out {
		out[i] = msg(topic, keyFor(i%4, 4), fmt.Sprint(tag, i))
	}
	return out
}

func TestPublishTrackedWaitsForEveryGroup(t *testing.T) {
	b := newBroker(t)
	fast, slow := subscribe(t, b, "fast", "t"), subscribe(t, b, "slow", "t")
	bcast, err := b.Broadcast(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bcast.Close() })
	var c calls
	publishTracked(t, b, &c, spread("t", "", 8)...)

	fetchN(t, bcast, 8) // broadcast readers do not count
	ack(t, fast, fetchN(t, fast, 8)...)
	c.want(t, "after one group acked", 0)
	got := fetchN(t, slow, 8)
	ack(t, slow, got[:7]...)
	c.want(t, "with one message unacked", 0)
	ack(t, slow, got[7])
	c.want(t, "after both groups acked", 1)
	ack(t, slow, got...)
	c.want(t, "after acking again", 1)
}

func TestPublishTrackedWaitsForFirstGroup(t *testing.T) {
	b := newBroker(t)
	var c calls
	publishTracked(t, b, &c, spread("t", "", 4)...)
	c.want(t, "with no group", 0)
	s := subscribe(t, b, "g", "t")
	ack(t, s, fetchN(t, s, 4)...)
	c.want(t, "after the first group acked", 1)
}

func TestPublishTrackedCountsLaterGroups(t *testing.T) {
	b := newBroker(t)
	early := subscribe(t, b, "early", "t")
	var c calls
	publishTracked(t, b, &c, spread("t", "", 4)...)
	late := subscribe(t, b, "late", "t") // before early acked: starts at the batch
	ack(t, early, fetchN(t, early, 4)...)
	c.want(t, "before the later group acked", 0)
	ack(t, late, fetchN(t, late, 4)...)
	c.want(t, "after both groups acked", 1)
}

func TestPublishTrackedRedelivery(t *testing.T) {
	b := newBroker(t, WithDefaultQueues(1))
	s := subscribe(t, b, "g", "t")
	var c calls
	publishTracked(t, b, &c, msg("t", nil, "0"), msg("t", nil, "1"))

	got := fetchN(t, s, 2)
	if err := s.Nack(testCtx(t), got[0]); err != nil {
		t.Fatal(err)
	}
	ack(t, s, got[1]) // above the committed offset: not enough
	c.want(t, "after a nack", 0)
	again := fetchN(t, s, 1)
	if again[0].Redelivered == 0 {
		t.Fatalf("message %q not marked redelivered", again[0].Value)
	}

	// The member leaves without acking; the group still has to.
	s.Close()
	c.want(t, "after the member left", 0)
	s2 := subscribe(t, b, "g", "t")
	ack(t, s2, fetchN(t, s2, 1)...)
	c.want(t, "after the group acked everything", 1)
}

func TestPublishTrackedBatchSpanningTopics(t *testing.T) {
	b := newBroker(t)
	sa, sb := subscribe(t, b, "g", "a"), subscribe(t, b, "g", "b")
	var first, second calls
	batch := append(spread("a", "first", 6), spread("b", "first", 6)...)
	batch = append(batch, spread("a", "first-again", 2)...)
	publishTracked(t, b, &first, batch...)
	publishTracked(t, b, &second, spread("a", "second", 4)...)

	gotA := fetchN(t, sa, 12)
	gotB := fetchN(t, sb, 6)
	ack(t, sb, gotB...)
	first.want(t, "with topic a unacked", 0)
	// Every queue of topic a holds the first batch, then the second.
	var firstA []*connect.Message
	for _, m := range gotA {
		if strings.HasPrefix(string(m.Value), "first") {
			firstA = append(firstA, m)
		}
	}
	ack(t, sa, firstA[:len(firstA)-1]...)
	first.want(t, "with one message of topic a unacked", 0)
	ack(t, sa, firstA[len(firstA)-1])
	first.want(t, "after the whole first batch was acked", 1)
	second.want(t, "with the second batch unacked", 0)
	ack(t, sa, gotA...)
	first.want(t, "in the end", 1)
	second.want(t, "in the end", 1)
}

func TestPublishTrackedNoMessages(t *testing.T) {
	b := newBroker(t)
	var c calls
	publishTracked(t, b, &c)
	c.want(t, "when PublishTracked returned", 1)
	if err := b.PublishTracked(testCtx(t), nil, msg("t", nil, "x")); err != nil {
		t.Fatalf("PublishTracked with a nil callback: %v", err)
	}
}

func TestPublishTrackedNeverAfterError(t *testing.T) {
	b := newBroker(t, WithDefaultQueues(2), WithQueueCapacity(1))
	s := subscribe(t, b, "g", "t")
	full, free := keyFor(0, 2), keyFor(1, 2)
	publish(t, b, msg("t", full, "fill"))

	var invalid, cancelled calls
	if err := b.PublishTracked(testCtx(t), invalid.consumed, msg("t", nil, "x"), nil); err == nil {
		t.Fatal("PublishTracked of a nil message succeeded")
	}
	// The message to the free queue is stored, the other one waits.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- b.PublishTracked(ctx, cancelled.consumed, msg("t", free, "stored"), msg("t", full, "waits"))
	}()
	waitFor(t, "the publisher to block", func() bool { return publisherWaiting(b, "t") })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("PublishTracked cancelled while blocked: %v, want context.Canceled", err)
	}
	ack(t, s, fetchN(t, s, 2)...) // "fill" and "stored": the broker drops both
	if n := b.retained("t"); n != 0 {
		t.Fatalf("retained %d, want 0", n)
	}
	invalid.want(t, "after an invalid batch", 0)
	cancelled.want(t, "after a cancelled publish", 0)
}

func TestPublishTrackedNeverAfterClose(t *testing.T) {
	b := newBroker(t)
	s := subscribe(t, b, "g", "t")
	c1, c2 := b.Client(), b.Client()
	var closed, open calls
	publishTracked(t, c1, &closed, spread("t", "", 4)...)
	publishTracked(t, c2, &open, spread("t", "", 4)...)
	c1.Close()
	ack(t, s, fetchN(t, s, 8)...)
	closed.want(t, "after its client closed", 0)
	open.want(t, "of the open client", 1)

	var c calls
	if err := c1.PublishTracked(testCtx(t), c.consumed); !errors.Is(err, connect.ErrClosed) {
		t.Fatalf("PublishTracked after Close: %v, want ErrClosed", err)
	}
	c.want(t, "after PublishTracked failed", 0)
}

// TestPublishTrackedCloseRace acks concurrently with Close: once Close
// returned, no callback may run.
func TestPublishTrackedCloseRace(t *testing.T) {
	b := newBroker(t)
	s := subscribe(t, b, "g", "t")
	c := b.Client()
	var afterClose atomic.Bool
	var late atomic.Int32
	consumed := func() {
		if afterClose.Load() {
			late.Add(1)
		}
	}
	for range 200 {
		if err := c.PublishTracked(testCtx(t), consumed, spread("t", "", 2)...); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for got := 0; got < 400; {
			msgs, err := s.Fetch(testCtx(t), 10)
			if err != nil {
				t.Error(err)
				return
			}
			s.Ack(testCtx(t), msgs...)
			got += len(msgs)
		}
	}()
	time.Sleep(time.Millisecond)
	c.Close()
	afterClose.Store(true)
	<-done
	if n := late.Load(); n != 0 {
		t.Fatalf("%d callbacks ran after Close returned", n)
	}
}

func TestDeleteGroup(t *testing.T) {
	b := newBroker(t)
	live := subscribe(t, b, "live", "t", "u")
	gone := subscribe(t, b, "gone", "t", "u")
	var c calls
	publishTracked(t, b, &c, append(spread("t", "", 4), spread("u", "", 4)...)...)
	ack(t, live, fetchN(t, live, 8)...)
	ack(t, gone, fetchN(t, gone, 2)...)

	if err := b.DeleteGroup(testCtx(t), "gone"); !errors.Is(err, connect.ErrConflict) {
		t.Fatalf("DeleteGroup with a member: %v, want ErrConflict", err)
	}
	gone.Close()
	c.want(t, "before the group was deleted", 0)
	if err := b.DeleteGroup(testCtx(t), "gone"); err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	c.want(t, "after the group was deleted", 1)
	if n := b.retained("t") + b.retained("u"); n != 0 {
		t.Fatalf("retained %d, want 0", n)
	}
	if err := b.DeleteGroup(testCtx(t), "gone"); err != nil {
		t.Fatalf("DeleteGroup of an unknown group: %v", err)
	}

	// The last group of a topic: its messages wait for the next group.
	var next calls
	publishTracked(t, b, &next, spread("t", "", 4)...)
	live.Close()
	if err := b.DeleteGroup(testCtx(t), "live"); err != nil {
		t.Fatal(err)
	}
	next.want(t, "with no group left", 0)
	if n := b.retained("t"); n != 4 {
		t.Fatalf("retained %d, want 4", n)
	}
	again := subscribe(t, b, "live", "t") // a new group, at the oldest message
	ack(t, again, fetchN(t, again, 4)...)
	next.want(t, "after the new group acked", 1)

	b.Close()
	if err := b.DeleteGroup(context.Background(), "live"); !errors.Is(err, connect.ErrClosed) {
		t.Fatalf("DeleteGroup after Close: %v, want ErrClosed", err)
	}
}

// TestPublishTrackedConcurrent runs publishers, two groups of two members
// that rebalance, nacks and acks at once: every batch is reported exactly
// once, and only after both groups had all of it.
func TestPublishTrackedConcurrent(t *testing.T) {
	const publishers, batches, perBatch = 4, 100, 7
	const total = publishers * batches * perBatch
	b := newBroker(t, WithQueueCapacity(16))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var mu sync.Mutex
	acked := make(map[string]int) // value -> groups that acked it
	reported := make(map[int]int) // batch -> calls
	var wg sync.WaitGroup
	// The groups exist before the first publish: a group that joins later
	// starts at the oldest retained message and misses what the others
	// consumed, so it could not check anything.
	consume := func(group string, s connect.Subscription, nth int) {
		defer wg.Done()
		defer s.Close()
		for i := 0; ; i++ {
			msgs, err := s.Fetch(ctx, 5)
			if err != nil {
				return
			}
			if i%7 == nth {
				s.Nack(ctx, msgs[0])
				msgs = msgs[1:]
			}
			mu.Lock()
			for _, m := range msgs {
				acked[group+string(m.Value)]++
			}
			mu.Unlock()
			s.Ack(ctx, msgs...)
		}
	}
	for _, g := range []string{"g1", "g2"} {
		for _, nth := range []int{1, 3} {
			s, err := b.Subscribe(ctx, g, "t", "u")
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go consume(g, s, nth)
		}
	}
	var pub sync.WaitGroup
	for p := range publishers {
		pub.Add(1)
		go func() {
			defer pub.Done()
			for i := range batches {
				id := p*batches + i
				msgs := make([]*connect.Message, perBatch)
				for k := range msgs {
					msgs[k] = msg([]string{"t", "u"}[k%2], fmt.Appendf(nil, "k%d", k), fmt.Sprintf("%d/%d", id, k))
				}
				err := b.PublishTracked(ctx, func() {
					mu.Lock()
					defer mu.Unlock()
					reported[id]++
					for k := range perBatch {
						v := fmt.Sprintf("%d/%d", id, k)
						if acked["g1"+v] == 0 || acked["g2"+v] == 0 {
							t.Errorf("batch %d reported before both groups acked %s", id, v)
						}
					}
				}, msgs...)
				if err != nil {
					t.Error(err)
				}
			}
		}()
	}
	pub.Wait()
	waitFor(t, "every batch to be reported", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(reported) == publishers*batches
	})
	cancel()
	wg.Wait()
	for id, n := range reported {
		if n != 1 {
			t.Errorf("batch %d reported %d times", id, n)
		}
	}
	if n := b.retained("t") + b.retained("u"); n != 0 {
		t.Errorf("retained %d of %d messages", n, total)
	}
}
