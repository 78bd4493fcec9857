package mysqlsource

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	connect "github.com/openmessaging/connect-go"
)

var _ connect.KafkaOffsets = (*Connector)(nil)

// ToKafka shows a position in Debezium's MySQL shape: the partition
// {"server": server.name} and the offset's own keys, which are Debezium's
// (file, pos, gtids, event, row; snapshot is this connector's).
func (*Connector) ToKafka(p connect.Position) (partition, offset map[string]any, ok bool) {
	server, ok := strings.CutPrefix(p.Partition, "mysql:")
	if !ok {
		return nil, nil, false
	}
	if err := json.Unmarshal(p.Offset, &offset); err != nil || offset == nil {
		return nil, nil, false
	}
	return map[string]any{"server": server}, offset, true
}

// FromKafka reads Debezium's MySQL shape: {"server": S} and an offset with
// file and pos (and optionally gtids, event, row; Debezium's informational
// ts_sec and server_id are dropped). A Debezium snapshot offset cannot be
// resumed here and is an error.
func (*Connector) FromKafka(partition, off map[string]any) (string, json.RawMessage, error) {
	server, _ := partition["server"].(string)
	if len(partition) != 1 || strings.TrimSpace(server) == "" {
		return "", nil, errors.New(`mysqlsource: the partition must be {"server": "<server.name>"}`)
	}
	part := Partition(server)
	if off == nil {
		return part, nil, nil
	}
	var o offset
	for k, v := range off {
		var err error
		switch k {
		case "file":
			if s, ok := v.(string); ok && s != "" {
				o.File = s
			} else {
				err = errors.New("must be a binlog file name")
			}
		case "gtids":
			if s, ok := v.(string); ok {
				o.GTIDs = s
			} else {
				err = errors.New("must be a GTID set")
			}
		case "pos":
			var n int64
			if n, err = number(v, math.MaxUint32); err == nil {
				o.Pos = uint32(n)
			}
		case "event":
			var n int64
			if n, err = number(v, math.MaxInt32); err == nil {
				o.Event = int(n)
			}
		case "row":
			var n int64
			if n, err = number(v, math.MaxInt32); err == nil {
				o.Row = int(n)
			}
		case "transaction_id":
			// Debezium's provide.transaction.metadata: the BEGIN of the
			// transaction to resume in was emitted.
			if s, ok := v.(string); ok {
				o.TxID = s
			} else {
				err = errors.New("must be a transaction id")
			}
		case "ts_sec", "server_id":
		default:
			if strings.HasPrefix(k, "transaction_data_collection_order_") {
				break // Debezium's event counts: counted again on resume
			}
			err = errors.New("is not supported (a snapshot in progress cannot be resumed here)")
		}
		if err != nil {
			return "", nil, fmt.Errorf("mysqlsource: offset %q %v", k, err)
		}
	}
	if o.File == "" {
		return "", nil, errors.New(`mysqlsource: the offset needs "file" and "pos"`)
	}
	b, err := json.Marshal(o)
	return part, b, err
}

func number(v any, max int64) (int64, error) {
	num, _ := v.(json.Number)
	n, err := num.Int64()
	if err != nil || n < 0 || n > max {
		return 0, fmt.Errorf("must be an integer from 0 to %d", max)
	}
	return n, nil
}
