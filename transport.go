package connect

import "context"

// MessageTransport carries messages between source and sink tasks: a
// RocketMQ cluster, or the in-process broker of transport/memory.
//
// Topics are split into queues. Messages with equal keys go to the same queue
// and are delivered in publish order; messages without a key are spread over
// the queues. Every method is safe for concurrent use. Close stops every
// subscription and frees what the transport started; it is idempotent, and
// calls after it return ErrClosed.
type MessageTransport interface {
	// Publish stores msgs durably (as durably as the transport can) and
	// returns once all of them are accepted, or returns an error: then any
	// subset may have been stored, and the caller publishes them again.
	// It blocks while the transport is full (backpressure) until ctx is
	// done. Errors worth retrying match ErrRetriable. The transport may
	// keep the messages: callers must not modify them after Publish.
	Publish(ctx context.Context, msgs ...*Message) error
	// Subscribe joins consumer group group on the given topics. The members
	// of a group split the topics' queues among them and rebalance when
	// members join or leave; each message is delivered to one member, again
	// after a Nack or when its member leaves without acknowledging it.
	// Delivery starts at the group's committed offsets (the oldest retained
	// message for a new group). ctx bounds the subscription's life: when it
	// is done the member leaves, as if Close was called.
	Subscribe(ctx context.Context, group string, topics ...string) (Subscription, error)
	// Broadcast reads every message of topic from the oldest one the
	// transport retains, without a group: each reader sees everything. Ack
	// and Nack are no-ops on it. ctx bounds the reader's life.
	Broadcast(ctx context.Context, topic string) (Subscription, error)
	// CreateTopic creates topic with the given number of queues. Creating
	// an existing topic is not an error. Publishing to an unknown topic
	// creates it with the transport's default queue count.
	CreateTopic(ctx context.Context, topic string, queues int) error
	Close() error
}

// Subscription is one member of a consumer group, or a broadcast reader.
//
// Fetch, Ack and Nack may be called from different goroutines. Close leaves
// the group: messages it received but did not acknowledge go to other
// members. Close is idempotent. Received messages are shared with the
// transport: treat Key, Value and Headers as read-only.
type Subscription interface {
	// Fetch blocks until at least one message is available or ctx is done
	// and returns up to max messages (at least one, whatever max says), in
	// queue order per queue.
	Fetch(ctx context.Context, max int) ([]*Message, error)
	// Ack acknowledges messages. The group's committed offset moves past
	// them once every earlier message of their queue is acknowledged too;
	// from then on they are not delivered to the group again. (Acked
	// messages behind an unacked one may come again after a rebalance.)
	Ack(ctx context.Context, msgs ...*Message) error
	// Nack asks for messages to be delivered again.
	Nack(ctx context.Context, msgs ...*Message) error
	Close() error
}
