package offset_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/internal/topiclog"
	"github.com/openmessaging/connect-go/offset"
	"github.com/openmessaging/connect-go/transport/memory"
)

// The behaviour tests of store_test.go run over Topic stores too: one on a
// memory broker, one whose snapshots race with every change, and one that
// reads every state back with a fresh store. (Appended here, not listed in
// store_test.go, so this file holds all of the Topic store's tests.)
func init() {
	stores = append(stores,
		struct {
			name string
			new  func(t *testing.T) connect.OffsetStore
		}{"Topic", func(t *testing.T) connect.OffsetStore {
			return openTopic(t, newBroker(t), "offsets", offset.WithSnapshotInterval(0))
		}},
		struct {
			name string
			new  func(t *testing.T) connect.OffsetStore
		}{"TopicSnapshots", func(t *testing.T) connect.OffsetStore {
			return openTopic(t, newBroker(t), "offsets", offset.WithSnapshotInterval(time.Millisecond))
		}},
		struct {
			name string
			new  func(t *testing.T) connect.OffsetStore
		}{"TopicReopened", func(t *testing.T) connect.OffsetStore {
			return &topicReopening{b: newBroker(t)}
		}},
	)
}

func newBroker(t *testing.T, opts ...memory.Option) *memory.Broker {
	b := memory.New(opts...)
	t.Cleanup(func() { b.Close() })
	return b
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func openTopic(t *testing.T, tr connect.MessageTransport, topic string, opts ...offset.TopicOption) *offset.Topic {
	t.Helper()
	s := offset.NewTopic(tr, topic, opts...)
	if err := s.Open(ctxT(t)); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// topicReopening answers every call with a fresh Topic store that reads the
// topic from the start.
type topicReopening struct {
	b    *memory.Broker
	mu   sync.Mutex
	done bool
}

func (r *topicReopening) with(f func(s *offset.Topic) error) error {
	r.mu.Lock()
	done := r.done
	r.mu.Unlock()
	if done {
		return connect.ErrClosed
	}
	s := offset.NewTopic(r.b, "offsets", offset.WithSnapshotInterval(0))
	defer s.Close()
	return f(s)
}

func (r *topicReopening) Get(ctx context.Context, c, p string) (pos connect.Position, ok bool, err error) {
	err = r.with(func(s *offset.Topic) error { pos, ok, err = s.Get(ctx, c, p); return err })
	return pos, ok, err
}

func (r *topicReopening) Put(ctx context.Context, c string, ps ...connect.Position) error {
	return r.with(func(s *offset.Topic) error { return s.Put(ctx, c, ps...) })
}

func (r *topicReopening) List(ctx context.Context, c string) (ps []connect.Position, err error) {
	err = r.with(func(s *offset.Topic) error { ps, err = s.List(ctx, c); return err })
	return ps, err
}

func (r *topicReopening) Delete(ctx context.Context, c string, ps ...string) error {
	return r.with(func(s *offset.Topic) error { return s.Delete(ctx, c, ps...) })
}

func (r *topicReopening) DeleteAll(ctx context.Context, c string) error {
	return r.with(func(s *offset.Topic) error { return s.DeleteAll(ctx, c) })
}

func (r *topicReopening) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done = true
	return nil
}

func TestTopicSyncSeesOtherStores(t *testing.T) {
	b := newBroker(t)
	ctx := ctxT(t)
	a := openTopic(t, b.Client(), "offsets")
	other := openTopic(t, b.Client(), "offsets")
	for n := range 10 {
		mustPut(t, a, "c", pos("p", n))
		if err := other.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if p, ok := mustGet(t, other, "c", "p"); !ok || string(p.Offset) != fmt.Sprintf(`{"n":%d}`, n) {
			t.Fatalf("after Sync the other store has %s, %v; want {\"n\":%d}", p.Offset, ok, n)
		}
	}
	if err := a.Delete(ctx, "c", "p"); err != nil {
		t.Fatal(err)
	}
	if err := other.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := mustGet(t, other, "c", "p"); ok {
		t.Fatal("a delete did not reach the other store")
	}
}

func TestTopicOpensImplicitly(t *testing.T) {
	b := newBroker(t)
	s := offset.NewTopic(b, "offsets")
	defer s.Close()
	mustPut(t, s, "c", pos("p", 1))
	again := offset.NewTopic(b, "offsets")
	defer again.Close()
	if _, ok := mustGet(t, again, "c", "p"); !ok {
		t.Fatal("a store opened by Get did not read the topic")
	}
}

// records returns the kind of every record in the topic, in order.
func records(t *testing.T, tr connect.MessageTransport, topic string) []string {
	t.Helper()
	var mu sync.Mutex
	var kinds []string
	l, err := topiclog.Open(ctxT(t), tr, topic, func(r topiclog.Record) {
		var v struct{ Kind string }
		json.Unmarshal(r.Value, &v)
		mu.Lock()
		kinds = append(kinds, v.Kind)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	return kinds
}

func TestTopicSnapshotInterval(t *testing.T) {
	b := newBroker(t)
	ctx := ctxT(t)
	s := openTopic(t, b, "none", offset.WithSnapshotInterval(0))
	mustPut(t, s, "c", pos("p", 1))
	time.Sleep(20 * time.Millisecond)
	if got := records(t, b, "none"); !slices.Equal(got, []string{"put"}) {
		t.Fatalf("with snapshots disabled the topic holds %v", got)
	}

	s = openTopic(t, b, "some", offset.WithSnapshotInterval(5*time.Millisecond))
	mustPut(t, s, "c", pos("p", 1))
	for !slices.Contains(records(t, b, "some"), "snapshot") {
		if ctx.Err() != nil {
			t.Fatal("no snapshot was published")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// publish puts raw record values on topic, one message each, in order.
func publish(t *testing.T, tr connect.MessageTransport, topic string, values ...string) {
	t.Helper()
	ctx := ctxT(t)
	if err := tr.CreateTopic(ctx, topic, 1); err != nil {
		t.Fatal(err)
	}
	for _, v := range values {
		if err := tr.Publish(ctx, &connect.Message{Topic: topic, Value: []byte(v)}); err != nil {
			t.Fatal(err)
		}
	}
}

func listAll(t *testing.T, s connect.OffsetStore, connectors ...string) []string {
	t.Helper()
	var out []string
	for _, c := range connectors {
		for _, p := range mustList(t, s, c) {
			out = append(out, c+"."+p)
		}
	}
	return out
}

func TestTopicSnapshotKeepsLaterRecords(t *testing.T) {
	b := newBroker(t)
	publish(t, b, "offsets",
		`{"kind":"put","connector":"c","positions":[{"partition":"p","offset":1},{"partition":"q","offset":1}]}`, // 0
		`{"kind":"put","connector":"d","positions":[{"partition":"x","offset":1}]}`,                              // 1
		`{"kind":"put","connector":"c","positions":[{"partition":"p","offset":2}]}`,                              // 2
		`{"kind":"delete","connector":"c","partitions":["q"]}`,                                                   // 3
		`{"kind":"deleteAll","connector":"d"}`,                                                                   // 4
		// Taken as of 1, published after 2 to 4 landed: it must not undo them.
		`{"kind":"snapshot","asOf":1,"connectors":{"c":{"p":{"at":0,"offset":1},"q":{"at":0,"offset":1}},"d":{"x":{"at":1,"offset":1}}}}`, // 5
		`{"kind":"put","connector":"c","positions":[{"partition":"r","offset":1}]}`,                                                       // 6
		`{"kind":"put","connector":"d","positions":[{"partition":"y","offset":1}]}`,                                                       // 7
		// Up to date: changes nothing, but drops the tombstones of q and d.
		`{"kind":"snapshot","asOf":7,"connectors":{"c":{"p":{"at":2,"offset":2},"r":{"at":6,"offset":1}},"d":{"y":{"at":7,"offset":1}}}}`, // 8
		// Older than the one applied: ignored, though it holds q and x.
		`{"kind":"snapshot","asOf":1,"connectors":{"c":{"p":{"at":0,"offset":1},"q":{"at":0,"offset":1}},"d":{"x":{"at":1,"offset":1}}}}`, // 9
	)
	want := []string{`c.p=2`, `c.r=1`, `d.y=1`}
	s := openTopic(t, b, "offsets", offset.WithSnapshotInterval(0))
	if got := listAll(t, s, "c", "d"); !slices.Equal(got, want) {
		t.Fatalf("state %v, want %v", got, want)
	}
	// A snapshot of that state, as a new store opened at it sees it.
	if err := s.SnapshotNow(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, "c", pos("p", 3))
	late := openTopic(t, b, "offsets", offset.WithSnapshotInterval(0))
	want = []string{`c.p={"n":3}`, `c.r=1`, `d.y=1`}
	for _, st := range []*offset.Topic{s, late} {
		if got := listAll(t, st, "c", "d"); !slices.Equal(got, want) {
			t.Fatalf("state %v, want %v", got, want)
		}
	}
}

// retain makes the memory broker drop every message of topic below offset
// from: a consumer group acknowledges them. The group must have subscribed
// before the messages were published; it holds everything after.
func retain(t *testing.T, sub connect.Subscription, from int64) {
	t.Helper()
	ctx := ctxT(t)
	var acked int64
	for acked < from {
		msgs, err := sub.Fetch(ctx, int(from-acked))
		if err != nil {
			t.Fatal(err)
		}
		if err := sub.Ack(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
		acked += int64(len(msgs))
	}
}

func retentionGroup(t *testing.T, b *memory.Broker, topic string) connect.Subscription {
	t.Helper()
	ctx := ctxT(t)
	if err := b.CreateTopic(ctx, topic, 1); err != nil {
		t.Fatal(err)
	}
	sub, err := b.Subscribe(ctx, "retention", topic)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Close() })
	return sub
}

func TestTopicStartsAtASnapshot(t *testing.T) {
	b := newBroker(t)
	ctx := ctxT(t)
	sub := retentionGroup(t, b, "offsets")
	publish(t, b, "offsets",
		`{"kind":"put","connector":"c","positions":[{"partition":"p","offset":1},{"partition":"q","offset":1}]}`, // 0
		`{"kind":"put","connector":"c","positions":[{"partition":"p","offset":2}]}`,                              // 1
		`{"kind":"snapshot","asOf":0,"connectors":{"c":{"p":{"at":0,"offset":1},"q":{"at":0,"offset":1}}}}`,      // 2
		`{"kind":"put","connector":"c","positions":[{"partition":"q","offset":3}]}`,                              // 3
	)
	// Retention removed 0 and 1: the store starts at a snapshot that
	// misses record 1.
	retain(t, sub, 2)
	s := openTopic(t, b, "offsets", offset.WithSnapshotInterval(0))
	if got, want := listAll(t, s, "c"), []string{"c.p=1", "c.q=3"}; !slices.Equal(got, want) {
		t.Fatalf("state %v, want %v (all there is to read)", got, want)
	}
	if s.Complete() {
		t.Fatal("a store that missed a record calls its state complete")
	}
	if err := s.SnapshotNow(ctx); err == nil {
		t.Fatal("a store that missed a record published a snapshot")
	}
	// Another store's snapshot as of a point after the gap fills it.
	publish(t, b, "offsets",
		`{"kind":"snapshot","asOf":3,"connectors":{"c":{"p":{"at":1,"offset":2},"q":{"at":3,"offset":3}}}}`) // 4
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := listAll(t, s, "c"), []string{"c.p=2", "c.q=3"}; !slices.Equal(got, want) {
		t.Fatalf("state %v, want %v", got, want)
	}
	if !s.Complete() {
		t.Fatal("a snapshot past the gap did not make the state complete")
	}
	if err := s.SnapshotNow(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestTopicSnapshotsRaceWithChanges has two stores change positions while
// both publish snapshots, then checks that the stores, one opened
// afterwards and one that starts after retention removed everything before
// the first snapshot all end with exactly the latest positions.
func TestTopicSnapshotsRaceWithChanges(t *testing.T) {
	b := newBroker(t, memory.WithQueueCapacity(1<<16))
	ctx := ctxT(t)
	sub := retentionGroup(t, b, "offsets")
	every := offset.WithSnapshotInterval(time.Millisecond)
	stores := []*offset.Topic{openTopic(t, b.Client(), "offsets", every), openTopic(t, b.Client(), "offsets", every)}

	const rounds = 60
	var writers, snapshotters sync.WaitGroup
	stop := make(chan struct{})
	for i, s := range stores {
		own := fmt.Sprint("own", i)
		writers.Go(func() {
			for n := range rounds {
				mustPut(t, s, own, pos("a", n), pos("b", n))
				mustPut(t, s, "shared", pos(fmt.Sprint("p", i), n), pos("both", n))
				mustPut(t, s, own, pos(fmt.Sprint("tmp", n), n))
				if err := s.Delete(ctx, own, fmt.Sprint("tmp", n)); err != nil {
					t.Error(err)
				}
				if n%10 == 0 {
					mustPut(t, s, fmt.Sprint("gone", i), pos("x", n))
					if err := s.DeleteAll(ctx, fmt.Sprint("gone", i)); err != nil {
						t.Error(err)
					}
				}
			}
		})
		// Snapshots on demand besides the timer's, to race harder.
		snapshotters.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := s.SnapshotNow(ctx); err != nil {
					t.Error(err)
					return
				}
				time.Sleep(100 * time.Microsecond)
			}
		})
	}
	writers.Wait()
	close(stop)
	snapshotters.Wait()
	for _, s := range stores {
		if err := s.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	connectors := []string{"own0", "own1", "shared", "gone0", "gone1"}
	want := listAll(t, stores[0], connectors...)
	last := fmt.Sprintf(`{"n":%d}`, rounds-1)
	for _, w := range []string{"own0.a=" + last, "own0.b=" + last, "own1.a=" + last, "own1.b=" + last,
		"shared.p0=" + last, "shared.p1=" + last, "shared.both=" + last} {
		if !slices.Contains(want, w) {
			t.Fatalf("state %v lacks %s", want, w)
		}
	}
	if len(want) != 7 {
		t.Fatalf("state %v holds deleted partitions", want)
	}
	if got := listAll(t, stores[1], connectors...); !slices.Equal(got, want) {
		t.Fatalf("the stores disagree:\n%v\n%v", want, got)
	}
	kinds := records(t, b, "offsets")
	if n := strings.Count(strings.Join(kinds, " "), "snapshot"); n < 2 {
		t.Fatalf("only %d snapshots were published", n)
	}

	later := openTopic(t, b, "offsets", offset.WithSnapshotInterval(0))
	if got := listAll(t, later, connectors...); !slices.Equal(got, want) {
		t.Fatalf("a store opened afterwards has\n%v\nwant\n%v", got, want)
	}

	// Retention removes everything before the first snapshot. The last
	// snapshot must cover the last change for a store starting there to
	// see everything: publish one.
	if err := stores[0].SnapshotNow(ctx); err != nil {
		t.Fatal(err)
	}
	first := offsetOfFirstSnapshot(t, b, "offsets")
	retain(t, sub, first)
	trimmed := openTopic(t, b, "offsets", offset.WithSnapshotInterval(0))
	if got := listAll(t, trimmed, connectors...); !slices.Equal(got, want) {
		t.Fatalf("a store starting at the first snapshot (offset %d) has\n%v\nwant\n%v", first, got, want)
	}
	if !trimmed.Complete() {
		t.Fatal("the store starting at a snapshot is not complete after the last snapshot")
	}
}

func offsetOfFirstSnapshot(t *testing.T, tr connect.MessageTransport, topic string) int64 {
	t.Helper()
	first := int64(-1)
	var once sync.Once
	l, err := topiclog.Open(ctxT(t), tr, topic, func(r topiclog.Record) {
		if bytes.Contains(r.Value, []byte(`"kind":"snapshot"`)) {
			once.Do(func() { first = r.Offset })
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if first < 1 {
		t.Fatalf("first snapshot at %d", first)
	}
	return first
}

func TestTopicSkipsCorruptRecords(t *testing.T) {
	b := newBroker(t)
	publish(t, b, "offsets",
		`{"kind":"put","connector":"c","positions":[{"partition":"p","offset":1}]}`,
		`not json`,
		`{"kind":"compact","connector":"c"}`,
		`{"kind":"put","connector":"c","positions":[{"partition":"","offset":2}]}`,
		`{"kind":"put","connector":"","positions":[{"partition":"p","offset":2}]}`,
		`{"kind":"snapshot","connectors":{}}`,
		`{"kind":"snapshot","asOf":99,"connectors":{}}`,
		`{"kind":"snapshot","asOf":0,"connectors":{"c":{"":{"at":0,"offset":1}}}}`,
		`{"kind":"put","connector":"c","positions":[{"partition":"q","offset":2}]}`,
	)
	var logs connecttest.LogBuffer
	s := openTopic(t, b, "offsets", offset.WithSnapshotInterval(0),
		offset.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if got, want := listAll(t, s, "c"), []string{"c.p=1", "c.q=2"}; !slices.Equal(got, want) {
		t.Fatalf("state %v, want %v", got, want)
	}
	if n := strings.Count(logs.String(), "skipping a record"); n != 7 {
		t.Fatalf("%d records skipped in the log, want 7:\n%s", n, logs.String())
	}
	mustPut(t, s, "c", pos("p", 3)) // the store goes on
}

func TestTopicClosedTransport(t *testing.T) {
	b := newBroker(t)
	c := b.Client()
	s := openTopic(t, c, "offsets")
	c.Close()
	ctx := ctxT(t)
	if err := s.Put(ctx, "c", pos("p", 1)); !errors.Is(err, connect.ErrClosed) {
		t.Fatalf("Put over a closed transport = %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
