package connecttest

import (
	"strconv"

	connect "github.com/openmessaging/connect-go"
)

var _ connect.SourceConnector = (*Generator)(nil)

// GeneratorPartition is the Position.Partition of Generator records; the
// offset is the record's sequence number i.
const GeneratorPartition = "generator"

// Generator is a source connector whose single task emits records made on the
// fly by a function of their sequence number, as fast as they are polled:
// load for benchmarks and crash tests. Like SliceSource it resumes after the
// stored sequence number and blocks in Poll once a limit is reached.
//
//	func() connect.Connector { return connecttest.NewGenerator(nil, 1_000_000) }
//
// Settings: batch.size (default 100), the most records one Poll returns.
type Generator struct {
	connect.SourceConnector
}

// NewGenerator returns a source emitting fn(0), fn(1), ... and stopping after
// limit records (never, when limit <= 0). fn is called from the task's Poll
// goroutine; the Position it sets is overwritten. A nil fn makes records with
// Key nil and Value the decimal string of i.
func NewGenerator(fn func(i int64) *connect.Record, limit int64) *Generator {
	if fn == nil {
		fn = func(i int64) *connect.Record { return &connect.Record{Value: strconv.FormatInt(i, 10)} }
	}
	seq := &indexed{
		spec: connect.Spec{
			Name:        "Generator",
			Version:     "test",
			Description: "Emits generated records.",
			Config:      connect.ConfigSpec{batchSizeField, topicField},
		},
		partition: GeneratorPartition,
		record: func(i int64) *connect.Record {
			if i < 0 || (limit > 0 && i >= limit) {
				return nil
			}
			return fn(i)
		},
	}
	return &Generator{seq.connector()}
}
