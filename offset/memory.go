package offset

import (
	"context"
	"sync"

	connect "github.com/openmessaging/connect-go"
)

var _ connect.OffsetStore = (*Memory)(nil)

// Memory is an OffsetStore that keeps positions in memory: they are gone
// when the process ends. Offsets are copied in and out, so callers may reuse
// their buffers. The zero value is not usable; call NewMemory.
type Memory struct {
	mu     sync.RWMutex
	data   positions
	closed bool
}

// NewMemory returns an empty store.
func NewMemory() *Memory {
	return &Memory{data: positions{}}
}

// Get returns the stored position of partition, and false when none is.
func (m *Memory) Get(_ context.Context, connector, partition string) (connect.Position, bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return connect.Position{}, false, connect.ErrClosed
	}
	p, ok := m.data.get(connector, partition)
	return p, ok, nil
}

// Put stores positions, replacing earlier ones of the same partitions. When
// a partition appears twice, the later position wins.
func (m *Memory) Put(_ context.Context, connector string, ps ...connect.Position) error {
	ps, err := normalize(connector, ps)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return connect.ErrClosed
	}
	if next, changed := m.data.withPut(connector, ps); changed {
		m.data.set(connector, next)
	}
	return nil
}

// List returns every stored position of connector, sorted by partition.
func (m *Memory) List(_ context.Context, connector string) ([]connect.Position, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, connect.ErrClosed
	}
	return m.data.list(connector), nil
}

// Delete removes the given partitions of connector, or all of them when none
// is given. Unknown partitions are ignored.
func (m *Memory) Delete(_ context.Context, connector string, partitions ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return connect.ErrClosed
	}
	if next, changed := m.data.withDelete(connector, partitions); changed {
		m.data.set(connector, next)
	}
	return nil
}

// DeleteAll removes every partition of connector.
func (m *Memory) DeleteAll(_ context.Context, connector string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return connect.ErrClosed
	}
	if next, changed := m.data.withDeleteAll(connector); changed {
		m.data.set(connector, next)
	}
	return nil
}

// Close drops the stored positions. It is idempotent; other methods return
// connect.ErrClosed after it.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.data = nil
	return nil
}
