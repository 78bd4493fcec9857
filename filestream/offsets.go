package filestream

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	connect "github.com/openmessaging/connect-go"
)

var _ connect.KafkaOffsets = (*Source)(nil)

// Kafka Connect's FileStreamSource keys: {"filename": F} and
// {"position": N}.
const (
	kafkaFilename = "filename"
	kafkaPosition = "position"
)

const partitionPrefix = "file:"

// ToKafka shows a position as Kafka's FileStreamSource does:
// {"filename": "/abs/path"} and {"position": N}.
func (*Source) ToKafka(p connect.Position) (partition, offset map[string]any, ok bool) {
	path, ok := strings.CutPrefix(p.Partition, partitionPrefix)
	if !ok {
		return nil, nil, false
	}
	var off sourceOffset
	if err := p.Decode(&off); err != nil {
		return nil, nil, false
	}
	return map[string]any{kafkaFilename: path}, map[string]any{kafkaPosition: off.Pos}, true
}

// FromKafka reads Kafka's FileStreamSource shape. A relative filename is
// taken from the worker's working directory, as the task does with file.
func (*Source) FromKafka(partition, offset map[string]any) (string, json.RawMessage, error) {
	name, _ := partition[kafkaFilename].(string)
	if len(partition) != 1 || strings.TrimSpace(name) == "" {
		return "", nil, fmt.Errorf(`filestream: the partition must be {"%s": "<file>"}`, kafkaFilename)
	}
	path, err := filepath.Abs(name)
	if err != nil {
		return "", nil, fmt.Errorf("filestream: partition %q: %w", name, err)
	}
	part := partitionPrefix + path
	if offset == nil {
		return part, nil, nil
	}
	num, _ := offset[kafkaPosition].(json.Number)
	pos, err := num.Int64()
	if len(offset) != 1 || err != nil || pos < 0 {
		return "", nil, errors.New(`filestream: the offset must be {"position": <byte offset, 0 or more>}`)
	}
	b, err := json.Marshal(sourceOffset{Pos: pos})
	return part, b, err
}
