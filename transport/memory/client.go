package memory

import (
	"context"
	"fmt"
	"slices"
	"sync"

	connect "github.com/openmessaging/connect-go"
)

// Client is one connection to a Broker; see Broker.Client. The Broker's own
// methods behave like those of a Client that Broker.Close closes.
type Client struct {
	b    *Broker
	done chan struct{} // closed by Close: unblocks publishers

	mu     sync.Mutex
	closed bool
	subs   map[connect.Subscription]struct{}

	// calls is held for reading while a consumed callback of a batch
	// published through c runs, and taken by Close once done is closed, so
	// that none runs after Close returned.
	calls sync.RWMutex
}

// Publish appends msgs to their topics' queues and returns once all are
// stored. A message's queue is chosen by an FNV-1a hash of its Key, so equal
// keys keep their publish order; messages without a key go round-robin.
// Unknown topics are created with the broker's default queue count.
//
// The broker keeps the *Message values it is given and hands consumers
// shallow copies of them: callers must not modify a message, its Key, Value
// or Headers after Publish, and consumers must treat them as read-only.
//
// Publish blocks while the queue of a message is full until consumers free
// space, ctx is done (the ctx error is returned wrapped) or the client is
// closed (connect.ErrClosed). Messages already stored then stay stored.
func (c *Client) Publish(ctx context.Context, msgs ...*connect.Message) error {
	return c.publish(ctx, nil, msgs)
}

// PublishTracked publishes msgs as Publish does and calls consumed once
// every group of their topics has acknowledged all of them, as
// connect.DeliveryTracker describes: that is when the broker drops them.
// consumed runs on the goroutine of the Ack or DeleteGroup that completed
// the batch, or on this one if the batch is complete before PublishTracked
// returns; on a topic with a retention (SetRetention), dropping expired
// messages completes batches too, on the goroutine that dropped them. It
// is never called after an error, nor after c (or the Broker) is closed.
func (c *Client) PublishTracked(ctx context.Context, consumed func(), msgs ...*connect.Message) error {
	if consumed == nil {
		return c.publish(ctx, nil, msgs)
	}
	tr := &tracked{c: c, consumed: consumed}
	tr.refs.Store(1) // the publisher's, dropped on success only
	if err := c.publish(ctx, tr, msgs); err != nil {
		return err
	}
	if tr.release() {
		c.deliver(consumed)
	}
	return nil
}

// deliver calls consumed unless c is closed.
func (c *Client) deliver(consumed func()) {
	c.calls.RLock()
	defer c.calls.RUnlock()
	select {
	case <-c.done:
	default:
		consumed()
	}
}

func (c *Client) publish(ctx context.Context, tr *tracked, msgs []*connect.Message) error {
	if c.isClosed() {
		return fmt.Errorf("memory: publish: %w", errTransportClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: publish: %w", err)
	}
	for i, m := range msgs {
		if m == nil {
			return fmt.Errorf("memory: publish: message %d is nil", i)
		}
		if m.Topic == "" {
			return fmt.Errorf("memory: publish: message %d has no topic", i)
		}
	}
	// Runs of messages to one topic take its lock once per pass.
	for i := 0; i < len(msgs); {
		j := i + 1
		for j < len(msgs) && msgs[j].Topic == msgs[i].Topic {
			j++
		}
		t, err := c.b.topic(msgs[i].Topic, 0)
		if err != nil {
			return fmt.Errorf("memory: publish to %q: %w", msgs[i].Topic, err)
		}
		if err := t.publish(ctx, c.done, tr, msgs[i:j]); err != nil {
			return fmt.Errorf("memory: publish to %q: %w", msgs[i].Topic, err)
		}
		i = j
	}
	return nil
}

// Subscribe joins consumer group group on topics, creating unknown topics.
// The group's members split each topic's queues and rebalance when members
// join or leave; a new group starts at the earliest retained message, a known
// one at its committed offsets.
//
// The subscription leaves the group when it is closed, when the client or
// broker is closed, or when ctx is done; its unacknowledged messages then go
// to the remaining members.
func (c *Client) Subscribe(ctx context.Context, group string, topics ...string) (connect.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: subscribe: %w", err)
	}
	if group == "" {
		return nil, fmt.Errorf("memory: subscribe: empty group name")
	}
	if len(topics) == 0 {
		return nil, fmt.Errorf("memory: subscribe group %q: no topics", group)
	}
	s := &groupSub{c: c, group: group, wake: make(chan struct{}, 1), done: make(chan struct{})}
	seen := make(map[string]bool, len(topics))
	for _, name := range topics {
		if seen[name] {
			continue
		}
		seen[name] = true
		t, err := c.b.topic(name, 0)
		if err != nil {
			return nil, fmt.Errorf("memory: subscribe group %q to %q: %w", group, name, err)
		}
		s.parts = append(s.parts, membership{t: t})
	}
	if !c.register(s) {
		return nil, fmt.Errorf("memory: subscribe group %q: %w", group, errTransportClosed)
	}
	for i := range s.parts {
		s.join(&s.parts[i])
	}
	s.closeWith(ctx)
	return s, nil
}

// Broadcast returns a reader of every message of topic, from the earliest
// retained one on, creating the topic if unknown. A broadcast reader does not
// hold retention: one that falls behind messages the broker dropped goes on
// at the earliest message still retained. Ack and Nack are no-ops. The
// reader stops when closed, when the client or broker is closed, or when ctx
// is done.
func (c *Client) Broadcast(ctx context.Context, topic string) (connect.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: broadcast: %w", err)
	}
	t, err := c.b.topic(topic, 0)
	if err != nil {
		return nil, fmt.Errorf("memory: broadcast %q: %w", topic, err)
	}
	r := &reader{c: c, t: t, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if !c.register(r) {
		return nil, fmt.Errorf("memory: broadcast %q: %w", topic, errTransportClosed)
	}
	r.join()
	r.closeWith(ctx)
	return r, nil
}

// CreateTopic creates topic with queues queues (the broker's default when
// queues is below 1). An existing topic keeps its queues and is not an
// error.
func (c *Client) CreateTopic(ctx context.Context, topic string, queues int) error {
	if c.isClosed() {
		return fmt.Errorf("memory: create topic %q: %w", topic, errTransportClosed)
	}
	if _, err := c.b.topic(topic, queues); err != nil {
		return fmt.Errorf("memory: create topic %q: %w", topic, err)
	}
	return nil
}

// Close closes the subscriptions made through c and fails its blocked
// publishes with connect.ErrClosed; the broker and its other clients go on.
// Later calls return connect.ErrClosed; Close is idempotent and returns nil.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.done)
	subs := c.subs
	c.subs = nil
	c.mu.Unlock()
	// Wait for consumed callbacks that began before done was closed.
	c.calls.Lock()
	//lint:ignore SA2001 the empty critical section is the barrier
	c.calls.Unlock()

	for s := range subs {
		s.Close()
	}
	c.b.forget(c)
	return nil
}

// DeleteGroup forgets consumer group group on every topic, as
// connect.GroupDeleter describes: messages only it held back are dropped,
// and the consumed callbacks of PublishTracked batches completed by that
// run on this goroutine before DeleteGroup returns. A topic left without
// groups keeps its messages for the next group, as a topic no group ever
// read does. While the group has members (a Subscription ended by its ctx
// leaves shortly after the ctx is done; Close leaves at once), it returns
// an error matching connect.ErrConflict and deletes nothing.
func (c *Client) DeleteGroup(ctx context.Context, group string) error {
	if c.isClosed() {
		return fmt.Errorf("memory: delete group %q: %w", group, errTransportClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: delete group %q: %w", group, err)
	}
	if group == "" {
		return fmt.Errorf("memory: delete group: empty group name")
	}
	if err := c.b.deleteGroup(group); err != nil {
		return fmt.Errorf("memory: delete group %q: %w", group, err)
	}
	return nil
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// register tracks s so that Close closes it; false when c is closed.
func (c *Client) register(s connect.Subscription) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.subs[s] = struct{}{}
	return true
}

func (c *Client) forget(s connect.Subscription) {
	c.mu.Lock()
	delete(c.subs, s)
	c.mu.Unlock()
}

// closer is the part of a subscription's lifecycle shared by group members
// and broadcast readers: closing once, and leaving when the ctx passed to
// Subscribe or Broadcast is done.
type closer struct {
	mu     sync.Mutex
	closed bool
	stop   func() bool // stops the context.AfterFunc
}

// watch arranges for closeFn to run when ctx is done. context.AfterFunc
// starts a goroutine only once ctx is done (or, for foreign Context
// implementations, one that stop ends), so Close leaves nothing behind.
func (cl *closer) watch(ctx context.Context, closeFn func() error) {
	stop := context.AfterFunc(ctx, func() { closeFn() })
	cl.mu.Lock()
	if cl.closed {
		cl.mu.Unlock()
		stop()
		return
	}
	cl.stop = stop
	cl.mu.Unlock()
}

func (cl *closer) isClosed() bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.closed
}

// begin marks the subscription closed; false if it already was.
func (cl *closer) begin() bool {
	cl.mu.Lock()
	if cl.closed {
		cl.mu.Unlock()
		return false
	}
	cl.closed = true
	stop := cl.stop
	cl.mu.Unlock()
	if stop != nil {
		stop()
	}
	return true
}

// without returns s without its first element equal to e, keeping order.
func without[S ~[]E, E comparable](s S, e E) S {
	if i := slices.Index(s, e); i >= 0 {
		return slices.Delete(s, i, i+1)
	}
	return s
}
