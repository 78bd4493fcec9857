package transporttest

import (
	"context"
	"errors"
	"fmt"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// blockedFetch starts a Fetch that should block, and returns a channel with
// its error.
func (e *env) blockedFetch(sub connect.Subscription) <-chan error {
	ch := make(chan error, 1)
	e.goFunc(func() {
		msgs, err := sub.Fetch(e.ctx, 1)
		if err == nil {
			err = fmt.Errorf("fetch returned %d messages, want an error", len(msgs))
		}
		ch <- err
	})
	// Give it time to block; if it has not yet, it starts after the Close
	// and must fail all the same.
	time.Sleep(e.f.QuietPeriod / 4)
	return ch
}

func (e *env) awaitClosed(what string, ch <-chan error) {
	e.t.Helper()
	select {
	case err := <-ch:
		if err := expectClosed(err); err != nil {
			e.t.Errorf("%s: %v", what, err)
		}
	case <-time.After(e.f.Timeout):
		e.t.Errorf("%s: Fetch still blocked %v after Close", what, e.f.Timeout)
	}
}

func (e *env) fetchAfterClose(what string, sub connect.Subscription) {
	e.t.Helper()
	err := e.within("Fetch after Close", func() error {
		ctx, cancel := e.timeout(e.f.Timeout)
		defer cancel()
		_, err := sub.Fetch(ctx, 1)
		return expectClosed(err)
	})
	if err != nil {
		e.t.Errorf("%s: Fetch after Close: %v", what, err)
	}
}

func testSubscriptionClose(e *env) {
	tr := e.transport()
	topic := e.topicName("subclose")
	e.createTopic(tr, topic)
	subs := []struct {
		name string
		sub  connect.Subscription
	}{{"group member", e.subscribe(tr, e.groupName("subclose"), topic)}}
	if e.f.Broadcast {
		subs = append(subs, struct {
			name string
			sub  connect.Subscription
		}{"broadcast reader", e.broadcast(tr, topic)})
	}
	for _, s := range subs {
		blocked := e.blockedFetch(s.sub)
		if err := s.sub.Close(); err != nil {
			e.t.Errorf("%s: Close: %v", s.name, err)
		}
		e.awaitClosed(s.name+": Fetch blocked during Close", blocked)
		e.fetchAfterClose(s.name, s.sub)
		if err := closedOrNil(s.sub.Close()); err != nil {
			e.t.Errorf("%s: %v", s.name, err)
		}
	}
	// The transport goes on.
	sub := e.subscribe(tr, e.groupName("subclose2"), topic)
	e.publish(tr, e.message(topic, "", 0))
	tl := newTally()
	e.consume(sub, tl, true, e.f.Timeout, "receiving after other subscriptions closed", func() bool { return tl.has(0, 1) })
}

func testTransportClose(e *env) {
	tr := e.transport()
	topic := e.topicName("trclose")
	e.createTopic(tr, topic)
	subs := map[string]connect.Subscription{"group member": e.subscribe(tr, e.groupName("trclose"), topic)}
	if e.f.Broadcast {
		subs["broadcast reader"] = e.broadcast(tr, topic)
	}
	blocked := map[string]<-chan error{}
	for name, sub := range subs {
		blocked[name] = e.blockedFetch(sub)
	}
	if err := tr.Close(); err != nil {
		e.t.Errorf("Close: %v", err)
	}
	for name, sub := range subs {
		e.awaitClosed(name+": Fetch blocked during the transport's Close", blocked[name])
		e.fetchAfterClose(name, sub)
	}
	if err := closedOrNil(tr.Close()); err != nil {
		e.t.Error(err)
	}

	ctx, cancel := e.timeout(e.f.Timeout)
	defer cancel()
	calls := map[string]func() error{
		"Publish": func() error { return tr.Publish(ctx, e.message(topic, "", 0)) },
		"Subscribe": func() error {
			sub, err := tr.Subscribe(ctx, e.groupName("trclose2"), topic)
			if err == nil {
				sub.Close()
			}
			return err
		},
		"CreateTopic": func() error { return tr.CreateTopic(ctx, e.topicName("trclose2"), e.f.QueuesPerTopic) },
	}
	if e.f.Broadcast {
		calls["Broadcast"] = func() error {
			sub, err := tr.Broadcast(ctx, topic)
			if err == nil {
				sub.Close()
			}
			return err
		}
	}
	for name, call := range calls {
		if err := e.within(name+" after Close", call); !errors.Is(err, connect.ErrClosed) {
			e.t.Errorf("%s after Close: %v, want an error matching connect.ErrClosed", name, err)
		}
	}
}

// testContextCancel checks that Fetch returns the ctx error promptly when
// its ctx is cancelled or expires, and that the cancelled Fetch calls lost
// nothing.
func testContextCancel(e *env) {
	tr := e.transport()
	// A topic each: a broadcast reader may miss messages a group already
	// acknowledged (transports may drop them).
	topics := map[string]string{"group member": e.topicName("ctxg"), "broadcast reader": e.topicName("ctxb")}
	subs := map[string]connect.Subscription{}
	for name, topic := range topics {
		e.createTopic(tr, topic)
		if name == "group member" {
			subs[name] = e.subscribe(tr, e.groupName("ctx"), topic)
		} else if e.f.Broadcast {
			subs[name] = e.broadcast(tr, topic)
		}
	}
	for name, sub := range subs {
		err := e.within("Fetch with a cancelled ctx", func() error {
			ctx, cancel := context.WithCancel(e.ctx)
			cancel()
			_, err := sub.Fetch(ctx, 1)
			return err
		})
		if !errors.Is(err, context.Canceled) {
			e.t.Errorf("%s: Fetch with a cancelled ctx: %v, want an error matching context.Canceled", name, err)
		}
		err = e.within("Fetch with an expiring ctx", func() error {
			ctx, cancel := context.WithTimeout(e.ctx, e.f.QuietPeriod/4)
			defer cancel()
			_, err := sub.Fetch(ctx, 1)
			return err
		})
		if !errors.Is(err, context.DeadlineExceeded) {
			e.t.Errorf("%s: Fetch with an expiring ctx: %v, want an error matching context.DeadlineExceeded", name, err)
		}
		err = e.within("Fetch cancelled while blocked", func() error {
			ctx, cancel := context.WithCancel(e.ctx)
			time.AfterFunc(e.f.QuietPeriod/4, cancel)
			_, err := sub.Fetch(ctx, 1)
			return err
		})
		if !errors.Is(err, context.Canceled) {
			e.t.Errorf("%s: Fetch cancelled while blocked: %v, want an error matching context.Canceled", name, err)
		}
	}
	for name, sub := range subs {
		sent := e.messages(topics[name], 0, 3, keyOf)
		e.publish(tr, sent...)
		tl := newTally()
		e.consume(sub, tl, true, e.f.Timeout, name+" receiving after cancelled Fetch calls", func() bool { return tl.has(0, 3) })
		e.checkDelivery(tl, bySeq(sent), e.f.QueuesPerTopic)
	}
}
