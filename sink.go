package connect

import (
	"context"
	"log/slog"
)

// SinkConnector is a Connector whose tasks write into an external system.
type SinkConnector interface {
	Connector
	// NewTask returns a new, unstarted task.
	NewTask() SinkTask
}

// SinkTask writes records into an external system.
//
// The runtime calls Start once, then Put and Flush from a single goroutine,
// then Stop once. A message is acknowledged to the transport only after the
// Put that received it and the following Flush both succeeded; if either
// fails, the records are delivered again (at-least-once), so writes should
// be idempotent where the target allows it.
type SinkTask interface {
	Start(ctx context.Context, tc SinkTaskContext, cfg Config) error
	// Put hands the task a batch of records, in order per key. Put may
	// buffer. A *BatchError reports records that failed individually; any
	// other error fails the whole batch. Wrap transient failures with
	// Retriable to have the runtime retry.
	Put(ctx context.Context, records []*Record) error
	// Flush makes every record passed to Put so far durable in the target.
	Flush(ctx context.Context) error
	// Stop releases what Start acquired. Records put but not flushed are
	// delivered again to the next task.
	Stop(ctx context.Context) error
}

// SinkTaskContext is what the runtime offers a running sink task.
type SinkTaskContext interface {
	Connector() string
	TaskID() int
	Logger() *slog.Logger
	SetProgress(progress map[string]any)
}
