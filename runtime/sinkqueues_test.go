package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
)

// target is the external system of exactSink: rows and, in the same
// "transaction", the offset after the last row of each queue, as an
// exactly-once sink keeps them in its database.
type target struct {
	mu     sync.Mutex
	rows   map[int64]int // generator index -> times applied
	next   map[connect.QueueRef]int64
	flush  int
	fenced int
	errs   []string
}

func (tg *target) fail(format string, args ...any) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.errs = append(tg.errs, fmt.Sprintf(format, args...))
}

// exactSink applies records to a target. Without fence it does not
// deduplicate: it relies on the runtime to resume each queue where the
// target says (Open and QueueSeeker.Seek). Every third Flush fails after
// applying, as a crash between a database commit and the transport's ack
// would, and asks the runtime to resume its queues after what was applied.
// With fence it also skips records below the target's offset of their
// queue, which a queue's previous owner may have applied while the queue
// moved (a rebalance does not wait for the old owner's batch).
type exactSink struct {
	tg      *target
	fence   bool // skip records below the target's offset of their queue
	tc      connect.SinkTaskContext
	owned   []connect.QueueRef
	pending []*connect.Record
}

func (s *exactSink) Start(_ context.Context, tc connect.SinkTaskContext, _ connect.Config) error {
	s.tc = tc
	return nil
}

func (s *exactSink) Open(_ context.Context, queues []connect.QueueRef) error {
	for _, q := range queues {
		if slices.Contains(s.owned, q) {
			s.tg.fail("task %d: Open of queue %v it already owns", s.tc.TaskID(), q)
		}
		s.owned = append(s.owned, q)
	}
	return s.seek(queues)
}

func (s *exactSink) seek(queues []connect.QueueRef) error {
	seeker, ok := s.tc.(connect.QueueSeeker)
	if !ok {
		return errors.New("the sink task context is not a connect.QueueSeeker")
	}
	s.tg.mu.Lock()
	defer s.tg.mu.Unlock()
	for _, q := range queues {
		if err := seeker.Seek(q, s.tg.next[q]); err != nil {
			return err
		}
	}
	return nil
}

func (s *exactSink) Close(_ context.Context, queues []connect.QueueRef) error {
	for _, q := range queues {
		i := slices.Index(s.owned, q)
		if i < 0 {
			s.tg.fail("task %d: Close of queue %v it does not own", s.tc.TaskID(), q)
			continue
		}
		s.owned = slices.Delete(s.owned, i, i+1)
	}
	return nil
}

func (s *exactSink) Put(_ context.Context, recs []*connect.Record) error {
	for _, r := range recs {
		q := connect.QueueRef{Topic: r.Origin.Topic, Queue: r.Origin.Queue}
		if !slices.Contains(s.owned, q) {
			s.tg.fail("task %d: Put of a record of queue %v, not opened (owns %v)", s.tc.TaskID(), q, s.owned)
		}
	}
	s.pending = append(s.pending, recs...)
	return nil
}

func (s *exactSink) Flush(context.Context) error {
	s.tg.mu.Lock()
	for _, r := range s.pending {
		i, _ := connect.Lookup(r.Value, "i")
		q := connect.QueueRef{Topic: r.Origin.Topic, Queue: r.Origin.Queue}
		if s.fence && r.Origin.Offset < s.tg.next[q] {
			s.tg.fenced++ // applied by the queue's previous owner meanwhile
			continue
		}
		s.tg.rows[i.(int64)]++
		s.tg.next[q] = r.Origin.Offset + 1
	}
	s.pending = s.pending[:0]
	s.tg.flush++
	failed := s.tg.flush%3 == 0
	s.tg.mu.Unlock()
	if failed {
		if err := s.seek(s.owned); err != nil {
			return err
		}
		return connect.Retriable(errors.New("lost the ack after the commit"))
	}
	return nil
}

func (s *exactSink) Stop(context.Context) error { return nil }

// A sink that keeps its offsets in its target applies every record
// exactly once through failed acks when the runtime resumes each queue
// where the task's Seek says: the sink itself does not deduplicate.
func TestQueueSeekAfterFailedFlushAppliesEachRecordOnce(t *testing.T) {
	if _, fenced := runExactSink(t, 1, false, 0); fenced != 0 {
		t.Errorf("%d records fenced without fencing", fenced)
	}
}

// A seek the transport fails to apply (a retriable error: the broker did
// not answer) is tried again, not dropped: dropped, the records of a
// Flush that failed after applying them would be applied again.
func TestQueueSeekRetriedAfterTransportError(t *testing.T) {
	tr := &flakySeeks{Broker: memory.New()}
	runExactSink(t, 1, false, 0, runtime.WithTransport(tr))
	if tr.failed.Load() == 0 {
		t.Error("no seek failed: the test did not test anything")
	}
	t.Logf("%d seeks failed, %d applied", tr.failed.Load(), tr.applied.Load())
}

// flakySeeks is the memory transport whose subscriptions fail every
// fourth Seek with a retriable error before applying it.
type flakySeeks struct {
	*memory.Broker
	calls, failed, applied atomic.Int64
}

func (f *flakySeeks) Subscribe(ctx context.Context, group string, topics ...string) (connect.Subscription, error) {
	sub, err := f.Broker.Subscribe(ctx, group, topics...)
	if err != nil {
		return nil, err
	}
	return &flakySeekSub{Subscription: sub, owner: sub.(connect.QueueOwner), f: f}, nil
}

type flakySeekSub struct {
	connect.Subscription
	owner connect.QueueOwner
	f     *flakySeeks
}

func (s *flakySeekSub) Owned() ([]connect.QueueRef, uint64) { return s.owner.Owned() }

func (s *flakySeekSub) Seek(ctx context.Context, q connect.QueueRef, offset int64) error {
	if s.f.calls.Add(1)%4 == 0 {
		s.f.failed.Add(1)
		return connect.Retriable(errors.New("flakySeeks: the broker did not answer"))
	}
	s.f.applied.Add(1)
	return s.owner.Seek(ctx, q, offset)
}

// Through rebalances (tasks restarted while data flows) a sink task is
// opened on the queues it gets before any of their records, closed on
// those it loses, and, fencing in its target what a queue's previous
// owner applied meanwhile, applies every record exactly once.
func TestQueueAwareSinkThroughRebalances(t *testing.T) {
	flushes, fenced := runExactSink(t, 2, true, 4)
	t.Logf("%d flushes, %d records fenced", flushes, fenced)
}

// runExactSink runs the sink until every record is applied, checks that
// each was applied once, and returns the flushes and fenced records so
// far (the tasks keep running until the test ends).
func runExactSink(t *testing.T, tasks int, fence bool, restarts int, opts ...runtime.Option) (flushes, fenced int) {
	const total = 3000
	tg := &target{rows: map[int64]int{}, next: map[connect.QueueRef]int64{}}
	rt := startRuntime(t, append([]runtime.Option{
		runtime.WithPlugin("gen", func() connect.Connector {
			return connecttest.NewGenerator(seqRecord("exact", 50), total)
		}),
		runtime.WithPlugin("exact", func() connect.Connector {
			return connect.NewSink(connect.Spec{Name: "Exact"}, func() connect.SinkTask { return &exactSink{tg: tg, fence: fence} }, connect.WithParallelTasks())
		}),
	}, opts...)...)
	create(t, rt, "exact", connect.Config{"connector.class": "exact", "topics": "exact", "tasks.max": fmt.Sprint(tasks), "batch.size.max": "40"})
	create(t, rt, "gen", connect.Config{"connector.class": "gen", "batch.size": "20"})
	applied := func() int {
		tg.mu.Lock()
		defer tg.mu.Unlock()
		return len(tg.rows)
	}
	for round := range restarts {
		eventually(t, 20*time.Second, "progress", func() bool { return applied() > (round+1)*total/(restarts+2) })
		if err := rt.RestartTask(context.Background(), "exact", round%tasks); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 30*time.Second, "every record applied", func() bool { return applied() == total })
	tg.mu.Lock()
	defer tg.mu.Unlock()
	for _, e := range tg.errs {
		t.Error(e)
	}
	dups := 0
	for i := range int64(total) {
		switch n := tg.rows[i]; {
		case n == 0:
			t.Errorf("record %d never applied", i)
		case n > 1:
			dups++
		}
	}
	if dups > 0 {
		t.Errorf("%d of %d records applied more than once (%d flushes, every third failing after applying)", dups, total, tg.flush)
	}
	return tg.flush, tg.fenced
}
