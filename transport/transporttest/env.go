package transporttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"go.uber.org/goleak"
)

// seqHeader carries a message's index within its case.
const seqHeader = "transporttest-seq"

// env is the state of one case: its names, transports and goroutines.
type env struct {
	t     *testing.T
	f     Features
	ctx   context.Context // cancelled when the case ends
	id    string          // random suffix of every name
	newTr func(*testing.T) connect.MessageTransport
	wg    sync.WaitGroup
}

func newEnv(t *testing.T, newTr func(*testing.T) connect.MessageTransport, f Features) *env {
	opts := append([]goleak.Option{goleak.IgnoreCurrent()}, f.GoleakOptions...)
	// Cleanups run last-in first-out: transports and subscriptions close
	// first, then the case's goroutines are stopped and waited for, then
	// leaks are checked.
	t.Cleanup(func() { goleak.VerifyNone(t, opts...) })
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{t: t, f: f, ctx: ctx, id: fmt.Sprintf("%08x", rand.Uint32()), newTr: newTr}
	t.Cleanup(e.waitGoroutines)
	t.Cleanup(cancel)
	return e
}

// goFunc runs f in a goroutine the case waits for before it ends.
func (e *env) goFunc(f func()) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		f()
	}()
}

// waitGoroutines waits for the goroutines of goFunc, but not forever: one
// stuck in a transport call is reported, not hung on.
func (e *env) waitGoroutines() {
	done := make(chan struct{})
	go func() {
		e.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(e.f.Timeout):
		e.t.Errorf("goroutines of the case still running %v after it ended (a transport call does not return?)", e.f.Timeout)
	}
}

func (e *env) name(kind string) string { return e.f.NamePrefix + "_" + kind + "_" + e.id }

func (e *env) topicName(s string) string { return e.name(s) }

func (e *env) groupName(s string) string { return e.name("g" + s) }

// transport returns a new connection to the case's backend, closed when the
// case ends.
func (e *env) transport() connect.MessageTransport {
	e.t.Helper()
	tr := e.newTr(e.t)
	if tr == nil {
		e.t.Fatal("newTransport returned nil")
	}
	e.t.Cleanup(func() { tr.Close() })
	return tr
}

func (e *env) timeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(e.ctx, d)
}

func (e *env) createTopic(tr connect.MessageTransport, topic string) {
	e.t.Helper()
	ctx, cancel := e.timeout(e.f.Timeout)
	defer cancel()
	if err := tr.CreateTopic(ctx, topic, e.f.QueuesPerTopic); err != nil {
		e.t.Fatalf("CreateTopic(%q, %d): %v", topic, e.f.QueuesPerTopic, err)
	}
}

// subscribe joins group; the subscription closes when the case ends.
func (e *env) subscribe(tr connect.MessageTransport, group string, topics ...string) connect.Subscription {
	e.t.Helper()
	sub, err := tr.Subscribe(e.ctx, group, topics...)
	if err != nil {
		e.t.Fatalf("Subscribe(%q, %q): %v", group, topics, err)
	}
	e.t.Cleanup(func() { sub.Close() })
	return sub
}

func (e *env) broadcast(tr connect.MessageTransport, topic string) connect.Subscription {
	e.t.Helper()
	sub, err := tr.Broadcast(e.ctx, topic)
	if err != nil {
		e.t.Fatalf("Broadcast(%q): %v", topic, err)
	}
	e.t.Cleanup(func() { sub.Close() })
	return sub
}

func (e *env) publish(tr connect.MessageTransport, msgs ...*connect.Message) {
	e.t.Helper()
	if err := e.tryPublish(tr, msgs...); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) tryPublish(tr connect.MessageTransport, msgs ...*connect.Message) error {
	ctx, cancel := e.timeout(e.f.Timeout)
	defer cancel()
	if err := tr.Publish(ctx, msgs...); err != nil {
		return fmt.Errorf("publish %d messages: %w", len(msgs), err)
	}
	return nil
}

// message builds message seq of a case: a key (none when key is empty), a
// value with bytes that are not valid UTF-8, and several headers.
func (e *env) message(topic, key string, seq int) *connect.Message {
	m := &connect.Message{
		Topic: topic,
		Value: append([]byte(fmt.Sprintf("%s/%s/%d/", e.id, topic, seq)), 0, 0xff, 0xfe, '\n'),
		Headers: connect.Headers{
			seqHeader:              strconv.Itoa(seq),
			"transporttest-empty":  "",
			"transporttest-utf8":   "zürich → 東京",
			"transporttest-spaces": " a b ",
		},
	}
	if key != "" {
		m.Key = []byte(key)
	}
	return m
}

// messages builds messages from..to-1 of topic; keyOf gives each one's key.
func (e *env) messages(topic string, from, to int, keyOf func(seq int) string) []*connect.Message {
	msgs := make([]*connect.Message, 0, to-from)
	for i := from; i < to; i++ {
		msgs = append(msgs, e.message(topic, keyOf(i), i))
	}
	return msgs
}

func seqOf(m *connect.Message) (int, error) {
	s, ok := m.Headers[seqHeader]
	if !ok {
		return 0, fmt.Errorf("message without %s header (topic %q, value %q)", seqHeader, m.Topic, m.Value)
	}
	return strconv.Atoi(s)
}

// checkSame fails unless got carries what sent carried.
func (e *env) checkSame(got, sent *connect.Message, queues int) {
	e.t.Helper()
	if got.Topic != sent.Topic {
		e.t.Errorf("message %s: topic %q, want %q", sent.Headers[seqHeader], got.Topic, sent.Topic)
	}
	if !bytes.Equal(got.Key, sent.Key) {
		e.t.Errorf("message %s: key %q, want %q", sent.Headers[seqHeader], got.Key, sent.Key)
	}
	if !bytes.Equal(got.Value, sent.Value) {
		e.t.Errorf("message %s: value %q, want %q", sent.Headers[seqHeader], got.Value, sent.Value)
	}
	if !maps.Equal(got.Headers, sent.Headers) {
		e.t.Errorf("message %s: headers %q, want %q", sent.Headers[seqHeader], got.Headers, sent.Headers)
	}
	if got.Queue < 0 || (queues > 0 && got.Queue >= queues) {
		e.t.Errorf("message %s: queue %d, want 0 to %d", sent.Headers[seqHeader], got.Queue, queues-1)
	}
}

// tally records the messages a consumer got, by seq.
type tally struct {
	mu    sync.Mutex
	got   map[int][]*connect.Message
	order []*connect.Message // everything, in arrival order
	msgs  int
}

func newTally() *tally { return &tally{got: make(map[int][]*connect.Message)} }

func (t *tally) add(m *connect.Message) error {
	seq, err := seqOf(m)
	if err != nil {
		return err
	}
	t.mu.Lock()
	t.got[seq] = append(t.got[seq], m)
	t.order = append(t.order, m)
	t.msgs++
	t.mu.Unlock()
	return nil
}

// distinct returns how many different seqs arrived.
func (t *tally) distinct() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.got)
}

// has reports whether every seq in from..to-1 arrived.
func (t *tally) has(from, to int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := from; i < to; i++ {
		if len(t.got[i]) == 0 {
			return false
		}
	}
	return true
}

func (t *tally) missing(from, to int) []int {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []int
	for i := from; i < to; i++ {
		if len(t.got[i]) == 0 {
			out = append(out, i)
		}
	}
	return out
}

func (t *tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return fmt.Sprintf("%d messages, %d distinct", t.msgs, len(t.got))
}

// consume fetches from sub into tl until done holds, acking every batch
// when ack is set, and fails the case when timeout passes first.
func (e *env) consume(sub connect.Subscription, tl *tally, ack bool, timeout time.Duration, what string, done func() bool) {
	e.t.Helper()
	ctx, cancel := e.timeout(timeout)
	defer cancel()
	for !done() {
		msgs, err := sub.Fetch(ctx, 64)
		if err != nil {
			if ctx.Err() != nil {
				e.t.Fatalf("%s: nothing more after %v (%v so far): %v", what, timeout, tl, err)
			}
			e.t.Fatalf("%s: Fetch: %v", what, err)
		}
		if len(msgs) == 0 {
			e.t.Fatalf("%s: Fetch returned no messages and no error", what)
		}
		for _, m := range msgs {
			if err := tl.add(m); err != nil {
				e.t.Fatalf("%s: %v", what, err)
			}
		}
		if ack {
			if err := sub.Ack(ctx, msgs...); err != nil {
				e.t.Fatalf("%s: Ack: %v", what, err)
			}
		}
	}
}

// quiet fetches from sub for the quiet period and returns what arrived,
// acking it.
func (e *env) quiet(sub connect.Subscription) []*connect.Message {
	e.t.Helper()
	ctx, cancel := e.timeout(e.f.QuietPeriod)
	defer cancel()
	var got []*connect.Message
	for {
		msgs, err := sub.Fetch(ctx, 64)
		if err != nil {
			if ctx.Err() == nil {
				e.t.Errorf("Fetch: %v", err)
			}
			return got
		}
		got = append(got, msgs...)
		if err := sub.Ack(ctx, msgs...); err != nil && ctx.Err() == nil {
			e.t.Errorf("Ack: %v", err)
		}
	}
}

// expectNone fails when sub delivers anything during the quiet period.
func (e *env) expectNone(sub connect.Subscription, what string) {
	e.t.Helper()
	if got := e.quiet(sub); len(got) > 0 {
		seqs := make([]string, len(got))
		for i, m := range got {
			seqs[i] = m.Topic + "#" + m.Headers[seqHeader]
		}
		e.t.Errorf("%s: %d unexpected messages: %v", what, len(got), seqs)
	}
}

// within runs f in a goroutine and fails the case unless it returns within
// the case's Timeout; it returns f's error.
func (e *env) within(what string, f func() error) error {
	e.t.Helper()
	ch := make(chan error, 1)
	e.goFunc(func() { ch <- f() })
	select {
	case err := <-ch:
		return err
	case <-time.After(e.f.Timeout):
		e.t.Fatalf("%s did not return within %v", what, e.f.Timeout)
		return nil
	}
}

func expectClosed(err error) error {
	if !errors.Is(err, connect.ErrClosed) {
		return fmt.Errorf("got error %v, want one matching connect.ErrClosed", err)
	}
	return nil
}

// closedOrNil accepts what an idempotent Close may return the second time.
func closedOrNil(err error) error {
	if err != nil && !errors.Is(err, connect.ErrClosed) {
		return fmt.Errorf("second Close: %v, want nil or connect.ErrClosed", err)
	}
	return nil
}

func itoa(i int) string { return strconv.Itoa(i) }
