// Package connect holds the contracts of connect-go, an embeddable Go
// implementation of OpenMessaging Connect (the model behind Apache RocketMQ
// Connect and Kafka Connect).
//
// # The model
//
// A source connector reads an external system (a MySQL binlog, a file) and
// emits Records; a sink connector writes Records into an external system.
// Between them, records travel as Messages over a MessageTransport (RocketMQ
// in production, the in-process broker of transport/memory when embedded or
// testing), turned into bytes and back by a Converter (JSON by default).
//
//	SourceTask.Poll -> Converter.Encode -> MessageTransport.Publish
//	    -> Subscription.Fetch -> Converter.Decode -> SinkTask.Put/Flush -> Ack
//
// A Connector validates its Config against its ConfigSpec and splits the work
// into task configs; the runtime package runs one SourceTask or SinkTask per
// task config, restarts failed tasks with backoff, and commits source
// positions to an OffsetStore.
//
// # Delivery
//
// Delivery is at-least-once: a source position is committed only when the
// record at it and every earlier record of its partition were accepted by the
// transport, and a sink's messages are acknowledged only after Put and Flush
// succeeded. A crash replays records since the last commit, never skips any.
// Records with equal keys stay in order from source to sink.
//
// # Typed records
//
// Values may be untyped (maps, slices and scalars) or typed rows: a Struct
// is a Schema and the values of its fields in the schema's order, with no
// map per row. A Schema names a logical type that says what a value means
// (a DECIMAL(10,2), a DATETIME(6), a TIME over 24 hours, an ENUM and its
// members), so sinks can create tables with the right columns and the
// JSON converter keeps column order and, with schemas.enable, writes Kafka
// Connect's schema envelope. Sources build one schema per table version
// and share it between rows. Code that accepts both kinds reads rows with
// Lookup and AsMap.
//
// # Sinks that keep their own offsets
//
// Every record a sink task receives carries its Origin on the transport
// (topic, queue, offset). A sink that stores that position in its target in
// the transaction that writes the records implements QueueAwareSink: the
// runtime tells it the queues its consumer group member gets and loses,
// and it resumes each queue from its target with QueueSeeker.Seek, which
// makes delivery into that target exactly once. A sink that learns only
// later which records its target holds implements PreCommitter (Kafka's
// preCommit): the runtime then acknowledges only what it allows.
//
// # Errors
//
// Failures are classified with errors.Is: wrap transient ones with Retriable
// (retried with backoff), permanent ones with Fatal. Configuration problems
// are *ConfigError values naming every bad field. Lookups of unknown names
// match ErrNotFound, use after Close matches ErrClosed.
//
// # Extending
//
// Interfaces stay small; optional behaviour is an optional interface the
// runtime detects: ConfigValidator, SourceCommitter, Opener,
// QueueAwareSink, PreCommitter.
package connect
