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
)

// connectorRunner owns one connector instance and its tasks. Its methods
// are serialised by mu; task goroutines only use what they were built with.
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

	mu       sync.Mutex
	cfg      connect.Config // as given by the user
	set      settings
	target   connect.State // RUNNING, PAUSED or STOPPED: what the user asked for
	conn     connect.Connector
	state    connect.State
	trace    string
	tasks    []*taskRunner
	taskCfgs []connect.Config
	removed  bool
	redact   *redactor // hides the config's secrets from logs and traces
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
	}
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
			c.mu.Lock()
			c.reconfigureLocked()
			c.mu.Unlock()
		case <-retry:
			retry = nil
			c.mu.Lock()
			if c.state == connect.StateFailed && c.target != connect.StateStopped && !c.removed {
				c.state = connect.StateRestarting
				c.startLocked()
			}
			c.mu.Unlock()
		}
		c.mu.Lock()
		failed := c.state == connect.StateFailed && !c.removed
		c.mu.Unlock()
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
// target, stopping what runs first. A failure leaves the connector FAILED;
// the loop retries it with backoff.
func (c *connectorRunner) startLocked() {
	if c.conn != nil || len(c.tasks) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), c.rt.cfg.shutdownTimeout)
		if err := c.stopLocked(ctx); err != nil {
			c.log.Warn("stop before restart", "error", c.redact.text(err.Error()))
		}
		cancel()
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
	conn, cfgs, err := c.launchLocked()
	if err != nil {
		c.failLocked(err)
		return
	}
	c.conn = conn
	c.state, c.trace = c.target, ""
	c.startTasksLocked(cfgs)
}

// launchLocked makes and starts a connector instance and asks it for task
// configs. On an error nothing of it keeps running.
func (c *connectorRunner) launchLocked() (connect.Connector, []connect.Config, error) {
	factory := c.rt.cfg.plugins[c.set.class]
	if factory == nil {
		return nil, nil, fmt.Errorf("plugin %q is not registered with this worker", c.set.class)
	}
	var conn connect.Connector
	err := safely("connector start", func() error {
		conn = factory()
		spec := conn.Spec()
		c.redact = newRedactor(spec.Config, c.cfg)
		return conn.Start(c.startCtx, connectorContext{c}, spec.Config.Apply(c.cfg))
	})
	if err != nil {
		if conn != nil {
			c.stopConnector(conn)
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
		c.stopConnector(conn)
		return nil, nil, fmt.Errorf("task configs: %w", err)
	}
	if len(cfgs) > c.set.tasksMax {
		cfgs = cfgs[:c.set.tasksMax]
	}
	return conn, cfgs, nil
}

// stopConnector stops a connector instance within the shutdown timeout.
func (c *connectorRunner) stopConnector(conn connect.Connector) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.rt.cfg.shutdownTimeout)
	defer cancel()
	err := safely("connector stop", func() error { return conn.Stop(ctx) })
	if err != nil {
		err = fmt.Errorf("stop connector %s: %w", c.name, err)
		c.log.Warn("connector stop failed", "error", c.redact.text(err.Error()))
	}
	return err
}

func (c *connectorRunner) failLocked(err error) {
	c.state, c.trace = connect.StateFailed, c.redact.text(err.Error())
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
			set:    c.set,
			log:    c.log.With("task", i),
			gate:   c.gate,
			stats:  c.rt.inst.forTask(c.name, i),
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
		err = errors.Join(err, c.stopConnector(c.conn))
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
		c.log.Error("task reconfiguration failed", "error", c.redact.text(err.Error()))
		return
	}
	c.applyTaskConfigsLocked(cfgs)
}

// applyTaskConfigsLocked restarts the tasks with cfgs unless they are the
// configs the tasks run with.
func (c *connectorRunner) applyTaskConfigsLocked(cfgs []connect.Config) {
	if len(cfgs) > c.set.tasksMax {
		cfgs = cfgs[:c.set.tasksMax]
	}
	if slices.EqualFunc(cfgs, c.taskCfgs, maps.Equal) && len(c.tasks) == len(cfgs) {
		return
	}
	c.log.Info("task configs changed; restarting tasks", "tasks", len(cfgs))
	ctx, cancel := context.WithTimeout(context.Background(), c.rt.cfg.shutdownTimeout)
	defer cancel()
	if err := c.stopTasksLocked(ctx); err != nil {
		c.log.Warn("stop tasks for reconfiguration", "error", c.redact.text(err.Error()))
	}
	c.startTasksLocked(cfgs)
}

// restartInstanceLocked restarts the connector instance only; the tasks
// restart only if their configs change.
func (c *connectorRunner) restartInstanceLocked(ctx context.Context) error {
	if c.conn != nil {
		c.stopConnector(c.conn)
		c.conn = nil
	}
	conn, cfgs, err := c.launchLocked()
	if err != nil {
		serr := c.stopTasksLocked(ctx)
		c.failLocked(err)
		return serr
	}
	c.conn = conn
	c.state, c.trace = c.target, ""
	c.applyTaskConfigsLocked(cfgs)
	return nil
}

// shutdown stops everything and ends the loop.
func (c *connectorRunner) shutdown(ctx context.Context) error {
	c.cancelStart()
	c.mu.Lock()
	c.removed = true
	err := c.stopLocked(ctx)
	c.mu.Unlock()
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

func (c *connectorRunner) status() connect.ConnectorStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := connect.ConnectorStatus{
		Name: c.name, Type: c.connectorKind(), State: c.state, WorkerID: c.rt.workerID, Trace: c.trace,
		Tasks: make([]connect.TaskStatus, 0, len(c.tasks)),
	}
	for _, t := range c.tasks {
		ts := t.status()
		if c.state == connect.StatePaused && ts.State == connect.StateRunning {
			ts.State = connect.StatePaused
		}
		st.Tasks = append(st.Tasks, ts)
	}
	return st
}

// connectorContext implements connect.ConnectorContext.
type connectorContext struct{ c *connectorRunner }

func (cc connectorContext) RequestTaskReconfiguration() { cc.c.kick() }
func (cc connectorContext) Logger() *slog.Logger        { return cc.c.log }
