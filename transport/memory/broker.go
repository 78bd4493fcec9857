package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	connect "github.com/openmessaging/connect-go"
)

var (
	_ connect.MessageTransport = (*Broker)(nil)
	_ connect.MessageTransport = (*Client)(nil)
	_ connect.DeliveryTracker  = (*Broker)(nil)
	_ connect.DeliveryTracker  = (*Client)(nil)
	_ connect.GroupDeleter     = (*Broker)(nil)
	_ connect.GroupDeleter     = (*Client)(nil)
	_ connect.TopicRetention   = (*Broker)(nil)
	_ connect.TopicRetention   = (*Client)(nil)
)

// Errors wrapped by every method called after Close; both match
// connect.ErrClosed.
var (
	errTransportClosed    = fmt.Errorf("transport %w", connect.ErrClosed)
	errSubscriptionClosed = fmt.Errorf("subscription %w", connect.ErrClosed)
)

// Broker is an in-process message broker: topics split into queues, consumer
// groups with committed offsets, broadcast readers, bounded retention. It
// implements connect.MessageTransport and is safe for concurrent use; see the
// package documentation for the model.
//
// Several users of one Broker (runtimes of a simulated cluster) should each
// take their own Client, so that one of them closing its transport does not
// close the broker for the others.
type Broker struct {
	cfg   config
	own   *Client   // serves the Broker's own MessageTransport methods
	epoch time.Time // the origin of the retention clock (since)

	mu      sync.Mutex
	closed  bool
	topics  map[string]*topic
	clients map[*Client]struct{}
	// retaining holds the topics with a retention, for the janitor,
	// which the first SetRetention starts and Close stops.
	retaining   map[*topic]time.Duration
	janitorStop chan struct{}
	janitorDone chan struct{}
}

// New returns a running Broker.
func New(opts ...Option) *Broker {
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	b := &Broker{
		cfg:     cfg,
		epoch:   cfg.now(),
		topics:  make(map[string]*topic),
		clients: make(map[*Client]struct{}),
	}
	b.own = b.Client()
	return b
}

// Client returns a new connection to b. A Client is a MessageTransport over
// the broker's topics, groups and offsets; its Close ends only the
// subscriptions and blocked publishes made through it, like a process
// disconnecting from a shared cluster, and leaves b running. A Client of a
// closed Broker is closed.
func (b *Broker) Client() *Client {
	c := &Client{b: b, done: make(chan struct{}), subs: make(map[connect.Subscription]struct{})}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		c.closed = true
		close(c.done)
		return c
	}
	b.clients[c] = struct{}{}
	return c
}

// Publish stores msgs; see Client.Publish.
func (b *Broker) Publish(ctx context.Context, msgs ...*connect.Message) error {
	return b.own.Publish(ctx, msgs...)
}

// PublishTracked stores msgs and reports when every group consumed them;
// see Client.PublishTracked. Broker.Close stops the reports.
func (b *Broker) PublishTracked(ctx context.Context, consumed func(), msgs ...*connect.Message) error {
	return b.own.PublishTracked(ctx, consumed, msgs...)
}

// DeleteGroup forgets a consumer group; see Client.DeleteGroup.
func (b *Broker) DeleteGroup(ctx context.Context, group string) error {
	return b.own.DeleteGroup(ctx, group)
}

// Subscribe joins a consumer group; see Client.Subscribe.
func (b *Broker) Subscribe(ctx context.Context, group string, topics ...string) (connect.Subscription, error) {
	return b.own.Subscribe(ctx, group, topics...)
}

// Broadcast starts a broadcast reader; see Client.Broadcast.
func (b *Broker) Broadcast(ctx context.Context, topic string) (connect.Subscription, error) {
	return b.own.Broadcast(ctx, topic)
}

// CreateTopic creates a topic; see Client.CreateTopic.
func (b *Broker) CreateTopic(ctx context.Context, topic string, queues int) error {
	return b.own.CreateTopic(ctx, topic, queues)
}

// Close closes every Client of b, which closes their subscriptions (Fetch
// returns an error matching connect.ErrClosed) and fails their blocked
// publishes with connect.ErrClosed. Later calls of any method return
// connect.ErrClosed; Close itself is idempotent and returns nil. The only
// goroutine the broker starts, the retention janitor (SetRetention), ends
// before Close returns.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	clients := b.clients
	b.clients = nil
	stop, done := b.janitorStop, b.janitorDone
	b.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	for c := range clients {
		c.Close()
	}
	return nil
}

// forget removes a closed client.
func (b *Broker) forget(c *Client) {
	b.mu.Lock()
	delete(b.clients, c)
	b.mu.Unlock()
}

// topic returns the named topic, creating it with queues queues (the default
// when below 1) if it does not exist.
func (b *Broker) topic(name string, queues int) (*topic, error) {
	if name == "" {
		return nil, fmt.Errorf("empty topic name")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errTransportClosed
	}
	t, ok := b.topics[name]
	if !ok {
		if queues < 1 {
			queues = b.cfg.queues
		}
		t = newTopic(name, queues, b.cfg.capacity, b.since)
		b.topics[name] = t
	}
	return t, nil
}

// deleteGroup removes group from every topic, or from none if it has
// members on any. It locks every topic at once, in name order, so that no
// member can join in between; nothing else holds two topic locks.
func (b *Broker) deleteGroup(group string) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return errTransportClosed
	}
	topics := make([]*topic, 0, len(b.topics))
	for _, t := range b.topics {
		topics = append(topics, t)
	}
	b.mu.Unlock()
	slices.SortFunc(topics, func(x, y *topic) int { return strings.Compare(x.name, y.name) })

	for _, t := range topics {
		t.mu.Lock()
	}
	var busy []string
	for _, t := range topics {
		if g := t.findGroup(group); g != nil && len(g.members) > 0 {
			busy = append(busy, t.name)
		}
	}
	var ready readyList
	if len(busy) == 0 {
		for _, t := range topics {
			if t.removeGroup(group) {
				t.trim(&ready)
			}
		}
	}
	for _, t := range topics {
		t.mu.Unlock()
	}
	if len(busy) > 0 {
		return fmt.Errorf("group has members on topics %q: %w", busy, connect.ErrConflict)
	}
	ready.fire()
	return nil
}

// retained returns how many messages topic holds, over all its queues.
func (b *Broker) retained(name string) int {
	b.mu.Lock()
	t := b.topics[name]
	b.mu.Unlock()
	if t == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for i := range t.queues {
		n += t.queues[i].n
	}
	return n
}

// Lag returns how many messages of topics the consumer group has not
// committed yet: everything retained for a group that never subscribed to
// a topic. Messages a retention (SetRetention) dropped do not count. An
// owner of a broker uses it to let sinks drain before the broker, and what
// it holds, goes away.
func (b *Broker) Lag(group string, topics ...string) int64 {
	var lag int64
	for _, name := range topics {
		b.mu.Lock()
		t := b.topics[name]
		b.mu.Unlock()
		if t != nil {
			lag += t.lag(group)
		}
	}
	return lag
}
