package topiclog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/transport/memory"
)

// collector is an apply function that keeps what it was given.
type collector struct {
	mu   sync.Mutex
	recs []Record
}

func (c *collector) apply(r Record) {
	c.mu.Lock()
	c.recs = append(c.recs, r)
	c.mu.Unlock()
}

// values returns "key=value" of every record applied so far.
func (c *collector) values() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, len(c.recs))
	for i, r := range c.recs {
		out[i] = r.Key + "=" + string(r.Value)
	}
	return out
}

func (c *collector) records() []Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.recs)
}

func open(t *testing.T, tr connect.MessageTransport, topic string, apply func(Record), opts ...Option) *Log {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := Open(ctx, tr, topic, apply, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", topic, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newBroker(t *testing.T, opts ...memory.Option) *memory.Broker {
	b := memory.New(opts...)
	t.Cleanup(func() { b.Close() })
	return b
}

func TestSameOrder(t *testing.T) {
	b := newBroker(t)
	ctx := ctxT(t)
	const logs, each = 3, 50
	cols := make([]*collector, logs)
	ls := make([]*Log, logs)
	for i := range logs {
		cols[i] = &collector{}
		// Each Log has a client of its own, like runtimes of a cluster.
		c := b.Client()
		t.Cleanup(func() { c.Close() })
		ls[i] = open(t, c, "log", cols[i].apply)
	}
	var wg sync.WaitGroup
	for i, l := range ls {
		wg.Go(func() {
			for n := range each {
				var err error
				if n%2 == 0 {
					err = l.Append(ctx, fmt.Sprint("k", i), fmt.Appendf(nil, "%d-%d", i, n))
				} else {
					err = l.AppendSync(ctx, fmt.Sprint("k", i), fmt.Appendf(nil, "%d-%d", i, n))
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, l := range ls {
		if err := l.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	want := cols[0].values()
	if len(want) != logs*each {
		t.Fatalf("log 0 applied %d records, want %d", len(want), logs*each)
	}
	for i := 1; i < logs; i++ {
		if got := cols[i].values(); !slices.Equal(got, want) {
			t.Fatalf("log %d applied\n%v\nlog 0 applied\n%v", i, got, want)
		}
	}
	// Each writer's records keep their order, and offsets grow.
	next := make([]int, logs)
	var last int64 = -1
	for _, r := range cols[0].records() {
		var i, n int
		fmt.Sscanf(string(r.Value), "%d-%d", &i, &n)
		if n != next[i] {
			t.Fatalf("record %s of writer %d came before %d", r.Value, i, next[i])
		}
		next[i]++
		if r.Offset <= last {
			t.Fatalf("offset %d after %d", r.Offset, last)
		}
		last = r.Offset
		if r.Gap {
			t.Fatalf("record at %d has Gap on a complete topic", r.Offset)
		}
	}
}

func TestOpenReadsToTheEnd(t *testing.T) {
	b := newBroker(t)
	ctx := ctxT(t)
	w := open(t, b, "log", func(Record) {})
	for n := range 20 {
		if err := w.Append(ctx, "k", fmt.Append(nil, n)); err != nil {
			t.Fatal(err)
		}
	}
	var c collector
	open(t, b, "log", c.apply)
	if got := len(c.values()); got != 20 {
		t.Fatalf("Open returned with %d records applied, want 20", got)
	}
}

func TestSyncSeesOthersAppends(t *testing.T) {
	b := newBroker(t)
	ctx := ctxT(t)
	var ca, cb collector
	a := open(t, b, "log", ca.apply)
	bl := open(t, b, "log", cb.apply)
	for n := range 30 {
		v := fmt.Append(nil, n)
		if err := a.Append(ctx, "k", v); err != nil {
			t.Fatal(err)
		}
		if err := bl.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		got := cb.values()
		if len(got) != n+1 || got[n] != "k="+string(v) {
			t.Fatalf("after Sync, b applied %v; want the append of %s last", got, v)
		}
	}
}

func TestAppendSyncReadsItsWrite(t *testing.T) {
	b := newBroker(t)
	ctx := ctxT(t)
	var c collector
	l := open(t, b, "log", c.apply)
	other := open(t, b, "log", func(Record) {})
	for n := range 30 {
		// Someone else's records in between do not confuse the wait.
		if err := other.Append(ctx, "x", []byte("noise")); err != nil {
			t.Fatal(err)
		}
		v := fmt.Append(nil, n)
		if err := l.AppendSync(ctx, "k", v); err != nil {
			t.Fatal(err)
		}
		got := c.records()
		last := got[len(got)-1]
		if string(last.Value) != string(v) {
			t.Fatalf("AppendSync(%s) returned before it was applied: last applied %s", v, last.Value)
		}
		if last.Headers != nil {
			t.Fatalf("apply saw the log's own headers: %v", last.Headers)
		}
	}
}

func TestMarkersAndForeignMessages(t *testing.T) {
	b := newBroker(t)
	ctx := ctxT(t)
	var c collector
	l := open(t, b, "log", c.apply)
	for range 3 {
		if err := l.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// A message some other producer put on the topic reaches apply with
	// its headers, minus the log's own.
	foreign := &connect.Message{Topic: "log", Key: []byte("f"), Value: []byte("v"),
		Headers: connect.Headers{"origin": "elsewhere", headerID: "not-ours"}}
	if err := b.Publish(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	got := c.records()
	if len(got) != 1 {
		t.Fatalf("applied %d records, want only the foreign one (markers are not records)", len(got))
	}
	if h := got[0].Headers; len(h) != 1 || h["origin"] != "elsewhere" {
		t.Fatalf("headers %v, want only origin=elsewhere", h)
	}
	if foreign.Headers[headerID] != "not-ours" {
		t.Fatal("the log changed a received message's headers")
	}
	if got[0].Offset != 4 { // the Open marker, three Syncs, then it
		t.Fatalf("foreign record at offset %d, want 4", got[0].Offset)
	}
}

// syncBuffer is an io.Writer for a slog handler, safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestApplyPanicIsLoggedAndSkipped(t *testing.T) {
	b := newBroker(t)
	ctx := ctxT(t)
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	var c collector
	l := open(t, b, "log", func(r Record) {
		if string(r.Value) == "corrupt" {
			panic("cannot decode")
		}
		c.apply(r)
	}, WithLogger(logger))
	for _, v := range []string{"a", "corrupt", "b"} {
		if err := l.AppendSync(ctx, "k", []byte(v)); err != nil {
			t.Fatalf("AppendSync(%s): %v", v, err)
		}
	}
	if got, want := c.values(), []string{"k=a", "k=b"}; !slices.Equal(got, want) {
		t.Fatalf("applied %v, want %v", got, want)
	}
	out := logs.String()
	if !strings.Contains(out, "apply panicked") || !strings.Contains(out, "cannot decode") {
		t.Fatalf("the panic was not logged: %q", out)
	}
}

// filter is a transport that drops the messages drop says to drop while
// pretending to store them.
type filter struct {
	connect.MessageTransport
	drop func(*connect.Message) bool
}

func (f *filter) Publish(ctx context.Context, msgs ...*connect.Message) error {
	keep := slices.DeleteFunc(slices.Clone(msgs), f.drop)
	if len(keep) == 0 {
		return nil
	}
	return f.MessageTransport.Publish(ctx, keep...)
}

func TestCtxHonoured(t *testing.T) {
	b := newBroker(t)
	var dropping atomic.Bool
	tr := &filter{MessageTransport: b, drop: func(*connect.Message) bool { return dropping.Load() }}
	l := open(t, tr, "log", func(Record) {})
	dropping.Store(true)
	for name, call := range map[string]func(context.Context) error{
		"Sync":       l.Sync,
		"AppendSync": func(ctx context.Context) error { return l.AppendSync(ctx, "k", []byte("v")) },
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		err := call(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s with a message that never comes back = %v, want DeadlineExceeded", name, err)
		}
	}
	l.mu.Lock()
	n := len(l.waiters)
	l.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d waiters left behind", n)
	}

	// Open gives up with its ctx too.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := Open(ctx, tr, "other", func(Record) {}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Open whose marker never comes back = %v, want DeadlineExceeded", err)
	}
}

func TestClose(t *testing.T) {
	b := newBroker(t)
	var dropping atomic.Bool
	tr := &filter{MessageTransport: b, drop: func(*connect.Message) bool { return dropping.Load() }}
	l := open(t, tr, "log", func(Record) {})
	dropping.Store(true)
	pending := make(chan error, 1)
	go func() { pending <- l.Sync(context.Background()) }()
	time.Sleep(20 * time.Millisecond)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-pending:
		if !errors.Is(err, connect.ErrClosed) {
			t.Fatalf("Sync pending at Close = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a pending Sync")
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx := ctxT(t)
	for name, err := range map[string]error{
		"Append":     l.Append(ctx, "k", nil),
		"AppendSync": l.AppendSync(ctx, "k", nil),
		"Sync":       l.Sync(ctx),
	} {
		if !errors.Is(err, connect.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
	// goleak (TestMain) checks that the reader is gone.
}

func TestTransportClosed(t *testing.T) {
	b := newBroker(t)
	c := b.Client()
	l := open(t, c, "log", func(Record) {}, withBackoff(time.Millisecond, time.Millisecond))
	c.Close()
	ctx := ctxT(t)
	if err := l.Sync(ctx); !errors.Is(err, connect.ErrClosed) {
		t.Fatalf("Sync on a closed transport = %v, want ErrClosed", err)
	}
	select {
	case <-l.done:
	case <-ctx.Done():
		t.Fatal("the reader goes on after its transport closed")
	}
	if err := l.Sync(ctx); !errors.Is(err, connect.ErrClosed) {
		t.Fatalf("Sync after the reader stopped = %v, want ErrClosed", err)
	}
}

func withBackoff(min, max time.Duration) Option {
	return optionFunc(func(c *config) { c.minBackoff, c.maxBackoff = min, max })
}

// flaky is a transport whose broadcast readers fail some fetches.
type flaky struct {
	connect.MessageTransport
	fail   atomic.Int64 // fetches left to fail
	errs   []error
	opened atomic.Int64
}

func (f *flaky) Broadcast(ctx context.Context, topic string) (connect.Subscription, error) {
	f.opened.Add(1)
	sub, err := f.MessageTransport.Broadcast(ctx, topic)
	if err != nil {
		return nil, err
	}
	return &flakySub{Subscription: sub, f: f}, nil
}

type flakySub struct {
	connect.Subscription
	f *flaky
}

func (s *flakySub) Fetch(ctx context.Context, max int) ([]*connect.Message, error) {
	if n := s.f.fail.Add(-1); n >= 0 {
		return nil, s.f.errs[int(n)%len(s.f.errs)]
	}
	return s.Subscription.Fetch(ctx, max)
}

func TestFetchErrorsAreRetried(t *testing.T) {
	b := newBroker(t)
	ctx := ctxT(t)
	tr := &flaky{MessageTransport: b, errs: []error{
		connect.Retriable(errors.New("broker busy")),
		errors.New("reader broken"),
	}}
	var logs syncBuffer
	var c collector
	l := open(t, tr, "log", c.apply, withBackoff(time.Millisecond, 5*time.Millisecond),
		WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	for n := range 10 {
		if n%3 == 0 {
			tr.fail.Store(4)
		}
		if err := l.AppendSync(ctx, "k", fmt.Append(nil, n)); err != nil {
			t.Fatal(err)
		}
	}
	want := make([]string, 10)
	for n := range want {
		want[n] = fmt.Sprint("k=", n)
	}
	if got := c.values(); !slices.Equal(got, want) {
		t.Fatalf("applied %v, want each record once, in order: %v", got, want)
	}
	if tr.opened.Load() < 2 {
		t.Fatal("a broken reader was not replaced")
	}
	if !strings.Contains(logs.String(), "fetch failed") {
		t.Fatal("fetch errors were not logged")
	}
}

func TestGap(t *testing.T) {
	b := newBroker(t)
	ctx := ctxT(t)
	// A consumer group on the topic lets the broker drop what it
	// acknowledged: retention, in memory.
	if err := b.CreateTopic(ctx, "log", 1); err != nil {
		t.Fatal(err)
	}
	sub, err := b.Subscribe(ctx, "retention", "log")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var full collector
	w := open(t, b, "log", full.apply) // offset 0: Open's marker
	for n := range 5 {
		if err := w.Append(ctx, "k", fmt.Append(nil, n)); err != nil { // offsets 1-5
			t.Fatal(err)
		}
	}
	if err := w.Sync(ctx); err != nil { // w reads everything before it goes
		t.Fatal(err)
	}
	var acked int
	for acked < 3 { // drop offsets 0, 1 and 2
		msgs, err := sub.Fetch(ctx, 3-acked)
		if err != nil {
			t.Fatal(err)
		}
		if err := sub.Ack(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
		acked += len(msgs)
	}
	var late collector
	open(t, b, "log", late.apply)
	recs := late.records()
	if len(recs) != 3 || recs[0].Offset != 3 || !recs[0].Gap || recs[1].Gap || recs[2].Gap {
		t.Fatalf("a log reading from offset 3 applied %+v; want offsets 3 (with Gap), 4, 5", recs)
	}
	for _, r := range full.records() {
		if r.Gap {
			t.Fatalf("a log that read everything saw Gap at %d", r.Offset)
		}
	}
}
