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
type allocator struct {
	log *slog.Logger

	mu         sync.Mutex
	closing    bool
	held       map[string][]*primitive.MessageQueue // by topic
	lastChange time.Time
}

func newAllocator(log *slog.Logger) *allocator {
	return &allocator{log: log, held: map[string][]*primitive.MessageQueue{}}
}

func (a *allocator) allocate(group, self string, mqAll []*primitive.MessageQueue, cidAll []string) []*primitive.MessageQueue {
	if len(mqAll) == 0 {
		return nil
	}
	topic := mqAll[0].Topic
	a.mu.Lock()
	defer a.mu.Unlock()
	held := a.held[topic]
	if a.closing {
		return held
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
		}
		a.held[topic] = nil
		return nil
	}
	got := consumer.AllocateByAveragely(group, self, mqAll, cidAll)
	if !sameQueueSet(got, held) {
		a.lastChange = time.Now()
		a.log.Debug("queues assigned", "topic", topic, "queues", queueIDs(got), "members", len(cidAll))
	}
	a.held[topic] = got
	return got
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
