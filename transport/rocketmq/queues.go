package rocketmq

import (
	"cmp"
	"encoding/base64"
	"slices"
	"sync"

	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// routeCache keeps, per topic, the writable queues the producer last saw,
// sorted by broker name and queue id: queue i of a topic (Message.Queue) is
// entry i. The producer refreshes its view from the name server every 30s
// and hands it to queueSelector on every send, which records it here.
type routeCache struct {
	mu sync.RWMutex
	m  map[string][]*primitive.MessageQueue
}

func (r *routeCache) get(topic string) []*primitive.MessageQueue {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.m[topic]
}

// has reports whether q is among topic's known queues (true while none are
// known).
func (r *routeCache) has(topic string, q *primitive.MessageQueue) bool {
	qs := r.get(topic)
	if qs == nil {
		return true
	}
	_, ok := slices.BinarySearchFunc(qs, q, compareQueues)
	return ok
}

// observe records mqs as topic's queues unless they are the ones recorded,
// and returns the sorted list.
func (r *routeCache) observe(topic string, mqs []*primitive.MessageQueue) []*primitive.MessageQueue {
	r.mu.RLock()
	cur := r.m[topic]
	r.mu.RUnlock()
	if sameQueues(cur, mqs) {
		return cur
	}
	sorted := slices.Clone(mqs)
	slices.SortFunc(sorted, compareQueues)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string][]*primitive.MessageQueue{}
	}
	r.m[topic] = sorted
	return sorted
}

func compareQueues(a, b *primitive.MessageQueue) int {
	return cmp.Or(cmp.Compare(a.BrokerName, b.BrokerName), cmp.Compare(a.QueueId, b.QueueId))
}

// sameQueues reports whether mqs (any order) holds the queues of sorted.
func sameQueues(sorted, mqs []*primitive.MessageQueue) bool {
	if len(sorted) != len(mqs) || len(sorted) == 0 {
		return false
	}
	for _, q := range mqs {
		if _, ok := slices.BinarySearchFunc(sorted, q, compareQueues); !ok {
			return false
		}
	}
	return true
}

// index returns the position of (broker, id) in topic's queues, or id when
// the queues are not known (one broker: the same).
func (r *routeCache) index(topic, broker string, id int) int {
	qs := r.get(topic)
	i, ok := slices.BinarySearchFunc(qs, id, func(q *primitive.MessageQueue, id int) int {
		return cmp.Or(cmp.Compare(q.BrokerName, broker), cmp.Compare(q.QueueId, id))
	})
	if ok {
		return i
	}
	return id
}

// pick returns the queue index of key among n queues: FNV-1a, like the
// in-memory transport, so a key's queue depends only on the queue count.
func pick(key []byte, n int) int {
	// hash/fnv's New32a, inline: the hash.Hash32 it returns is a heap
	// allocation per keyed message.
	const offset32, prime32 = 2166136261, 16777619
	h := uint32(offset32)
	for _, c := range key {
		h ^= uint32(c)
		h *= prime32
	}
	return int(h % uint32(n))
}

// queueSelector is the producer's producer.QueueSelector. Publish plans the
// queue of every batch and sets it in Message.Queue (the client copies the
// first message's into a batch); the selector returns it while the route
// still has it, and no queue once it left the route. Without a plan (the
// first send to a topic) it hashes the message's key like Publish does, or
// takes the next queue for a message without key. Either way it records the
// queues it is shown, which is how Publish learns a topic's queues.
type queueSelector struct{ t *Transport }

func (s queueSelector) Select(msg *primitive.Message, mqs []*primitive.MessageQueue, _ string) *primitive.MessageQueue {
	if len(mqs) == 0 {
		return nil
	}
	sorted := s.t.routes.observe(msg.Topic, mqs)
	if want := msg.Queue; want != nil {
		if i, ok := slices.BinarySearchFunc(sorted, want, compareQueues); ok {
			return sorted[i]
		}
		// The planned queue left the route. A batch has lost its messages'
		// keys, so sending it anywhere else could scatter a key over
		// queues: fail the send instead ("route info not found"), and
		// Publish plans again on the new route.
		return nil
	}
	if key := messageKey(msg); len(key) > 0 {
		return sorted[pick(key, len(sorted))]
	}
	return sorted[int(s.t.nextQueue.Add(1)%uint32(len(sorted)))]
}

// messageKey reads the key back from a message built by Publish.
func messageKey(msg *primitive.Message) []byte {
	if b64 := msg.GetProperty(keyBase64Property); b64 != "" {
		k, _ := base64.StdEncoding.DecodeString(b64)
		return k
	}
	return []byte(msg.GetProperty(primitive.PropertyKeys))
}
