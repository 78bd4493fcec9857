package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/redact"
)

// connectorRunner owns one connector instance and its tasks. Changes are
// serialised by mu, which may be held while plugin code runs (Start, Stop,
// TaskConfigs) and while tasks drain. Readers never take it: every change
// ends with publishLocked, which stores an immutable view that status and
// config reads load (so a slow plugin never holds up a status request).
// Task goroutines only use what they were built with.
type connectorRunner struct {
	rt     *Runtime
	name   string
	log    *slog.Logger
	gate   *gate
	wake   chan struct{} // reconfiguration requests and failures
	closed chan struct{} // closed when the runner is shut down
	loopWG sync.WaitGroup
	// startCtx is handed to Connector.Start; shutdown cancels it before
	// taking mu, so that a Start blocked on I/O cannot hold a stop up.
	startCtx    context.Context
	cancelStart context.CancelFunc
	// kind is read without mu (Stop sorts connectors by kind even while one
	// is stuck in a plugin call holding mu).
	kind atomic.Value // connect.ConnectorType

	view atomic.Pointer[connectorView]

	mu       ctxLock
	cfg      connect.Config // as given by the user; replaced, never modified
	set      settings
	target   connect.State // RUNNING, PAUSED or STOPPED: what the user asked for
	conn     connect.Connector
	state    connect.State
	trace    string
	tasks    []*taskRunner
	taskCfgs []connect.Config // replaced, never modified
	removed  bool
	version  int64 // cluster mode: offset of the configs record applied
	// removedFlag is removed, readable without mu.
	removedFlag atomic.Bool
	redact      *redact.Redactor // hides the config's secrets from logs and traces
}

func newConnectorRunner(rt *Runtime, name string, cfg connect.Config, kind connect.ConnectorType, target connect.State) *connectorRunner {
	c := &connectorRunner{
		rt:     rt,
		name:   name,
		log:    rt.log.With("connector", name),
		gate:   newGate(),
		wake:   make(chan struct{}, 1),
		closed: make(chan struct{}),
		cfg:    cfg,
		set:    parseSettings(cfg),
		target: target,
		state:  connect.StateUnassigned,
		mu:     newCtxLock(),
	}
	c.publishLocked()
	c.kind.Store(kind)
	c.startCtx, c.cancelStart = context.WithCancel(rt.ctx)
	c.loopWG.Add(1)
	go c.loop()
	return c
}

// loop handles reconfiguration requests and retries a failed connector
// with backoff. It ends when the runner is shut down.
func (c *connectorRunner) loop() {
	defer c.loopWG.Done()
	bo := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(c.rt.cfg.restartInitial),
		backoff.WithMaxInterval(c.rt.cfg.restartMax),
		backoff.WithMaxElapsedTime(0),
	)
	var timer *time.Timer
	var retry <-chan time.Time
	for {
		select {
		case <-c.closed:
			if timer != nil {
				timer.Stop()
			}
			return
		case <-c.wake:
			c.mu.lock()
			c.reconfigureLocked()
			c.unlock()
		case <-retry:
			retry = nil
			c.mu.lock()
			if c.state == connect.StateFailed && c.target != connect.StateStopped && !c.removed {
				c.state = connect.StateRestarting
				c.startLocked(context.Background())
			}
			c.unlock()
		}
		v := c.view.Load()
		failed := v.state == connect.StateFailed && !c.isRemoved()
		switch {
		case failed && retry == nil:
			timer = time.NewTimer(bo.NextBackOff())
			retry = timer.C
		case !failed:
			bo.Reset()
		}
	}
}

// kick wakes the loop: to reconfigure tasks, or to schedule a retry.
func (c *connectorRunner) kick() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// safely runs plugin code, turning a panic into an error.
func safely(what string, fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s panicked: %v", what, p)
		}
	}()
	return fn()
}

// startLocked (re)starts the connector instance and its tasks according to
// target, stopping what runs first. ctx bounds stopping what runs (within
// the shutdown timeout at most) and Connector.Start. A failure leaves the
// connector FAILED; the loop retries it with backoff.
func (c *connectorRunner) startLocked(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, c.rt.cfg.shutdownTimeout)
	defer cancel()
	if c.conn != nil || len(c.tasks) > 0 {
		if err := c.stopLocked(ctx); err != nil {
			c.log.Warn("stop before restart", "error", c.redact.Text(err.Error()))
		}
	}
	if c.target == connect.StateStopped {
		c.state, c.trace = connect.StateStopped, ""
		return
	}
	if c.target == connect.StatePaused {
		c.gate.pause()
	} else {
		c.gate.resume()
	}
	c.publishLocked()
	conn, cfgs, err := c.launchLocked(ctx)
	if err != nil {
		c.failLocked(err)
		return
	}
	c.conn = conn
	c.state, c.trace = c.target, ""
	c.startTasksLocked(cfgs)
}

// launchLocked makes and starts a connector instance and asks it for task
// configs. Start's ctx is cancelled when ctx is done while Start runs, and
// when the runner shuts down. On an error nothing of it keeps running.
func (c *connectorRunner) launchLocked(ctx context.Context) (connect.Connector, []connect.Config, error) {
	factory := c.rt.cfg.plugins[c.set.class]
	if factory == nil {
		return nil, nil, fmt.Errorf("plugin %q is not registered with worker %s", c.set.class, c.rt.workerID)
	}
	var conn connect.Connector
	startCtx, cancelStart := context.WithCancel(c.startCtx)
	unbind := context.AfterFunc(ctx, cancelStart)
	err := safely("connector start", func() error {
		conn = factory()
		spec := conn.Spec()
		c.redact = redact.New(spec.Config, c.cfg)
		return conn.Start(startCtx, connectorContext{c}, spec.Config.Apply(c.cfg))
	})
	if !unbind() && err == nil {
		err = fmt.Errorf("not started within the request's deadline: %w", ctx.Err())
	}
	if err != nil {
		if conn != nil {
			c.stopConnector(ctx, conn)
		}
		return nil, nil, fmt.Errorf("start connector: %w", err)
	}
	var cfgs []connect.Config
	err = safely("task configs", func() error {
		var err error
		cfgs, err = conn.TaskConfigs(c.set.tasksMax)
		return err
	})
	if err != nil {
		c.stopConnector(ctx, conn)
		return nil, nil, fmt.Errorf("task configs: %w", err)
	}
	if len(cfgs) > c.set.tasksMax {
		cfgs = cfgs[:c.set.tasksMax]
	}
	return conn, cfgs, nil
}

// stopConnector stops a connector instance within ctx and the shutdown
// timeout. A connector instance is stopped once: past ctx, what it still
// holds is its own to release.
func (c *connectorRunner) stopConnector(ctx context.Context, conn connect.Connector) error {
	ctx, cancel := context.WithTimeout(ctx, c.rt.cfg.shutdownTimeout)
	defer cancel()
	err := safely("connector stop", func() error { return conn.Stop(ctx) })
	if err != nil {
		err = fmt.Errorf("stop connector %s: %w", c.name, err)
		c.log.Warn("connector stop failed", "error", c.redact.Text(err.Error()))
	}
	return err
}

func (c *connectorRunner) failLocked(err error) {
	c.state, c.trace = connect.StateFailed, c.redact.Text(err.Error())
	c.log.Error("connector failed", "error", c.trace)
	c.kick()
}

func (c *connectorRunner) startTasksLocked(cfgs []connect.Config) {
	c.taskCfgs = cfgs
	c.tasks = make([]*taskRunner, len(cfgs))
	for i, tc := range cfgs {
		t := &taskRunner{
			c:      c,
			id:     i,
			cfg:    tc,
			conf:   c.cfg,
			set:    c.set,
			log:    c.log.With("task", i),
			gate:   c.gate,
			stats:  c.rt.inst.forTask(c.name, i, c.connectorKind()),
			redact: c.redact,
		}
		switch cn := c.conn.(type) {
		case connect.SourceConnector:
			t.make = func() any { return cn.NewTask() }
		case connect.SinkConnector:
			t.make = func() any { return cn.NewTask() }
		}
		c.tasks[i] = t
		t.start(c.rt.ctx)
	}
}

// stopTasksLocked stops every task gracefully: all are told at once, then
// waited for within ctx (and one shared grace period after it).
func (c *connectorRunner) stopTasksLocked(ctx context.Context) error {
	for _, t := range c.tasks {
		t.beginStop(ctx)
	}
	var errs []error
	for _, t := range waitTasks(ctx, c.tasks) {
		errs = append(errs, fmt.Errorf("runtime: stop task %s: %w", taskLabel(c.name, t.id), ctx.Err()))
	}
	c.tasks = nil
	return errors.Join(errs...)
}

// stopLocked stops the tasks and the connector instance.
func (c *connectorRunner) stopLocked(ctx context.Context) error {
	err := c.stopTasksLocked(ctx)
	if c.conn != nil {
		err = errors.Join(err, c.stopConnector(ctx, c.conn))
		c.conn = nil
	}
	return err
}

// reconfigureLocked asks the running connector for task configs again and
// restarts the tasks if they changed.
func (c *connectorRunner) reconfigureLocked() {
	if c.conn == nil || c.removed || (c.state != connect.StateRunning && c.state != connect.StatePaused) {
		return
	}
	var cfgs []connect.Config
	err := safely("task configs", func() error {
		var err error
		cfgs, err = c.conn.TaskConfigs(c.set.tasksMax)
		return err
	})
	if err != nil {
		c.log.Error("task reconfiguration failed", "error", c.redact.Text(err.Error()))
		return
	}
	c.applyTaskConfigsLocked(context.Background(), cfgs)
}

// applyTaskConfigsLocked restarts the tasks with cfgs unless they are the
// configs the tasks run with. ctx bounds stopping the old tasks.
func (c *connectorRunner) applyTaskConfigsLocked(ctx context.Context, cfgs []connect.Config) {
	if len(cfgs) > c.set.tasksMax {
		cfgs = cfgs[:c.set.tasksMax]
	}
	if slices.EqualFunc(cfgs, c.taskCfgs, maps.Equal) && len(c.tasks) == len(cfgs) {
		return
	}
	c.log.Info("task configs changed; restarting tasks", "tasks", len(cfgs))
	ctx, cancel := context.WithTimeout(ctx, c.rt.cfg.shutdownTimeout)
	defer cancel()
	if err := c.stopTasksLocked(ctx); err != nil {
		c.log.Warn("stop tasks for reconfiguration", "error", c.redact.Text(err.Error()))
	}
	c.startTasksLocked(cfgs)
}

// restartInstanceLocked restarts the connector instance only; the tasks
// restart only if their configs change.
func (c *connectorRunner) restartInstanceLocked(ctx context.Context) error {
	if c.conn != nil {
		c.stopConnector(ctx, c.conn)
		c.conn = nil
	}
	conn, cfgs, err := c.launchLocked(ctx)
	if err != nil {
		serr := c.stopTasksLocked(ctx)
		c.failLocked(err)
		return serr
	}
	c.conn = conn
	c.state, c.trace = c.target, ""
	c.applyTaskConfigsLocked(ctx, cfgs)
	return nil
}

// setTargetLocked moves the connector to target (RUNNING, PAUSED or
// STOPPED).
func (c *connectorRunner) setTargetLocked(ctx context.Context, target connect.State) error {
	prev := c.target
	c.target = target
	var err error
	switch {
	case target == connect.StateStopped:
		err = c.stopLocked(ctx)
		c.state, c.trace = connect.StateStopped, ""
	case prev == connect.StateStopped:
		c.startLocked(ctx)
	case c.state == connect.StateFailed:
		// The retry starts it in the new target state.
	case target == connect.StatePaused:
		c.gate.pause()
		c.state = connect.StatePaused
	default:
		c.gate.resume()
		c.state = connect.StateRunning
	}
	return err
}

// reconfigureWithLocked restarts the connector with a new config.
func (c *connectorRunner) reconfigureWithLocked(ctx context.Context, cfg connect.Config, kind connect.ConnectorType) {
	if err := c.stopLocked(ctx); err != nil {
		c.log.Warn("stop for reconfiguration", "error", c.redact.Text(err.Error()))
	}
	c.cfg, c.set = maps.Clone(cfg), parseSettings(cfg)
	c.kind.Store(kind)
	c.startLocked(ctx)
}

// restartLocked restarts the connector instance and, with IncludeTasks,
// its tasks; with OnlyFailed, only failed parts.
func (c *connectorRunner) restartLocked(ctx context.Context, o RestartOptions) error {
	if c.target == connect.StateStopped {
		return fmt.Errorf("runtime: restart connector %q: it is STOPPED; resume it: %w", c.name, connect.ErrConflict)
	}
	switch failed := c.state == connect.StateFailed; {
	case failed, o.IncludeTasks && !o.OnlyFailed:
		c.state = connect.StateRestarting
		c.startLocked(ctx)
	case o.IncludeTasks:
		for _, t := range c.tasks {
			if s := t.status().State; s == connect.StateFailed || s == connect.StateRestarting {
				t.requestRestart()
			}
		}
	case !o.OnlyFailed:
		return c.restartInstanceLocked(ctx)
	}
	return nil
}

// restartTaskLocked restarts task id: at once if it is waiting out a
// restart backoff, else by stopping and starting it.
func (c *connectorRunner) restartTaskLocked(ctx context.Context, id int) error {
	if id < 0 || id >= len(c.tasks) {
		return fmt.Errorf("runtime: task %d of connector %q: %w", id, c.name, connect.ErrNotFound)
	}
	t := c.tasks[id]
	if !t.exited() {
		if t.status().State == connect.StateFailed {
			t.requestRestart() // waiting out its backoff: skip the wait
			return nil
		}
		if err := t.stop(ctx); err != nil {
			t.setState(connect.StateFailed, err.Error())
			return err
		}
	}
	nt := &taskRunner{c: c, id: id, cfg: t.cfg, conf: t.conf, set: t.set, log: t.log, gate: t.gate, make: t.make, stats: t.stats, redact: t.redact}
	c.tasks[id] = nt
	nt.start(c.rt.ctx)
	return nil
}

// shutdown stops everything and ends the loop.
func (c *connectorRunner) shutdown(ctx context.Context) error {
	c.cancelStart()
	c.removedFlag.Store(true)
	c.mu.lock()
	c.removed = true
	err := c.stopLocked(ctx)
	c.unlock()
	close(c.closed)
	c.loopWG.Wait()
	return err
}

// usable returns an error when the runner was removed (deleted, or the
// runtime stopped) while the caller was getting to it.
func (c *connectorRunner) usableLocked() error {
	if c.removed {
		return fmt.Errorf("runtime: connector %q: %w", c.name, connect.ErrNotFound)
	}
	return nil
}

func (c *connectorRunner) connectorKind() connect.ConnectorType {
	return c.kind.Load().(connect.ConnectorType)
}

// isRemoved reports, without mu, whether the runner was shut down.
func (c *connectorRunner) isRemoved() bool { return c.removedFlag.Load() }

// connectorContext implements connect.ConnectorContext.
type connectorContext struct{ c *connectorRunner }

func (cc connectorContext) RequestTaskReconfiguration() { cc.c.kick() }
func (cc connectorContext) Logger() *slog.Logger        { return cc.c.log }
