package transporttest

import (
	"sync/atomic"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// testDeliveryTracker checks connect.DeliveryTracker on transports that
// implement it: consumed waits for every group, comes once, and never
// after the publishing transport closed.
func testDeliveryTracker(e *env) {
	tr := e.transport()
	dt, ok := tr.(connect.DeliveryTracker)
	if !ok {
		e.t.Skip("transport does not implement connect.DeliveryTracker")
	}
	topic := e.topicName("tracked")
	e.createTopic(tr, topic)
	subA := e.subscribe(e.transport(), e.groupName("a"), topic)
	subB := e.subscribe(e.transport(), e.groupName("b"), topic)
	closing := e.transport().(connect.DeliveryTracker)

	n := e.f.Messages
	var open, closed atomic.Int32
	ctx, cancel := e.timeout(e.f.Timeout)
	defer cancel()
	if err := dt.PublishTracked(ctx, func() { open.Add(1) }, e.messages(topic, 0, n, keyOf)...); err != nil {
		e.t.Fatalf("PublishTracked: %v", err)
	}
	if err := closing.PublishTracked(ctx, func() { closed.Add(1) }, e.messages(topic, n, 2*n, keyOf)...); err != nil {
		e.t.Fatalf("PublishTracked: %v", err)
	}
	if err := closing.(connect.MessageTransport).Close(); err != nil {
		e.t.Fatalf("Close: %v", err)
	}

	a := newTally()
	e.consume(subA, a, true, e.f.Timeout, "group a", func() bool { return a.has(0, 2*n) })
	time.Sleep(e.f.QuietPeriod)
	if got := open.Load(); got != 0 {
		e.t.Fatalf("consumed called %d times with group b not done", got)
	}
	b := newTally()
	e.consume(subB, b, true, e.f.Timeout, "group b", func() bool { return b.has(0, 2*n) })
	deadline := time.Now().Add(e.f.Timeout)
	for open.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(e.f.QuietPeriod)
	if got := open.Load(); got != 1 {
		e.t.Errorf("consumed called %d times after both groups acked, want 1", got)
	}
	if got := closed.Load(); got != 0 {
		e.t.Errorf("consumed of a closed transport called %d times, want 0", got)
	}
}
