package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/internal/exactsink"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
)

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
	tg := exactsink.NewTarget()
	number := func(r *connect.Record) (int64, error) {
		i, _ := connect.Lookup(r.Value, "i")
		n, ok := i.(int64)
		if !ok {
			return 0, fmt.Errorf("value %v has no record number", r.Value)
		}
		return n, nil
	}
	rt := startRuntime(t, append([]runtime.Option{
		runtime.WithPlugin("gen", func() connect.Connector {
			return connecttest.NewGenerator(seqRecord("exact", 50), total)
		}),
		runtime.WithPlugin("exact", func() connect.Connector {
			return connect.NewSink(connect.Spec{Name: "Exact"}, func() connect.SinkTask {
				return &exactsink.Task{Target: tg, Number: number, Fence: fence}
			}, connect.WithParallelTasks())
		}),
	}, opts...)...)
	create(t, rt, "exact", connect.Config{"connector.class": "exact", "topics": "exact", "tasks.max": fmt.Sprint(tasks), "batch.size.max": "40"})
	create(t, rt, "gen", connect.Config{"connector.class": "gen", "batch.size": "20"})
	for round := range restarts {
		eventually(t, 20*time.Second, "progress", func() bool { return tg.Applied() > (round+1)*total/(restarts+2) })
		if err := rt.RestartTask(context.Background(), "exact", round%tasks); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 30*time.Second, "every record applied", func() bool { return tg.Applied() == total })
	tg.Check(t, total)
	flushes, fenced, _ = tg.Counts()
	return flushes, fenced
}
