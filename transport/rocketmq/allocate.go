package rocketmq

import (
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// allocator is the allocation strategy of a subscription's consumer: the
// client's AllocateByAveragely, with a change that works around the client
// and the client's behaviour for unknown members made explicit.
//
//   - While the subscription closes, it keeps the queues as they are. A
//     rebalance that changes them makes the client send a heartbeat, and one
//     that runs into the client's Shutdown can do so on a new connection
//     after Shutdown closed the old ones: the broker then keeps the closed
//     member in the group, with its queues unconsumed, until that
//     connection times out about two minutes later. Close also waits until
//     the last change is quiet before it shuts down.
//   - When the broker does not list this member (it restarted and has not
//     had our heartbeat yet), it drops the queues, as the client's own
//     strategy does: keeping them would let two members consume a queue
//     at once until the next heartbeat.
//   - A queue being sought (subscription.Seek) is left out of what the
//     client gets for a moment, so that the client drops its pull of the
//     queue and starts a new one from the offset sought; the member still
//     owns it (owned, generation).
type allocator struct {
	log *slog.Logger

	mu         sync.Mutex
	closing    bool
	held       map[string][]*primitive.MessageQueue // by topic: what the member owns
	excluded   map[primitive.MessageQueue]bool      // held, and not given to the client
	gen        uint64                               // changes with held
	lastChange time.Time
	topics     int           // subscribed to
	balanced   chan struct{} // closed once every topic was allocated
}

func newAllocator(log *slog.Logger, topics int) *allocator {
	return &allocator{
		log:      log,
		held:     map[string][]*primitive.MessageQueue{},
		excluded: map[primitive.MessageQueue]bool{},
		topics:   topics,
		balanced: make(chan struct{}),
	}
}

// noteBalanced closes balanced once every topic was allocated, under a.mu.
func (a *allocator) noteBalanced(topic string) {
	if _, ok := a.held[topic]; ok || len(a.held) == a.topics {
		return
	}
	a.held[topic] = nil
	if len(a.held) == a.topics {
		close(a.balanced)
	}
}

func (a *allocator) allocate(group, self string, mqAll []*primitive.MessageQueue, cidAll []string) []*primitive.MessageQueue {
	if len(mqAll) == 0 {
		return nil
	}
	topic := mqAll[0].Topic
	a.mu.Lock()
	defer a.mu.Unlock()
	a.noteBalanced(topic)
	held := a.held[topic]
	if a.closing {
		return a.given(held)
	}
	if !slices.Contains(cidAll, self) {
		// The broker restarted and has not had our heartbeat yet. Keeping
		// the queues would let this member and the one the broker gave
		// them to consume the same queues at once, interleaving a key's
		// messages; dropping them hands them over cleanly (re-read from
		// the committed offset: duplicates, never disorder).
		a.log.Debug("member not known to the broker yet; releasing its queues", "topic", topic, "queues", len(held))
		if len(held) > 0 {
			a.lastChange = time.Now()
			a.gen++
		}
		a.held[topic] = nil
		return nil
	}
	got := consumer.AllocateByAveragely(group, self, mqAll, cidAll)
	if !sameQueueSet(got, held) {
		a.lastChange = time.Now()
		a.gen++
		a.log.Debug("queues assigned", "topic", topic, "queues", queueIDs(got), "members", len(cidAll))
	}
	a.held[topic] = got
	return a.given(got)
}

// given returns the queues of held the client gets: those not excluded.
func (a *allocator) given(held []*primitive.MessageQueue) []*primitive.MessageQueue {
	if len(a.excluded) == 0 {
		return held
	}
	out := make([]*primitive.MessageQueue, 0, len(held))
	for _, q := range held {
		if !a.excluded[*q] {
			out = append(out, q)
		}
	}
	return out
}

// owned returns the queues the member owns, over every topic, and the
// generation of that set.
func (a *allocator) owned() ([]*primitive.MessageQueue, uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []*primitive.MessageQueue
	for _, qs := range a.held {
		out = append(out, qs...)
	}
	return out, a.gen
}

// generation returns the generation of the member's queues (see owned).
func (a *allocator) generation() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.gen
}

// holds reports whether the member owns mq.
func (a *allocator) holds(mq primitive.MessageQueue) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.ContainsFunc(a.held[mq.Topic], func(q *primitive.MessageQueue) bool { return *q == mq })
}

// exclude keeps mq from the client (in) or gives it back (!in) from the
// next rebalance on.
func (a *allocator) exclude(mq primitive.MessageQueue, in bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if in {
		a.excluded[mq] = true
	} else {
		delete(a.excluded, mq)
	}
	a.lastChange = time.Now()
}

// close freezes the allocation and returns how long ago it last changed.
func (a *allocator) close() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closing = true
	if a.lastChange.IsZero() {
		return time.Hour
	}
	return time.Since(a.lastChange)
}

func sameQueueSet(a, b []*primitive.MessageQueue) bool {
	if len(a) != len(b) {
		return false
	}
	for _, q := range a {
		if !slices.ContainsFunc(b, func(p *primitive.MessageQueue) bool { return *p == *q }) {
			return false
		}
	}
	return true
}

func queueIDs(mqs []*primitive.MessageQueue) []int {
	ids := make([]int, len(mqs))
	for i, q := range mqs {
		ids[i] = q.QueueId
	}
	return ids
}
