package memory

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"go.uber.org/goleak"
)

// fakeClock is a clock a test moves by hand, so that retention tests need
// no sleeps. Every After call is signalled on armed: once a test received
// from it, the janitor waits for the clock, so the next Advance past its
// deadline makes it sweep.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	armed   chan struct{}
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), armed: make(chan struct{}, 1)}
}

func (c *fakeClock) option() Option {
	return optionFunc(func(cfg *config) { cfg.now, cfg.after = c.Now, c.After })
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
	} else {
		c.waiters = append(c.waiters, fakeWaiter{at: c.now.Add(d), ch: ch})
	}
	c.mu.Unlock()
	select {
	case c.armed <- struct{}{}:
	default:
	}
	return ch
}

// Advance moves the clock on by d and fires the timers due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waiters = slices.DeleteFunc(c.waiters, func(w fakeWaiter) bool {
		if w.at.After(c.now) {
			return false
		}
		w.ch <- c.now
		return true
	})
}

// waitArmed waits until the janitor called After since the last call.
func (c *fakeClock) waitArmed(t *testing.T) {
	t.Helper()
	select {
	case <-c.armed:
	case <-time.After(testTimeout):
		t.Fatal("timed out waiting for the janitor to wait")
	}
}

// retainer is what the retention tests use of a Broker or a Client.
type retainer interface {
	connect.MessageTransport
	connect.DeliveryTracker
	connect.TopicRetention
}

// eachTransport runs f against a Broker with a fake clock, and against a
// Client of one.
func eachTransport(t *testing.T, f func(t *testing.T, b *Broker, clk *fakeClock, tr retainer)) {
	for _, name := range []string{"Broker", "Client"} {
		t.Run(name, func(t *testing.T) {
			clk := newFakeClock()
			b := newBroker(t, clk.option())
			var tr retainer = b
			if name == "Client" {
				c := b.Client()
				t.Cleanup(func() { c.Close() })
				tr = c
			}
			f(t, b, clk, tr)
		})
	}
}

func setRetention(t *testing.T, tr connect.TopicRetention, topic string, d time.Duration) {
	t.Helper()
	if err := tr.SetRetention(testCtx(t), topic, d); err != nil {
		t.Fatalf("SetRetention(%q, %v): %v", topic, d, err)
	}
}

func broadcast(t *testing.T, tr connect.MessageTransport, topic string) connect.Subscription {
	t.Helper()
	r, err := tr.Broadcast(context.Background(), topic)
	if err != nil {
		t.Fatalf("Broadcast: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// sortedValues returns the values of msgs in order; fetches from several
// queues interleave them.
func sortedValues(msgs []*connect.Message) []string {
	return slices.Sorted(slices.Values(values(msgs)))
}

func wantValues(t *testing.T, what string, msgs []*connect.Message, want []string) {
	t.Helper()
	if got := sortedValues(msgs); !slices.Equal(got, want) {
		t.Fatalf("%s got %q, want %q", what, got, want)
	}
}

func TestTimeRetentionDropsExpired(t *testing.T) {
	eachTransport(t, func(t *testing.T, b *Broker, clk *fakeClock, tr retainer) {
		setRetention(t, tr, "hb", time.Minute)
		reader := broadcast(t, tr, "hb") // positioned before everything
		member := subscribe(t, tr, "g", "hb")
		publish(t, tr, spread("hb", "old", 8)...)
		gone := make(chan struct{})
		if err := tr.PublishTracked(testCtx(t), func() { close(gone) }, spread("hb", "oldtracked", 4)...); err != nil {
			t.Fatal(err)
		}
		clk.Advance(40 * time.Second)
		publish(t, tr, spread("hb", "mid", 8)...)
		clk.Advance(30 * time.Second) // old: 70s, mid: 30s

		// Lag drops what expired and counts only the rest.
		if lag := b.Lag("g", "hb"); lag != 8 {
			t.Fatalf("Lag = %d, want 8: the mid messages", lag)
		}
		select { // the Lag above, or the janitor, dropped the batch
		case <-gone:
		case <-time.After(testTimeout):
			t.Fatal("consumed not called for a dropped batch")
		}
		mid := sortedValues(spread("hb", "mid", 8))
		wantValues(t, "reader", fetchN(t, reader, 8), mid)
		fetchNone(t, reader)
		got := fetchN(t, member, 8)
		wantValues(t, "group", got, mid)
		fetchNone(t, member)
		for _, m := range got {
			if m.Redelivered != 0 {
				t.Fatalf("%s: Redelivered = %d on its first delivery", m.Value, m.Redelivered)
			}
		}
		ack(t, member, got...)
		if n := b.retained("hb"); n != 0 {
			t.Fatalf("retained %d messages after the group acked the rest", n)
		}

		publish(t, tr, spread("hb", "new", 4)...)
		want := sortedValues(spread("hb", "new", 4))
		wantValues(t, "reader", fetchN(t, reader, 4), want)
		wantValues(t, "group", fetchN(t, member, 4), want)
	})
}

// A group whose delivered messages expired before it acked them goes on
// at the oldest retained message: acks and nacks of the dropped ones do
// nothing, and acks of the later ones commit.
func TestTimeRetentionDropsDelivered(t *testing.T) {
	eachTransport(t, func(t *testing.T, b *Broker, clk *fakeClock, tr retainer) {
		setRetention(t, tr, "t", time.Minute)
		member := subscribe(t, tr, "g", "t")
		publish(t, tr, spread("t", "old", 8)...)
		old := fetchN(t, member, 8)
		ack(t, member, old[:1]...) // one acked, the rest in flight
		clk.Advance(2 * time.Minute)
		if err := member.Nack(testCtx(t), old[1:3]...); err != nil {
			t.Fatal(err)
		}
		publish(t, tr, spread("t", "new", 8)...)
		got := fetchN(t, member, 8)
		wantValues(t, "group", got, sortedValues(spread("t", "new", 8)))
		fetchNone(t, member)
		ack(t, member, old...)
		if lag := b.Lag("g", "t"); lag != 8 {
			t.Fatalf("Lag = %d after acking dropped messages, want 8", lag)
		}
		ack(t, member, got...)
		if lag := b.Lag("g", "t"); lag != 0 {
			t.Fatalf("Lag = %d after acking every retained message, want 0", lag)
		}
		if n := b.retained("t"); n != 0 {
			t.Fatalf("retained %d messages, want 0", n)
		}
	})
}

func TestTimeRetentionZeroRestoresDefault(t *testing.T) {
	eachTransport(t, func(t *testing.T, b *Broker, clk *fakeClock, tr retainer) {
		setRetention(t, tr, "t", time.Minute)
		publish(t, tr, spread("t", "a", 4)...)
		setRetention(t, tr, "t", 0)
		clk.Advance(time.Hour)
		publish(t, tr, spread("t", "b", 4)...)
		clk.Advance(time.Hour)
		want := sortedValues(append(spread("t", "a", 4), spread("t", "b", 4)...))
		wantValues(t, "reader", fetchN(t, broadcast(t, tr, "t"), 8), want)
		wantValues(t, "group", fetchN(t, subscribe(t, tr, "g", "t"), 8), want)
		if lag := b.Lag("g", "t"); lag != 8 {
			t.Fatalf("Lag = %d, want 8", lag)
		}
	})
}

// Messages published before a topic had a retention count as published
// when it got one.
func TestTimeRetentionSetLater(t *testing.T) {
	eachTransport(t, func(t *testing.T, b *Broker, clk *fakeClock, tr retainer) {
		publish(t, tr, spread("t", "a", 4)...)
		clk.Advance(time.Hour)
		setRetention(t, tr, "t", time.Minute)
		if lag := b.Lag("g", "t"); lag != 4 {
			t.Fatalf("Lag = %d right after SetRetention, want 4", lag)
		}
		clk.Advance(61 * time.Second)
		if lag := b.Lag("g", "t"); lag != 0 {
			t.Fatalf("Lag = %d a retention later, want 0", lag)
		}
		// Shortening the retention applies at once.
		publish(t, tr, spread("t", "b", 4)...)
		clk.Advance(30 * time.Second)
		setRetention(t, tr, "t", 10*time.Second)
		if n := b.retained("t"); n != 0 {
			t.Fatalf("retained %d after shortening the retention, want 0", n)
		}
	})
}

// The janitor drops expired messages of a topic nobody publishes to or
// fetches from, completing tracked batches and freeing blocked publishers.
func TestTimeRetentionJanitor(t *testing.T) {
	eachTransport(t, func(t *testing.T, b *Broker, clk *fakeClock, tr retainer) {
		if err := tr.CreateTopic(testCtx(t), "idle", 1); err != nil {
			t.Fatal(err)
		}
		setRetention(t, tr, "idle", time.Minute)
		clk.waitArmed(t)
		gone := make(chan struct{})
		if err := tr.PublishTracked(testCtx(t), func() { close(gone) }, msg("idle", nil, "a")); err != nil {
			t.Fatal(err)
		}
		publish(t, tr, msg("idle", nil, "b"))
		if n := b.retained("idle"); n != 2 {
			t.Fatalf("retained %d, want 2", n)
		}
		clk.Advance(2 * time.Minute)
		clk.waitArmed(t) // the janitor swept and waits again
		if n := b.retained("idle"); n != 0 {
			t.Fatalf("retained %d after the janitor swept, want 0", n)
		}
		select {
		case <-gone:
		default:
			t.Fatal("consumed not called by the janitor's sweep")
		}
	})
}

func TestTimeRetentionFreesBlockedPublisher(t *testing.T) {
	clk := newFakeClock()
	b := newBroker(t, clk.option(), WithDefaultQueues(1), WithQueueCapacity(2))
	setRetention(t, b, "t", time.Minute)
	clk.waitArmed(t)
	publish(t, b, msg("t", nil, "a"), msg("t", nil, "b"))
	clk.Advance(30 * time.Second)
	published := make(chan error, 1)
	go func() { published <- b.Publish(testCtx(t), msg("t", nil, "c")) }()
	waitFor(t, "the publisher to wait for space", func() bool { return publisherWaiting(b, "t") })
	clk.Advance(31 * time.Second) // a and b expire; the janitor frees space
	if err := <-published; err != nil {
		t.Fatal(err)
	}
	wantValues(t, "reader", fetchN(t, broadcast(t, b, "t"), 1), []string{"c"})
}

// A topic only broadcast readers read, with heartbeats published every
// 500ms for hours, stays within what a retention holds, whatever groups
// read it.
func TestTimeRetentionBoundsHeartbeats(t *testing.T) {
	const (
		workers   = 3
		every     = 500 * time.Millisecond
		retention = time.Minute
		run       = 2 * time.Hour
		bound     = workers * int(retention/every+1)
	)
	for _, readers := range []string{"broadcast", "acking group", "stuck group"} {
		t.Run(readers, func(t *testing.T) {
			clk := newFakeClock()
			b := newBroker(t, clk.option())
			setRetention(t, b, "status", retention)
			var sub connect.Subscription
			switch readers {
			case "broadcast":
				sub = broadcast(t, b, "status")
			default:
				sub = subscribe(t, b, strings.ReplaceAll(readers, " ", "-"), "status")
			}
			ctx := testCtx(t)
			for step := range int(run / every) {
				clk.Advance(every)
				for w := range workers {
					hb := msg("status", []byte{byte('a' + w)}, "alive")
					if err := b.Publish(ctx, hb); err != nil {
						t.Fatal(err)
					}
				}
				if step%100 == 0 && readers != "stuck group" {
					msgs, err := sub.Fetch(ctx, 1000)
					if err != nil {
						t.Fatal(err)
					}
					ack(t, sub, msgs...)
				}
				if n := b.retained("status"); n > bound {
					t.Fatalf("after %v: retained %d heartbeats, want at most %d", time.Duration(step+1)*every, n, bound)
				}
			}
			tp, _ := b.topic("status", 0)
			tp.mu.Lock()
			defer tp.mu.Unlock()
			for qi := range tp.queues {
				q := &tp.queues[qi]
				if q.stamps.len() > q.n+1 || cap(q.stamps.s) > 2*bound {
					t.Fatalf("queue %d: %d stamps (capacity %d) for %d messages", qi, q.stamps.len(), cap(q.stamps.s), q.n)
				}
			}
		})
	}
}

// The real clock's janitor drops messages, survives the Client that set
// the retention, and ends with the Broker.
func TestTimeRetentionCloseStopsJanitor(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	b := New()
	c := b.Client()
	setRetention(t, c, "t", 20*time.Millisecond)
	publish(t, c, spread("t", "a", 4)...)
	waitFor(t, "the janitor to drop the messages", func() bool { return b.retained("t") == 0 })
	c.Close()
	select {
	case <-b.janitorDone:
		t.Fatal("closing a Client stopped the broker's janitor")
	default:
	}
	b.Close()
	goleak.VerifyNone(t, ignore)
	for name, tr := range map[string]connect.TopicRetention{"Broker": b, "Client": b.Client()} {
		if err := tr.SetRetention(context.Background(), "t", time.Minute); !errors.Is(err, connect.ErrClosed) {
			t.Errorf("%s.SetRetention after Close: %v, want ErrClosed", name, err)
		}
	}
}

func TestSetRetentionArguments(t *testing.T) {
	b := newBroker(t)
	ctx := testCtx(t)
	if err := b.SetRetention(ctx, "t", -time.Second); err == nil {
		t.Error("negative retention accepted")
	}
	if err := b.SetRetention(ctx, "", time.Second); err == nil {
		t.Error("empty topic accepted")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.SetRetention(cancelled, "t", time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("SetRetention with a cancelled ctx: %v", err)
	}
	if err := b.SetRetention(ctx, "fresh", time.Second); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	_, ok := b.topics["fresh"]
	b.mu.Unlock()
	if !ok {
		t.Error("SetRetention did not create its topic")
	}
}

// Without the janitor (the retention is set on the topic directly),
// publishing, fetching and Lag drop the expired messages themselves.
func TestTimeRetentionLazy(t *testing.T) {
	for _, op := range []string{"publish", "broadcast fetch", "group fetch", "lag"} {
		t.Run(op, func(t *testing.T) {
			clk := newFakeClock()
			b := newBroker(t, clk.option())
			r := broadcast(t, b, "t")
			s := subscribe(t, b, "g", "t")
			tp, _ := b.topic("t", 0)
			var ready readyList
			tp.mu.Lock()
			tp.setRetention(time.Minute, &ready)
			tp.mu.Unlock()
			publish(t, b, spread("t", "old", 4)...)
			clk.Advance(2 * time.Minute)
			publish(t, b, spread("t", "new", 4)...) // expires the old ones
			if op != "publish" {
				clk.Advance(2 * time.Minute) // the new ones expire too, unseen
			}
			switch op {
			case "broadcast fetch":
				fetchNone(t, r)
			case "group fetch":
				fetchNone(t, s)
			case "lag":
				if lag := b.Lag("g", "t"); lag != 0 {
					t.Fatalf("Lag = %d, want 0", lag)
				}
			}
			want := 4
			if op != "publish" {
				want = 0
			}
			if n := b.retained("t"); n != want {
				t.Fatalf("retained %d after %s, want %d", n, op, want)
			}
			if b.janitorStop != nil {
				t.Fatal("the janitor was started")
			}
		})
	}
}
