package connect

import (
	"context"
	"log/slog"
)

// SourceConnector is a Connector whose tasks read from an external system.
type SourceConnector interface {
	Connector
	// NewTask returns a new, unstarted task. It is called once per task
	// config (and again when a task restarts).
	NewTask() SourceTask
}

// SourceTask reads records from an external system.
//
// The runtime calls Start once, then Poll repeatedly from a single goroutine,
// then Stop once (also after Start or Poll failed). Commit, when implemented,
// may be called from another goroutine concurrently with Poll, and may come
// after Poll's ctx was cancelled, but never after Stop returned.
type SourceTask interface {
	// Start prepares the task. Stored positions are read from tc.Offset:
	// resume from there, not from the beginning.
	Start(ctx context.Context, tc SourceTaskContext, cfg Config) error
	// Poll blocks until at least one record is available or ctx is done, and
	// returns the records in source order. Returning (nil, nil) is allowed
	// (nothing yet, poll again). When ctx is done it returns ctx.Err() or
	// (nil, nil) promptly. Records of one Position.Partition must come in
	// increasing position order.
	//
	// Records returned together with an error were read and are delivered
	// like any others; the error is handled after them: one marked
	// Retriable makes the runtime poll again after a backoff, any other
	// fails the task (which restarts from the last committed position). So
	// a task that read part of a batch before failing returns that part
	// with the error, and its next Poll continues after it.
	//
	// A bounded source that has read everything returns ErrEndOfInput
	// (with its last records, if any): the runtime delivers them, commits
	// and stops the task.
	//
	// A record with an empty Topic goes to the connector's "topic" setting;
	// when that is empty too, the task fails with a clear reason.
	Poll(ctx context.Context) ([]*Record, error)
	// Stop releases what Start acquired.
	Stop(ctx context.Context) error
}

// SourceCommitter is implemented by source tasks that want to know which
// positions are durable: every record at or before each given position was
// acknowledged by the transport and the positions were written to the offset
// store. A source that must confirm reads upstream (a queue's ack, a
// replication slot's flush) does it here.
type SourceCommitter interface {
	Commit(ctx context.Context, positions []Position) error
}

// SourceTaskContext is what the runtime offers a running source task.
type SourceTaskContext interface {
	// Connector is the name of the connector the task belongs to.
	Connector() string
	// TaskID is the task's index within its connector.
	TaskID() int
	// Offset returns the stored position of partition, and false when none
	// is stored.
	Offset(ctx context.Context, partition string) (Position, bool, error)
	// Logger returns the task's logger.
	Logger() *slog.Logger
	// SetProgress publishes task-specific progress (snapshot rows done, say)
	// in the task's status. The map is copied.
	SetProgress(progress map[string]any)
}
