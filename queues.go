package connect

import "context"

// QueueRef names one queue of a topic: Kafka's TopicPartition.
type QueueRef struct {
	Topic string
	Queue int
}

// QueueOwner is implemented by the subscriptions of consumer group members
// on transports that tell a member which queues it owns and let it choose
// where it reads them (both transports of this module). The runtime uses
// it for sink tasks that keep their progress in the target system
// (QueueAwareSink): such a task resumes each queue it gets where the target
// says, not where the transport's committed offset says.
type QueueOwner interface {
	// Owned returns the queues the member owns now, sorted by topic and
	// queue, and a generation that changes whenever that set changes (a
	// rebalance moved a queue to or from the member).
	Owned() (queues []QueueRef, generation uint64)
	// Seek repositions the group on queue q, which the member owns: the
	// next message of q it fetches is the one at offset (the oldest one
	// retained when offset is older, the next one published when it is
	// beyond the newest), and the group's committed offset of q becomes
	// offset, as if the messages below it had been acknowledged and none
	// from it on. Messages of q fetched before Seek and not acknowledged
	// are then not delivered again unless they are at or after offset;
	// do not Ack or Nack them after Seek (the caller drops them).
	// Seek of a queue the member does not own returns an error matching
	// ErrConflict.
	Seek(ctx context.Context, q QueueRef, offset int64) error
}
