package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	connect "github.com/openmessaging/connect-go"
)

// connectorRunner owns one connector instance and its tasks. Its methods
// are serialised by mu; task goroutines only read what they were built with.
type connectorRunner struct {
	rt      *Runtime
	name    string
	log     *slog.Logger
	gate    *gate
	reconf  chan struct{} // RequestTaskReconfiguration signals
	stopped chan struct{} // closed when the runner is removed or the runtime stops
	loopWG  sync.WaitGroup

	mu        sync.Mutex
	cfg       connect.Config // as given by the user
	set       settings
	kind      connect.ConnectorType
	target    connect.State // RUNNING, PAUSED or STOPPED: what the user asked for
	conn      connect.Connector
	state     connect.State
	trace     string
	tasks     []*taskRunner
	taskCfgs  []connect.Config
	retryAt   time.Time
	failures  int
	removed   bool
	lastStart time.Time
	redact    *redactor // hides the config's secrets from logs and traces
}

func newConnectorRunner(rt *Runtime, name string, cfg connect.Config, kind connect.ConnectorType) *connectorRunner {
	c := &connectorRunner{
		rt:      rt,
		name:    name,
		log:     rt.log.With("connector", name),
		gate:    newGate(),
		reconf:  make(chan struct{}, 1),
		stopped: make(chan struct{}),
		cfg:     cfg,
		set:     parseSettings(cfg),
		kind:    kind,
		target:  connect.StateRunning,
		state:   connect.StateUnassigned,
	}
	c.loopWG.Add(1)
	go c.loop()
	return c
}

// loop handles reconfiguration requests and retries a failed connector
// start with backoff. It ends when the runner is shut down.
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
		case <-c.stopped:
			if timer != nil {
				timer.Stop()
			}
			return
		case <-c.reconf:
			c.mu.Lock()
			c.reconfigureLocked(c.rt.ctx)
			c.mu.Unlock()
		case <-retry:
			retry = nil
			c.mu.Lock()
			if c.state == connect.StateFailed && c.target != connect.StateStopped && !c.removed {
				c.state = connect.StateRestarting
				c.startLocked(c.rt.ctx)
			}
			c.mu.Unlock()
		}
		c.mu.Lock()
		failed := c.state == connect.StateFailed && !c.removed
		if failed && retry == nil {
			d := bo.NextBackOff()
			c.retryAt = time.Now().Add(d)
			timer = time.NewTimer(d)
			retry = timer.C
		} else if !failed {
			bo.Reset()
		}
		c.mu.Unlock()
	}
}

// kick wakes the loop so that it notices a failure and schedules a retry.
func (c *connectorRunner) kick() {
	select {
	case c.reconf <- struct{}{}:
	default:
	}
}

// startLocked starts the connector instance and its tasks according to
// target. A failure leaves the connector FAILED; the loop retries.
func (c *connectorRunner) startLocked(ctx context.Context) {
	if c.target == connect.StateStopped {
		c.state = connect.StateStopped
		return
	}
	if c.target == connect.StatePaused {
		c.gate.pause()
	} else {
		c.gate.resume()
	}
	factory := c.rt.cfg.plugins[c.set.class]
	conn := factory()
	spec := conn.Spec()
	c.redact = newRedactor(spec.Config, c.cfg)
	pluginCfg := spec.Config.Apply(c.cfg)
	c.lastStart = time.Now()
	if err := conn.Start(ctx, connectorContext{c}, pluginCfg); err != nil {
		c.failLocked(fmt.Errorf("start connector: %w", err))
		if serr := conn.Stop(ctx); serr != nil {
			c.log.Warn("connector stop after failed start", "error", serr)
		}
		return
	}
	c.conn = conn
	cfgs, err := conn.TaskConfigs(c.set.tasksMax)
	if err != nil {
		c.failLocked(fmt.Errorf("task configs: %w", err))
		return
	}
	if len(cfgs) > c.set.tasksMax {
		cfgs = cfgs[:c.set.tasksMax]
	}
	c.state, c.trace = c.target, ""
	c.startTasksLocked(cfgs)
}

func (c *connectorRunner) failLocked(err error) {
	c.state, c.trace = connect.StateFailed, c.redact.text(err.Error())
	c.failures++
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
			log:    c.log.With("task", i),
			gate:   c.gate,
			stats:  c.rt.inst.forTask(c.name, i),
			redact: c.redact,
		}
		conn := c.conn
		switch cn := conn.(type) {
		case connect.SourceConnector:
			t.make = func() any { return cn.NewTask() }
		case connect.SinkConnector:
			t.make = func() any { return cn.NewTask() }
		}
		c.tasks[i] = t
		t.start(c.rt.ctx)
	}
}

// stopLocked stops the tasks (gracefully, within ctx) and the connector
// instance.
func (c *connectorRunner) stopLocked(ctx context.Context) error {
	var errs []error
	for _, t := range c.tasks {
		t.cancel()
	}
	for _, t := range c.tasks {
		if err := t.stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	c.tasks = nil
	if c.conn != nil {
		if err := c.conn.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop connector %s: %w", c.name, err))
		}
		c.conn = nil
	}
	return errors.Join(errs...)
}

func (c *connectorRunner) reconfigureLocked(ctx context.Context) {
	if c.conn == nil || c.removed {
		return
	}
	cfgs, err := c.conn.TaskConfigs(c.set.tasksMax)
	if err != nil {
		c.log.Error("task reconfiguration failed", "error", c.redact.text(err.Error()))
		return
	}
	if len(cfgs) > c.set.tasksMax {
		cfgs = cfgs[:c.set.tasksMax]
	}
	if slices.EqualFunc(cfgs, c.taskCfgs, maps.Equal) {
		return
	}
	c.log.Info("task configs changed; restarting tasks", "tasks", len(cfgs))
	stopCtx, cancel := context.WithTimeout(ctx, c.rt.cfg.shutdownTimeout)
	defer cancel()
	for _, t := range c.tasks {
		if err := t.stop(stopCtx); err != nil {
			c.log.Warn("stop task for reconfiguration", "error", err)
		}
	}
	c.startTasksLocked(cfgs)
}

// shutdown stops everything and ends the loop.
func (c *connectorRunner) shutdown(ctx context.Context) error {
	c.mu.Lock()
	c.removed = true
	err := c.stopLocked(ctx)
	c.mu.Unlock()
	close(c.stopped)
	c.loopWG.Wait()
	return err
}

func (c *connectorRunner) status() connect.ConnectorStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := connect.ConnectorStatus{
		Name: c.name, Type: c.kind, State: c.state, WorkerID: c.rt.workerID, Trace: c.trace,
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
