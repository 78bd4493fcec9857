package memory

import "sync/atomic"

// tracked is one batch given to PublishTracked. It holds one reference per
// queue still retaining some of its messages, plus the publisher's own,
// which PublishTracked drops only on success: so a failed batch never
// reaches zero, and a batch is not complete before all of it was stored.
type tracked struct {
	c        *Client // the publisher; its Close stops the call
	consumed func()
	refs     atomic.Int32
	next     *tracked // in a readyList; owned by whoever dropped the last ref
}

// release drops a reference and reports whether it was the last one.
func (b *tracked) release() bool { return b.refs.Add(-1) == 0 }

// mark says that batch b has messages up to offset last in a queue. A
// queue's marks are in offset order, as its messages are.
type mark struct {
	last int64
	b    *tracked
}

// marks is a queue's pending marks: s[head:], reused once drained, so a
// steady stream of tracked batches allocates nothing per batch here.
type marks struct {
	s    []mark
	head int
}

// add records that b has a message at offset off, the queue's newest;
// consecutive messages of one batch share a mark.
func (m *marks) add(b *tracked, off int64) {
	if n := len(m.s); n > m.head && m.s[n-1].b == b {
		m.s[n-1].last = off
		return
	}
	if m.head > 0 && len(m.s) == cap(m.s) {
		n := copy(m.s, m.s[m.head:])
		m.s, m.head = m.s[:n], 0
	}
	m.s = append(m.s, mark{last: off, b: b})
	b.refs.Add(1)
}

// dropBefore releases the marks of batches with no message left at or
// above offset base, adding those completed to ready.
func (m *marks) dropBefore(base int64, ready *readyList) {
	for m.head < len(m.s) && m.s[m.head].last < base {
		if b := m.s[m.head].b; b.release() {
			ready.push(b)
		}
		m.s[m.head] = mark{} // let the GC have the batch
		m.head++
	}
	if m.head == len(m.s) {
		m.s, m.head = m.s[:0], 0
	}
}

// readyList is a list of completed batches, gathered under a topic lock
// and called after it is released.
type readyList struct {
	head, tail *tracked
}

func (l *readyList) push(b *tracked) {
	if l.tail == nil {
		l.head = b
	} else {
		l.tail.next = b
	}
	l.tail = b
}

// fire calls the consumed function of every batch in l, in order, except
// those whose publisher was closed.
func (l *readyList) fire() {
	for b := l.head; b != nil; {
		next := b.next
		b.next = nil
		b.c.deliver(b.consumed)
		b = next
	}
	*l = readyList{}
}
