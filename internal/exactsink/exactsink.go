// Package exactsink is a sink task for tests of the sink contract's queue
// parts (connect.QueueAwareSink, connect.QueueSeeker, transports'
// connect.QueueOwner): it keeps its rows and, in the same "transaction",
// the offset after the last row of each queue in a Target, as
// mysqlsink's exactly_once mode keeps them in the target database, and
// relies on the runtime and the transport to resume each queue where the
// Target says. Every third Flush fails after applying, as a crash between
// the database commit and the transport's ack would, and seeks the task's
// queues to after what was applied, so that a test counting the Target's
// rows sees every record applied once only when seeks work.
package exactsink

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	connect "github.com/openmessaging/connect-go"
)

// Target is the external system of the tasks: rows by record number and
// the next offset of each queue.
type Target struct {
	mu     sync.Mutex
	rows   map[int64]int // record number -> times applied
	next   map[connect.QueueRef]int64
	flush  int
	fenced int
	seeks  int
	errs   []string
}

// NewTarget returns an empty target.
func NewTarget() *Target {
	return &Target{rows: map[int64]int{}, next: map[connect.QueueRef]int64{}}
}

// Applied returns how many distinct records were applied.
func (tg *Target) Applied() int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return len(tg.rows)
}

// Counts returns the flushes, the records fenced and the seeks asked for
// so far.
func (tg *Target) Counts() (flushes, fenced, seeks int) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.flush, tg.fenced, tg.seeks
}

// Check reports, on t, the contract violations the tasks saw and every
// record of 0..total-1 applied never or more than once.
func (tg *Target) Check(t testing.TB, total int64) {
	t.Helper()
	tg.mu.Lock()
	defer tg.mu.Unlock()
	for _, e := range tg.errs {
		t.Error(e)
	}
	dups := 0
	for i := range total {
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
}

func (tg *Target) fail(format string, args ...any) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.errs = append(tg.errs, fmt.Sprintf(format, args...))
}

// Task is a sink task applying records to a Target. Number gives a
// record's number. Without Fence it does not deduplicate; with Fence it
// also skips records below the Target's offset of their queue, which a
// queue's previous owner may have applied while the queue moved (a
// rebalance does not wait for the old owner's batch).
type Task struct {
	Target *Target
	Number func(*connect.Record) (int64, error)
	Fence  bool

	tc      connect.SinkTaskContext
	owned   []connect.QueueRef
	pending []*connect.Record
}

var _ connect.QueueAwareSink = (*Task)(nil)

func (s *Task) Start(_ context.Context, tc connect.SinkTaskContext, _ connect.Config) error {
	s.tc = tc
	return nil
}

// Open resumes the queues where the target says.
func (s *Task) Open(_ context.Context, queues []connect.QueueRef) error {
	for _, q := range queues {
		if slices.Contains(s.owned, q) {
			s.Target.fail("task %d: Open of queue %v it already owns", s.tc.TaskID(), q)
		}
		s.owned = append(s.owned, q)
	}
	return s.seek(queues)
}

func (s *Task) seek(queues []connect.QueueRef) error {
	seeker, ok := s.tc.(connect.QueueSeeker)
	if !ok {
		return errors.New("the sink task context is not a connect.QueueSeeker")
	}
	s.Target.mu.Lock()
	defer s.Target.mu.Unlock()
	for _, q := range queues {
		if err := seeker.Seek(q, s.Target.next[q]); err != nil {
			return err
		}
		s.Target.seeks++
	}
	return nil
}

func (s *Task) Close(_ context.Context, queues []connect.QueueRef) error {
	for _, q := range queues {
		i := slices.Index(s.owned, q)
		if i < 0 {
			s.Target.fail("task %d: Close of queue %v it does not own", s.tc.TaskID(), q)
			continue
		}
		s.owned = slices.Delete(s.owned, i, i+1)
	}
	return nil
}

func (s *Task) Put(_ context.Context, recs []*connect.Record) error {
	for _, r := range recs {
		if q := (connect.QueueRef{Topic: r.Origin.Topic, Queue: r.Origin.Queue}); !slices.Contains(s.owned, q) {
			s.Target.fail("task %d: Put of a record of queue %v, not opened (owns %v)", s.tc.TaskID(), q, s.owned)
		}
	}
	s.pending = append(s.pending, recs...)
	return nil
}

// Flush applies the pending records; every third Flush then fails, as if
// the ack was lost after the commit, and seeks past what was applied.
func (s *Task) Flush(context.Context) error {
	tg := s.Target
	tg.mu.Lock()
	for _, r := range s.pending {
		i, err := s.Number(r)
		if err != nil {
			tg.errs = append(tg.errs, fmt.Sprintf("record at %+v: %v", r.Origin, err))
			continue
		}
		q := connect.QueueRef{Topic: r.Origin.Topic, Queue: r.Origin.Queue}
		if s.Fence && r.Origin.Offset < tg.next[q] {
			tg.fenced++ // applied by the queue's previous owner meanwhile
			continue
		}
		tg.rows[i]++
		tg.next[q] = r.Origin.Offset + 1
	}
	s.pending = s.pending[:0]
	tg.flush++
	failed := tg.flush%3 == 0
	tg.mu.Unlock()
	if failed {
		if err := s.seek(s.owned); err != nil {
			return err
		}
		return connect.Retriable(errors.New("lost the ack after the commit"))
	}
	return nil
}

func (s *Task) Stop(context.Context) error { return nil }
