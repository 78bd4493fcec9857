package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
)

// committer is the shared state of preCommitSink tasks: the offset below
// which they allow acknowledgements, as a sink writing asynchronously
// would report what its target holds.
type committer struct {
	mu      sync.Mutex
	limit   int64
	fail    int                        // PreCommit calls left to fail, retriably
	first   []int64                    // per task instance: the offset of the first record it got
	puts    int                        // records put
	calls   int                        // PreCommit calls
	current map[connect.QueueRef]int64 // the last current passed
	errs    []string
}

func (c *committer) get() (puts, calls int, current map[connect.QueueRef]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.puts, c.calls, c.current
}

type preCommitSink struct {
	c     *committer
	first bool
}

func (s *preCommitSink) Start(context.Context, connect.SinkTaskContext, connect.Config) error {
	s.first = true
	return nil
}

func (s *preCommitSink) Put(_ context.Context, recs []*connect.Record) error {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	if s.first {
		s.first = false
		s.c.first = append(s.c.first, recs[0].Origin.Offset)
	}
	s.c.puts += len(recs)
	return nil
}

func (s *preCommitSink) Flush(context.Context) error { return nil }

func (s *preCommitSink) PreCommit(_ context.Context, current map[connect.QueueRef]int64) (map[connect.QueueRef]int64, error) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.c.calls++
	s.c.current = current
	if s.c.fail > 0 {
		s.c.fail--
		return nil, connect.Retriable(errors.New("the target has not answered yet"))
	}
	allow := map[connect.QueueRef]int64{}
	for q, off := range current {
		if off < 0 {
			s.c.errs = append(s.c.errs, fmt.Sprintf("current offset %d of %v", off, q))
		}
		allow[q] = min(off, s.c.limit)
	}
	return allow, nil
}

func (s *preCommitSink) Stop(context.Context) error { return nil }

var _ connect.PreCommitter = (*preCommitSink)(nil)

// A sink task that implements PreCommitter has acknowledged only what it
// allows: the rest stays unconsumed in the transport, is asked about again
// while no records come, and is delivered again to the task's next
// instance.
func TestPreCommitAcknowledgesOnlyWhatTheTaskAllows(t *testing.T) {
	const total = 100
	broker := memory.New()
	defer broker.Close()
	publishSeq(t, broker, "pc", total)
	c := &committer{limit: 40, fail: 2}
	rt := startRuntime(t, runtime.WithTransport(broker),
		runtime.WithPlugin("pc", func() connect.Connector {
			return connect.NewSink(connect.Spec{Name: "PreCommit"}, func() connect.SinkTask { return &preCommitSink{c: c} })
		}))
	create(t, rt, "sink", connect.Config{"connector.class": "pc", "topics": "pc", "batch.size.max": "30"})
	q := connect.QueueRef{Topic: "pc", Queue: 0}
	var calls int
	eventually(t, 20*time.Second, "every record put, and the task asked since", func() bool {
		puts, n, current := c.get()
		if puts < total || current[q] != total {
			return false
		}
		if calls == 0 {
			calls = n
		}
		return n >= calls+2 // asked twice more with no record coming
	})
	if lag := broker.Lag("connect-sink", "pc"); lag != total-40 {
		t.Fatalf("%d records unconsumed, want the %d the task did not allow", lag, total-40)
	}
	if st, _ := rt.ConnectorStatus("sink"); st.Tasks[0].State != connect.StateRunning || st.Tasks[0].Restarts != 0 {
		t.Fatalf("retriable pre-commit failures failed the task: %+v", st.Tasks[0])
	}

	// The next instance of the task gets what was not acknowledged.
	if err := rt.RestartTask(context.Background(), "sink", 0); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the records held back delivered again", func() bool {
		puts, _, _ := c.get()
		return puts >= 2*total-40
	})
	c.mu.Lock()
	if len(c.first) != 2 || c.first[1] != 40 {
		t.Errorf("task instances began at offsets %v, want [0 40]", c.first)
	}
	c.limit = total
	c.mu.Unlock()
	eventually(t, 20*time.Second, "every record acknowledged once allowed, with no new record coming", func() bool {
		return broker.Lag("connect-sink", "pc") == 0
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.errs {
		t.Error(e)
	}
}
