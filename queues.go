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

// QueueAwareSink is implemented by sink tasks that follow which transport
// queues their consumer group member owns (Kafka's SinkTask.open and
// close): a sink that keeps its progress in the target system (the offset
// of the last record it applied, per queue) reads it in Open and resumes
// each queue there with QueueSeeker.Seek.
//
// The runtime calls Open with the queues the member got before Put
// receives any record of them, and Close with the queues it lost once the
// records of them that Put received were flushed (or will be delivered
// again), and with every queue it still owns before Stop. A batch fetched
// while a rebalance moved queues is handed back to the transport and
// fetched again, so Put never mixes records of queues before and after a
// change. Calls come from the goroutine that calls Put. An error from
// Open or Close fails the batch like one from Put (retried while
// retriable).
//
// A rebalance does not wait for a queue's previous owner to finish the
// batch it holds (neither transport of this module does), so for a moment
// two tasks may write records of one queue: a sink that must apply each
// record once also fences in its target, in the transaction that applies
// a batch, skipping records below the offset its target stored for their
// queue.
//
// Only transports whose subscriptions implement QueueOwner tell the
// runtime about queues; on others Open and Close are not called and Seek
// is refused.
type QueueAwareSink interface {
	Open(ctx context.Context, queues []QueueRef) error
	Close(ctx context.Context, queues []QueueRef) error
}

// QueueSeeker is implemented by the SinkTaskContext the runtime hands to
// sink tasks (Kafka's SinkTaskContext.offset): Seek asks the runtime to
// resume queue q at offset, so that the next record of q that Put
// receives is the one at offset (see QueueOwner.Seek). The runtime applies
// it before the next batch reaches Put (a batch it fetched meanwhile is
// handed back to the transport first); a queue the member no longer owns
// by then is ignored, as its new owner resumes it from its own Open. Seek
// returns an error when the runtime cannot seek (its transport cannot).
type QueueSeeker interface {
	Seek(q QueueRef, offset int64) error
}

// PreCommitter is implemented by sink tasks that decide which of the
// records they received may be acknowledged to the transport (Kafka's
// SinkTask.preCommit): a task that writes asynchronously, say, and learns
// later what its target holds. Without it, the runtime acknowledges every
// record of a batch once Flush succeeded.
//
// The runtime calls PreCommit after each successful Flush, instead of
// acknowledging the batch, and again every offset flush interval (the
// runtime's WithOffsetFlushInterval) while it holds records back and
// waits for new ones. current holds, for each queue with records the task
// received that are not acknowledged yet, the offset after the last of
// them (Kafka's currentOffsets: the next offset to consume). PreCommit
// returns, per queue, the offset below which records may be acknowledged;
// the runtime acknowledges those and holds the others back until a later
// PreCommit allows them. A queue missing from the result has nothing
// acknowledged; an offset beyond current's counts as current's, so
// returning current acknowledges everything. The task may modify and
// return current.
//
// Records held back are delivered again when the task stops or fails
// before they are acknowledged, or when their queue moves to another
// member, or when the task seeks their queue (QueueSeeker): the runtime
// then stops holding them. As after any failure, a record may be written
// twice. While a queue has records held back, the transport's
// committed offset of it does not move past them, and a transport that
// keeps messages in memory keeps them: a task must not hold records back
// indefinitely.
//
// Calls come from the goroutine that calls Put. A retriable error
// (Retriable) acknowledges nothing this time; any other fails the task,
// and what was held back is delivered again.
type PreCommitter interface {
	PreCommit(ctx context.Context, current map[QueueRef]int64) (map[QueueRef]int64, error)
}
