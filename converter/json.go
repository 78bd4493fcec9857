package converter

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// JSON is the default Converter: structured keys and values as JSON, change
// events as Debezium envelopes, raw []byte and string values as they are.
// See the package documentation for the wire format. The zero value is ready
// to use and it is safe for concurrent use.
type JSON struct{}

var _ connect.Converter = (*JSON)(nil)

// NewJSON returns a JSON converter.
func NewJSON() *JSON { return &JSON{} }

// Encode turns r into a message. []byte and string keys and values are
// shared or copied as they are; everything else is written as JSON. It
// fails on values JSON cannot hold (NaN, infinities, channels, functions,
// cycles), on a record with both Value and Change, and on an invalid
// Change.Op.
func (c *JSON) Encode(r *connect.Record) (*connect.Message, error) {
	e := getEncoder()
	defer putEncoder(e)
	var w wireHeaders
	if err := e.timestamp(r, &w); err != nil {
		return nil, err
	}
	m := &connect.Message{Topic: r.Topic}

	// Key and value bytes the message does not share with the record are
	// written one after the other into e.buf, then copied out at once.
	e.buf = e.buf[:0]
	keyEnd := -1 // end of the key in e.buf; -1 when not there
	switch k := r.Key.(type) {
	case nil:
	case []byte:
		m.Key, w.keyFormat = k, formatBytes
	case string:
		e.buf = append(e.buf, k...)
		keyEnd, w.keyFormat = len(e.buf), formatString
	default:
		var err error
		if w.keyTypes, err = e.appendDoc(k); err != nil {
			return nil, fmt.Errorf("converter: encode key of topic %s: %w", r.Topic, err)
		}
		keyEnd = len(e.buf)
	}

	valueStart := -1 // start of the value in e.buf; -1 when not there
	if r.Change != nil {
		if r.Value != nil {
			return nil, fmt.Errorf("converter: encode value of topic %s: record has both Value and Change", r.Topic)
		}
		if !r.Change.Op.Valid() {
			return nil, fmt.Errorf("converter: encode value of topic %s: invalid change operation %q", r.Topic, r.Change.Op)
		}
		valueStart = len(e.buf)
		var err error
		if w.valueTypes, err = e.appendChange(r.Change, r.Timestamp); err != nil {
			return nil, fmt.Errorf("converter: encode value of topic %s: %w", r.Topic, err)
		}
		w.op = string(r.Change.Op)
	} else {
		switch v := r.Value.(type) {
		case nil:
		case []byte:
			m.Value, w.valueFormat = v, formatBytes
		case string:
			valueStart = len(e.buf)
			e.buf = append(e.buf, v...)
			w.valueFormat = formatString
		default:
			valueStart = len(e.buf)
			var err error
			if w.valueTypes, err = e.appendDoc(v); err != nil {
				return nil, fmt.Errorf("converter: encode value of topic %s: %w", r.Topic, err)
			}
		}
	}
	if keyEnd >= 0 || valueStart >= 0 {
		out := make([]byte, len(e.buf))
		copy(out, e.buf)
		if keyEnd >= 0 {
			m.Key = out[:keyEnd:keyEnd] // capped: appending to it cannot reach the value
		}
		if valueStart >= 0 {
			m.Value = out[valueStart:]
		}
	}
	m.Headers = w.message(r.Headers)
	return m, nil
}

// appendChange appends a Debezium envelope to e.buf and returns its types
// header.
func (e *encoder) appendChange(c *connect.Change, ts time.Time) (string, error) {
	e.types, e.path = e.types[:0], e.path[:0]
	for i, part := range [...]struct {
		name string
		row  any
	}{{"before", c.Before}, {"after", c.After}, {"source", c.Source}} {
		if i == 0 {
			e.buf = append(e.buf, '{')
		} else {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendString(e.buf, part.name)
		e.buf = append(e.buf, ':')
		e.path = append(e.path[:0], pathElem{key: part.name, idx: -1})
		if part.row != nil && !connect.IsRow(part.row) && !isNilRow(part.row) {
			return "", e.errorf("change event %s is %T, not a row (*connect.Struct or map[string]any)", part.name, part.row)
		}
		if err := e.value(part.row, 1); err != nil {
			return "", err
		}
	}
	e.path = e.path[:0]
	e.buf = append(e.buf, `,"op":`...)
	e.buf = appendString(e.buf, string(c.Op))
	if !ts.IsZero() {
		e.buf = append(e.buf, `,"ts_ms":`...)
		e.buf = strconv.AppendInt(e.buf, ts.UnixMilli(), 10)
	}
	e.buf = append(e.buf, '}')
	return e.typesHeader(), nil
}

// Decode turns m back into a record. Keys and values written raw are
// shared with m, not copied. Converter-owned headers are removed from the
// record's Headers, which is a new map (nil when empty).
func (c *JSON) Decode(m *connect.Message) (*connect.Record, error) {
	var w wireHeaders
	r := &connect.Record{Topic: m.Topic, Headers: w.read(m.Headers)}
	var err error
	if r.Timestamp, err = decodeTimestamp(w.timestamp); err != nil {
		return nil, fmt.Errorf("converter: decode record of topic %s: %w", m.Topic, err)
	}
	d := getDecoder()
	defer putDecoder(d)

	if r.Key, err = d.field(m.Key, w.keyFormat, w.keyTypes, HeaderKeyFormat, HeaderKeyTypes); err != nil {
		return nil, fmt.Errorf("converter: decode key of topic %s: %w", m.Topic, err)
	}
	if w.op == "" {
		if r.Value, err = d.field(m.Value, w.valueFormat, w.valueTypes, HeaderValueFormat, HeaderValueTypes); err != nil {
			return nil, fmt.Errorf("converter: decode value of topic %s: %w", m.Topic, err)
		}
		return r, nil
	}
	if w.valueFormat != "" {
		err = fmt.Errorf("change event with header %s=%s", HeaderValueFormat, w.valueFormat)
	} else {
		var tsMillis int64
		r.Change, tsMillis, err = d.change(m.Value, w.op, w.valueTypes)
		if err == nil && r.Timestamp.IsZero() && tsMillis != 0 {
			r.Timestamp = time.UnixMilli(tsMillis) // from a producer that sent no timestamp header
		}
	}
	if err != nil {
		return nil, fmt.Errorf("converter: decode value of topic %s: %w", m.Topic, err)
	}
	return r, nil
}

// field decodes a key or a value.
func (d *decoder) field(data []byte, format, types, formatHeader, typesHeader string) (any, error) {
	switch format {
	case formatBytes:
		return rawBytes(data, format), nil
	case formatString:
		return string(data), nil
	case "":
	default:
		return nil, fmt.Errorf("header %s: unknown format %q", formatHeader, format)
	}
	if len(data) == 0 {
		if types != "" {
			return nil, fmt.Errorf("header %s on an empty field", typesHeader)
		}
		return nil, nil
	}
	v, err := d.decode(data)
	if err != nil {
		return nil, err
	}
	if types != "" {
		return restoreTypes(v, types, typesHeader)
	}
	return v, nil
}

// change decodes a Debezium envelope; tsMillis is its ts_ms, or 0.
func (d *decoder) change(data []byte, op, types string) (ch *connect.Change, tsMillis int64, err error) {
	if !connect.Operation(op).Valid() {
		return nil, 0, fmt.Errorf("header %s: unknown operation %q", HeaderOp, op)
	}
	if len(data) == 0 {
		return nil, 0, errors.New("change event without a value")
	}
	v, err := d.decode(data)
	if err != nil {
		return nil, 0, err
	}
	if types != "" {
		if v, err = restoreTypes(v, types, HeaderValueTypes); err != nil {
			return nil, 0, err
		}
	}
	env, ok := v.(map[string]any)
	if !ok {
		return nil, 0, fmt.Errorf("change event envelope is %T, not an object", v)
	}
	ch = &connect.Change{Op: connect.Operation(op)}
	if o, present := env["op"]; present && o != op {
		return nil, 0, fmt.Errorf("envelope op %v disagrees with header %s=%s", o, HeaderOp, op)
	}
	for _, part := range [...]struct {
		name string
		dst  *any
	}{{"before", &ch.Before}, {"after", &ch.After}, {"source", &ch.Source}} {
		switch p := env[part.name].(type) {
		case nil:
		case map[string]any:
			*part.dst = p
		default:
			return nil, 0, fmt.Errorf("envelope %q is %T, not an object", part.name, p)
		}
	}
	if ts, ok := env["ts_ms"].(int64); ok {
		tsMillis = ts
	}
	return ch, tsMillis, nil
}

// isNilRow reports whether v is a nil map or *Struct: an absent row
// that a source assigned from a typed variable.
func isNilRow(v any) bool {
	switch r := v.(type) {
	case map[string]any:
		return r == nil
	case *connect.Struct:
		return r == nil
	}
	return false
}
