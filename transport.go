package connect

import (
	"context"
	"time"
)

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

// DeliveryTracker is implemented by transports that hold messages only in
// memory (transport/memory): a message Publish accepted there is lost if the
// process dies before every consumer acknowledged it. A publisher that must
// not count a message as safe before that (a source task committing its
// position) publishes with PublishTracked and acts when consumed is called.
// Transports that store messages durably do not implement it: for them
// Publish returning nil already means the messages are safe.
type DeliveryTracker interface {
	// PublishTracked publishes msgs as Publish does and arranges for
	// consumed to be called once every message of msgs has been
	// acknowledged by every consumer group of its topic: the moment the
	// transport may forget it. Broadcast readers do not count. A group
	// counts from the moment it exists until it is deleted (GroupDeleter),
	// also while it has no members; a group that appears after the publish
	// counts too, as it starts at the oldest retained message. A topic no
	// group reads yet keeps its messages for the first group that
	// subscribes, so consumed waits for that group.
	//
	// When PublishTracked returns nil, consumed is called exactly once,
	// unless the transport is closed first: after Close returned it is
	// never called. When PublishTracked returns an error, consumed is never
	// called, not even for the messages it stored. consumed runs on the
	// goroutine of the Ack (or DeleteGroup) that completed the batch, or on
	// that of PublishTracked itself when the batch is complete before it
	// returns (no messages, say). Calls for different batches may run
	// concurrently and in any order. consumed must not block and must not
	// call into the transport. A nil consumed makes PublishTracked behave
	// as Publish.
	PublishTracked(ctx context.Context, consumed func(), msgs ...*Message) error
}

// GroupDeleter is implemented by transports that can forget a consumer
// group (transport/memory), so that the group of a deleted sink connector
// stops holding messages back.
type GroupDeleter interface {
	// DeleteGroup forgets consumer group group and its committed offsets
	// on every topic. What only that group had not acknowledged is
	// released, and DeliveryTracker callbacks that waited only for it are
	// called. A later Subscribe with the same name starts a new group at
	// the oldest retained message. Deleting an unknown group is not an
	// error. While the group has members, DeleteGroup deletes nothing and
	// returns an error matching ErrConflict: close its subscriptions
	// first.
	DeleteGroup(ctx context.Context, group string) error
}

// TopicRetention is implemented by transports whose retention can be set
// per topic (transport/memory), so that a topic read only by broadcast
// readers, which hold nothing back, does not grow without bound in a
// long-running process. Transports whose retention is set broker-wide
// (RocketMQ's fileReservedTime) do not implement it.
type TopicRetention interface {
	// SetRetention makes the transport drop the messages of topic
	// published more than d ago, whether or not consumer groups or
	// broadcast readers have read them yet (time-based retention, as
	// RocketMQ's fileReservedTime and Kafka's retention.ms). Fetch never
	// returns a message older than d; a message may go sooner, when every
	// group consumed it, as without retention. d = 0 restores the default:
	// keep a message until every consumer group consumed it. A negative d
	// is an error. SetRetention creates topic if needed (with the
	// transport's default queue count: CreateTopic first to choose
	// another), applies d at once to the messages topic holds, and may be
	// called again to change d. A message published before topic had a
	// retention may count as published when SetRetention was first called.
	//
	// A broadcast reader or group member whose next message was dropped
	// continues at the oldest retained message of the queue, as a Kafka
	// consumer whose offset fell out of retention does: the group's
	// committed offset moves there, and acknowledging or nacking a dropped
	// message has no effect. Dropped messages no longer count as
	// unconsumed (lag). For DeliveryTracker a dropped message counts as
	// consumed, since the transport forgot it (just as a durable
	// transport's Publish counts a message safe that its retention may
	// later delete unread): consumed is called once every message of the
	// batch was acknowledged or dropped, possibly on a goroutine of the
	// transport, such as the Publish or Fetch that noticed the expiry.
	SetRetention(ctx context.Context, topic string, d time.Duration) error
}
