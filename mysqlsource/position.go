package mysqlsource

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/go-mysql-org/go-mysql/mysql"

	connect "github.com/openmessaging/connect-go"
)

// offset is the JSON offset of every record's Position. See "Positions and
// restart" in the package documentation.
//
// File and Pos are where the binlog is read again from on restart: the start
// of the transaction the record belongs to, a transaction boundary. GTIDs is
// the GTID set of the transactions before it. Event and Row say how much of
// that transaction was already emitted: its first Event data events (row
// events and TRUNCATEs) and the first Row rows of the next one. A restart
// skips exactly that much, so a transaction is never half replayed nor
// skipped.
//
// During the snapshot, Snapshot names the table being read and the primary
// key of the last row emitted; File, Pos and GTIDs are then where the binlog
// will be streamed from once the snapshot is over.
type offset struct {
	File  string `json:"file"`
	Pos   uint32 `json:"pos"`
	GTIDs string `json:"gtids,omitempty"`
	Event int    `json:"event,omitempty"`
	Row   int    `json:"row,omitempty"`
	// TxID is the id of the transaction being emitted
	// (provide.transaction.metadata) once its BEGIN event was: a restart
	// then emits no second BEGIN (see txmeta.go). Debezium's offset key.
	TxID     string          `json:"transaction_id,omitempty"`
	Snapshot *snapshotOffset `json:"snapshot,omitempty"`
}

// snapshotOffset is where an interrupted snapshot resumes.
type snapshotOffset struct {
	DB    string `json:"db"`
	Table string `json:"table"`
	// Key is the primary key of the last row emitted (absent for tables
	// without one: they are read again from the start), each value as
	// keyJSON wrote it.
	Key []json.RawMessage `json:"key,omitempty"`
	// Cols names Key's columns. The key is only reused if the table's
	// primary key still has these columns; else the table is read again
	// from the start. Offsets written before Cols existed lack it: their
	// key is then reused if the primary key has as many columns.
	Cols []string `json:"cols,omitempty"`
	// Schema is set while the snapshot emits the CREATE events of its
	// tables (include.schema.changes), before any row: the last table
	// whose event was emitted. DB and Table are then the first table.
	Schema *snapshotSchemaMark `json:"schema,omitempty"`
}

// coordinates is a binlog position with the GTID set executed before it.
type coordinates struct {
	File  string
	Pos   uint32
	GTIDs string
}

func (c coordinates) String() string {
	s := c.File + ":" + strconv.FormatUint(uint64(c.Pos), 10)
	if c.GTIDs != "" {
		s += " (GTIDs " + c.GTIDs + ")"
	}
	return s
}

// offsetPrefix returns the constant head of the offsets of the records of a
// transaction, `{"file":F,"pos":P,"gtids":G`, so that each record only
// appends its event and row (records are made by the million).
func offsetPrefix(c coordinates) []byte {
	b := make([]byte, 0, 64+len(c.File)+len(c.GTIDs))
	b = append(b, `{"file":`...)
	b = appendJSONString(b, c.File)
	b = append(b, `,"pos":`...)
	b = strconv.AppendUint(b, uint64(c.Pos), 10)
	if c.GTIDs != "" {
		b = append(b, `,"gtids":`...)
		b = appendJSONString(b, c.GTIDs)
	}
	return b
}

func appendJSONString(b []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	if plain { // as json.Marshal writes it, without its allocations
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// streamOffset completes a prefix with event and row.
func streamOffset(prefix []byte, event, row int) json.RawMessage {
	b := make([]byte, 0, len(prefix)+32)
	b = append(b, prefix...)
	b = append(b, `,"event":`...)
	b = strconv.AppendInt(b, int64(event), 10)
	b = append(b, `,"row":`...)
	b = strconv.AppendInt(b, int64(row), 10)
	return append(b, '}')
}

func decodeOffset(p connect.Position) (offset, error) {
	var o offset
	if err := p.Decode(&o); err != nil {
		return o, err
	}
	if o.File == "" && o.GTIDs == "" {
		return o, fmt.Errorf("mysqlsource: stored position %s of %s names no binlog file", p.Offset, p.Partition)
	}
	if o.Event < 0 || o.Row < 0 {
		return o, fmt.Errorf("mysqlsource: stored position %s of %s is malformed", p.Offset, p.Partition)
	}
	return o, nil
}

// keyJSON encodes a snapshot key value (a binary protocol field value) so
// that keyArg can bind it again: numbers as JSON numbers, text as strings,
// other bytes as {"b64":...}.
func keyJSON(fv *mysql.FieldValue) json.RawMessage { return appendKeyJSON(nil, fv) }

// appendKeyJSON appends keyJSON(fv) to b.
func appendKeyJSON(b []byte, fv *mysql.FieldValue) []byte {
	switch fv.Type {
	case mysql.FieldValueTypeSigned:
		return strconv.AppendInt(b, fv.AsInt64(), 10)
	case mysql.FieldValueTypeUnsigned:
		return strconv.AppendUint(b, fv.AsUint64(), 10)
	case mysql.FieldValueTypeFloat:
		return strconv.AppendFloat(b, fv.AsFloat64(), 'g', -1, 64)
	case mysql.FieldValueTypeString:
		s := fv.AsString()
		if utf8.Valid(s) {
			return appendJSONString(b, string(s))
		}
		b = append(b, `{"b64":"`...)
		b = base64.StdEncoding.AppendEncode(b, s)
		return append(b, `"}`...)
	}
	return append(b, "null"...)
}

// keyArg decodes what keyJSON wrote into a statement argument.
func keyArg(raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("empty key value")
	}
	switch raw[0] {
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case '{':
		var m map[string]string
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, err
		}
		return base64.StdEncoding.DecodeString(m["b64"])
	case 'n':
		return nil, nil
	}
	s := string(raw)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		return u, nil
	}
	return strconv.ParseFloat(s, 64)
}
