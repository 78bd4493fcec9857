package memory

import (
	"context"
	"fmt"
	"sync/atomic"

	connect "github.com/openmessaging/connect-go"
)

// reader is a broadcast reader of one topic: its own cursor per queue, no
// group, no hold on retention.
type reader struct {
	closer
	c      *Client
	t      *topic
	next   []int64 // per queue; guarded by t.mu
	wake   chan struct{}
	done   chan struct{}
	rotate atomic.Uint32
}

var _ connect.Subscription = (*reader)(nil)

func (r *reader) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *reader) join() {
	t := r.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if r.isClosed() {
		return
	}
	r.next = make([]int64, len(t.queues))
	for qi := range t.queues {
		r.next[qi] = t.queues[qi].base
	}
	t.readers = append(t.readers, r)
}

func (r *reader) closeWith(ctx context.Context) { r.watch(ctx, r.Close) }

// Fetch blocks until the topic has a message r has not seen, ctx is done or
// r is closed, and returns up to max messages (at least 1) in queue order
// per queue. A reader behind the earliest retained message of a queue skips
// to it. Messages are shared as with group members: read-only.
func (r *reader) Fetch(ctx context.Context, max int) ([]*connect.Message, error) {
	max = clampMax(max)
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("memory: fetch: %w", err)
		}
		if r.isClosed() {
			return nil, fmt.Errorf("memory: fetch: %w", errSubscriptionClosed)
		}
		if out := r.collect(max); len(out) > 0 {
			if len(out) == max {
				r.signal()
			}
			return out, nil
		}
		select {
		case <-r.wake:
		case <-ctx.Done():
		case <-r.done:
		}
	}
}

func (r *reader) collect(limit int) []*connect.Message {
	t := r.t
	var ready readyList // batches the expiry completed
	defer ready.fire()
	t.mu.Lock()
	defer t.mu.Unlock()
	if r.next == nil {
		return nil
	}
	if t.retention > 0 {
		t.expire(t.now(), &ready)
	}
	avail := 0
	for qi := range t.queues {
		q := &t.queues[qi]
		r.next[qi] = max(r.next[qi], q.base)
		avail += int(q.end() - r.next[qi])
	}
	want := min(avail, limit)
	if want == 0 {
		return nil
	}
	buf := make([]connect.Message, want)
	out := make([]*connect.Message, want)
	start := int(r.rotate.Add(1))
	i := 0
	for k := 0; k < len(t.queues) && i < want; k++ {
		qi := (start + k) % len(t.queues)
		q := &t.queues[qi]
		for end := q.end(); r.next[qi] < end && i < want; i++ {
			off := r.next[qi]
			r.next[qi]++
			d := &buf[i]
			*d = *q.at(off)
			d.Queue, d.Offset, d.Redelivered = qi, off, 0
			out[i] = d
		}
	}
	return out
}

// Ack is a no-op: broadcast readers keep no state in the broker.
func (r *reader) Ack(ctx context.Context, msgs ...*connect.Message) error { return nil }

// Nack is a no-op: broadcast readers keep no state in the broker.
func (r *reader) Nack(ctx context.Context, msgs ...*connect.Message) error { return nil }

// Close stops the reader; pending and later Fetch calls return
// connect.ErrClosed. Close is idempotent.
func (r *reader) Close() error {
	if !r.begin() {
		return nil
	}
	close(r.done)
	r.t.mu.Lock()
	r.t.readers = without(r.t.readers, r)
	r.t.mu.Unlock()
	r.c.forget(r)
	return nil
}
