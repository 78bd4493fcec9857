package rocketmq

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	connect "github.com/openmessaging/connect-go"
)

var _ connect.QueueOwner = (*subscription)(nil)

// Owned returns the queues the member owns, as the allocation strategy
// last gave them (the client starts pulling a queue it gets a moment
// later), and a generation that changes whenever that set changes.
// Broadcast readers own nothing.
func (s *subscription) Owned() ([]connect.QueueRef, uint64) {
	if s.broadcast {
		return nil, 0
	}
	mqs, gen := s.alloc.owned()
	out := make([]connect.QueueRef, 0, len(mqs))
	for _, mq := range mqs {
		out = append(out, connect.QueueRef{Topic: mq.Topic, Queue: s.t.routes.index(mq.Topic, mq.BrokerName, mq.QueueId)})
	}
	slices.SortFunc(out, func(a, b connect.QueueRef) int {
		return cmp.Or(strings.Compare(a.Topic, b.Topic), cmp.Compare(a.Queue, b.Queue))
	})
	return out, gen
}

// maxSeekAttempts bounds how often Seek restarts a queue's pull before it
// gives up: an attempt fails when a rebalance of the client's own runs at
// the same moment, or the broker has not stored the offset yet when the
// new pull reads it.
const maxSeekAttempts = 20

// Seek repositions the group on queue q, which the member owns: see
// connect.QueueOwner. The client keeps a queue's pull position to itself,
// so Seek restarts the pull: it sets the group's offset of q in the
// client, leaves q out of what the allocation strategy gives the client
// and rebalances (the client drops its pull of q and writes the offset to
// the broker), then gives q back and rebalances again (the client starts a
// new pull of q from the offset the broker holds), and checks that the new
// pull starts at offset, else it tries again. The member keeps owning q
// throughout (Owned does not change). Messages of q fetched before Seek
// and not acknowledged are forgotten: an Ack or Nack of them does nothing.
//
// An offset below the oldest message the subscription saw the broker
// retain is raised to it. An offset past the queue's end, or below its
// oldest message when the subscription has seen none, makes the broker
// answer the new pull with a corrected offset, after which the client
// pauses the queue 10s and restarts its pull within its next rebalance
// (20s): the next message of q comes from the corrected offset, late.
func (s *subscription) Seek(ctx context.Context, q connect.QueueRef, offset int64) error {
	if s.broadcast {
		return fmt.Errorf("rocketmq: seek %s/%d: a broadcast reader owns no queue: %w", q.Topic, q.Queue, connect.ErrConflict)
	}
	s.seekMu.Lock()
	defer s.seekMu.Unlock()
	s.clientMu.RLock()
	defer s.clientMu.RUnlock()
	if s.shutdown {
		return fmt.Errorf("rocketmq: seek %s/%d: %w", q.Topic, q.Queue, connect.ErrClosed)
	}
	mq, ok := s.ownedQueue(q)
	if !ok {
		return fmt.Errorf("rocketmq: seek %s/%d: the member does not own the queue: %w", q.Topic, q.Queue, connect.ErrConflict)
	}
	id := queueID{mq.Topic, mq.BrokerName, mq.QueueId}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("rocketmq: seek %s/%d: %w", q.Topic, q.Queue, connect.ErrClosed)
	}
	offset = max(offset, 0)
	if l := s.lags[id]; l != nil {
		offset = max(offset, l.start)
	}
	// commit asserts the offset from now on: the client's pull of q
	// that Seek stops may still move the client's offset of q when its
	// long poll returns.
	s.sought[mq] = soughtOffset{offset, s.alloc.generation()}
	s.mu.Unlock()

	err := s.restartPull(ctx, mq, offset)
	if err != nil {
		s.mu.Lock()
		if s.sought != nil {
			delete(s.sought, mq) // where the pull is now is not known
		}
		s.mu.Unlock()
	}
	s.forgetDropped(id)
	if err != nil {
		return fmt.Errorf("rocketmq: seek %s/%d to %d: %w", q.Topic, q.Queue, offset, err)
	}
	s.log.Debug("sought", "topic", mq.Topic, "queue", mq.QueueId, "offset", offset)
	return nil
}

// restartPull makes the client pull mq from offset: see Seek.
func (s *subscription) restartPull(ctx context.Context, mq primitive.MessageQueue, offset int64) error {
	// A rebalance of the client's that gave the member q may still be
	// starting its pull: wait for it, so that it does not start a second.
	for wait := 0; !s.pc.Pulling(mq) && wait < 300; wait++ {
		if !sleepCtx(ctx, 10*time.Millisecond) {
			return ctx.Err()
		}
	}
	// Removing a queue from the client drops the client's offsets of the
	// member's other queues from memory until their next Ack: write them
	// first.
	s.persist()
	for attempt := 1; ; attempt++ {
		err := guard("seek", func() error {
			s.alloc.exclude(mq, true)
			defer s.alloc.exclude(mq, false)
			if err := s.pc.UpdateOffset(&mq, offset); err != nil {
				return err
			}
			s.pc.Rebalance() // drops the pull, writes offset to the broker
			s.alloc.exclude(mq, false)
			s.pc.Rebalance() // a new pull, from the broker's offset
			return nil
		})
		if err != nil {
			return err
		}
		// The client keeps the offset a new pull starts from (read from
		// the broker); when no new pull started, the offset Seek set
		// stays, and the client's next rebalance starts one from it.
		cur, cerr := s.pc.CurrentOffset(&mq)
		if cerr == nil && cur == offset {
			return nil
		}
		if !s.alloc.holds(mq) {
			return fmt.Errorf("the queue moved to another member: %w", connect.ErrConflict)
		}
		if attempt == maxSeekAttempts {
			return fmt.Errorf("the client's pull of the queue starts at %d after %d attempts", cur, attempt)
		}
		s.log.Debug("seek: the new pull starts elsewhere; again", "topic", mq.Topic, "queue", mq.QueueId, "offset", offset, "start", cur, "error", cerr)
		if !sleepCtx(ctx, min(time.Duration(attempt)*10*time.Millisecond, 200*time.Millisecond)) {
			return ctx.Err()
		}
	}
}

// ownedQueue returns the queue of the member that q names.
func (s *subscription) ownedQueue(q connect.QueueRef) (primitive.MessageQueue, bool) {
	mqs, _ := s.alloc.owned()
	for _, mq := range mqs {
		if mq.Topic == q.Topic && s.t.routes.index(mq.Topic, mq.BrokerName, mq.QueueId) == q.Queue {
			return *mq, true
		}
	}
	return primitive.MessageQueue{}, false
}

// forgetDropped drops the messages of queue id taken from a pull the
// client dropped: Fetch would skip them, and an Ack or Nack of them is to
// do nothing.
func (s *subscription) forgetDropped(id queueID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dropped := func(d *delivery) bool {
		return d.req != nil && d.req.queue == id && d.req.cr != nil && d.req.cr.GetPQ().IsDroppd()
	}
	for m, d := range s.inflight {
		if dropped(d) {
			delete(s.inflight, m)
		}
	}
	s.ready = slices.DeleteFunc(s.ready, func(d *delivery) bool {
		if dropped(d) {
			s.readyBytes -= len(d.msg.Value)
			return true
		}
		return false
	})
}

// soughtOffset is an offset Seek set, and the generation of the member's
// queues then.
type soughtOffset struct {
	offset int64
	gen    uint64
}

// assertSought sets, before the offsets are written, the client's offset
// of every queue sought that the member still owns: the one the
// subscription tracks for its new pull, else the offset sought. The pull
// a Seek stopped may have raised it (the client moves a queue's offset to
// the queue's end when a long poll returns empty and nothing is pending),
// and Seek backward must not be undone.
func (s *subscription) assertSought() {
	s.mu.Lock()
	if len(s.sought) == 0 {
		s.mu.Unlock()
		return
	}
	type set struct {
		mq  primitive.MessageQueue
		off int64
	}
	var sets []set
	gen := s.alloc.generation()
	for mq, so := range s.sought {
		if so.gen != gen {
			// The member's queues changed since: if it still has this
			// one, it got it back, and its new pull started from the
			// group's offset, not from the Seek's.
			delete(s.sought, mq)
			continue
		}
		off := so.offset
		if l := s.lags[queueID{mq.Topic, mq.BrokerName, mq.QueueId}]; l != nil && !l.pq.IsDroppd() {
			off = l.committed()
		}
		sets = append(sets, set{mq, off})
	}
	s.mu.Unlock()
	for _, st := range sets {
		_ = guard("UpdateOffset", func() error { return s.pc.UpdateOffset(&st.mq, st.off) })
	}
}
