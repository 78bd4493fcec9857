package connecttest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	connect "github.com/openmessaging/connect-go"
)

var _ connect.SinkTask = (*collectorTask)(nil)

// ErrInjected is what Collector's Put and Flush return when a failure was
// asked for with FailPut or FailFlush without an error of its own.
var ErrInjected = errors.New("connecttest: injected failure")

// Collector is a sink that keeps what it receives in memory, for tests. One
// Collector is shared by every connector and task made from it (the runtime
// creates tasks through the connector), so a test holds the Collector and
// hands the runtime a factory:
//
//	col := connecttest.NewCollector()
//	func() connect.Connector { return col.Connector() }
//
// Records a task Puts stay pending in that task until its next successful
// Flush, and only then count as collected: what Records returns is what the
// runtime was told is durable, so a test of at-least-once delivery checks
// exactly the promise. A failed Flush discards the task's pending records,
// as a sink that lost its buffer would, so a runtime that acknowledges them
// anyway loses them visibly. Stop discards them too.
//
// All methods are safe for concurrent use.
type Collector struct {
	mu        sync.Mutex
	records   []*connect.Record
	changed   chan struct{} // closed and replaced when records grow
	putFail   injected
	flushFail injected
}

// injected is a failure to return the next n times (every time when n < 0).
type injected struct {
	n   int
	err error
}

func (f *injected) next() error {
	if f.n == 0 {
		return nil
	}
	if f.n > 0 {
		f.n--
	}
	return f.err
}

func (f *injected) set(n int, err error) {
	if err == nil {
		err = ErrInjected
	}
	*f = injected{n: n, err: err}
}

// NewCollector returns an empty Collector.
func NewCollector() *Collector {
	return &Collector{changed: make(chan struct{})}
}

// Connector returns a new sink connector writing into c. Its tasks split
// nothing: TaskConfigs returns maxTasks copies of the connector's config.
func (c *Collector) Connector() connect.SinkConnector {
	return connect.NewSink(collectorSpec, func() connect.SinkTask { return &collectorTask{c: c} },
		connect.WithParallelTasks())
}

var collectorSpec = connect.Spec{
	Name:        "Collector",
	Version:     "test",
	Description: "Keeps the records it receives in memory, for tests.",
}

// FailPut makes the next n calls of Put, across all tasks, fail with err
// (ErrInjected when nil) without keeping their records; n < 0 makes every
// call fail, n == 0 stops failing. Wrap err with connect.Retriable to test
// retries. When err is a *connect.BatchError, the records it does not name
// are kept, as the partial failure it reports says.
func (c *Collector) FailPut(n int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putFail.set(n, err)
}

// FailFlush makes the next n calls of Flush, across all tasks, fail with err
// (ErrInjected when nil) and discard the task's pending records; n < 0 makes
// every call fail, n == 0 stops failing.
func (c *Collector) FailFlush(n int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushFail.set(n, err)
}

// Records returns the collected records (flushed by some task), in the order
// their flushes completed, in Put order within a flush. Duplicates delivered
// again by the runtime appear again.
func (c *Collector) Records() []*connect.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.records)
}

// Len returns the number of collected records.
func (c *Collector) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.records)
}

// WaitFor blocks until at least n records are collected or ctx is done; then
// it returns an error saying how many were.
func (c *Collector) WaitFor(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		have, changed := len(c.records), c.changed
		c.mu.Unlock()
		if have >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("connecttest: collected %d of %d records: %w", have, n, ctx.Err())
		}
	}
}

func (c *Collector) collect(rs []*connect.Record) {
	if len(rs) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = append(c.records, rs...)
	close(c.changed)
	c.changed = make(chan struct{})
}

// collectorTask is used from one goroutine at a time, as the SinkTask
// contract says, so only the Collector needs a lock.
type collectorTask struct {
	c       *Collector
	pending []*connect.Record
	stopped bool
}

func (t *collectorTask) Start(context.Context, connect.SinkTaskContext, connect.Config) error {
	return nil
}

func (t *collectorTask) Put(_ context.Context, records []*connect.Record) error {
	if t.stopped {
		return connect.ErrClosed
	}
	t.c.mu.Lock()
	err := t.c.putFail.next()
	t.c.mu.Unlock()
	var partial *connect.BatchError
	if err != nil && !errors.As(err, &partial) {
		return err
	}
	for i, r := range records {
		if partial != nil && slices.ContainsFunc(partial.Failed, func(f connect.RecordError) bool { return f.Index == i }) {
			continue
		}
		t.pending = append(t.pending, r.Clone())
	}
	return err
}

func (t *collectorTask) Flush(context.Context) error {
	if t.stopped {
		return connect.ErrClosed
	}
	t.c.mu.Lock()
	err := t.c.flushFail.next()
	t.c.mu.Unlock()
	pending := t.pending
	t.pending = nil
	if err != nil {
		return err
	}
	t.c.collect(pending)
	return nil
}

func (t *collectorTask) Stop(context.Context) error {
	t.stopped = true
	t.pending = nil
	return nil
}
