package memory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

const testTimeout = 5 * time.Second

func newBroker(t *testing.T, opts ...Option) *Broker {
	t.Helper()
	b := New(opts...)
	t.Cleanup(func() { b.Close() })
	return b
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

func subscribe(t *testing.T, tr connect.MessageTransport, group string, topics ...string) *groupSub {
	t.Helper()
	s, err := tr.Subscribe(context.Background(), group, topics...)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s.(*groupSub)
}

// keyFor returns a key that hashes to queue qi of n.
func keyFor(qi, n int) []byte {
	for i := 0; ; i++ {
		k := fmt.Appendf(nil, "k%d", i)
		if int(fnv1a(k)%uint32(n)) == qi {
			return k
		}
	}
}

func msg(topic string, key []byte, v string) *connect.Message {
	return &connect.Message{Topic: topic, Key: key, Value: []byte(v)}
}

func publish(t *testing.T, tr connect.MessageTransport, msgs ...*connect.Message) {
	t.Helper()
	if err := tr.Publish(testCtx(t), msgs...); err != nil {
		t.Fatalf("Publish: %v", err)
	}
}

// fetchN fetches until n messages arrived.
func fetchN(t *testing.T, s connect.Subscription, n int) []*connect.Message {
	t.Helper()
	ctx := testCtx(t)
	var out []*connect.Message
	for len(out) < n {
		msgs, err := s.Fetch(ctx, n-len(out))
		if err != nil {
			t.Fatalf("Fetch after %d of %d messages: %v", len(out), n, err)
		}
		out = append(out, msgs...)
	}
	return out
}

// fetchNone fails if s delivers anything within a short time.
func fetchNone(t *testing.T, s connect.Subscription) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if msgs, err := s.Fetch(ctx, 100); err == nil {
		t.Fatalf("got %d unexpected messages, first %q", len(msgs), msgs[0].Value)
	}
}

func values(msgs []*connect.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Value)
	}
	return out
}

// owned returns the queues of topic each member of group owns.
func owned(b *Broker, topic, group string, members ...*groupSub) [][]int {
	t, _ := b.topic(topic, 0)
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.groupFor(group)
	out := make([][]int, len(members))
	for qi, c := range g.cursors {
		i := slices.Index(members, c.owner)
		if i < 0 {
			panic(fmt.Sprintf("queue %d owned by a stranger", qi))
		}
		out[i] = append(out[i], qi)
	}
	return out
}

func committed(b *Broker, topic, group string) []int64 {
	t, _ := b.topic(topic, 0)
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []int64
	for _, c := range t.groupFor(group).cursors {
		out = append(out, c.committed)
	}
	return out
}

// waitFor polls cond; the states it waits for are reached without any
// further action of the test, only goroutine scheduling.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func publisherWaiting(b *Broker, topic string) bool {
	t, _ := b.topic(topic, 0)
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.space != nil
}

func TestRebalanceSticky(t *testing.T) {
	b := newBroker(t, WithDefaultQueues(6))
	a := subscribe(t, b, "g", "t")
	if got := owned(b, "t", "g", a); !slices.Equal(got[0], []int{0, 1, 2, 3, 4, 5}) {
		t.Fatalf("alone: %v", got)
	}
	bb := subscribe(t, b, "g", "t")
	if got := owned(b, "t", "g", a, bb); !slices.Equal(got[0], []int{0, 1, 2}) || !slices.Equal(got[1], []int{3, 4, 5}) {
		t.Fatalf("two members: %v", got)
	}
	c := subscribe(t, b, "g", "t")
	got := owned(b, "t", "g", a, bb, c)
	if !slices.Equal(got[0], []int{0, 1}) || !slices.Equal(got[1], []int{3, 4}) || !slices.Equal(got[2], []int{2, 5}) {
		t.Fatalf("three members, sticky: %v", got)
	}
	bb.Close()
	got = owned(b, "t", "g", a, c)
	if !slices.Equal(got[0], []int{0, 1, 3}) || !slices.Equal(got[1], []int{2, 4, 5}) {
		t.Fatalf("after a leave: %v", got)
	}
	// More members than queues: the late ones get none.
	b2 := newBroker(t, WithDefaultQueues(1))
	x, y := subscribe(t, b2, "g", "t"), subscribe(t, b2, "g", "t")
	if got := owned(b2, "t", "g", x, y); len(got[0]) != 1 || len(got[1]) != 0 {
		t.Fatalf("two members, one queue: %v", got)
	}
	x.Close()
	if got := owned(b2, "t", "g", y); len(got[0]) != 1 {
		t.Fatalf("after the owner left: %v", got)
	}
}

func TestRebalanceMovesUnacked(t *testing.T) {
	b := newBroker(t, WithDefaultQueues(2))
	a := subscribe(t, b, "g", "t")
	k0, k1 := keyFor(0, 2), keyFor(1, 2)
	publish(t, b, msg("t", k0, "a0"), msg("t", k1, "b0"), msg("t", k0, "a1"), msg("t", k1, "b1"))
	got := fetchN(t, a, 4)
	// a acks only a0: queue 0 is committed at 1, queue 1 at 0.
	if err := a.Ack(testCtx(t), got[slices.IndexFunc(got, func(m *connect.Message) bool { return string(m.Value) == "a0" })]); err != nil {
		t.Fatal(err)
	}
	bb := subscribe(t, b, "g", "t")
	if o := owned(b, "t", "g", a, bb); !slices.Equal(o[1], []int{1}) {
		t.Fatalf("owners: %v", o)
	}
	moved := fetchN(t, bb, 2)
	if v := values(moved); !slices.Equal(v, []string{"b0", "b1"}) {
		t.Fatalf("new owner got %v, want b0 b1", v)
	}
	for _, m := range moved {
		if m.Redelivered != 1 {
			t.Errorf("%s: Redelivered %d, want 1", m.Value, m.Redelivered)
		}
	}
	fetchNone(t, a) // a keeps queue 0 and its cursor: a1 is not redelivered
	a.Close()
	again := fetchN(t, bb, 1)
	if string(again[0].Value) != "a1" || again[0].Redelivered != 1 {
		t.Fatalf("after a left: %q Redelivered %d, want a1 once redelivered", again[0].Value, again[0].Redelivered)
	}
}

func TestStaleAckAndNackIgnored(t *testing.T) {
	b := newBroker(t, WithDefaultQueues(2))
	a := subscribe(t, b, "g", "t")
	k0, k1 := keyFor(0, 2), keyFor(1, 2)
	publish(t, b, msg("t", k0, "a0"), msg("t", k1, "b0"), msg("t", k0, "a1"), msg("t", k1, "b1"))
	got := fetchN(t, a, 4)
	bb := subscribe(t, b, "g", "t") // takes queue 1
	first := fetchN(t, bb, 2)
	ctx := testCtx(t)
	if err := a.Ack(ctx, got...); err != nil {
		t.Fatal(err)
	}
	if c := committed(b, "t", "g"); !slices.Equal(c, []int64{2, 0}) {
		t.Fatalf("committed %v after a stale ack, want [2 0]", c)
	}
	// A stale Nack does not rewind the new owner.
	if err := a.Nack(ctx, got...); err != nil {
		t.Fatal(err)
	}
	fetchNone(t, bb)
	if err := bb.Ack(ctx, first...); err != nil {
		t.Fatal(err)
	}
	if c := committed(b, "t", "g"); !slices.Equal(c, []int64{2, 2}) {
		t.Fatalf("committed %v, want [2 2]", c)
	}
}

func TestNackRewinds(t *testing.T) {
	b := newBroker(t, WithDefaultQueues(1))
	s := subscribe(t, b, "g", "t")
	for i := range 5 {
		publish(t, b, msg("t", nil, fmt.Sprint(i)))
	}
	got := fetchN(t, s, 5)
	ctx := testCtx(t)
	if err := s.Nack(ctx, got[2]); err != nil {
		t.Fatal(err)
	}
	again := fetchN(t, s, 3)
	if v := values(again); !slices.Equal(v, []string{"2", "3", "4"}) {
		t.Fatalf("after Nack of 2: %v", v)
	}
	// Acked messages after a nacked one are not delivered again.
	if err := s.Ack(ctx, got[0], got[1], again[2]); err != nil {
		t.Fatal(err)
	}
	if err := s.Nack(ctx, again[0]); err != nil {
		t.Fatal(err)
	}
	third := fetchN(t, s, 2)
	if v := values(third); !slices.Equal(v, []string{"2", "3"}) {
		t.Fatalf("after Nack of 2 with 4 acked: %v", v)
	}
	if third[0].Redelivered != 2 || third[1].Redelivered != 2 {
		t.Fatalf("Redelivered %d %d, want 2 2", third[0].Redelivered, third[1].Redelivered)
	}
	if err := s.Ack(ctx, third...); err != nil {
		t.Fatal(err)
	}
	if c := committed(b, "t", "g"); c[0] != 5 {
		t.Fatalf("committed %d, want 5", c[0])
	}
	fetchNone(t, s)
}

func TestRouting(t *testing.T) {
	b := newBroker(t)
	ctx := testCtx(t)
	if err := b.CreateTopic(ctx, "t", 3); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateTopic(ctx, "t", 8); err != nil {
		t.Fatalf("CreateTopic of an existing topic: %v", err)
	}
	if err := b.CreateTopic(ctx, "d", 0); err != nil {
		t.Fatal(err)
	}
	tp, _ := b.topic("t", 0)
	td, _ := b.topic("d", 0)
	if len(tp.queues) != 3 || len(td.queues) != 4 {
		t.Fatalf("queues %d and %d, want 3 and the default 4", len(tp.queues), len(td.queues))
	}
	var msgs []*connect.Message
	for i := range 6 {
		msgs = append(msgs, msg("t", nil, fmt.Sprint(i)), msg("t", []byte("same"), fmt.Sprint(i)))
	}
	publish(t, b, msgs...)
	s := subscribe(t, b, "g", "t")
	perQueue := map[int]int{}
	sameQueue := -1
	for _, m := range fetchN(t, s, 12) {
		if string(m.Key) == "same" {
			if sameQueue >= 0 && m.Queue != sameQueue {
				t.Fatalf("key in queues %d and %d", sameQueue, m.Queue)
			}
			sameQueue = m.Queue
			continue
		}
		perQueue[m.Queue]++
	}
	for qi := range 3 {
		if perQueue[qi] != 2 {
			t.Fatalf("messages without key per queue: %v, want 2 each", perQueue)
		}
	}

	for _, bad := range [][]*connect.Message{{nil}, {{Value: []byte("no topic")}}} {
		if err := b.Publish(ctx, bad...); err == nil {
			t.Errorf("Publish(%v) succeeded", bad)
		}
	}
	if _, err := b.Subscribe(ctx, "", "t"); err == nil {
		t.Error("Subscribe with an empty group succeeded")
	}
	if _, err := b.Subscribe(ctx, "g"); err == nil {
		t.Error("Subscribe without topics succeeded")
	}
}

func TestBackpressure(t *testing.T) {
	b := newBroker(t, WithDefaultQueues(1), WithQueueCapacity(2))
	publish(t, b, msg("t", nil, "0"), msg("t", nil, "1"))

	// Full, and no group will ever free it: Publish gives up with its ctx.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := b.Publish(ctx, msg("t", nil, "x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish to a full queue: %v, want context.DeadlineExceeded", err)
	}
	if n := b.retained("t"); n != 2 {
		t.Fatalf("retained %d, want 2", n)
	}

	s := subscribe(t, b, "g", "t")
	done := make(chan error, 1)
	go func() { done <- b.Publish(context.Background(), msg("t", nil, "2"), msg("t", nil, "3")) }()
	waitFor(t, "the publisher to block", func() bool { return publisherWaiting(b, "t") })
	got := fetchN(t, s, 2)
	if err := s.Ack(testCtx(t), got[0]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "message 2 to be stored", func() bool { return b.retained("t") == 2 && publisherWaiting(b, "t") })
	select {
	case err := <-done:
		t.Fatalf("Publish returned %v with message 3 not stored", err)
	default:
	}
	if err := s.Ack(testCtx(t), got[1]); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Publish after space freed: %v", err)
	}
	if v := values(fetchN(t, s, 2)); !slices.Equal(v, []string{"2", "3"}) {
		t.Fatalf("got %v, want 2 3", v)
	}
}

func TestRetentionBounded(t *testing.T) {
	const capacity, queues, total = 10, 2, 1000
	b := newBroker(t, WithDefaultQueues(queues), WithQueueCapacity(capacity))
	ctx := testCtx(t)
	// A broadcast reader that never reads does not hold retention.
	idle, err := b.Broadcast(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	s := subscribe(t, b, "g", "t")

	pubErr := make(chan error, 1)
	go func() {
		for i := 0; i < total; i += 7 {
			var batch []*connect.Message
			for j := i; j < min(i+7, total); j++ {
				batch = append(batch, msg("t", []byte{byte(j % 5)}, fmt.Sprint(j)))
			}
			if err := b.Publish(ctx, batch...); err != nil {
				pubErr <- err
				return
			}
		}
		pubErr <- nil
	}()
	maxRetained := 0
	lastOfKey := map[byte]int{}
	for received := 0; received < total; {
		msgs, err := s.Fetch(ctx, 4)
		if err != nil {
			t.Fatalf("Fetch after %d messages: %v", received, err)
		}
		maxRetained = max(maxRetained, b.retained("t"))
		for _, m := range msgs {
			var v int
			fmt.Sscan(string(m.Value), &v)
			if last, ok := lastOfKey[m.Key[0]]; ok && v <= last {
				t.Fatalf("key %d: %d after %d", m.Key[0], v, last)
			}
			lastOfKey[m.Key[0]] = v
		}
		received += len(msgs)
		if err := s.Ack(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-pubErr; err != nil {
		t.Fatal(err)
	}
	if maxRetained > capacity*queues {
		t.Fatalf("retained up to %d messages, capacity is %d", maxRetained, capacity*queues)
	}
	if n := b.retained("t"); n != 0 {
		t.Fatalf("retained %d after every message was acknowledged", n)
	}
	// The idle reader fell behind the dropped messages: it goes on at the
	// front.
	publish(t, b, msg("t", []byte{0}, "last"))
	got := fetchN(t, idle, 1)
	if string(got[0].Value) != "last" || got[0].Offset == 0 {
		t.Fatalf("idle reader got %q at offset %d, want last at the end of the queue", got[0].Value, got[0].Offset)
	}
}

func TestRetentionWaitsForEveryGroup(t *testing.T) {
	b := newBroker(t, WithDefaultQueues(1))
	ctx := testCtx(t)
	g1, g2 := subscribe(t, b, "g1", "t"), subscribe(t, b, "g2", "t")
	publish(t, b, msg("t", nil, "0"), msg("t", nil, "1"), msg("t", nil, "2"))
	if err := g1.Ack(ctx, fetchN(t, g1, 3)...); err != nil {
		t.Fatal(err)
	}
	if n := b.retained("t"); n != 3 {
		t.Fatalf("retained %d with g2 behind, want 3", n)
	}
	// g2's only member leaves without acking: the group still holds them.
	fetchN(t, g2, 3)
	g2.Close()
	if n := b.retained("t"); n != 3 {
		t.Fatalf("retained %d after g2's member left, want 3", n)
	}
	again := subscribe(t, b, "g2", "t")
	got := fetchN(t, again, 3)
	if err := again.Ack(ctx, got[:2]...); err != nil {
		t.Fatal(err)
	}
	if n := b.retained("t"); n != 1 {
		t.Fatalf("retained %d, want 1", n)
	}
}

func TestCommittedOffsetsSurvive(t *testing.T) {
	b := newBroker(t, WithDefaultQueues(1))
	ctx := testCtx(t)
	for i := range 10 {
		publish(t, b, msg("t", nil, fmt.Sprint(i)))
	}
	s := subscribe(t, b, "g", "t")
	got := fetchN(t, s, 10)
	if err := s.Ack(ctx, got[:5]...); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for i := 10; i < 15; i++ {
		publish(t, b, msg("t", nil, fmt.Sprint(i)))
	}
	s = subscribe(t, b.Client(), "g", "t")
	got = fetchN(t, s, 10)
	for i, m := range got {
		want := 1
		if i >= 5 {
			want = 0
		}
		if m.Offset != int64(5+i) || m.Redelivered != want {
			t.Fatalf("message %d: offset %d Redelivered %d, want %d and %d", i, m.Offset, m.Redelivered, 5+i, want)
		}
	}
	// Another group starts at the earliest retained message: offsets below
	// g's committed 5 were dropped.
	if other := fetchN(t, subscribe(t, b, "other", "t"), 10); other[0].Offset != 5 {
		t.Fatalf("new group starts at %d, want 5", other[0].Offset)
	}
}

func TestCloseUnblocksPublishers(t *testing.T) {
	b := New(WithDefaultQueues(1), WithQueueCapacity(1))
	c1, c2 := b.Client(), b.Client()
	publish(t, b, msg("t", nil, "0"))
	errs := [2]chan error{make(chan error, 1), make(chan error, 1)}
	for i, c := range []*Client{c1, c2} {
		go func() { errs[i] <- c.Publish(context.Background(), msg("t", nil, "x")) }()
	}
	// Closing one client fails its publish only.
	waitFor(t, "publishers to block", func() bool { return publisherWaiting(b, "t") })
	c1.Close()
	if err := <-errs[0]; !errors.Is(err, connect.ErrClosed) {
		t.Fatalf("publish of the closed client: %v, want ErrClosed", err)
	}
	select {
	case err := <-errs[1]:
		t.Fatalf("publish of the open client returned %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errs[1]; !errors.Is(err, connect.ErrClosed) {
		t.Fatalf("publish after broker Close: %v, want ErrClosed", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for name, err := range map[string]error{
		"Publish":     b.Publish(context.Background(), msg("t", nil, "y")),
		"CreateTopic": b.CreateTopic(context.Background(), "u", 1),
		"Client":      b.Client().Publish(context.Background(), msg("t", nil, "y")),
	} {
		if !errors.Is(err, connect.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}

func TestSubscribeContextEndsMembership(t *testing.T) {
	b := newBroker(t, WithDefaultQueues(2))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := b.Subscribe(ctx, "g", "t")
	if err != nil {
		t.Fatal(err)
	}
	other := subscribe(t, b, "g", "t")
	publish(t, b, msg("t", keyFor(0, 2), "q0"), msg("t", keyFor(1, 2), "q1"))
	fetchN(t, a, 1)
	fetched := make(chan error, 1)
	go func() {
		_, err := a.Fetch(context.Background(), 1) // blocks: a's queue is drained
		fetched <- err
	}()
	cancel()
	if err := <-fetched; !errors.Is(err, connect.ErrClosed) {
		t.Fatalf("Fetch after the Subscribe ctx ended: %v, want ErrClosed", err)
	}
	// other gets both queues, including the one a left unacknowledged.
	if v := values(fetchN(t, other, 2)); !slices.Contains(v, "q0") || !slices.Contains(v, "q1") {
		t.Fatalf("remaining member got %v", v)
	}
	if _, err := b.Subscribe(ctx, "g", "t"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Subscribe with a done ctx: %v", err)
	}
}

func TestConcurrentMembersAndPublishers(t *testing.T) {
	const publishers, perPublisher = 4, 500
	b := newBroker(t, WithDefaultQueues(8), WithQueueCapacity(64))
	ctx := testCtx(t)
	var (
		mu   sync.Mutex
		seen = map[string]int{}
		wg   sync.WaitGroup
	)
	consume := func(s connect.Subscription, stop <-chan struct{}) {
		defer wg.Done()
		for {
			fctx, cancel := context.WithCancel(ctx)
			go func() {
				select {
				case <-stop:
				case <-fctx.Done():
				}
				cancel()
			}()
			msgs, err := s.Fetch(fctx, 32)
			cancel()
			if err != nil {
				return
			}
			mu.Lock()
			for _, m := range msgs {
				seen[string(m.Value)]++
			}
			mu.Unlock()
			s.Ack(ctx, msgs...)
		}
	}
	stop := make(chan struct{})
	// Members come and go while publishers publish.
	wg.Add(1)
	go consume(subscribe(t, b, "g", "t"), stop)
	var pubs sync.WaitGroup
	for p := range publishers {
		pubs.Add(1)
		go func() {
			defer pubs.Done()
			for i := range perPublisher {
				if err := b.Publish(ctx, msg("t", fmt.Appendf(nil, "%d-%d", p, i%10), fmt.Sprintf("%d/%d", p, i))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range 5 {
		s := subscribe(t, b.Client(), "g", "t")
		quit := make(chan struct{})
		wg.Add(1)
		go consume(s, quit)
		time.Sleep(5 * time.Millisecond)
		close(quit)
		s.Close()
	}
	pubs.Wait()
	waitFor(t, "every message", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == publishers*perPublisher
	})
	close(stop)
	wg.Wait()
}

func TestLagCountsUncommittedMessages(t *testing.T) {
	ctx := context.Background()
	b := New(WithDefaultQueues(2))
	defer b.Close()
	for i := 0; i < 10; i++ {
		if err := b.Publish(ctx, &connect.Message{Topic: "lag", Key: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := b.Lag("g", "lag", "unknown"); got != 10 {
		t.Fatalf("lag of a group that never subscribed = %d, want 10", got)
	}
	sub, err := b.Subscribe(ctx, "g", "lag")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	msgs, err := sub.Fetch(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Ack(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	if got := b.Lag("g", "lag"); got != int64(10-len(msgs)) {
		t.Fatalf("lag after acking %d = %d", len(msgs), got)
	}
}
