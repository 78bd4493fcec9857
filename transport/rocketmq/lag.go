package rocketmq

import (
	"strconv"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// The runtime's connect.sink.lag gauge asserts this of subscriptions.
var _ interface{ Lag() int64 } = (*subscription)(nil)

// queueLag is what a subscription knows of one queue it reads, from the
// batches it took from the client: no request to the broker is needed.
type queueLag struct {
	// pq is the client's process queue the state belongs to; the client
	// marks it dropped when the queue leaves the member.
	pq      interface{ IsDroppd() bool }
	end     int64      // the broker's max offset (next to be written) when the latest batch was pulled
	start   int64      // the broker's min offset (oldest retained) then
	next    int64      // offset after the latest message taken
	pending []*request // batches taken and not wholly acknowledged, in offset order
}

// committed is the offset the client commits for the queue: the first of
// the oldest batch not wholly acknowledged, else past everything taken
// (what the client still buffers comes after that).
func (q *queueLag) committed() int64 {
	if len(q.pending) > 0 {
		return q.pending[0].first
	}
	return q.next
}

// acked drops the wholly acknowledged batches at the front of pending.
func (q *queueLag) acked() {
	if q == nil {
		return
	}
	i := 0
	for i < len(q.pending) && q.pending[i].left == 0 {
		i++
	}
	clear(q.pending[:i])
	q.pending = q.pending[i:]
}

// track records a batch the pump took, under s.mu. The client sets every
// pulled message's MAX_OFFSET property from the broker's pull reply.
func (s *subscription) track(cr *consumer.ConsumeRequest, req *request) {
	exts := cr.GetMsgList()
	if req == nil || len(exts) == 0 {
		return
	}
	mq, pq := cr.GetMQ(), cr.GetPQ()
	if mq == nil || pq == nil {
		return
	}
	id := queueID{mq.Topic, mq.BrokerName, mq.QueueId}
	q := s.lags[id]
	if q == nil || q.pq != pq {
		// New to the member, or back after it left: start afresh.
		q = &queueLag{pq: pq}
		s.lags[id] = q
	}
	last := exts[len(exts)-1]
	req.first, req.lag = exts[0].QueueOffset, q
	q.pending = append(q.pending, req)
	q.next = last.QueueOffset + 1
	if end, err := strconv.ParseInt(last.GetProperty(primitive.PropertyMaxOffset), 10, 64); err == nil {
		q.end = max(q.end, end)
	}
	if start, err := strconv.ParseInt(last.GetProperty(primitive.PropertyMinOffset), 10, 64); err == nil {
		q.start = max(q.start, start)
	}
	q.end = max(q.end, q.next)
}

// Lag returns how many messages of the queues this member owns its group's
// offsets have not passed: per queue, the broker's max offset reported with
// the latest batch the subscription took from it, minus the offset the
// client commits (which moves when whole pulled batches are acknowledged).
// It makes no request, so it can lag the broker: see "Consumer groups" in
// the package doc. A queue counts from its first batch; broadcast readers
// and closed subscriptions report 0. Safe for concurrent use.
func (s *subscription) Lag() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var sum int64
	for id, q := range s.lags {
		if q.pq.IsDroppd() {
			delete(s.lags, id)
			continue
		}
		sum += max(q.end-q.committed(), 0)
	}
	return sum
}
