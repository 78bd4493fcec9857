package connecttest

import (
	connect "github.com/openmessaging/connect-go"
)

var _ connect.SourceConnector = (*SliceSource)(nil)

// SlicePartition is the Position.Partition of SliceSource records; the
// offset is the record's index in the slice.
const SlicePartition = "slice"

// SliceSource is a source connector whose single task emits a fixed list of
// records, then blocks in Poll until its ctx is done. Each record is emitted
// as a copy whose Position is {SlicePartition, index}; a task resumes after
// the index stored in its OffsetStore, so a restart replays nothing that was
// committed.
//
// Hand it to a runtime as a factory; each call makes a fresh connector over
// the same records:
//
//	func() connect.Connector { return connecttest.NewSliceSource(recs...) }
//
// Settings: batch.size (default 100), the most records one Poll returns.
type SliceSource struct {
	connect.SourceConnector
}

// NewSliceSource returns a source emitting records, in order. The records
// are not modified.
func NewSliceSource(records ...*connect.Record) *SliceSource {
	seq := &indexed{
		spec: connect.Spec{
			Name:        "SliceSource",
			Version:     "test",
			Description: "Emits a fixed list of records, then waits.",
			Config:      connect.ConfigSpec{batchSizeField, topicField},
		},
		partition: SlicePartition,
		record: func(i int64) *connect.Record {
			if i < 0 || i >= int64(len(records)) {
				return nil
			}
			return records[i]
		},
	}
	return &SliceSource{seq.connector()}
}
