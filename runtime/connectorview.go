package runtime

import (
	"context"
	"maps"

	connect "github.com/openmessaging/connect-go"
)

// connectorView is an immutable snapshot of a connector for readers
// (status, config, task configs, drain). A runner publishes a new one with
// every change, so that reads never wait for a change in progress.
type connectorView struct {
	cfg      connect.Config
	topics   []string
	target   connect.State
	state    connect.State
	trace    string
	tasks    []*taskRunner
	taskCfgs []connect.Config
}

// publishLocked stores the current state as the view readers see.
func (c *connectorRunner) publishLocked() {
	c.view.Store(&connectorView{
		cfg:      c.cfg,
		topics:   c.set.topics,
		target:   c.target,
		state:    c.state,
		trace:    c.trace,
		tasks:    append([]*taskRunner(nil), c.tasks...),
		taskCfgs: c.taskCfgs,
	})
}

// unlock publishes the state and releases mu.
func (c *connectorRunner) unlock() {
	c.publishLocked()
	c.mu.unlock()
}

func (c *connectorRunner) status() connect.ConnectorStatus {
	v := c.view.Load()
	st := connect.ConnectorStatus{
		Name: c.name, Type: c.connectorKind(), State: v.state, WorkerID: c.rt.workerID, Trace: v.trace,
		Tasks: make([]connect.TaskStatus, 0, len(v.tasks)),
	}
	for _, t := range v.tasks {
		ts := t.status()
		if v.state == connect.StatePaused && ts.State == connect.StateRunning {
			ts.State = connect.StatePaused
		}
		st.Tasks = append(st.Tasks, ts)
	}
	return st
}

func (c *connectorRunner) config() connect.Config { return maps.Clone(c.view.Load().cfg) }

func (c *connectorRunner) taskConfigs() []connect.Config {
	v := c.view.Load()
	out := make([]connect.Config, len(v.taskCfgs))
	for i, tc := range v.taskCfgs {
		out[i] = maps.Clone(tc)
	}
	return out
}

// ctxLock is a mutex whose Lock can give up when a context is done, so
// that an API call waiting behind a slow plugin honours its deadline.
type ctxLock struct{ ch chan struct{} }

func newCtxLock() ctxLock { return ctxLock{ch: make(chan struct{}, 1)} }

func (l ctxLock) lock() { l.ch <- struct{}{} }

func (l ctxLock) lockCtx(ctx context.Context) error {
	select {
	case l.ch <- struct{}{}:
		return nil
	default:
	}
	select {
	case l.ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l ctxLock) unlock() { <-l.ch }
