package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/redact"
)

// healthyRun is how long a task must run before its restart backoff resets.
const healthyRun = time.Minute

// taskRunner owns one task: it runs it, restarts it with backoff when it
// fails, and reports its status. Its goroutine ends when the task is stopped.
type taskRunner struct {
	c      *connectorRunner
	id     int
	cfg    connect.Config
	conf   connect.Config // the connector's config when the task was made: its transforms
	set    settings       // the connector's runtime settings when the task was made
	log    *slog.Logger
	gate   *gate
	make   func() any // returns a new connect.SourceTask or connect.SinkTask
	stats  taskMetrics
	redact *redact.Redactor

	cancel  context.CancelFunc
	done    chan struct{}
	restart chan struct{} // wakes a task waiting out its restart backoff

	mu       sync.Mutex
	state    connect.State
	trace    string
	restarts int
	next     time.Time
	progress map[string]any
	stopCtx  context.Context // bounds the graceful drain once stopping
	// commitErr is the last offset commit failure, set while commits fail
	// since commitSince.
	commitErr   string
	commitSince time.Time

	// sub is a sink task's current subscription, for the lag gauge.
	sub atomic.Pointer[connect.Subscription]
	// queues follows the queues of a sink task's subscription, when it
	// can tell them (connect.QueueOwner).
	queues atomic.Pointer[queueTracker]
}

func (t *taskRunner) start(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	t.cancel = cancel
	t.done = make(chan struct{})
	t.restart = make(chan struct{}, 1)
	t.setState(connect.StateRunning, "")
	go func() {
		defer close(t.done)
		t.run(ctx)
		t.log.Info("task stopped")
	}()
}

// beginStop tells the task to stop gracefully, finishing in-flight work
// within ctx.
func (t *taskRunner) beginStop(ctx context.Context) {
	t.mu.Lock()
	t.stopCtx = ctx
	t.mu.Unlock()
	t.cancel()
}

// stop stops the task gracefully within ctx and waits for its goroutine.
func (t *taskRunner) stop(ctx context.Context) error {
	t.beginStop(ctx)
	if len(waitTasks(ctx, []*taskRunner{t})) > 0 {
		return fmt.Errorf("runtime: stop task %s: %w", taskLabel(t.c.name, t.id), ctx.Err())
	}
	return nil
}

// exited reports whether the task's goroutine ended.
func (t *taskRunner) exited() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

// waitTasks waits for stopping tasks until ctx is done, then once more for
// a short grace period shared by all (their drains give up at ctx's
// deadline too), and returns the tasks still running.
func waitTasks(ctx context.Context, tasks []*taskRunner) []*taskRunner {
	var grace <-chan time.Time
	var left []*taskRunner
	for _, t := range tasks {
		select {
		case <-t.done:
			continue
		case <-ctx.Done():
		}
		if grace == nil {
			timer := time.NewTimer(stopGrace)
			defer timer.Stop()
			grace = timer.C
		}
		select {
		case <-t.done:
		case <-grace:
			left = append(left, t)
		}
	}
	return left
}

// stopGrace is how long a stop waits for tasks after its deadline passed.
const stopGrace = 2 * time.Second

// drainCtx is the context a stopping task uses to finish in-flight work.
func (t *taskRunner) drainCtx() context.Context {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopCtx != nil {
		return t.stopCtx
	}
	return context.Background()
}

func (t *taskRunner) run(ctx context.Context) {
	bo := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(t.c.rt.cfg.restartInitial),
		backoff.WithMaxInterval(t.c.rt.cfg.restartMax),
		backoff.WithMaxElapsedTime(0),
	)
	for {
		began := time.Now()
		err := t.runOnce(ctx)
		if ctx.Err() != nil || t.c.rt.crashed.Load() {
			return
		}
		if errors.Is(err, errFinished) {
			t.setState(connect.StateStopped, "")
			t.log.Info("task finished: its source reached the end of its input")
			return
		}
		if err == nil {
			err = errors.New("task loop ended without error")
		}
		if time.Since(began) >= healthyRun {
			bo.Reset()
		}
		delay := bo.NextBackOff()
		trace := t.redact.Text(err.Error())
		t.mu.Lock()
		t.state, t.trace, t.next = connect.StateFailed, trace, time.Now().Add(delay)
		t.mu.Unlock()
		t.log.Error("task failed", "error", trace, "restart_in", delay, "restart_at", time.Now().Add(delay).Format(time.RFC3339Nano))
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		case <-t.restart:
			timer.Stop()
		}
		t.mu.Lock()
		t.state, t.next = connect.StateRestarting, time.Time{}
		t.restarts++
		restarts := t.restarts
		t.mu.Unlock()
		t.stats.restarts.Add(context.Background(), 1, t.stats.attrs)
		t.log.Info("task restarting", "restarts", restarts)
	}
}

func (t *taskRunner) runOnce(ctx context.Context) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("task panicked: %v", p)
		}
	}()
	switch task := t.make().(type) {
	case connect.SourceTask:
		return t.runSource(ctx, task)
	case connect.SinkTask:
		return t.runSink(ctx, task)
	default:
		return fmt.Errorf("connector %s made a task of type %T", t.c.name, task)
	}
}

// running marks the task RUNNING once it started.
func (t *taskRunner) running() {
	t.setState(connect.StateRunning, "")
	t.log.Info("task started")
}

func (t *taskRunner) setState(s connect.State, trace string) {
	t.mu.Lock()
	t.state, t.trace = s, trace
	t.mu.Unlock()
}

// retrying shows a retriable error being retried in the task's status
// (state stays RUNNING) and logs it; nil clears it once the task recovered.
func (t *taskRunner) retrying(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state != connect.StateRunning {
		return
	}
	if err == nil {
		if t.trace != "" {
			t.log.Info("recovered from retriable errors")
		}
		t.trace = ""
		return
	}
	t.trace = "retrying: " + t.redact.Text(err.Error())
	t.log.Warn("retriable error; retrying with backoff", "error", t.trace)
}

// commitFailed shows an offset commit failure in the task's status and
// logs it (at error once, then at warn); nil clears it after a success.
func (t *taskRunner) commitFailed(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err == nil {
		if t.commitErr != "" {
			t.log.Info("offset commits succeed again", "failing_since", t.commitSince)
		}
		t.commitErr, t.commitSince = "", time.Time{}
		return
	}
	msg := t.redact.Text(err.Error())
	if t.commitErr == "" {
		t.commitSince = time.Now()
		t.log.Error("offset commit failed; positions are not moving, a crash would replay everything since", "error", msg)
	} else {
		t.log.Warn("offset commit still failing", "error", msg, "since", t.commitSince)
	}
	t.commitErr = msg
}

// requestRestart restarts a task waiting out its backoff at once.
func (t *taskRunner) requestRestart() {
	select {
	case t.restart <- struct{}{}:
	default:
	}
}

func (t *taskRunner) status() connect.TaskStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := connect.TaskStatus{
		ID: t.id, State: t.state, WorkerID: t.c.rt.workerID, Trace: t.trace,
		Restarts: t.restarts, NextRestart: t.next, Progress: maps.Clone(t.progress),
		OffsetCommitError: t.commitErr, OffsetCommitFailingSince: t.commitSince,
	}
	if st.State == connect.StateRunning && t.gate.isPaused() {
		st.State = connect.StatePaused
	}
	return st
}

func (t *taskRunner) stopTask(task interface{ Stop(context.Context) error }) {
	if err := safely("task stop", func() error { return task.Stop(t.drainCtx()) }); err != nil {
		t.log.Warn("task stop failed", "error", t.redact.Text(err.Error()))
	}
}

// taskContext implements connect.SourceTaskContext and
// connect.SinkTaskContext.
type taskContext struct{ t *taskRunner }

func (tc taskContext) Connector() string    { return tc.t.c.name }
func (tc taskContext) TaskID() int          { return tc.t.id }
func (tc taskContext) Logger() *slog.Logger { return tc.t.log }

func (tc taskContext) Offset(ctx context.Context, partition string) (connect.Position, bool, error) {
	return tc.t.c.rt.offsets.Get(ctx, tc.t.c.name, partition)
}

func (tc taskContext) SetProgress(p map[string]any) {
	tc.t.mu.Lock()
	tc.t.progress = maps.Clone(p)
	tc.t.mu.Unlock()
}

// gate holds tasks of a paused connector before their next poll or fetch.
type gate struct {
	mu     sync.Mutex
	paused bool
	open   chan struct{} // closed while not paused
}

func newGate() *gate {
	g := &gate{open: make(chan struct{})}
	close(g.open)
	return g
}

func (g *gate) pause() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.paused {
		g.paused = true
		g.open = make(chan struct{})
	}
}

func (g *gate) resume() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.paused {
		g.paused = false
		close(g.open)
	}
}

func (g *gate) isPaused() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.paused
}

// wait returns nil once the gate is open, or ctx's error.
func (g *gate) wait(ctx context.Context) error {
	g.mu.Lock()
	open := g.open
	g.mu.Unlock()
	select {
	case <-open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
