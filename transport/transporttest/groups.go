package transporttest

import (
	"context"
	"sync"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// testNack nacks messages and expects them again; acknowledged messages
// around a nacked one must not come back.
func testNack(e *env) {
	tr := e.transport()
	topic := e.topicName("nack")
	e.createTopic(tr, topic)
	sub := e.subscribe(tr, e.groupName("nack"), topic)
	n := max(e.f.Messages/20, 5)
	// One key: one queue, in order.
	sent := e.messages(topic, 0, n, func(int) string { return "nack" })
	e.publish(tr, sent...)

	first := newTally()
	e.consume(sub, first, false, e.f.Timeout, "first delivery", func() bool { return first.has(0, n) })
	ctx, cancel := e.timeout(e.f.Timeout)
	defer cancel()
	if err := sub.Nack(ctx, first.order...); err != nil {
		e.t.Fatalf("Nack: %v", err)
	}
	again := newTally()
	e.consume(sub, again, true, e.f.RedeliveryTimeout, "redelivery after Nack", func() bool { return again.has(0, n) })
	if e.f.CountsRedeliveries {
		for _, m := range again.order {
			if m.Redelivered < 1 {
				e.t.Errorf("message %s: Redelivered %d after Nack, want at least 1", m.Headers[seqHeader], m.Redelivered)
			}
		}
	}
	if e.f.NoDuplicates {
		e.expectNone(sub, "after the redelivered messages were acknowledged")
	}

	// Ack all of a second round but one, nack that one: only it comes again.
	more := e.messages(topic, n, 2*n, func(int) string { return "nack" })
	e.publish(tr, more...)
	second := newTally()
	e.consume(sub, second, false, e.f.Timeout, "second round", func() bool { return second.has(n, 2*n) })
	var nacked *connect.Message
	var acked []*connect.Message
	for _, m := range second.order {
		if seq, _ := seqOf(m); seq == n+n/2 && nacked == nil {
			nacked = m
		} else {
			acked = append(acked, m)
		}
	}
	if err := sub.Ack(ctx, acked...); err != nil {
		e.t.Fatalf("Ack: %v", err)
	}
	if err := sub.Nack(ctx, nacked); err != nil {
		e.t.Fatalf("Nack: %v", err)
	}
	third := newTally()
	e.consume(sub, third, true, e.f.RedeliveryTimeout, "redelivery of one nacked message", func() bool { return third.has(n+n/2, n+n/2+1) })
	if e.f.NoDuplicates {
		for _, m := range third.order {
			if seq, _ := seqOf(m); seq != n+n/2 {
				e.t.Errorf("acknowledged message %d delivered again after a later Nack", seq)
			}
		}
		e.expectNone(sub, "after the nacked message was acknowledged")
	}
}

// testResumeAfterReopen acknowledges half of the messages, closes the group's
// only member and its transport, and expects a new member on a new transport
// to get the other half: nothing is lost across a restart.
func testResumeAfterReopen(e *env) {
	tr := e.transport()
	topic := e.topicName("resume")
	group := e.groupName("resume")
	e.createTopic(tr, topic)
	n := max(e.f.Messages/2, 10)
	sent := e.messages(topic, 0, n, keyOf)
	e.publish(tr, sent...)

	sub := e.subscribe(tr, group, topic)
	first := newTally()
	e.consume(sub, first, false, e.f.Timeout, "first delivery", func() bool { return first.has(0, n) })
	// The first half received is a prefix of every queue: once acknowledged,
	// the group's committed offsets cover exactly it.
	ackedMsgs := first.order[:len(first.order)/2]
	acked := make(map[int]bool)
	for _, m := range ackedMsgs {
		seq, _ := seqOf(m)
		acked[seq] = true
	}
	ctx, cancel := e.timeout(e.f.Timeout)
	defer cancel()
	if err := sub.Ack(ctx, ackedMsgs...); err != nil {
		e.t.Fatalf("Ack: %v", err)
	}
	if err := sub.Close(); err != nil {
		e.t.Fatalf("Close subscription: %v", err)
	}
	if err := tr.Close(); err != nil {
		e.t.Fatalf("Close transport: %v", err)
	}

	sub = e.subscribe(e.transport(), group, topic)
	again := newTally()
	e.consume(sub, again, true, e.f.Timeout, "messages not acknowledged before the group reopened", func() bool {
		again.mu.Lock()
		defer again.mu.Unlock()
		for seq := range n {
			if !acked[seq] && len(again.got[seq]) == 0 {
				return false
			}
		}
		return true
	})
	if e.f.NoDuplicates {
		for _, m := range again.order {
			if seq, _ := seqOf(m); acked[seq] {
				e.t.Errorf("message %d acknowledged before the group reopened came again", seq)
			}
		}
		e.expectNone(sub, "after the rest was acknowledged")
	}
}

// member consumes one subscription in the background, acking what it gets.
type member struct {
	sub connect.Subscription
	tl  *tally
}

func (e *env) runMember(ctx context.Context, wg *sync.WaitGroup, sub connect.Subscription) *member {
	m := &member{sub: sub, tl: newTally()}
	wg.Add(1)
	e.goFunc(func() {
		defer wg.Done()
		for {
			msgs, err := sub.Fetch(ctx, 16)
			if err != nil {
				if ctx.Err() == nil {
					e.t.Errorf("Fetch: %v", err)
				}
				return
			}
			for _, msg := range msgs {
				if err := m.tl.add(msg); err != nil {
					e.t.Error(err)
				}
			}
			if err := sub.Ack(ctx, msgs...); err != nil && ctx.Err() == nil {
				e.t.Errorf("Ack: %v", err)
			}
		}
	})
	return m
}

// testGroupSplitsLoad runs two members of one group on two transports: both
// get messages, together they get all of them, and (NoDuplicates) no message
// goes to both.
func testGroupSplitsLoad(e *env) {
	tr1, tr2 := e.transport(), e.transport()
	topic := e.topicName("split")
	group := e.groupName("split")
	e.createTopic(tr1, topic)
	ctx, cancel := context.WithCancel(e.ctx)
	var wg sync.WaitGroup
	a := e.runMember(ctx, &wg, e.subscribe(tr1, group, topic))
	b := e.runMember(ctx, &wg, e.subscribe(tr2, group, topic))

	// Every message has its own key, so they spread over every queue. A
	// transport that rebalances late may hand the first wave to one member:
	// more waves follow until both got some.
	n := e.f.Messages
	wave := func(from int) []*connect.Message {
		return e.messages(topic, from, from+n, func(seq int) string { return "k" + itoa(seq) })
	}
	sent := wave(0)
	e.publish(tr1, sent...)
	deadline := time.Now().Add(e.f.Timeout + e.f.RebalanceTimeout)
	lastWave := time.Now()
	for {
		all := newTally()
		for _, m := range [...]*member{a, b} {
			m.tl.mu.Lock()
			for _, msg := range m.tl.order {
				all.add(msg)
			}
			m.tl.mu.Unlock()
		}
		complete := all.has(0, len(sent))
		if complete && a.tl.distinct() > 0 && b.tl.distinct() > 0 {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			wg.Wait()
			e.t.Fatalf("after %v: members got %v and %v of %d messages (missing %v)",
				e.f.Timeout+e.f.RebalanceTimeout, a.tl, b.tl, len(sent), all.missing(0, len(sent)))
		}
		if complete && time.Since(lastWave) > e.f.RebalanceTimeout/10 {
			more := wave(len(sent))
			e.publish(tr1, more...)
			sent = append(sent, more...)
			lastWave = time.Now()
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wg.Wait()

	want := bySeq(sent)
	e.checkDelivery(a.tl, want, e.f.QueuesPerTopic)
	e.checkDelivery(b.tl, want, e.f.QueuesPerTopic)
	if e.f.NoDuplicates {
		for seq := range a.tl.got {
			if len(b.tl.got[seq]) > 0 {
				e.t.Errorf("message %d delivered to both members", seq)
			}
		}
	}
}

func testMemberCloses(e *env) {
	testMemberLeaves(e, func(sub connect.Subscription, tr connect.MessageTransport) error { return sub.Close() })
}

func testTransportCloses(e *env) {
	testMemberLeaves(e, func(sub connect.Subscription, tr connect.MessageTransport) error { return tr.Close() })
}

// testMemberLeaves has member A receive every message without acknowledging
// any, member B join, and A leave through leave: B must get them all.
func testMemberLeaves(e *env, leave func(connect.Subscription, connect.MessageTransport) error) {
	trA, trB := e.transport(), e.transport()
	topic := e.topicName("leave")
	group := e.groupName("leave")
	e.createTopic(trA, topic)
	n := max(e.f.Messages/2, 10)
	sent := e.messages(topic, 0, n, func(seq int) string { return "k" + itoa(seq) })
	e.publish(trA, sent...)

	subA := e.subscribe(trA, group, topic)
	got := newTally()
	e.consume(subA, got, false, e.f.Timeout, "member A receiving everything", func() bool { return got.has(0, n) })
	subB := e.subscribe(trB, group, topic)
	if err := leave(subA, trA); err != nil {
		e.t.Fatalf("member A leaving: %v", err)
	}
	tl := newTally()
	e.consume(subB, tl, true, e.f.Timeout+e.f.RebalanceTimeout, "member B receiving what A left unacknowledged",
		func() bool { return tl.has(0, n) })
	e.checkRedelivered(tl)
	if e.f.NoDuplicates {
		e.expectNone(subB, "after B acknowledged everything")
	}
}

// checkRedelivered expects every message of tl to count as a redelivery.
func (e *env) checkRedelivered(tl *tally) {
	e.t.Helper()
	if !e.f.CountsRedeliveries {
		return
	}
	for _, m := range tl.order {
		if m.Redelivered < 1 {
			e.t.Errorf("message %s: Redelivered %d, want at least 1", m.Headers[seqHeader], m.Redelivered)
		}
	}
}
