package rocketmq_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/converter"
	"github.com/openmessaging/connect-go/runtime"
)

// target is the database of exactSink: rows, and in the same
// "transaction" the offset after the last row applied of each queue, as
// an exactly-once sink (mysqlsink) keeps them.
type target struct {
	mu    sync.Mutex
	rows  map[int64]int // record number -> times applied
	next  map[connect.QueueRef]int64
	flush int
	seeks int
	errs  []string
}

func (tg *target) fail(format string, args ...any) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.errs = append(tg.errs, fmt.Sprintf(format, args...))
}

// exactSink applies records to a target without deduplicating: it relies
// on the transport to resume each queue where the target says (Open and
// QueueSeeker.Seek). Every third Flush fails after applying, as a crash
// between the database commit and the transport's ack would, and seeks
// its queues to after what was applied: forward of the group's committed
// offset, and backward of what the member already fetched.
type exactSink struct {
	tg      *target
	tc      connect.SinkTaskContext
	owned   []connect.QueueRef
	pending []*connect.Record
}

func (s *exactSink) Start(_ context.Context, tc connect.SinkTaskContext, _ connect.Config) error {
	s.tc = tc
	return nil
}

func (s *exactSink) Open(_ context.Context, queues []connect.QueueRef) error {
	s.owned = append(s.owned, queues...)
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
		s.tg.seeks++
	}
	return nil
}

func (s *exactSink) Close(_ context.Context, queues []connect.QueueRef) error {
	s.owned = slices.DeleteFunc(s.owned, func(q connect.QueueRef) bool { return slices.Contains(queues, q) })
	return nil
}

func (s *exactSink) Put(_ context.Context, recs []*connect.Record) error {
	for _, r := range recs {
		if q := (connect.QueueRef{Topic: r.Origin.Topic, Queue: r.Origin.Queue}); !slices.Contains(s.owned, q) {
			s.tg.fail("Put of a record of queue %v, not opened (owns %v)", q, s.owned)
		}
	}
	s.pending = append(s.pending, recs...)
	return nil
}

func (s *exactSink) Flush(context.Context) error {
	s.tg.mu.Lock()
	for _, r := range s.pending {
		var i int64
		if _, err := fmt.Sscan(string(r.Value.([]byte)), &i); err != nil {
			s.tg.errs = append(s.tg.errs, fmt.Sprintf("foreign record %q", r.Value))
			continue
		}
		s.tg.rows[i]++
		s.tg.next[connect.QueueRef{Topic: r.Origin.Topic, Queue: r.Origin.Queue}] = r.Origin.Offset + 1
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

// A sink that keeps its offsets in its target (mysqlsink's exactly-once
// mode) applies every record exactly once over RocketMQ through failed
// acks and a restart of its task, relying only on Seek: the records of a
// failed flush were applied and are not acknowledged, so the group would
// deliver them again; Seek skips them.
func TestQueueSeekingSinkAppliesEachRecordOnce(t *testing.T) {
	const total = 2000
	tr := open(t)
	topic := uniqueName("exact")
	if err := tr.CreateTopic(context.Background(), topic, 4); err != nil {
		t.Fatal(err)
	}
	tg := &target{rows: map[int64]int{}, next: map[connect.QueueRef]int64{}}
	rt := startRuntime(t, tr,
		runtime.WithPlugin("gen", func() connect.Connector {
			return connecttest.NewGenerator(func(i int64) *connect.Record {
				if i%10 == 0 {
					time.Sleep(10 * time.Millisecond) // many flushes, and many seeks
				}
				return &connect.Record{Topic: topic, Key: fmt.Sprint(i % 50), Value: []byte(fmt.Sprint(i))}
			}, total)
		}),
		runtime.WithPlugin("exact", func() connect.Connector {
			return connect.NewSink(connect.Spec{Name: "Exact"}, func() connect.SinkTask { return &exactSink{tg: tg} })
		}),
		runtime.WithConverter(converter.NewBytes()),
		runtime.WithOffsetFlushInterval(20*time.Millisecond),
	)
	createConnector(t, rt, "exact", connect.Config{"connector.class": "exact", "topics": topic, "batch.size": "20"})
	createConnector(t, rt, "gen", connect.Config{"connector.class": "gen", "batch.size": "50"})
	applied := func() int {
		tg.mu.Lock()
		defer tg.mu.Unlock()
		return len(tg.rows)
	}
	waitFor(t, time.Minute, "half the records applied", func() bool { return applied() >= total/2 })
	// A new member of the group resumes from the target, not from the
	// group's committed offsets, which are behind it.
	if err := rt.RestartTask(context.Background(), "exact", 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Minute, "every record applied", func() bool { return applied() == total })
	time.Sleep(time.Second) // anything applied twice shows meanwhile
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
		t.Errorf("%d of %d records applied more than once (%d flushes, every third failing after applying, %d seeks)", dups, total, tg.flush, tg.seeks)
	}
	t.Logf("%d flushes, %d seeks", tg.flush, tg.seeks)
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
