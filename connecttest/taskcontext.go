package connecttest

import (
	"context"
	"log/slog"
	"maps"
	"sync"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/offset"
)

var (
	_ connect.ConnectorContext  = (*ConnectorContext)(nil)
	_ connect.SourceTaskContext = (*SourceTaskContext)(nil)
	_ connect.SinkTaskContext   = (*SinkTaskContext)(nil)
	_ connect.QueueSeeker       = (*SinkTaskContext)(nil)
)

var discard = slog.New(slog.DiscardHandler)

// ConnectorContext is a connect.ConnectorContext for driving a connector
// without the runtime. It counts reconfiguration requests and logs nowhere.
type ConnectorContext struct {
	mu       sync.Mutex
	requests int
}

// NewConnectorContext returns a ConnectorContext.
func NewConnectorContext() *ConnectorContext { return &ConnectorContext{} }

// RequestTaskReconfiguration counts the request.
func (c *ConnectorContext) RequestTaskReconfiguration() {
	c.mu.Lock()
	c.requests++
	c.mu.Unlock()
}

// Reconfigurations returns how many times RequestTaskReconfiguration was
// called.
func (c *ConnectorContext) Reconfigurations() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests
}

// Logger returns a logger that discards everything.
func (c *ConnectorContext) Logger() *slog.Logger { return discard }

// progress is the SetProgress half shared by both task contexts.
type progress struct {
	mu sync.Mutex
	m  map[string]any
}

// SetProgress stores a copy of p.
func (p *progress) SetProgress(m map[string]any) {
	p.mu.Lock()
	p.m = maps.Clone(m)
	p.mu.Unlock()
}

// Progress returns a copy of what the task last passed to SetProgress.
func (p *progress) Progress() map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.m)
}

// SourceTaskContext is a connect.SourceTaskContext for driving a source task
// without the runtime: Offset reads from an OffsetStore the test controls.
type SourceTaskContext struct {
	connector string
	id        int
	store     connect.OffsetStore
	progress
}

// NewSourceTaskContext returns the context of task id of connector, reading
// stored positions from store (a new offset.Memory when nil). To resume a
// task as the runtime would, Put the positions of the records it polled into
// store, then start a new task with the same store.
func NewSourceTaskContext(connector string, id int, store connect.OffsetStore) *SourceTaskContext {
	if store == nil {
		store = offset.NewMemory()
	}
	return &SourceTaskContext{connector: connector, id: id, store: store}
}

// Connector returns the connector name.
func (c *SourceTaskContext) Connector() string { return c.connector }

// TaskID returns the task's index.
func (c *SourceTaskContext) TaskID() int { return c.id }

// Offset returns the position of partition stored for the connector.
func (c *SourceTaskContext) Offset(ctx context.Context, partition string) (connect.Position, bool, error) {
	return c.store.Get(ctx, c.connector, partition)
}

// Store returns the OffsetStore Offset reads from.
func (c *SourceTaskContext) Store() connect.OffsetStore { return c.store }

// Logger returns a logger that discards everything.
func (c *SourceTaskContext) Logger() *slog.Logger { return discard }

// SinkTaskContext is a connect.SinkTaskContext for driving a sink task
// without the runtime.
type SinkTaskContext struct {
	connector string
	id        int
	progress

	seekMu sync.Mutex
	seeks  map[connect.QueueRef]int64
}

// Seek records a seek the task asks for (connect.QueueSeeker); Seeks
// returns them.
func (c *SinkTaskContext) Seek(q connect.QueueRef, offset int64) error {
	c.seekMu.Lock()
	defer c.seekMu.Unlock()
	if c.seeks == nil {
		c.seeks = make(map[connect.QueueRef]int64)
	}
	c.seeks[q] = offset
	return nil
}

// Seeks returns the latest offset the task asked for per queue, and
// forgets them.
func (c *SinkTaskContext) Seeks() map[connect.QueueRef]int64 {
	c.seekMu.Lock()
	defer c.seekMu.Unlock()
	s := c.seeks
	c.seeks = nil
	return s
}

// NewSinkTaskContext returns the context of task id of connector.
func NewSinkTaskContext(connector string, id int) *SinkTaskContext {
	return &SinkTaskContext{connector: connector, id: id}
}

// Connector returns the connector name.
func (c *SinkTaskContext) Connector() string { return c.connector }

// TaskID returns the task's index.
func (c *SinkTaskContext) TaskID() int { return c.id }

// Logger returns a logger that discards everything.
func (c *SinkTaskContext) Logger() *slog.Logger { return discard }
