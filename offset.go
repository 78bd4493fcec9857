package connect

import (
	"context"
	"encoding/json"
)

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

// KafkaOffsets is implemented by a source connector whose positions have a
// shape in Kafka Connect: a partition map and an offset map, as Kafka
// Connect's REST API shows and takes them (GET and PATCH
// /connectors/{name}/offsets), so that its users' requests work unchanged.
// Without it the API shows a partition as {"partition": "<string>"} and the
// offset as stored.
//
// The methods are called on an instance that was never started, from any
// goroutine; they depend on their arguments only. Numbers in the maps
// FromKafka gets are json.Number.
type KafkaOffsets interface {
	// ToKafka returns the Kafka shape of p; ok is false for a position it
	// does not know, which is then shown in the generic shape.
	ToKafka(p Position) (partition, offset map[string]any, ok bool)
	// FromKafka returns the partition a Kafka partition map stands for and,
	// unless offset is nil (the position is to be deleted), the offset to
	// store. A map it cannot read is an error saying why.
	FromKafka(partition, offset map[string]any) (part string, off json.RawMessage, err error)
}
