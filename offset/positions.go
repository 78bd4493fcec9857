package offset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	connect "github.com/openmessaging/connect-go"
)

// positions is the state both stores keep: connector -> partition -> offset,
// offsets in compact JSON.
type positions map[string]map[string]json.RawMessage

// normalize checks a Put's arguments and returns its positions with compacted
// offsets.
func normalize(connector string, ps []connect.Position) ([]connect.Position, error) {
	if connector == "" {
		return nil, errors.New("offset: put: empty connector name")
	}
	out := make([]connect.Position, len(ps))
	for i, p := range ps {
		if p.Partition == "" {
			return nil, fmt.Errorf("offset: put %q: position %d has an empty partition", connector, i)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, p.Offset); err != nil {
			return nil, fmt.Errorf("offset: put %q: offset of partition %q is not valid JSON: %w", connector, p.Partition, err)
		}
		out[i] = connect.Position{Partition: p.Partition, Offset: buf.Bytes()}
	}
	return out, nil
}

func (s positions) get(connector, partition string) (connect.Position, bool) {
	off, ok := s[connector][partition]
	if !ok {
		return connect.Position{}, false
	}
	return connect.Position{Partition: partition, Offset: slices.Clone(off)}, true
}

func (s positions) list(connector string) []connect.Position {
	parts := s[connector]
	out := make([]connect.Position, 0, len(parts))
	for _, p := range slices.Sorted(maps.Keys(parts)) {
		out = append(out, connect.Position{Partition: p, Offset: slices.Clone(parts[p])})
	}
	return out
}

// withPut returns connector's partitions after storing ps (normalized), and
// whether anything changed. The current map is left untouched so that a
// store can keep it when persisting the new one fails.
func (s positions) withPut(connector string, ps []connect.Position) (map[string]json.RawMessage, bool) {
	cur := s[connector]
	var next map[string]json.RawMessage
	for _, p := range ps {
		view := cur
		if next != nil {
			view = next
		}
		if old, ok := view[p.Partition]; ok && bytes.Equal(old, p.Offset) {
			continue
		}
		if next == nil {
			next = maps.Clone(cur)
			if next == nil {
				next = make(map[string]json.RawMessage, len(ps))
			}
		}
		next[p.Partition] = p.Offset
	}
	if next == nil {
		return cur, false
	}
	return next, true
}

// withDelete is withPut for Delete: no partitions means all of them.
func (s positions) withDelete(connector string, partitions []string) (map[string]json.RawMessage, bool) {
	cur := s[connector]
	if len(cur) == 0 {
		return cur, false
	}
	var next map[string]json.RawMessage
	for _, p := range partitions {
		if _, ok := cur[p]; !ok {
			continue
		}
		if next == nil {
			next = maps.Clone(cur)
		}
		delete(next, p)
	}
	if next == nil {
		return cur, false
	}
	return next, true
}

// withDeleteAll returns connector's partitions once all are deleted, and
// whether any were there.
func (s positions) withDeleteAll(connector string) (map[string]json.RawMessage, bool) {
	return nil, len(s[connector]) > 0
}

// set installs a connector's partitions as returned by withPut or withDelete.
func (s positions) set(connector string, parts map[string]json.RawMessage) {
	if len(parts) == 0 {
		delete(s, connector)
		return
	}
	s[connector] = parts
}
