package memory

import (
	"context"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// topic is a named stream split into queues. Its lock guards the queues, the
// state of every group on it and the cursors of its broadcast readers, so
// that a publish, fetch or ack batch takes one lock once.
type topic struct {
	name     string
	capacity int
	rr       atomic.Uint32 // round-robin counter for messages without a key

	mu      sync.Mutex
	queues  []queue
	groups  []*group      // every group that ever subscribed, in creation order
	readers []*reader     // open broadcast readers
	space   chan struct{} // closed when queue space frees; nil while no publisher waits
	// retention is the time-based retention (SetRetention); 0 keeps
	// messages until consumed, and then the queues keep no stamps.
	retention time.Duration
	now       func() time.Duration // the broker's clock
}

func newTopic(name string, queues, capacity int, now func() time.Duration) *topic {
	return &topic{name: name, capacity: capacity, queues: make([]queue, queues), now: now}
}

// queue is a ring buffer of the retained messages of one queue: offsets
// base to base+n-1. It grows by doubling up to the topic's capacity.
type queue struct {
	buf  []*connect.Message // len is zero or a power of two
	head int                // index in buf of offset base
	n    int
	base int64
	// marks are the tracked batches (PublishTracked) with messages in the
	// queue; they complete as those messages are dropped.
	marks marks
	// stamps are the publish times of the messages while the topic has a
	// retention.
	stamps stamps
}

func (q *queue) end() int64 { return q.base + int64(q.n) }

func (q *queue) at(off int64) *connect.Message {
	return q.buf[(q.head+int(off-q.base))&(len(q.buf)-1)]
}

func (q *queue) push(m *connect.Message) {
	if q.n == len(q.buf) {
		grown := make([]*connect.Message, max(16, 2*len(q.buf)))
		for i := range q.n {
			grown[i] = q.buf[(q.head+i)&(len(q.buf)-1)]
		}
		q.buf, q.head = grown, 0
	}
	q.buf[(q.head+q.n)&(len(q.buf)-1)] = m
	q.n++
}

// dropBefore drops the messages below offset off; it reports whether any
// were dropped.
func (q *queue) dropBefore(off int64) bool {
	k := int(min(off, q.end()) - q.base)
	if k <= 0 {
		return false
	}
	for i := range k {
		q.buf[(q.head+i)&(len(q.buf)-1)] = nil // let the GC have them
	}
	q.head = (q.head + k) & (len(q.buf) - 1)
	q.n -= k
	q.base += int64(k)
	return true
}

// fnv1a is the 32-bit FNV-1a hash: stable across processes and Go
// versions, so a key always maps to the same queue.
func fnv1a(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}

// route sets qidx[i] to the queue of msgs[i].
func (t *topic) route(msgs []*connect.Message, qidx []int32) {
	n := uint32(len(t.queues))
	var unkeyed uint32
	for _, m := range msgs {
		if len(m.Key) == 0 {
			unkeyed++
		}
	}
	rr := t.rr.Add(unkeyed) - unkeyed
	for i, m := range msgs {
		if len(m.Key) == 0 {
			qidx[i] = int32(rr % n)
			rr++
		} else {
			qidx[i] = int32(fnv1a(m.Key) % n)
		}
	}
}

// publish stores msgs, which all belong to t, blocking while queues are full.
// A message whose queue is full waits along with every later message of that
// queue, so per-queue order holds; messages of other queues go in meanwhile.
// When tr is not nil, every stored message is marked as part of it. Under a
// retention, each pass first drops the expired messages; the tracked
// batches that completes are called once t.mu is released.
func (t *topic) publish(ctx context.Context, closed <-chan struct{}, tr *tracked, msgs []*connect.Message) error {
	var small [128]int32
	var qidx []int32
	if len(msgs) <= len(small) {
		qidx = small[:len(msgs)]
	} else {
		qidx = make([]int32, len(msgs))
	}
	t.route(msgs, qidx)

	var waiting []int   // indexes of messages not stored yet, in order
	var ready readyList // batches the expiry completed
	for pass := 0; ; pass++ {
		var touched queueSet
		t.mu.Lock()
		var now time.Duration
		if t.retention > 0 {
			now = t.now()
			t.expire(now, &ready)
		}
		if pass == 0 {
			for i, m := range msgs {
				q := &t.queues[qidx[i]]
				if q.n >= t.capacity {
					waiting = append(waiting, i)
					continue
				}
				q.push(m)
				if tr != nil {
					q.marks.add(tr, q.end()-1)
				}
				touched.add(int(qidx[i]))
			}
		} else {
			k := 0
			for _, i := range waiting {
				q := &t.queues[qidx[i]]
				if q.n >= t.capacity {
					waiting[k] = i
					k++
					continue
				}
				q.push(msgs[i])
				if tr != nil {
					q.marks.add(tr, q.end()-1)
				}
				touched.add(int(qidx[i]))
			}
			waiting = waiting[:k]
		}
		if t.retention > 0 {
			t.stamp(&touched, now)
		}
		t.notify(&touched)
		if len(waiting) == 0 {
			t.mu.Unlock()
			ready.fire()
			return nil
		}
		if t.space == nil {
			t.space = make(chan struct{})
		}
		space := t.space
		t.mu.Unlock()
		ready.fire()

		select {
		case <-space:
		case <-ctx.Done():
			return ctx.Err()
		case <-closed:
			return errTransportClosed
		}
	}
}

// notify wakes the members owning the touched queues and every broadcast
// reader. Called with t.mu held.
func (t *topic) notify(touched *queueSet) {
	if touched.empty() {
		return
	}
	for _, g := range t.groups {
		if len(g.members) == 0 {
			continue
		}
		touched.each(len(t.queues), func(qi int) {
			if o := g.cursors[qi].owner; o != nil {
				o.signal()
			}
		})
	}
	for _, r := range t.readers {
		r.signal()
	}
}

// trim drops the messages every group has committed and wakes blocked
// publishers if that freed space. A topic without groups keeps everything.
// Tracked batches completed by the drop go to ready, to be called once t.mu
// is released. Called with t.mu held.
func (t *topic) trim(ready *readyList) {
	if len(t.groups) == 0 {
		return
	}
	freed := false
	for qi := range t.queues {
		low := t.groups[0].cursors[qi].committed
		for _, g := range t.groups[1:] {
			low = min(low, g.cursors[qi].committed)
		}
		if q := &t.queues[qi]; q.dropBefore(low) {
			q.marks.dropBefore(q.base, ready)
			freed = true
		}
	}
	if freed && t.space != nil {
		close(t.space)
		t.space = nil
	}
}

// queueSet is a set of queue indexes; queues past 255 are tracked as "all".
type queueSet struct {
	bits [4]uint64
	all  bool
	any  bool
}

func (s *queueSet) add(qi int) {
	s.any = true
	if qi >= 256 {
		s.all = true
		return
	}
	s.bits[qi>>6] |= 1 << (qi & 63)
}

func (s *queueSet) empty() bool { return !s.any }

func (s *queueSet) each(n int, f func(qi int)) {
	if s.all {
		for qi := range n {
			f(qi)
		}
		return
	}
	for w, word := range s.bits {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			f(w<<6 | b)
			word &^= 1 << b
		}
	}
}
