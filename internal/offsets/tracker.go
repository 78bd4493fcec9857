package offsets

import (
	"encoding/json"
	"fmt"
	"sync"

	connect "github.com/openmessaging/connect-go"
)

// Tracker is safe for concurrent use.
type Tracker struct {
	mu    sync.Mutex
	parts map[string]*partition
}

type partition struct {
	queue []*entry // submitted, oldest first
	// committable is the newest position whose entry and all earlier ones
	// were acknowledged, not yet handed out by Committable.
	committable connect.Position
	dirty       bool
}

type entry struct {
	pos   connect.Position
	acked bool
}

// Batch is a set of records submitted together; Ack marks them all delivered.
type Batch struct {
	entries []*entry
}

// New returns an empty Tracker.
func New() *Tracker { return &Tracker{parts: make(map[string]*partition)} }

// Submit registers records (in poll order) and returns the batch handle to
// acknowledge once the transport accepted every record of it. Records without
// a partition are not tracked. A position that would be committed but whose
// offset is not valid JSON is an error: the offset store would refuse it,
// and with it every later commit.
func (t *Tracker) Submit(records []*connect.Record) (*Batch, error) {
	b := &Batch{}
	// Only the newest position per partition in the batch matters: the batch
	// is acknowledged as a whole.
	var last map[string]int
	for i, r := range records {
		if r.Position.Partition == "" {
			continue
		}
		if last == nil {
			last = make(map[string]int, 1)
		}
		last[r.Position.Partition] = i
	}
	if len(last) == 0 {
		return b, nil
	}
	for _, i := range last {
		if p := records[i].Position; !json.Valid(p.Offset) {
			return nil, fmt.Errorf("record at partition %q has an offset that is not valid JSON: %q", p.Partition, p.Offset)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, i := range last {
		pos := records[i].Position
		p := t.parts[pos.Partition]
		if p == nil {
			p = &partition{}
			t.parts[pos.Partition] = p
		}
		e := &entry{pos: pos}
		p.queue = append(p.queue, e)
		b.entries = append(b.entries, e)
	}
	return b, nil
}

// Ack marks every record of b delivered.
func (t *Tracker) Ack(b *Batch) {
	if b == nil || len(b.entries) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, e := range b.entries {
		e.acked = true
		p := t.parts[e.pos.Partition]
		n := 0
		for n < len(p.queue) && p.queue[n].acked {
			p.committable = p.queue[n].pos
			p.dirty = true
			n++
		}
		if n > 0 {
			clear(p.queue[:n])
			p.queue = p.queue[n:]
		}
	}
}

// Committable returns, per partition, the newest position that is safe to
// commit and was not returned before. Call Restore if committing fails.
func (t *Tracker) Committable() []connect.Position {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []connect.Position
	for _, p := range t.parts {
		if p.dirty {
			out = append(out, p.committable)
			p.dirty = false
		}
	}
	return out
}

// Restore marks positions returned by Committable as not committed, so the
// next Committable returns them (or newer ones) again.
func (t *Tracker) Restore(positions []connect.Position) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, pos := range positions {
		if p := t.parts[pos.Partition]; p != nil {
			p.dirty = true
		}
	}
}

// Pending returns how many submitted batch entries await acknowledgement.
func (t *Tracker) Pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, p := range t.parts {
		n += len(p.queue)
	}
	return n
}
