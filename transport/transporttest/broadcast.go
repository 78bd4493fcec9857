package transporttest

import connect "github.com/openmessaging/connect-go"

// testBroadcast has two readers on two transports, started between two
// halves of the messages, and a third started after: each sees every message
// from the beginning; Ack and Nack change nothing.
func testBroadcast(e *env) {
	tr1, tr2 := e.transport(), e.transport()
	topic := e.topicName("bcast")
	e.createTopic(tr1, topic)
	n := max(e.f.Messages/2, 10)
	sent := e.messages(topic, 0, n, keyOf)
	want := bySeq(sent)
	e.publish(tr1, sent[:n/2]...)
	r1, r2 := e.broadcast(tr1, topic), e.broadcast(tr2, topic)
	e.publish(tr2, sent[n/2:]...)

	for _, c := range []struct {
		name string
		r    connect.Subscription
	}{{"first reader", r1}, {"second reader", r2}} {
		name, r := c.name, c.r
		tl := newTally()
		e.consume(r, tl, true, e.f.Timeout, name+" receiving every message", func() bool { return tl.has(0, n) })
		e.checkDelivery(tl, want, e.f.QueuesPerTopic)
		ctx, cancel := e.timeout(e.f.Timeout)
		if err := r.Nack(ctx, tl.order[0]); err != nil {
			e.t.Errorf("%s: Nack: %v, want nil (a no-op)", name, err)
		}
		cancel()
		e.expectNone(r, name+" after every message and a Nack")
	}

	late := e.broadcast(e.transport(), topic)
	tl := newTally()
	e.consume(late, tl, false, e.f.Timeout, "reader started after publishing", func() bool { return tl.has(0, n) })
	e.checkDelivery(tl, want, e.f.QueuesPerTopic)
}
