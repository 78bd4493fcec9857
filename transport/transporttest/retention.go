package transporttest

import (
	"time"

	connect "github.com/openmessaging/connect-go"
)

// retentionCase is the retention the TopicRetention case sets: long enough
// for a loaded machine to fetch the messages it must deliver before they
// expire, short enough to keep the case at about two seconds.
const retentionCase = 400 * time.Millisecond

// testTopicRetention checks connect.TopicRetention on transports that
// implement it: a broadcast reader and a group positioned before messages
// older than the retention go on at the newer ones; a tracked batch that
// expired counts as consumed; 0 restores keeping messages until consumed.
func testTopicRetention(e *env) {
	tr := e.transport()
	ret, ok := tr.(connect.TopicRetention)
	if !ok {
		e.t.Skip("transport does not implement connect.TopicRetention")
	}
	set := func(topic string, d time.Duration) {
		e.t.Helper()
		ctx, cancel := e.timeout(e.f.Timeout)
		defer cancel()
		if err := ret.SetRetention(ctx, topic, d); err != nil {
			e.t.Fatalf("SetRetention(%q, %v): %v", topic, d, err)
		}
	}
	topic := e.topicName("retention")
	e.createTopic(tr, topic)
	set(topic, retentionCase)
	reader := e.broadcast(e.transport(), topic)
	group := e.subscribe(e.transport(), e.groupName("retention"), topic)

	n := e.f.Messages
	e.publish(tr, e.messages(topic, 0, n, keyOf)...)
	consumed := make(chan struct{})
	if dt, ok := tr.(connect.DeliveryTracker); ok {
		ctx, cancel := e.timeout(e.f.Timeout)
		err := dt.PublishTracked(ctx, func() { close(consumed) }, e.messages(topic, n, 2*n, keyOf)...)
		cancel()
		if err != nil {
			e.t.Fatalf("PublishTracked: %v", err)
		}
	} else {
		e.publish(tr, e.messages(topic, n, 2*n, keyOf)...)
		close(consumed)
	}
	time.Sleep(retentionCase * 3 / 2)
	newer := e.messages(topic, 2*n, 3*n, keyOf)
	e.publish(tr, newer...)

	// The reader first: a group's acks may drop what a reader did not get.
	for _, c := range []struct {
		name string
		sub  connect.Subscription
	}{{"broadcast reader", reader}, {"group", group}} {
		tl := newTally()
		e.consume(c.sub, tl, true, e.f.Timeout, c.name+" after the retention", func() bool { return tl.has(2*n, 3*n) })
		if got := tl.distinct(); got != n {
			e.t.Errorf("%s got %d distinct messages, want the %d newer than the retention", c.name, got, n)
		}
		e.checkDelivery(tl, bySeq(newer), e.f.QueuesPerTopic)
		e.expectNone(c.sub, c.name+" after the newer messages")
	}
	select {
	case <-consumed:
	case <-time.After(e.f.Timeout):
		e.t.Errorf("consumed not called within %v for a tracked batch the retention dropped", e.f.Timeout)
	}

	set(topic, 0)
	kept := e.messages(topic, 3*n, 4*n, keyOf)
	e.publish(tr, kept...)
	time.Sleep(retentionCase * 3 / 2)
	late := newTally()
	e.consume(e.broadcast(e.transport(), topic), late, false, e.f.Timeout, "reader after the retention was reset",
		func() bool { return late.has(3*n, 4*n) })
}
