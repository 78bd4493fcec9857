package transporttest

import (
	"errors"
	"slices"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// owner returns sub as a connect.QueueOwner, skipping the case when the
// transport's subscriptions are not.
func (e *env) owner(sub connect.Subscription) connect.QueueOwner {
	e.t.Helper()
	o, ok := sub.(connect.QueueOwner)
	if !ok {
		e.t.Skipf("subscriptions of this transport do not implement connect.QueueOwner")
	}
	return o
}

// queueOf returns the queue the messages of one key went to.
func queueOf(msgs []*connect.Message) connect.QueueRef {
	return connect.QueueRef{Topic: msgs[0].Topic, Queue: msgs[0].Queue}
}

// offsetOf returns the offset of the message with sequence number seq.
func (e *env) offsetOf(tl *tally, seq int) int64 {
	e.t.Helper()
	tl.mu.Lock()
	defer tl.mu.Unlock()
	got := tl.got[seq]
	if len(got) == 0 {
		e.t.Fatalf("message %d was not received", seq)
	}
	return got[0].Offset
}

// testSeek positions a member on a queue forward and backward: it gets
// the messages from the offset it chose, and the group's committed offset
// follows, so a new member starts there too.
func testSeek(e *env) {
	tr := e.transport()
	topic := e.topicName("seek")
	group := e.groupName("seek")
	e.createTopic(tr, topic)
	sub := e.subscribe(tr, group, topic)
	o := e.owner(sub)
	owned, _ := o.Owned()
	want := make([]connect.QueueRef, e.f.QueuesPerTopic)
	for i := range want {
		want[i] = connect.QueueRef{Topic: topic, Queue: i}
	}
	if !slices.Equal(owned, want) {
		e.t.Fatalf("the only member owns %v, want %v", owned, want)
	}

	n := max(e.f.Messages/10, 10)
	e.publish(tr, e.messages(topic, 0, n, func(int) string { return "seek" })...) // one key: one queue
	first := newTally()
	e.consume(sub, first, false, e.f.Timeout, "first delivery", func() bool { return first.has(0, n) })
	q := queueOf(first.order)
	ctx, cancel := e.timeout(e.f.Timeout)
	defer cancel()

	// Backward from where the member reads (nothing acknowledged yet):
	// everything from the second message comes again.
	if err := o.Seek(ctx, q, e.offsetOf(first, 1)); err != nil {
		e.t.Fatalf("Seek backward: %v", err)
	}
	back := newTally()
	e.consume(sub, back, false, e.f.Timeout, "messages from the offset sought backward", func() bool { return back.has(1, n) })
	for _, m := range back.order {
		if seq, _ := seqOf(m); seq < 1 {
			e.t.Errorf("message %d, below the offset sought, delivered after a backward Seek", seq)
		}
	}

	// Forward: skip to the middle without acknowledging the first half;
	// acknowledge the rest.
	half := n / 2
	if err := o.Seek(ctx, q, e.offsetOf(first, half)); err != nil {
		e.t.Fatalf("Seek forward: %v", err)
	}
	e.publish(tr, e.messages(topic, n, n+1, func(int) string { return "seek" })...)
	fwd := newTally()
	e.consume(sub, fwd, true, e.f.Timeout, "messages from the offset sought forward", func() bool { return fwd.has(half, n+1) })
	for _, m := range fwd.order {
		if seq, _ := seqOf(m); seq < half {
			e.t.Errorf("message %d, below the offset sought, delivered after Seek", seq)
		}
	}

	// The committed offset followed the forward Seek: a new member of the
	// group gets none of the skipped first half.
	if err := sub.Close(); err != nil {
		e.t.Fatalf("Close: %v", err)
	}
	sub = e.subscribe(tr, group, topic)
	if e.f.NoDuplicates {
		e.expectNone(sub, "a new member after the forward Seek and the acknowledgements")
	} else {
		for _, m := range e.quiet(sub) {
			if seq, _ := seqOf(m); seq < half {
				e.t.Errorf("message %d, below the offset sought, delivered to the next member", seq)
			}
		}
	}
}

// testSeekOwnership checks that members learn which queues they own as
// others join and leave, that a member cannot seek a queue it does not
// own, and that a Seek holds for the member that gets the queue next.
func testSeekOwnership(e *env) {
	tr := e.transport()
	topic := e.topicName("seekown")
	group := e.groupName("seekown")
	e.createTopic(tr, topic)
	a := e.subscribe(tr, group, topic)
	oa := e.owner(a)
	_, genA := oa.Owned()

	b := e.subscribe(tr, group, topic)
	ob := e.owner(b)
	var ownedA, ownedB []connect.QueueRef
	e.eventually(e.f.RebalanceTimeout, "the queues split between two members", func() bool {
		var g uint64
		ownedA, g = oa.Owned()
		ownedB, _ = ob.Owned()
		return g != genA && len(ownedA) > 0 && len(ownedB) > 0 && len(ownedA)+len(ownedB) == e.f.QueuesPerTopic
	})
	for _, q := range ownedA {
		if slices.Contains(ownedB, q) {
			e.t.Fatalf("queue %v owned by both members: %v and %v", q, ownedA, ownedB)
		}
	}
	ctx, cancel := e.timeout(e.f.Timeout)
	defer cancel()
	if err := oa.Seek(ctx, ownedB[0], 0); !errors.Is(err, connect.ErrConflict) {
		e.t.Errorf("Seek of a queue another member owns: %v, want an error matching connect.ErrConflict", err)
	}

	// Messages on every queue; b seeks one of its queues past its first
	// message and leaves without acknowledging anything: a gets that
	// queue from the offset b chose, and the other queues from the start.
	n := max(e.f.Messages/5, 4*e.f.QueuesPerTopic)
	e.publish(tr, e.messages(topic, 0, n, keyOf)...)
	got := newTally()
	e.consume(b, got, false, e.f.Timeout, "b's queues", func() bool {
		got.mu.Lock()
		defer got.mu.Unlock()
		for _, m := range got.order {
			if m.Queue == ownedB[0].Queue {
				return true
			}
		}
		return false
	})
	var skipped *connect.Message
	for _, m := range got.order {
		if m.Queue == ownedB[0].Queue {
			skipped = m
			break
		}
	}
	if err := ob.Seek(ctx, ownedB[0], skipped.Offset+1); err != nil {
		e.t.Fatalf("Seek by the owner: %v", err)
	}
	if err := b.Close(); err != nil {
		e.t.Fatalf("Close b: %v", err)
	}
	e.eventually(e.f.RebalanceTimeout, "a owning every queue once b left", func() bool {
		owned, _ := oa.Owned()
		return len(owned) == e.f.QueuesPerTopic
	})
	skippedSeq, _ := seqOf(skipped)
	rest := newTally()
	e.consume(a, rest, true, e.f.Timeout, "every message but the one b skipped", func() bool {
		rest.mu.Lock()
		defer rest.mu.Unlock()
		for seq := range n {
			if seq != skippedSeq && len(rest.got[seq]) == 0 {
				return false
			}
		}
		return true
	})
	if e.f.NoDuplicates {
		e.expectNone(a, "after everything but the skipped message was acknowledged")
	}
	rest.mu.Lock()
	defer rest.mu.Unlock()
	if len(rest.got[skippedSeq]) > 0 {
		e.t.Errorf("message %d, which b sought past, was delivered to a", skippedSeq)
	}
}

// eventually polls cond until it holds, failing the case after timeout.
func (e *env) eventually(timeout time.Duration, what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
