package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	connect "github.com/openmessaging/connect-go"
)

// groupSub is one member of a consumer group, on one or more topics.
type groupSub struct {
	closer
	c      *Client
	group  string
	parts  []membership  // one per topic; fixed after Subscribe
	wake   chan struct{} // capacity 1: "something may be ready"
	done   chan struct{} // closed by Close
	rotate atomic.Uint32 // where the next Fetch starts, so no queue starves
	gen    atomic.Uint64 // changes whenever a queue moves to or from s (QueueOwner)
}

// membership is a member's place on one topic. g is set by join and
// guarded by t.mu.
type membership struct {
	t *topic
	g *group
}

var (
	_ connect.Subscription = (*groupSub)(nil)
	_ connect.QueueOwner   = (*groupSub)(nil)
)

func (s *groupSub) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *groupSub) join(p *membership) {
	p.t.mu.Lock()
	defer p.t.mu.Unlock()
	if s.isClosed() { // closed while Subscribe was joining
		return
	}
	p.g = p.t.groupFor(s.group)
	p.g.members = append(p.g.members, s)
	p.g.rebalance()
}

func (s *groupSub) leave(p *membership) {
	p.t.mu.Lock()
	defer p.t.mu.Unlock()
	if p.g == nil {
		return
	}
	p.g.members = without(p.g.members, s)
	p.g.rebalance()
}

func (s *groupSub) closeWith(ctx context.Context) { s.watch(ctx, s.Close) }

// Fetch blocks until a queue s owns has a message to deliver, ctx is done
// or s is closed, and returns up to max messages (at least 1), in queue
// order per queue. The messages are copies carrying their Queue, Offset
// and Redelivered count; their Key, Value and Headers are shared with the
// broker and must not be modified.
func (s *groupSub) Fetch(ctx context.Context, max int) ([]*connect.Message, error) {
	max = clampMax(max)
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("memory: fetch: %w", err)
		}
		if s.isClosed() {
			return nil, fmt.Errorf("memory: fetch: %w", errSubscriptionClosed)
		}
		if out := s.collect(max); len(out) > 0 {
			if len(out) == max {
				s.signal() // more may be ready for a concurrent Fetch
			}
			return out, nil
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
		case <-s.done:
		}
	}
}

func (s *groupSub) collect(limit int) []*connect.Message {
	var out []*connect.Message
	var ready readyList // batches the expiry completed
	start := int(s.rotate.Add(1))
	for k := 0; k < len(s.parts) && len(out) < limit; k++ {
		p := &s.parts[(start+k)%len(s.parts)]
		p.t.mu.Lock()
		if p.t.retention > 0 {
			p.t.expire(p.t.now(), &ready)
		}
		if p.g != nil {
			out = p.g.fetch(p.t, s, out, limit, start)
		}
		p.t.mu.Unlock()
	}
	ready.fire()
	return out
}

// Ack acknowledges msgs for the group. Acks of messages whose queue moved
// to another member since they were delivered are ignored: the new owner
// gets them again. After Close, Ack returns connect.ErrClosed. The
// consumed callbacks of the PublishTracked batches the Ack completes run
// on the calling goroutine before Ack returns.
func (s *groupSub) Ack(ctx context.Context, msgs ...*connect.Message) error {
	return s.settle(true, msgs)
}

// Nack asks for msgs to be delivered again: each one's queue rewinds to it,
// so it and the later unacknowledged messages of its queue come again, in
// order. Nacks of messages whose queue moved away are ignored. After Close,
// Nack returns connect.ErrClosed.
func (s *groupSub) Nack(ctx context.Context, msgs ...*connect.Message) error {
	return s.settle(false, msgs)
}

// settle applies Ack (ack true) or Nack to msgs, locking each topic once per
// run of messages of that topic. Where an ack moved a committed offset the
// topic is trimmed, and the tracked batches that completed are called at
// the end, with no lock held; where a nack rewound a queue s is woken.
func (s *groupSub) settle(ack bool, msgs []*connect.Message) error {
	if s.isClosed() {
		op := "nack"
		if ack {
			op = "ack"
		}
		return fmt.Errorf("memory: %s: %w", op, errSubscriptionClosed)
	}
	var ready readyList
	defer ready.fire()
	for i := 0; i < len(msgs); {
		if msgs[i] == nil {
			i++
			continue
		}
		p := s.part(msgs[i].Topic)
		j := i + 1
		for j < len(msgs) && (msgs[j] == nil || msgs[j].Topic == msgs[i].Topic) {
			j++
		}
		if p != nil {
			p.t.mu.Lock()
			if p.g != nil {
				changed := false
				for _, m := range msgs[i:j] {
					switch {
					case m == nil:
					case ack:
						changed = p.g.ack(s, m) || changed
					default:
						changed = p.g.nack(s, m) || changed
					}
				}
				switch {
				case changed && ack:
					p.t.trim(&ready)
				case changed:
					s.signal()
				}
			}
			p.t.mu.Unlock()
		}
		i = j
	}
	return nil
}

func (s *groupSub) part(topic string) *membership {
	for i := range s.parts {
		if s.parts[i].t.name == topic {
			return &s.parts[i]
		}
	}
	return nil
}

// Close leaves the group: the queues s owned go to the remaining members,
// which get what s received but did not acknowledge. Pending and later
// Fetch calls return connect.ErrClosed. Close is idempotent.
func (s *groupSub) Close() error {
	if !s.begin() {
		return nil
	}
	close(s.done)
	for i := range s.parts {
		s.leave(&s.parts[i])
	}
	s.c.forget(s)
	return nil
}

// Owned returns the queues s owns, sorted by topic and queue, and a
// generation that changes whenever a rebalance moves a queue to or from s.
func (s *groupSub) Owned() ([]connect.QueueRef, uint64) {
	gen := s.gen.Load()
	var out []connect.QueueRef
	for i := range s.parts {
		p := &s.parts[i]
		p.t.mu.Lock()
		if p.g != nil {
			for qi := range p.g.cursors {
				if p.g.cursors[qi].owner == s {
					out = append(out, connect.QueueRef{Topic: p.t.name, Queue: qi})
				}
			}
		}
		p.t.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b connect.QueueRef) int {
		return cmp.Or(strings.Compare(a.Topic, b.Topic), cmp.Compare(a.Queue, b.Queue))
	})
	// gen was loaded before the queues: a rebalance while they were read
	// shows as a newer generation on the next call.
	return out, gen
}

// Seek repositions the group on queue q of s: see connect.QueueOwner.
// Offsets outside the retained messages are clamped to them.
func (s *groupSub) Seek(ctx context.Context, q connect.QueueRef, offset int64) error {
	if s.isClosed() {
		return fmt.Errorf("memory: seek: %w", errSubscriptionClosed)
	}
	p := s.part(q.Topic)
	if p == nil {
		return fmt.Errorf("memory: seek %s/%d: not subscribed to topic %s: %w", q.Topic, q.Queue, q.Topic, connect.ErrConflict)
	}
	var ready readyList
	defer ready.fire()
	p.t.mu.Lock()
	defer p.t.mu.Unlock()
	if p.g == nil || q.Queue < 0 || q.Queue >= len(p.g.cursors) || p.g.cursors[q.Queue].owner != s {
		return fmt.Errorf("memory: seek %s/%d: the member does not own the queue: %w", q.Topic, q.Queue, connect.ErrConflict)
	}
	tq := &p.t.queues[q.Queue]
	off := min(max(offset, tq.base), tq.end())
	p.g.cursors[q.Queue].seek(off)
	p.t.trim(&ready)
	s.signal()
	return nil
}

func clampMax(max int) int {
	if max < 1 {
		return 1
	}
	return max
}
