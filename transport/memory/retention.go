package memory

import (
	"context"
	"fmt"
	"time"
)

// Time-based retention (connect.TopicRetention). A topic with a retention
// stamps each queue with the publish time of every publish pass, and drops
// the messages whose stamp is older than the retention lazily: when it is
// published to or fetched from, and once in a while from the broker's one
// janitor goroutine, so that an idle topic shrinks too. Topics without a
// retention keep no stamps and pay one comparison per publish or fetch.

// Sweep intervals of the janitor: half the shortest retention, within
// these bounds.
const (
	minSweep = 10 * time.Millisecond
	maxSweep = time.Second
)

// stamp says that the messages of a queue up to offset last, after those
// of the previous stamp, were published at time at (on the broker's clock).
type stamp struct {
	last int64
	at   time.Duration
}

// stamps is a queue's stamps in offset order, s[head:], reused once drained
// as marks are.
type stamps struct {
	s    []stamp
	head int
}

// add records that the messages up to offset last were published at at;
// one publish pass makes one stamp per queue.
func (st *stamps) add(last int64, at time.Duration) {
	if n := len(st.s); n > st.head && st.s[n-1].at == at {
		st.s[n-1].last = last
		return
	}
	if st.head > 0 && len(st.s) == cap(st.s) {
		n := copy(st.s, st.s[st.head:])
		st.s, st.head = st.s[:n], 0
	}
	st.s = append(st.s, stamp{last: last, at: at})
}

// expire forgets the stamps of messages below base (dropped already) and
// those older than cut, and returns the offset below which the queue's
// messages are expired.
func (st *stamps) expire(cut time.Duration, base int64) int64 {
	keep := base
	for st.head < len(st.s) {
		s := st.s[st.head]
		if s.last >= base && s.at >= cut {
			break
		}
		keep = max(keep, s.last+1)
		st.s[st.head] = stamp{}
		st.head++
	}
	if st.head == len(st.s) {
		st.s, st.head = st.s[:0], 0
	}
	return keep
}

// len returns how many stamps st holds.
func (st *stamps) len() int { return len(st.s) - st.head }

// stamp records that the messages just pushed to the touched queues were
// published at now. Called with t.mu held, while t has a retention.
func (t *topic) stamp(touched *queueSet, now time.Duration) {
	touched.each(len(t.queues), func(qi int) {
		q := &t.queues[qi]
		q.stamps.add(q.end()-1, now)
	})
}

// expire drops the messages published more than t.retention before now.
// The groups that had not committed them move past them, publishers
// waiting for space are woken, and tracked batches completed by the drop go
// to ready. Called with t.mu held, while t has a retention.
func (t *topic) expire(now time.Duration, ready *readyList) {
	cut := now - t.retention
	freed := false
	for qi := range t.queues {
		q := &t.queues[qi]
		if !q.dropBefore(q.stamps.expire(cut, q.base)) {
			continue
		}
		q.marks.dropBefore(q.base, ready)
		for _, g := range t.groups {
			g.cursors[qi].skipTo(q.base)
		}
		freed = true
	}
	if freed && t.space != nil {
		close(t.space)
		t.space = nil
	}
}

// setRetention sets t's retention to d and applies it. Messages t holds
// when it gets a retention count as published now: nobody stamped them.
// Called with t.mu held.
func (t *topic) setRetention(d time.Duration, ready *readyList) {
	switch {
	case d == 0:
		for qi := range t.queues {
			t.queues[qi].stamps = stamps{}
		}
	case t.retention == 0:
		now := t.now()
		for qi := range t.queues {
			if q := &t.queues[qi]; q.n > 0 {
				q.stamps.add(q.end()-1, now)
			}
		}
	}
	t.retention = d
	if d > 0 {
		t.expire(t.now(), ready)
	}
}

// SetRetention makes the broker drop the messages of topic published more
// than d ago, as connect.TopicRetention describes; d = 0 restores the
// default, keeping messages until every group consumed them. It creates
// the topic if unknown, with the broker's default queue count.
//
// Expired messages are dropped when the topic is next published to,
// fetched from or asked for its Lag, and otherwise by a janitor goroutine
// (one per broker, started by the first SetRetention, ended by
// Broker.Close) that sweeps every half of the shortest retention, but at
// most every 10ms and at least every second; so an idle topic frees an
// expired message within half a retention, or a second if that is
// shorter, or 10ms if that is longer. The consumed
// callbacks of PublishTracked batches completed by a drop run on the
// goroutine that dropped them. Messages the topic held before it had a
// retention count as published at the call that set it. The retention
// belongs to the topic: it outlives the Client that set it.
func (c *Client) SetRetention(ctx context.Context, topic string, d time.Duration) error {
	if c.isClosed() {
		return fmt.Errorf("memory: set retention of %q: %w", topic, errTransportClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: set retention of %q: %w", topic, err)
	}
	if d < 0 {
		return fmt.Errorf("memory: set retention of %q: negative retention %v", topic, d)
	}
	t, err := c.b.topic(topic, 0)
	if err != nil {
		return fmt.Errorf("memory: set retention of %q: %w", topic, err)
	}
	if err := c.b.setRetention(t, d); err != nil {
		return fmt.Errorf("memory: set retention of %q: %w", topic, err)
	}
	return nil
}

// SetRetention sets the time-based retention of a topic; see
// Client.SetRetention.
func (b *Broker) SetRetention(ctx context.Context, topic string, d time.Duration) error {
	return b.own.SetRetention(ctx, topic, d)
}

// since is the broker's clock: the time since New, monotonic with the
// default clock.
func (b *Broker) since() time.Duration { return b.cfg.now().Sub(b.epoch) }

// setRetention records t's retention, for the janitor, and applies it. b.mu
// is held across so that concurrent calls leave b and t agreeing.
func (b *Broker) setRetention(t *topic, d time.Duration) error {
	var ready readyList
	defer ready.fire()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errTransportClosed
	}
	if d > 0 {
		if b.retaining == nil {
			b.retaining = make(map[*topic]time.Duration)
		}
		b.retaining[t] = d
		if b.janitorStop == nil {
			b.janitorStop = make(chan struct{})
			b.janitorDone = make(chan struct{})
			go b.janitor(b.janitorStop, b.janitorDone)
		}
	} else {
		delete(b.retaining, t)
	}
	t.mu.Lock()
	t.setRetention(d, &ready)
	t.mu.Unlock()
	return nil
}

// janitor sweeps the topics with a retention until stop is closed, so that
// topics nobody publishes to or fetches from shrink too.
func (b *Broker) janitor(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for {
		select {
		case <-stop:
			return
		case <-b.cfg.after(b.sweepInterval()):
		}
		b.sweep()
	}
}

// sweepInterval is half the shortest retention, within minSweep and
// maxSweep.
func (b *Broker) sweepInterval() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	iv := maxSweep
	for _, d := range b.retaining {
		iv = min(iv, d/2)
	}
	return max(iv, minSweep)
}

// sweep drops the expired messages of every topic with a retention.
func (b *Broker) sweep() {
	b.mu.Lock()
	topics := make([]*topic, 0, len(b.retaining))
	for t := range b.retaining {
		topics = append(topics, t)
	}
	b.mu.Unlock()
	var ready readyList
	defer ready.fire()
	for _, t := range topics {
		t.mu.Lock()
		if t.retention > 0 {
			t.expire(t.now(), &ready)
		}
		t.mu.Unlock()
	}
}
