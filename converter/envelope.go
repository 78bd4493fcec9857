package converter

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// schemaCache keeps the JSON of recently written schemas by schema, and
// recently read schemas by their JSON text, so that rows of one table
// version share their schema on both sides. Each map holds at most size
// entries; a full map starts over.
type schemaCache struct {
	size int

	mu   sync.RWMutex
	json map[encKey][]byte
	read map[string]*connect.Schema
}

// encKey identifies a written schema: a value's, or a change event
// envelope's from its row and source schemas.
type encKey struct {
	row, source *connect.Schema
	change      bool
	tail        envelopeTail // change events: which optional members the envelope has
}

func newSchemaCache(size int) *schemaCache {
	return &schemaCache{size: size, json: map[encKey][]byte{}, read: map[string]*connect.Schema{}}
}

func (c *schemaCache) schemaJSON(k encKey, build func() ([]byte, error)) ([]byte, error) {
	if c == nil || c.size <= 0 {
		return build()
	}
	c.mu.RLock()
	b, ok := c.json[k]
	c.mu.RUnlock()
	if ok {
		return b, nil
	}
	b, err := build()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.json) >= c.size {
		clear(c.json)
	}
	c.json[k] = b
	c.mu.Unlock()
	return b, nil
}

func (c *schemaCache) lookup(raw []byte) *connect.Schema {
	if c == nil || c.size <= 0 {
		return nil
	}
	c.mu.RLock()
	s := c.read[string(raw)]
	c.mu.RUnlock()
	return s
}

func (c *schemaCache) remember(raw []byte, s *connect.Schema) {
	if c == nil || c.size <= 0 || s == nil {
		return
	}
	c.mu.Lock()
	if len(c.read) >= c.size {
		clear(c.read)
	}
	c.read[string(raw)] = s
	c.mu.Unlock()
}

// Schemas of plain Go values written in an envelope: the Go types that
// name one Kafka type.
const (
	schemaString  = `{"type":"string","optional":false}`
	schemaBytes   = `{"type":"bytes","optional":false}`
	schemaBoolean = `{"type":"boolean","optional":false}`
	schemaInt64   = `{"type":"int64","optional":false}`
	schemaFloat   = `{"type":"float","optional":false}`
	schemaDouble  = `{"type":"double","optional":false}`
)

// appendEnvelope appends v as Kafka Connect's {"schema":...,"payload":...}
// envelope to e.buf and returns the types header of an untyped payload
// (relative to the payload).
func (e *encoder) appendEnvelope(v any, cache *schemaCache) (string, error) {
	e.types, e.path = e.types[:0], e.path[:0]
	e.buf = append(e.buf, `{"schema":`...)
	var schema string
	switch x := v.(type) {
	case *connect.Struct:
		if x == nil {
			break
		}
		sj, err := cache.schemaJSON(encKey{row: x.Schema}, func() ([]byte, error) { return appendSchema(nil, x.Schema, "", false) })
		if err != nil {
			return "", e.errorf("schema: %w", err)
		}
		e.buf = append(e.buf, sj...)
		e.buf = append(e.buf, `,"payload":`...)
		if err := e.typed(x.Schema, x, 0); err != nil {
			return "", err
		}
		e.buf = append(e.buf, '}')
		return "", nil
	case string:
		schema = schemaString
	case []byte:
		schema = schemaBytes
	case bool:
		schema = schemaBoolean
	case int, int8, int16, int32, int64:
		schema = schemaInt64
	case float32:
		schema = schemaFloat
	case float64:
		schema = schemaDouble
	}
	if schema == "" {
		schema = "null"
	}
	e.buf = append(e.buf, schema...)
	e.buf = append(e.buf, `,"payload":`...)
	if err := e.value(v, 0); err != nil {
		return "", err
	}
	e.buf = append(e.buf, '}')
	if schema != "null" {
		return "", nil // []byte: the schema says so
	}
	return e.typesHeader(), nil
}

// appendChangeEnvelope appends a change event as an envelope whose payload
// is Debezium's envelope. With typed rows the schema is Debezium's
// envelope schema; with untyped rows (a map anywhere) it is null and the
// returned types header covers the payload.
func (e *encoder) appendChangeEnvelope(c *connect.Change, ts time.Time, cache *schemaCache) (string, error) {
	row, source, typed, err := changeSchemas(c)
	if err != nil {
		return "", err
	}
	if !typed {
		e.buf = append(e.buf, `{"schema":null,"payload":`...)
		types, err := e.appendChange(c, ts)
		if err != nil {
			return "", err
		}
		e.buf = append(e.buf, '}')
		return types, nil
	}
	e.types, e.path = e.types[:0], e.path[:0]
	tail := tailOf(c)
	sj, err := cache.schemaJSON(encKey{row: row, source: source, change: true, tail: tail}, func() ([]byte, error) {
		return appendEnvelopeSchema(nil, row, source, tail)
	})
	if err != nil {
		return "", e.errorf("schema: %w", err)
	}
	e.buf = append(e.buf, `{"schema":`...)
	e.buf = append(e.buf, sj...)
	e.buf = append(e.buf, `,"payload":`...)
	for i, part := range [...]struct {
		name   string
		row    any
		schema *connect.Schema
	}{{"before", c.Before, row}, {"after", c.After, row}, {"source", c.Source, source}} {
		if i == 0 {
			e.buf = append(e.buf, '{')
		} else {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendString(e.buf, part.name)
		e.buf = append(e.buf, ':')
		e.path = append(e.path[:0], pathElem{key: part.name, idx: -1})
		v := part.row
		if isNilRow(v) {
			v = nil
		}
		if v == nil {
			e.buf = append(e.buf, "null"...)
			continue
		}
		if err := e.typed(part.schema, v, 1); err != nil {
			return "", err
		}
	}
	e.path = e.path[:0]
	e.buf = appendEnvelopeTail(e.buf, c, ts, tail)
	e.buf = append(e.buf, "}}"...)
	return "", nil
}

// changeSchemas returns the row and source schemas of a change event, and
// whether it is typed: a *connect.Struct before or after, and no map
// among its rows.
func changeSchemas(c *connect.Change) (row, source *connect.Schema, typed bool, err error) {
	for _, part := range [...]struct {
		name string
		v    any
	}{{"before", c.Before}, {"after", c.After}, {"source", c.Source}} {
		switch r := part.v.(type) {
		case nil:
		case map[string]any:
			if r != nil {
				return nil, nil, false, nil
			}
		case *connect.Struct:
			if r == nil {
				continue
			}
			if part.name == "source" {
				source = r.Schema
				continue
			}
			if row != nil && !row.Equal(r.Schema) {
				return nil, nil, false, fmt.Errorf("change event rows of two schemas: before %s, after %s", row, r.Schema)
			}
			row = r.Schema
		default:
			return nil, nil, false, fmt.Errorf("change event %s is %T, not a row (*connect.Struct or map[string]any)", part.name, part.v)
		}
	}
	return row, source, row != nil, nil
}

// appendEnvelopeSchema writes the schema of Debezium's change event
// envelope for rows of schema row and a source block of schema source
// (nil: an optional struct without fields). before and after are optional,
// as in Debezium.
func appendEnvelopeSchema(b []byte, row, source *connect.Schema, tail envelopeTail) ([]byte, error) {
	b = append(b, `{"type":"struct","fields":[`...)
	var err error
	if b, err = appendSchema(b, row, "before", true); err != nil {
		return nil, err
	}
	b = append(b, ',')
	if b, err = appendSchema(b, row, "after", true); err != nil {
		return nil, err
	}
	b = append(b, ',')
	if source == nil {
		b = append(b, `{"type":"struct","fields":[],"optional":true,"field":"source"}`...)
	} else if b, err = appendSchema(b, source, "source", false); err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	if tail&tailTransaction != 0 {
		b = append(b, `,{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},{"type":"int64","optional":false,"field":"total_order"},{"type":"int64","optional":false,"field":"data_collection_order"}],"optional":true,"name":"event.block","version":1,"field":"transaction"}`...)
	}
	b = append(b, `,{"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"}`...)
	if tail&tailFineTimes != 0 {
		b = append(b, `,{"type":"int64","optional":true,"field":"ts_us"},{"type":"int64","optional":true,"field":"ts_ns"}`...)
	}
	b = append(b, `],"optional":false`...)
	if name := envelopeName(row.Name); name != "" {
		b = append(b, `,"name":`...)
		b = appendString(b, name)
	}
	return append(b, '}'), nil
}

// envelopeTail says which of Debezium's optional envelope members a
// change event's envelope has.
type envelopeTail uint8

const (
	// tailTransaction: the transaction block (null when the event has
	// none).
	tailTransaction envelopeTail = 1 << iota
	// tailFineTimes: ts_us and ts_ns beside ts_ms.
	tailFineTimes
)

// tailOf returns the members c's envelope has. An event with a processing
// time (Change.At) gets Debezium 3's whole envelope: transaction (null
// when absent), ts_ms, ts_us and ts_ns; other events get the envelope
// connect-go wrote before those fields, with a transaction block when
// they have one.
func tailOf(c *connect.Change) envelopeTail {
	var t envelopeTail
	if !c.At.IsZero() {
		t = tailTransaction | tailFineTimes
	}
	if c.Transaction != nil {
		t |= tailTransaction
	}
	return t
}

// appendEnvelopeTail appends the envelope's members after source: the
// transaction block, op and the times. ts_ms is c.At, or else ts (the
// record's timestamp); without either it is left out.
func appendEnvelopeTail(b []byte, c *connect.Change, ts time.Time, tail envelopeTail) []byte {
	if tail&tailTransaction != 0 {
		b = append(b, `,"transaction":`...)
		if t := c.Transaction; t == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, `{"id":`...)
			b = appendString(b, t.ID)
			b = append(b, `,"total_order":`...)
			b = strconv.AppendInt(b, t.TotalOrder, 10)
			b = append(b, `,"data_collection_order":`...)
			b = strconv.AppendInt(b, t.DataCollectionOrder, 10)
			b = append(b, '}')
		}
	}
	b = append(b, `,"op":`...)
	b = appendString(b, string(c.Op))
	if !c.At.IsZero() {
		ts = c.At
	}
	if ts.IsZero() {
		return b
	}
	b = append(b, `,"ts_ms":`...)
	b = strconv.AppendInt(b, ts.UnixMilli(), 10)
	if tail&tailFineTimes != 0 {
		b = append(b, `,"ts_us":`...)
		b = strconv.AppendInt(b, ts.UnixMicro(), 10)
		b = append(b, `,"ts_ns":`...)
		b = strconv.AppendInt(b, ts.UnixNano(), 10)
	}
	return b
}

// envelopeName is Debezium's envelope schema name for rows named name:
// "server.db.table.Value" gives "server.db.table.Envelope".
func envelopeName(row string) string {
	if row == "" {
		return ""
	}
	return strings.TrimSuffix(row, ".Value") + ".Envelope"
}

// typed writes v as a value of schema s, checking its Go type.
func (e *encoder) typed(s *connect.Schema, v any, depth int) error {
	if v == nil || isNilRow(v) {
		if !s.Optional {
			return e.errorf("null in a non-optional %s", s.Type)
		}
		e.buf = append(e.buf, "null"...)
		return nil
	}
	if depth >= maxDepth {
		return e.tooDeep()
	}
	ok := true
	switch s.Type {
	case connect.TypeBool:
		var b bool
		if b, ok = v.(bool); ok {
			e.buf = strconv.AppendBool(e.buf, b)
		}
	case connect.TypeInt8, connect.TypeInt16, connect.TypeInt32, connect.TypeInt64, connect.TypeYear:
		ok = e.integer(v, false)
	case connect.TypeUint64:
		ok = e.integer(v, true)
	case connect.TypeBit:
		if s.Width == 1 {
			var b bool
			if b, ok = v.(bool); ok {
				e.buf = strconv.AppendBool(e.buf, b)
			}
		} else {
			ok = e.integer(v, true)
		}
	case connect.TypeFloat32, connect.TypeFloat64:
		switch f := v.(type) {
		case float64:
			return e.float(f, 64)
		case float32:
			return e.float(float64(f), 32)
		}
		ok = false
	case connect.TypeDecimal, connect.TypeTime, connect.TypeString, connect.TypeJSON, connect.TypeEnum, connect.TypeSet:
		var str string
		if str, ok = v.(string); ok {
			e.buf = appendString(e.buf, str)
		}
	case connect.TypeDate, connect.TypeTimestamp:
		switch t := v.(type) {
		case time.Time:
			e.buf = append(e.buf, '"')
			b, err := t.AppendText(e.buf)
			if err != nil {
				return e.errorf("time %s: %w", t, err)
			}
			e.buf = append(b, '"')
		case string: // a zero or invalid date, as the server wrote it
			if ok = connect.IsDateText(t); ok {
				e.buf = appendString(e.buf, t)
			}
		default:
			ok = false
		}
	case connect.TypeBytes:
		var b []byte
		if b, ok = v.([]byte); ok {
			e.buf = append(e.buf, '"')
			e.buf = base64.StdEncoding.AppendEncode(e.buf, b)
			e.buf = append(e.buf, '"')
		}
	case connect.TypeArray:
		var a []any
		if a, ok = v.([]any); ok {
			return encodeArray(e, a, depth, func(x any, d int) error { return e.typed(s.Elem, x, d) })
		}
	case connect.TypeMap:
		var m map[string]any
		if m, ok = v.(map[string]any); ok {
			return e.typedMap(s, m, depth)
		}
	case connect.TypeStruct:
		var r *connect.Struct
		if r, ok = v.(*connect.Struct); ok {
			return e.typedRow(s, r, depth)
		}
	default:
		return e.errorf("schema of invalid type %s", s.Type)
	}
	if !ok {
		return e.errorf("%T is not a value of type %s", v, s.Type)
	}
	return nil
}

// integer writes an integer; unsigned allows uint and uint64.
func (e *encoder) integer(v any, unsigned bool) bool {
	switch n := v.(type) {
	case int64:
		e.buf = strconv.AppendInt(e.buf, n, 10)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(n), 10)
	case int8:
		e.buf = strconv.AppendInt(e.buf, int64(n), 10)
	case int16:
		e.buf = strconv.AppendInt(e.buf, int64(n), 10)
	case int32:
		e.buf = strconv.AppendInt(e.buf, int64(n), 10)
	case uint8:
		e.buf = strconv.AppendUint(e.buf, uint64(n), 10)
	case uint16:
		e.buf = strconv.AppendUint(e.buf, uint64(n), 10)
	case uint32:
		e.buf = strconv.AppendUint(e.buf, uint64(n), 10)
	case uint:
		if !unsigned {
			return false
		}
		e.buf = strconv.AppendUint(e.buf, uint64(n), 10)
	case uint64:
		if !unsigned {
			return false
		}
		e.buf = strconv.AppendUint(e.buf, n, 10)
	default:
		return false
	}
	return true
}

func (e *encoder) typedRow(s *connect.Schema, r *connect.Struct, depth int) error {
	if r.Schema != s && !r.Schema.Equal(s) {
		return e.errorf("row of schema %s where %s is expected", r.Schema, s)
	}
	if len(r.Values) != len(s.Fields) {
		return e.errorf("row of %d values for %d fields", len(r.Values), len(s.Fields))
	}
	e.buf = append(e.buf, '{')
	for i, f := range s.Fields {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendString(e.buf, f.Name)
		e.buf = append(e.buf, ':')
		e.path = append(e.path, pathElem{key: f.Name, idx: -1})
		if err := e.typed(f.Schema, r.Values[i], depth+1); err != nil {
			return err
		}
		e.path = e.path[:len(e.path)-1]
	}
	e.buf = append(e.buf, '}')
	return nil
}

// typedMap writes a map's members sorted by name, so that equal maps give
// equal bytes.
func (e *encoder) typedMap(s *connect.Schema, m map[string]any, depth int) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.buf = append(e.buf, '{')
	for i, k := range keys {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendString(e.buf, k)
		e.buf = append(e.buf, ':')
		e.path = append(e.path, pathElem{key: k, idx: -1})
		if err := e.typed(s.Elem, m[k], depth+1); err != nil {
			return err
		}
		e.path = e.path[:len(e.path)-1]
	}
	e.buf = append(e.buf, '}')
	return nil
}

// errNotEnvelope: the document is not an object of exactly "schema" and
// "payload".
var errNotEnvelope = errors.New(`not a {"schema": ..., "payload": ...} envelope`)

// envelope reads a {"schema":...,"payload":...} document: the schema (nil
// for "schema": null) and the payload, decoded generically.
func (d *decoder) envelope(data []byte, cache *schemaCache) (*connect.Schema, any, error) {
	d.data, d.pos = data, 0
	d.skipSpace()
	if d.pos >= len(d.data) || d.data[d.pos] != '{' {
		return nil, nil, errNotEnvelope
	}
	d.pos++
	var (
		schema                *connect.Schema
		schemaVal, payload    any
		rawStart, rawEnd      int
		hasSchema, hasPayload bool
	)
	for {
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, nil, errEOF
		}
		if d.data[d.pos] != '"' {
			return nil, nil, errNotEnvelope
		}
		k, err := d.string(true)
		if err != nil {
			return nil, nil, err
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, nil, d.unexpected("after object key")
		}
		d.pos++
		d.skipSpace()
		switch {
		case k == "schema" && !hasSchema:
			hasSchema = true
			start := d.pos
			if end := skipValue(d.data, start); end > start {
				if s := cache.lookup(d.data[start:end]); s != nil {
					schema, d.pos = s, end
					break
				}
			}
			// Parsed once the document proved to be an envelope.
			if schemaVal, err = d.value(1); err != nil {
				return nil, nil, err
			}
			rawStart, rawEnd = start, d.pos
		case k == "payload" && !hasPayload:
			hasPayload = true
			if payload, err = d.value(1); err != nil {
				return nil, nil, err
			}
		default:
			return nil, nil, errNotEnvelope
		}
		if done, err := d.separator('}', "after object key:value pair"); err != nil {
			return nil, nil, err
		} else if done {
			break
		}
	}
	d.skipSpace()
	if d.pos < len(d.data) {
		return nil, nil, d.unexpected("after top-level value")
	}
	if !hasSchema || !hasPayload {
		return nil, nil, errNotEnvelope
	}
	if schemaVal != nil {
		var err error
		if schema, err = parseSchema(schemaVal); err != nil {
			return nil, nil, fmt.Errorf("schema: %w", err)
		}
		cache.remember(d.data[rawStart:rawEnd], schema)
	}
	return schema, payload, nil
}

// skipValue returns where the JSON value at i ends, or i when it cannot
// tell. It does not validate: it only finds the span whose text a cached
// schema is looked up by.
func skipValue(data []byte, i int) int {
	start, depth, inString := i, 0, false
	for ; i < len(data); i++ {
		c := data[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
				if depth == 0 {
					return i + 1
				}
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
			if depth < 0 {
				return i
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
	}
	if depth == 0 && !inString {
		return i
	}
	return start
}

// fromPayload converts a generically decoded payload to the Go values of
// schema s (see connect.Type).
func fromPayload(s *connect.Schema, v any, path string) (any, error) {
	if v == nil {
		if !s.Optional {
			return nil, fmt.Errorf("%s: null in a non-optional %s", payloadPath(path), s.Type)
		}
		return nil, nil
	}
	bad := func() (any, error) {
		return nil, fmt.Errorf("%s: %s is not a value of type %s", payloadPath(path), jsonKind(v), s.Type)
	}
	switch s.Type {
	case connect.TypeBool:
		if _, ok := v.(bool); ok {
			return v, nil
		}
	case connect.TypeInt8, connect.TypeInt16, connect.TypeInt32, connect.TypeInt64, connect.TypeYear:
		if _, ok := v.(int64); ok {
			return v, nil
		}
	case connect.TypeUint64:
		switch v.(type) {
		case int64, uint64:
			return v, nil
		}
	case connect.TypeBit:
		if s.Width == 1 {
			if _, ok := v.(bool); ok {
				return v, nil
			}
			break
		}
		switch v.(type) {
		case int64, uint64:
			return v, nil
		}
	case connect.TypeFloat32, connect.TypeFloat64:
		switch f := v.(type) {
		case float64:
			return f, nil
		case int64:
			return float64(f), nil
		case uint64:
			return float64(f), nil
		}
	case connect.TypeDecimal, connect.TypeTime, connect.TypeString, connect.TypeJSON, connect.TypeEnum, connect.TypeSet:
		if _, ok := v.(string); ok {
			return v, nil
		}
	case connect.TypeDate, connect.TypeTimestamp:
		if str, ok := v.(string); ok {
			if connect.IsDateText(str) {
				return str, nil // a zero or invalid date, as the server wrote it
			}
			t, err := time.Parse(time.RFC3339Nano, str)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", payloadPath(path), err)
			}
			return t.UTC(), nil
		}
	case connect.TypeBytes:
		if str, ok := v.(string); ok {
			b, err := base64.StdEncoding.DecodeString(str)
			if err != nil {
				return nil, fmt.Errorf("%s: bytes: %w", payloadPath(path), err)
			}
			return b, nil
		}
	case connect.TypeArray:
		if a, ok := v.([]any); ok {
			for i, x := range a {
				var err error
				if a[i], err = fromPayload(s.Elem, x, path+"/"+strconv.Itoa(i)); err != nil {
					return nil, err
				}
			}
			return a, nil
		}
	case connect.TypeMap:
		if m, ok := v.(map[string]any); ok {
			for k, x := range m {
				var err error
				if m[k], err = fromPayload(s.Elem, x, path+"/"+k); err != nil {
					return nil, err
				}
			}
			return m, nil
		}
	case connect.TypeStruct:
		if m, ok := v.(map[string]any); ok {
			r := &connect.Struct{Schema: s, Values: make([]any, len(s.Fields))}
			for i, f := range s.Fields {
				var err error
				if r.Values[i], err = fromPayload(f.Schema, m[f.Name], path+"/"+f.Name); err != nil {
					return nil, err
				}
			}
			return r, nil
		}
	}
	return bad()
}

func payloadPath(path string) string {
	if path == "" {
		return "payload"
	}
	return "payload" + path
}
