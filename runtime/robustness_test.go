// Regression tests for robustness findings: plugin panics, blocking
// plugins, orphaned tasks, bounded stops.
package runtime_test

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/offset"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
)

// ---- configurable source plugin ----

type rvConn struct {
	startCalls *atomic.Int64
	startFail  func(n int64) error // n = call number (1-based)
	startBlock bool
	startPanic bool
	tcCalls    *atomic.Int64
	tcFail     func(n int64) error
	tasks      int
	running    *atomic.Int64 // live task instances
	pollPanic  bool
	cc         connect.ConnectorContext
}

func (c *rvConn) Spec() connect.Spec { return connect.Spec{Name: "rv"} }
func (c *rvConn) Start(ctx context.Context, cc connect.ConnectorContext, cfg connect.Config) error {
	n := c.startCalls.Add(1)
	c.cc = cc
	if c.startPanic {
		panic("boom in Start")
	}
	if c.startBlock {
		<-ctx.Done()
		return ctx.Err()
	}
	if c.startFail != nil {
		return c.startFail(n)
	}
	return nil
}
func (c *rvConn) TaskConfigs(max int) ([]connect.Config, error) {
	n := c.tcCalls.Add(1)
	if c.tcFail != nil {
		if err := c.tcFail(n); err != nil {
			return nil, err
		}
	}
	out := make([]connect.Config, c.tasks)
	for i := range out {
		out[i] = connect.Config{"i": fmt.Sprint(i)}
	}
	return out, nil
}
func (c *rvConn) Stop(context.Context) error  { return nil }
func (c *rvConn) NewTask() connect.SourceTask { return &rvTask{c: c} }

type rvTask struct{ c *rvConn }

func (t *rvTask) Start(context.Context, connect.SourceTaskContext, connect.Config) error {
	t.c.running.Add(1)
	return nil
}
func (t *rvTask) Poll(ctx context.Context) ([]*connect.Record, error) {
	if t.c.pollPanic {
		panic("boom in Poll")
	}
	select {
	case <-ctx.Done():
		return nil, nil
	case <-time.After(5 * time.Millisecond):
		return []*connect.Record{{Topic: "rv", Value: "x"}}, nil
	}
}
func (t *rvTask) Stop(context.Context) error { t.c.running.Add(-1); return nil }

func newRV() *rvConn {
	return &rvConn{startCalls: new(atomic.Int64), tcCalls: new(atomic.Int64), running: new(atomic.Int64), tasks: 1}
}

// Sink Put returns a BatchError whose failures are all retriable.
type rbSink struct{ puts *atomic.Int64 }

func (s rbSink) Spec() connect.Spec                                                    { return connect.Spec{Name: "rb"} }
func (s rbSink) Start(context.Context, connect.ConnectorContext, connect.Config) error { return nil }
func (s rbSink) TaskConfigs(int) ([]connect.Config, error)                             { return []connect.Config{{}}, nil }
func (s rbSink) Stop(context.Context) error                                            { return nil }
func (s rbSink) NewTask() connect.SinkTask                                             { return rbTask(s) }

type rbTask rbSink

func (rbTask) Start(context.Context, connect.SinkTaskContext, connect.Config) error { return nil }
func (t rbTask) Put(_ context.Context, rs []*connect.Record) error {
	if t.puts.Add(1) == 1 {
		return &connect.BatchError{Failed: []connect.RecordError{{Index: 0, Err: connect.Retriable(errors.New("busy"))}}}
	}
	return nil
}
func (rbTask) Flush(context.Context) error { return nil }
func (rbTask) Stop(context.Context) error  { return nil }

// A blocking transport: Publish blocks until ctx is done.
type blockingTransport struct {
	*memory.Broker
	blocked atomic.Int64
}

func (b *blockingTransport) Publish(ctx context.Context, msgs ...*connect.Message) error {
	b.blocked.Add(1)
	defer b.blocked.Add(-1)
	<-ctx.Done()
	return ctx.Err()
}

func (b *blockingTransport) PublishTracked(ctx context.Context, _ func(), msgs ...*connect.Message) error {
	return b.Publish(ctx, msgs...)
}

// A connector-only restart whose new Start fails, and the automatic retry
// after it, leave exactly one set of tasks running.
func TestRestartAfterFailedStartLeavesOneTaskSet(t *testing.T) {
	c := newRV()
	c.startFail = func(n int64) error {
		if n == 2 {
			return errors.New("start fails once")
		}
		return nil
	}
	rt := startRuntime(t, runtime.WithPlugin("rv", func() connect.Connector { return c }))
	create(t, rt, "x", connect.Config{"connector.class": "rv"})
	eventually(t, 5*time.Second, "running", func() bool { return c.running.Load() == 1 })
	if err := rt.RestartConnector(context.Background(), "x", runtime.RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "retried and running", func() bool {
		st, _ := rt.ConnectorStatus("x")
		return c.startCalls.Load() >= 3 && st.State == connect.StateRunning && c.running.Load() == 1
	})
	time.Sleep(50 * time.Millisecond)
	if n := c.running.Load(); n != 1 {
		t.Fatalf("%d live task instances, want 1", n)
	}
}

// A TaskConfigs failure fails the connector without starting tasks; the
// retry then starts exactly one set.
func TestTaskConfigsFailureStartsNoOrphans(t *testing.T) {
	c := newRV()
	c.tcFail = func(n int64) error {
		if n == 1 {
			return errors.New("task configs fail once")
		}
		return nil
	}
	rt := startRuntime(t, runtime.WithPlugin("rv", func() connect.Connector { return c }))
	create(t, rt, "x", connect.Config{"connector.class": "rv"})
	eventually(t, 5*time.Second, "retried and running", func() bool {
		st, _ := rt.ConnectorStatus("x")
		return c.tcCalls.Load() >= 2 && st.State == connect.StateRunning && c.running.Load() == 1
	})
	time.Sleep(50 * time.Millisecond)
	if n := c.running.Load(); n != 1 {
		t.Fatalf("%d live task instances, want 1", n)
	}
}

// A panicking Poll fails the task (and it restarts) without leaking the
// converter and publisher goroutines of each attempt.
func TestPollPanicLeaksNothing(t *testing.T) {
	c := newRV()
	c.pollPanic = true
	rt := runtime.New(runtime.WithPlugin("rv", func() connect.Connector { return c }),
		runtime.WithRestartBackoff(10*time.Millisecond, 20*time.Millisecond))
	if err := rt.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	create(t, rt, "x", connect.Config{"connector.class": "rv"})
	eventually(t, 5*time.Second, "restarts after panics", func() bool {
		ts := taskStates(rt, "x")
		return len(ts) == 1 && ts[0].Restarts >= 3 && strings.Contains(ts[0].Trace, "poll panicked: boom in Poll")
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rt.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	stacks := string(buf[:goruntime.Stack(buf, true)])
	for _, fn := range []string{"(*sourceLoop).convertAll", "(*sourceLoop).publish("} {
		if n := strings.Count(stacks, fn); n > 0 {
			t.Fatalf("%d goroutines of %s left after Stop", n, fn)
		}
	}
}

// A BatchError whose failures are all retriable is retried, not a task
// failure.
func TestRetriableBatchErrorIsRetried(t *testing.T) {
	s := rbSink{puts: new(atomic.Int64)}
	rt := startRuntime(t,
		runtime.WithPlugin("gen", func() connect.Connector { return connecttest.NewGenerator(seqRecord("rb", 1), 1) }),
		runtime.WithPlugin("rb", func() connect.Connector { return s }))
	create(t, rt, "sink", connect.Config{"connector.class": "rb", "topics": "rb"})
	create(t, rt, "src", connect.Config{"connector.class": "gen"})
	eventually(t, 5*time.Second, "put retried", func() bool { return s.puts.Load() >= 2 })
	if ts := taskStates(rt, "sink"); len(ts) != 1 || ts[0].Restarts != 0 || ts[0].State != connect.StateRunning {
		t.Fatalf("sink task after a retriable BatchError: %+v", ts)
	}
}

// Stopping a connector whose publishes block gives up at the deadline and
// leaves nothing of its tasks running.
func TestStopConnectorIsBoundedAndLeavesNothing(t *testing.T) {
	c := newRV()
	c.tasks = 3
	tr := &blockingTransport{Broker: memory.New()}
	defer tr.Broker.Close()
	rt := startRuntime(t, runtime.WithPlugin("rv", func() connect.Connector { return c }), runtime.WithTransport(tr))
	create(t, rt, "x", connect.Config{"connector.class": "rv", "tasks.max": "3"})
	eventually(t, 5*time.Second, "3 blocked publishes", func() bool { return tr.blocked.Load() == 3 })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := rt.StopConnector(ctx, "x"); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("StopConnector = %v", err)
	}
	if b, r := tr.blocked.Load(), c.running.Load(); b != 0 || r != 0 {
		t.Fatalf("after StopConnector: %d publishes still blocked, %d task instances alive", b, r)
	}
}

// A panicking Connector.Start fails the connector; the runtime stays usable.
func TestConnectorStartPanicFailsConnector(t *testing.T) {
	c := newRV()
	c.startPanic = true
	rt := startRuntime(t, runtime.WithPlugin("rv", func() connect.Connector { return c }))
	create(t, rt, "x", connect.Config{"connector.class": "rv"})
	st, err := rt.ConnectorStatus("x")
	if err != nil || st.State != connect.StateFailed || !strings.Contains(st.Trace, "panicked: boom in Start") {
		t.Fatalf("status %+v, %v", st, err)
	}
}

// A Connector.Start that blocks until its ctx is done does not hold up the
// API or Stop.
func TestBlockingConnectorStartDoesNotHangStop(t *testing.T) {
	c := newRV()
	c.startBlock = true
	rt := runtime.New(runtime.WithPlugin("rv", func() connect.Connector { return c }))
	if err := rt.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	created := make(chan error, 1)
	go func() {
		created <- rt.CreateConnector(context.Background(), "x", connect.Config{"connector.class": "rv"})
	}()
	eventually(t, 5*time.Second, "Start called", func() bool { return c.startCalls.Load() == 1 })
	if got := rt.Connectors(); len(got) != 1 {
		t.Fatalf("connectors while Start blocks: %v", got)
	}
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		stopped <- rt.Stop(ctx)
	}()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop hung behind a blocking Connector.Start")
	}
	<-created
}

// Records held in the runtime's own in-memory broker for a sink that is not
// running cannot be drained at Stop; their source positions were never
// committed (a position commits once every consumer group consumed its
// record), so a restart replays them to the sink: nothing is lost.
func TestStopWithPausedSinkLosesNothing(t *testing.T) {
	ctx := context.Background()
	store := offset.NewMemory()
	col := connecttest.NewCollector()
	newRT := func() *runtime.Runtime {
		rt := runtime.New(runtime.WithOffsetFlushInterval(10*time.Millisecond), runtime.WithOffsetStore(store),
			runtime.WithPlugin("gen", func() connect.Connector { return connecttest.NewGenerator(seqRecord("pl", 1), 50) }),
			runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }))
		if err := rt.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return rt
	}
	rt := newRT()
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "pl"})
	if err := rt.PauseConnector(ctx, "sink"); err != nil {
		t.Fatal(err)
	}
	create(t, rt, "src", connect.Config{"connector.class": "gen"})
	eventually(t, 5*time.Second, "source published", func() bool {
		st, _ := rt.ConnectorStatus("src")
		return len(st.Tasks) == 1 && st.Tasks[0].State == connect.StateRunning
	})
	time.Sleep(50 * time.Millisecond) // let it publish and try to commit
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rt.Stop(sctx); err != nil {
		t.Fatalf("Stop = %v", err)
	}
	// A fetch in flight when the pause came may have delivered a batch;
	// nothing past what the sink took may be committed.
	taken := col.Len()
	if ps, _ := store.List(ctx, "src"); len(ps) != 0 {
		if n, err := strconv.Atoi(string(ps[0].Offset)); err != nil || n >= taken {
			t.Fatalf("position %s committed, but the paused sink took only %d records", ps[0].Offset, taken)
		}
	}
	if taken == 50 {
		t.Fatal("the paused sink took every record")
	}

	rt = newRT()
	defer rt.Stop(ctx)
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "pl"})
	create(t, rt, "src", connect.Config{"connector.class": "gen"})
	eventually(t, 10*time.Second, "all 50 records collected", func() bool {
		seen := map[any]bool{}
		for _, r := range col.Records() {
			seen[r.Value.(map[string]any)["i"]] = true
		}
		return len(seen) == 50
	})
	eventually(t, 5*time.Second, "position 49 committed once consumed", func() bool {
		ps, _ := store.List(ctx, "src")
		return len(ps) == 1 && string(ps[0].Offset) == "49"
	})
}

// flakyTransport fails publishes with a retriable error while down is set.
type flakyTransport struct {
	*memory.Broker
	down atomic.Bool
}

func (f *flakyTransport) Publish(ctx context.Context, msgs ...*connect.Message) error {
	if f.down.Load() {
		return connect.Retriable(errors.New("broker unreachable"))
	}
	return f.Broker.Publish(ctx, msgs...)
}

func (f *flakyTransport) PublishTracked(ctx context.Context, consumed func(), msgs ...*connect.Message) error {
	if f.down.Load() {
		return connect.Retriable(errors.New("broker unreachable"))
	}
	return f.Broker.PublishTracked(ctx, consumed, msgs...)
}

// While a retriable error is retried the task stays RUNNING and its status
// says what it is retrying; once the transport is back, nothing is lost.
func TestRetriedErrorsVisibleInStatus(t *testing.T) {
	tr := &flakyTransport{Broker: memory.New()}
	defer tr.Broker.Close()
	tr.down.Store(true)
	col := connecttest.NewCollector()
	rt := startRuntime(t, runtime.WithTransport(tr),
		runtime.WithPlugin("gen", func() connect.Connector { return connecttest.NewGenerator(seqRecord("flaky", 3), 100) }),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }))
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "flaky"})
	create(t, rt, "src", connect.Config{"connector.class": "gen", "errors.retry.timeout": "1h"})
	eventually(t, 5*time.Second, "retrying shown in status", func() bool {
		ts := taskStates(rt, "src")
		return len(ts) == 1 && ts[0].State == connect.StateRunning && strings.Contains(ts[0].Trace, "retrying: publish: broker unreachable")
	})
	tr.down.Store(false)
	waitCollected(t, col, 100, 10*time.Second)
	eventually(t, 5*time.Second, "trace cleared", func() bool {
		ts := taskStates(rt, "src")
		return len(ts) == 1 && ts[0].Trace == "" && ts[0].Restarts == 0
	})
}
