// Package memory is an in-process message broker implementing
// connect.MessageTransport: the embedded default transport of connect-go,
// and the backend of tests that run several runtimes in one process.
//
// It is a broker, not a channel wrapper: topics keep messages, consumer
// groups keep offsets and rebalance, unacknowledged messages come back, and
// publishers wait when queues are full, so code tested against it meets the
// situations a RocketMQ cluster produces. It passes the conformance suite of
// transport/transporttest.
//
// # Topics and queues
//
// A topic is split into queues (WithDefaultQueues, 4 by default; CreateTopic sets
// another count). Publish puts a message in the queue chosen by an FNV-1a
// hash of its key, so messages with equal keys stay in publish order;
// messages without a key go to the queues in turn. Each queue numbers its
// messages with consecutive offsets from 0. Publishing to, subscribing to or
// broadcasting from an unknown topic creates it.
//
// The broker keeps the *connect.Message values given to Publish and hands
// consumers shallow copies with Queue, Offset and Redelivered set: Key, Value
// and Headers are shared, so publishers must not modify a message after
// Publish and consumers must not modify what they receive.
//
// # Consumer groups
//
// Subscribe joins a consumer group. The group's members split each topic's
// queues: every member gets an equal share, the earliest joiners one more
// when they do not divide evenly. When a member joins or leaves the queues
// are rebalanced, stickily: a queue stays with its owner while the owner is
// within its share, so a join or leave moves as few queues as possible.
//
// For every queue a group keeps a committed offset (everything below it is
// acknowledged), a delivery cursor, and the acknowledged offsets above the
// committed one. A member fetches from the queues it owns, in offset order.
// Ack moves the committed offset past the contiguous acknowledged prefix.
//
// Subscriptions are connect.QueueOwner: Owned lists the member's queues
// with a generation that changes on every rebalance touching them, and
// Seek sets a queue's committed offset and cursor (Kafka's seek followed
// by a commit). Acknowledged messages are dropped at once, so a Seek below
// the committed offset lands on the oldest message still held.
//
// # Redelivery
//
// Delivery is at-least-once. Nack rewinds the queue's cursor to the nacked
// message: it and the later messages of its queue that are not acknowledged
// are delivered again, in order. When a queue moves to another member, the
// new owner starts at the committed offset, so whatever the former owner
// received but did not acknowledge is delivered again. Acks and Nacks from a
// member for a queue it no longer owns are ignored. Message.Redelivered
// counts the earlier deliveries of a message to the group.
//
// A member leaves when its Subscription is closed, when the ctx given to
// Subscribe is done, or when its Client or the Broker is closed. Groups and
// their committed offsets outlive their members for the broker's lifetime:
// a group whose members all left resumes at its committed offsets. A new
// group starts at the earliest retained message of each queue.
//
// # Broadcast
//
// Broadcast returns a reader that sees every retained message of every queue
// of a topic, from the earliest on, and the new ones as they come. It belongs
// to no group; Ack and Nack are no-ops.
//
// # Retention and backpressure
//
// A queue retains at most WithQueueCapacity messages (8192 by default). A
// message is dropped once every group that ever subscribed to its topic has
// committed past it; a topic no group ever subscribed to keeps every message.
// Broadcast readers do not hold messages back: one that falls behind the
// earliest retained message of a queue goes on from there, skipping what was
// dropped.
//
// SetRetention (connect.TopicRetention) adds a time-based retention to a
// topic, as RocketMQ's fileReservedTime does broker-wide: its messages go
// once older than the retention, whether or not groups or readers have read
// them, so that a topic only broadcast readers read stays bounded. Groups and
// readers behind go on at the earliest retained message, and a tracked
// batch counts as consumed once its messages are acknowledged or dropped.
// Expired messages are dropped when their topic is published to or fetched
// from, and by one janitor goroutine per broker for idle topics. Topics
// without a retention pay nothing for it.
//
// Publishers block: Publish waits while the queue of a message is full until
// consumers acknowledge enough to free space, its ctx is done, or the
// transport is closed. Memory stays bounded however fast publishers are. The
// flip side is that a topic without consumers, or with a group that stopped
// consuming, stops its publishers once full.
//
// # Delivery tracking
//
// What the broker holds is lost with the process, so a publisher may want
// to know when a message is no longer needed. PublishTracked
// (connect.DeliveryTracker) publishes a batch and calls a function once
// every group of its topics has acknowledged all of it: the moment the
// broker drops it. Each queue keeps the tracked batches with messages in it
// in offset order, and a batch completes when the last queue holding some
// of it drops them; plain Publish pays nothing for this. Groups count
// whether or not they have members, until DeleteGroup (connect.GroupDeleter)
// forgets one, releasing what only it held back.
//
// # Sharing a broker
//
// Everything is safe for concurrent use. Several users of one Broker (the
// runtimes of a simulated cluster) should each take a Client: closing a
// Client ends its subscriptions and blocked publishes, like a process
// disconnecting, while the broker and the other clients go on. Closing the
// Broker closes every Client. The broker runs no goroutines of its own but
// the retention janitor, which the first SetRetention starts and closing
// the Broker ends.
package memory
