package connect

import "context"

// OffsetStore keeps source positions per connector and partition, so that a
// restarted source resumes where it stopped.
//
// Methods are safe for concurrent use. Put is atomic: after a crash either
// all of its positions are stored or none is. Close is idempotent; calls
// after it return ErrClosed. Stores that read state before use implement
// Opener; the runtime calls Open from Start.
type OffsetStore interface {
	// Get returns the stored position of partition, and false when none is.
	Get(ctx context.Context, connector, partition string) (Position, bool, error)
	// Put stores positions, replacing earlier ones of the same partitions.
	// A position with an empty partition or an offset that is not valid
	// JSON is an error, and nothing of the call is stored.
	Put(ctx context.Context, connector string, positions ...Position) error
	// List returns every stored position of connector, sorted by partition.
	List(ctx context.Context, connector string) ([]Position, error)
	// Delete removes the given partitions of connector; unknown ones are
	// ignored, and no partitions deletes nothing.
	Delete(ctx context.Context, connector string, partitions ...string) error
	// DeleteAll removes every partition of connector.
	DeleteAll(ctx context.Context, connector string) error
	Close() error
}
