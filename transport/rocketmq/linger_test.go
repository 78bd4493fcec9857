package rocketmq

import (
	"context"
	"strconv"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

type livePQ struct{}

func (livePQ) IsDroppd() bool { return false }

// lingerSub is a subscription without a client: its ready messages and
// queue state are set by the test. It lingers a minute, so that a Fetch
// that waits when it should not hangs the test rather than passing by luck.
func lingerSub(ready int, end, next int64) *subscription {
	s := &subscription{
		wake:     make(chan struct{}, 1),
		space:    make(chan struct{}, 1),
		closing:  make(chan struct{}),
		broken:   make(chan struct{}),
		inflight: map[*connect.Message]*delivery{},
		lags:     map[queueID]*queueLag{{topic: "t", id: 0}: {pq: livePQ{}, end: end, next: next}},
		linger:   time.Minute,
	}
	s.add(0, ready)
	return s
}

// add makes messages from..to-1 ready, as the pump does.
func (s *subscription) add(from, to int) {
	s.mu.Lock()
	for i := from; i < to; i++ {
		s.ready = append(s.ready, &delivery{msg: connect.Message{Topic: "t", Value: []byte(strconv.Itoa(i)), Offset: int64(i)}})
	}
	s.mu.Unlock()
	signal(s.wake)
}

type fetched struct {
	msgs []*connect.Message
	err  error
}

func fetchAsync(ctx context.Context, s *subscription, max int) <-chan fetched {
	ch := make(chan fetched, 1)
	go func() {
		msgs, err := s.Fetch(ctx, max)
		ch <- fetched{msgs, err}
	}()
	return ch
}

func waitFetched(t *testing.T, ch <-chan fetched) fetched {
	t.Helper()
	select {
	case f := <-ch:
		return f
	case <-time.After(30 * time.Second):
		t.Fatal("Fetch still waiting after 30s")
		return fetched{}
	}
}

// awaitTaken waits until Fetch took every ready message.
func awaitTaken(t *testing.T, s *subscription) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		s.mu.Lock()
		n := len(s.ready)
		s.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("Fetch took nothing in 30s")
		}
	}
}

func checkOrder(t *testing.T, msgs []*connect.Message, want int) {
	t.Helper()
	if len(msgs) != want {
		t.Fatalf("Fetch returned %d messages, want %d", len(msgs), want)
	}
	for i, m := range msgs {
		if m.Offset != int64(i) || string(m.Value) != strconv.Itoa(i) {
			t.Fatalf("message %d is offset %d value %q", i, m.Offset, m.Value)
		}
	}
}

func TestFetchWaitsForFullerBatchWhileBehind(t *testing.T) {
	s := lingerSub(32, 100, 32) // the broker holds 68 more
	ch := fetchAsync(context.Background(), s, 64)
	awaitTaken(t, s)
	s.add(32, 70)
	f := waitFetched(t, ch)
	if f.err != nil {
		t.Fatal(f.err)
	}
	checkOrder(t, f.msgs, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ready) != 6 {
		t.Fatalf("%d messages left ready, want 6", len(s.ready))
	}
}

func TestFetchReturnsAtOnceWhenCaughtUp(t *testing.T) {
	s := lingerSub(32, 32, 32)
	f := waitFetched(t, fetchAsync(context.Background(), s, 64))
	if f.err != nil {
		t.Fatal(f.err)
	}
	checkOrder(t, f.msgs, 32)
}

func TestFetchLingerEndsWithExpiry(t *testing.T) {
	s := lingerSub(32, 100, 32)
	s.linger = time.Millisecond
	f := waitFetched(t, fetchAsync(context.Background(), s, 64))
	if f.err != nil {
		t.Fatal(f.err)
	}
	checkOrder(t, f.msgs, 32)
}

// Messages taken before ctx ended are returned, not dropped.
func TestFetchLingerKeepsTakenMessagesOnCancel(t *testing.T) {
	s := lingerSub(32, 100, 32)
	ctx, cancel := context.WithCancel(context.Background())
	ch := fetchAsync(ctx, s, 64)
	awaitTaken(t, s)
	cancel()
	f := waitFetched(t, ch)
	if f.err != nil {
		t.Fatalf("Fetch: %v, want the 32 messages it took", f.err)
	}
	checkOrder(t, f.msgs, 32)
}
