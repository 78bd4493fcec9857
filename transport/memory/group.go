package memory

import (
	connect "github.com/openmessaging/connect-go"
)

// group is the state of one consumer group on one topic. It lives as long
// as the broker, so committed offsets outlive the members. Guarded by the
// topic's lock.
type group struct {
	name    string
	members []*groupSub // in join order
	cursors []cursor    // one per queue
}

// cursor is a group's progress on one queue.
type cursor struct {
	owner *groupSub // nil while the group has no members
	// committed is the first offset not acknowledged: everything below it
	// is acked, and the broker may drop it once every group is past it.
	committed int64
	// next is the next offset to deliver to the owner.
	next int64
	// delivered is the high-water mark of deliveries: offsets below it
	// were delivered at least once, so delivering them again counts as a
	// redelivery.
	delivered int64
	// acked holds acknowledged offsets above committed (out-of-order acks);
	// nil while there are none.
	acked map[int64]struct{}
	// redeliveries counts deliveries past the first of offsets at or above
	// committed; nil while there are none.
	redeliveries map[int64]int
}

// findGroup returns the group named name, or nil.
func (t *topic) findGroup(name string) *group {
	for _, g := range t.groups {
		if g.name == name {
			return g
		}
	}
	return nil
}

// removeGroup forgets the group named name; it reports whether it existed.
func (t *topic) removeGroup(name string) bool {
	g := t.findGroup(name)
	if g == nil {
		return false
	}
	t.groups = without(t.groups, g)
	return true
}

// groupFor returns the group named name, creating it at the earliest
// retained message of every queue.
func (t *topic) groupFor(name string) *group {
	if g := t.findGroup(name); g != nil {
		return g
	}
	g := &group{name: name, cursors: make([]cursor, len(t.queues))}
	for qi := range g.cursors {
		base := t.queues[qi].base
		g.cursors[qi] = cursor{committed: base, next: base, delivered: base}
	}
	t.groups = append(t.groups, g)
	return g
}

// rebalance splits the queues among the members: every member gets
// len(cursors)/len(members) queues, the earliest joiners one more while
// queues remain. Assignment is sticky: a queue stays with its owner while the
// owner is under its quota, so a join or leave moves as few queues as it can.
// A queue that changes hands restarts at the committed offset, so what its
// former owner received but did not acknowledge is delivered again.
func (g *group) rebalance() {
	m := len(g.members)
	if m == 0 {
		for qi := range g.cursors {
			if o := g.cursors[qi].owner; o != nil {
				o.gen.Add(1)
			}
			g.cursors[qi].owner = nil
		}
		return
	}
	nq := len(g.cursors)
	quota := make(map[*groupSub]int, m)
	for i, s := range g.members {
		quota[s] = nq / m
		if i < nq%m {
			quota[s]++
		}
	}
	owners := make([]*groupSub, nq)
	for qi := range g.cursors {
		if o := g.cursors[qi].owner; o != nil && quota[o] > 0 {
			owners[qi] = o
			quota[o]--
		}
	}
	i := 0
	for qi := range owners {
		if owners[qi] != nil {
			continue
		}
		for quota[g.members[i]] == 0 {
			i++
		}
		owners[qi] = g.members[i]
		quota[g.members[i]]--
	}
	for qi := range g.cursors {
		c := &g.cursors[qi]
		if c.owner != owners[qi] {
			if c.owner != nil {
				c.owner.gen.Add(1)
			}
			c.owner = owners[qi]
			c.owner.gen.Add(1)
			c.next = c.committed
		}
	}
	for _, s := range g.members {
		s.signal()
	}
}

// fetch appends to out up to limit-len(out) deliveries for member s from the
// queues it owns, starting at queue start so that no queue starves.
func (g *group) fetch(t *topic, s *groupSub, out []*connect.Message, limit, start int) []*connect.Message {
	avail := 0
	for qi := range g.cursors {
		c := &g.cursors[qi]
		if c.owner == s {
			c.next = max(c.next, c.committed, t.queues[qi].base)
			avail += int(t.queues[qi].end() - c.next)
		}
	}
	want := min(avail, limit-len(out))
	if want <= 0 {
		return out
	}
	// One allocation for every delivery of this fetch.
	buf := make([]connect.Message, want)
	if out == nil {
		out = make([]*connect.Message, 0, want)
	}
	nq := len(g.cursors)
	for k := 0; k < nq && len(buf) > 0; k++ {
		qi := (start + k) % nq
		c := &g.cursors[qi]
		if c.owner != s {
			continue
		}
		q := &t.queues[qi]
		for end := q.end(); c.next < end && len(buf) > 0; {
			off := c.next
			c.next++
			if c.acked != nil {
				if _, ok := c.acked[off]; ok {
					continue
				}
			}
			d := &buf[0]
			buf = buf[1:]
			*d = *q.at(off)
			d.Queue, d.Offset, d.Redelivered = qi, off, 0
			if off < c.delivered {
				if c.redeliveries == nil {
					c.redeliveries = make(map[int64]int)
				}
				c.redeliveries[off]++
				d.Redelivered = c.redeliveries[off]
			} else {
				c.delivered = off + 1
			}
			out = append(out, d)
		}
	}
	return out
}

// ack records acknowledgements by member s; acks for queues s does not own
// (any more) are ignored. It reports whether a committed offset moved.
func (g *group) ack(s *groupSub, m *connect.Message) bool {
	if m.Queue < 0 || m.Queue >= len(g.cursors) {
		return false
	}
	c := &g.cursors[m.Queue]
	off := m.Offset
	if c.owner != s || off < c.committed || off >= c.delivered {
		return false
	}
	if off != c.committed {
		if c.acked == nil {
			c.acked = make(map[int64]struct{})
		}
		c.acked[off] = struct{}{}
		return false
	}
	from := c.committed
	c.committed++
	c.commitAcked(from)
	return true
}

// commitAcked moves the committed offset, which moved up from from, past
// the acknowledged offsets that follow it, and forgets the redelivery
// counts below it.
func (c *cursor) commitAcked(from int64) {
	for len(c.acked) > 0 {
		if _, ok := c.acked[c.committed]; !ok {
			break
		}
		delete(c.acked, c.committed)
		c.committed++
	}
	if len(c.acked) == 0 {
		c.acked = nil
	}
	if c.redeliveries != nil {
		if int64(len(c.redeliveries)) < c.committed-from {
			for o := range c.redeliveries {
				if o < c.committed {
					delete(c.redeliveries, o)
				}
			}
		} else {
			for o := from; o < c.committed; o++ {
				delete(c.redeliveries, o)
			}
		}
		if len(c.redeliveries) == 0 {
			c.redeliveries = nil
		}
	}
}

// skipTo moves c past the offsets below base, which retention dropped
// before the group committed them: they count as committed, and acks or
// nacks of them are ignored from now on.
func (c *cursor) skipTo(base int64) {
	if c.committed >= base {
		return
	}
	from := c.committed
	c.committed = base
	c.next = max(c.next, base)
	c.delivered = max(c.delivered, base)
	for o := range c.acked {
		if o < base {
			delete(c.acked, o)
		}
	}
	c.commitAcked(from)
}

// seek makes off the cursor's committed offset and the next to deliver:
// what lies below counts as acknowledged, nothing from off on does.
func (c *cursor) seek(off int64) {
	c.acked = nil
	if off >= c.committed {
		from := c.committed
		c.committed = off
		c.commitAcked(from) // forgets the redelivery counts below off
	} else {
		c.committed = off
	}
	c.next = off
}

// nack rewinds the cursor of m's queue to m, so that m and everything after
// it not yet acknowledged are delivered again, in order. Nacks for queues s
// does not own, or of acknowledged messages, are ignored.
func (g *group) nack(s *groupSub, m *connect.Message) bool {
	if m.Queue < 0 || m.Queue >= len(g.cursors) {
		return false
	}
	c := &g.cursors[m.Queue]
	off := m.Offset
	if c.owner != s || off < c.committed || off >= c.next {
		return false
	}
	if _, ok := c.acked[off]; ok {
		return false
	}
	c.next = off
	return true
}

// lag counts the messages of t that group has not committed, after
// dropping the expired ones.
func (t *topic) lag(group string) int64 {
	var ready readyList
	defer ready.fire()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.retention > 0 {
		t.expire(t.now(), &ready)
	}
	var lag int64
	for qi := range t.queues {
		q := &t.queues[qi]
		from := q.base
		for _, g := range t.groups {
			if g.name == group {
				from = max(from, g.cursors[qi].committed)
			}
		}
		lag += q.end() - from
	}
	return lag
}
