// Package topiclog is a replicated, totally ordered log over one topic of a
// connect.MessageTransport, like Kafka Connect's KafkaBasedLog: the building
// block of cluster mode, where several runtimes share configs, offsets and
// statuses through internal topics they all read in order.
//
// It uses nothing but the transport's API. Open creates the topic with one
// queue (CreateTopic), so the queue's order is the log's order, and reads it
// with a broadcast reader (Broadcast) from the oldest retained message.
// Every Log on the same topic and transport therefore applies the same
// records in the same order. Record.Offset is the message's offset in the
// queue: it grows with every message, markers included.
//
// # Reading your writes: markers
//
// Append publishes and returns; it does not wait for the record to come
// back. Sync publishes a marker, a message with an empty value and a unique
// id in the header topiclog.sync, and waits until the reader passes it: as
// the topic has one queue, everything published before the marker (by any
// Log) is applied by then. Markers are never passed to apply. AppendSync
// tags its record with a unique id (header topiclog.id, removed from what
// apply sees) and waits until this Log applied it.
//
// Markers are tiny but stay in the topic until the transport's retention
// removes them (72 hours on a default RocketMQ broker; never on a memory
// broker topic no consumer group reads, which holds WithQueueCapacity
// messages per queue and then blocks publishers), and every new reader reads
// past them. Sync is for moments that need it (opening, handing a task
// over), not for every read.
//
// # Failures
//
// The reader retries failed fetches with exponential backoff (100ms to 5s),
// opening a new broadcast reader after an error that is not retriable; what
// it already applied is recognised by offset and skipped. It stops for good
// only when the transport is closed, and then Sync and AppendSync fail. A
// panic in apply is recovered and logged with the record's offset and key:
// a corrupt or foreign message never stops the log. Messages the reader
// could not read (retention removed them before it got there) are reported
// to apply with Record.Gap on the next record, so that a state machine can
// tell a complete history from one that starts in the middle.
//
// A topic with more than one queue (created by someone else before Open)
// has no total order; the reader logs it at Error once and goes on.
package topiclog
