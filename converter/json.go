package converter

import (
	"errors"
	"fmt"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// JSON is the default Converter: structured keys and values as JSON, change
// events as Debezium envelopes, raw []byte and string values as they are.
// With schemas enabled (WithKeySchemas, WithValueSchemas: Kafka's
// schemas.enable), keys or values are written in Kafka Connect's
// {"schema": ..., "payload": ...} envelope. See the package documentation
// for the wire format. The zero value is ready to use, without schemas;
// it is safe for concurrent use.
type JSON struct {
	keySchemas, valueSchemas bool
	cache                    *schemaCache
}

var _ connect.Converter = (*JSON)(nil)

// JSONOption configures a JSON converter made by NewJSON.
type JSONOption struct{ apply func(*JSON) }

// WithKeySchemas writes keys in Kafka Connect's schema envelope, as
// Kafka's key.converter.schemas.enable=true does. Default: false.
func WithKeySchemas(enable bool) JSONOption {
	return JSONOption{func(c *JSON) { c.keySchemas = enable }}
}

// WithValueSchemas writes values and change events in Kafka Connect's
// schema envelope, as Kafka's value.converter.schemas.enable=true does.
// Default: false.
func WithValueSchemas(enable bool) JSONOption {
	return JSONOption{func(c *JSON) { c.valueSchemas = enable }}
}

// WithSchemaCacheSize sets how many schemas the converter keeps in each
// direction (Kafka's schemas.cache.size): written schemas' JSON and read
// schemas, so that rows of one table share one decoded *connect.Schema.
// 0 keeps none. Default: 1000.
func WithSchemaCacheSize(n int) JSONOption {
	return JSONOption{func(c *JSON) { c.cache = newSchemaCache(max(n, 0)) }}
}

// DefaultSchemaCacheSize is Kafka's default schemas.cache.size.
const DefaultSchemaCacheSize = 1000

// NewJSON returns a JSON converter.
func NewJSON(opts ...JSONOption) *JSON {
	c := &JSON{cache: newSchemaCache(DefaultSchemaCacheSize)}
	for _, o := range opts {
		if o.apply != nil {
			o.apply(c)
		}
	}
	return c
}

// Schemas reports whether keys and values are written in Kafka Connect's
// schema envelope.
func (c *JSON) Schemas() (key, value bool) { return c.keySchemas, c.valueSchemas }

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
		if c.keySchemas {
			if err := c.encodeKey(e, k, &w); err != nil {
				return nil, fmt.Errorf("converter: encode key of topic %s: %w", r.Topic, err)
			}
			keyEnd = len(e.buf)
			break
		}
		m.Key, w.keyFormat = k, formatBytes
	case string:
		if c.keySchemas {
			if err := c.encodeKey(e, k, &w); err != nil {
				return nil, fmt.Errorf("converter: encode key of topic %s: %w", r.Topic, err)
			}
			keyEnd = len(e.buf)
			break
		}
		e.buf = append(e.buf, k...)
		keyEnd, w.keyFormat = len(e.buf), formatString
	default:
		var err error
		if c.keySchemas {
			err = c.encodeKey(e, k, &w)
		} else {
			w.keyTypes, err = e.appendDoc(k)
		}
		if err != nil {
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
		if c.valueSchemas {
			w.valueTypes, err = e.appendChangeEnvelope(r.Change, r.Timestamp, c.cache)
			w.valueSchema = schemaEnvelope
		} else {
			w.valueTypes, err = e.appendChange(r.Change, r.Timestamp)
		}
		if err != nil {
			return nil, fmt.Errorf("converter: encode value of topic %s: %w", r.Topic, err)
		}
		w.op = string(r.Change.Op)
	} else {
		switch v := r.Value.(type) {
		case nil:
		case []byte:
			if c.valueSchemas {
				valueStart = len(e.buf)
				if err := c.encodeValue(e, v, &w); err != nil {
					return nil, fmt.Errorf("converter: encode value of topic %s: %w", r.Topic, err)
				}
				break
			}
			m.Value, w.valueFormat = v, formatBytes
		case string:
			valueStart = len(e.buf)
			if c.valueSchemas {
				if err := c.encodeValue(e, v, &w); err != nil {
					return nil, fmt.Errorf("converter: encode value of topic %s: %w", r.Topic, err)
				}
				break
			}
			e.buf = append(e.buf, v...)
			w.valueFormat = formatString
		default:
			valueStart = len(e.buf)
			var err error
			if c.valueSchemas {
				err = c.encodeValue(e, v, &w)
			} else {
				w.valueTypes, err = e.appendDoc(v)
			}
			if err != nil {
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

// encodeKey appends a structured key (or any key, with schemas) to e.buf.
func (c *JSON) encodeKey(e *encoder, k any, w *wireHeaders) (err error) {
	if c.keySchemas {
		w.keySchema = schemaEnvelope
		w.keyTypes, err = e.appendEnvelope(k, c.cache)
		return err
	}
	w.keyTypes, err = e.appendDoc(k)
	return err
}

// encodeValue appends a structured value (or any value, with schemas) to
// e.buf.
func (c *JSON) encodeValue(e *encoder, v any, w *wireHeaders) (err error) {
	if c.valueSchemas {
		w.valueSchema = schemaEnvelope
		w.valueTypes, err = e.appendEnvelope(v, c.cache)
		return err
	}
	w.valueTypes, err = e.appendDoc(v)
	return err
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
	e.buf = appendEnvelopeTail(e.buf, c, ts, tailOf(c))
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

	if w.keySchema != "" || c.keySchemas && w.keyFormat == "" && len(m.Key) > 0 {
		r.Key, err = c.envelopeField(d, m.Key, w.keyFormat, w.keyTypes, w.keySchema, HeaderKeySchema)
	} else {
		r.Key, err = d.field(m.Key, w.keyFormat, w.keyTypes, HeaderKeyFormat, HeaderKeyTypes)
	}
	if err != nil {
		return nil, fmt.Errorf("converter: decode key of topic %s: %w", m.Topic, err)
	}
	envelope := w.valueSchema != "" || c.valueSchemas && w.valueFormat == "" && len(m.Value) > 0
	if w.op == "" {
		if envelope {
			r.Value, err = c.envelopeField(d, m.Value, w.valueFormat, w.valueTypes, w.valueSchema, HeaderValueSchema)
		} else {
			r.Value, err = d.field(m.Value, w.valueFormat, w.valueTypes, HeaderValueFormat, HeaderValueTypes)
		}
		if err != nil {
			return nil, fmt.Errorf("converter: decode value of topic %s: %w", m.Topic, err)
		}
		return r, nil
	}
	if w.valueFormat != "" {
		err = fmt.Errorf("change event with header %s=%s", HeaderValueFormat, w.valueFormat)
	} else {
		var tsMillis int64
		if envelope {
			r.Change, tsMillis, err = c.changeEnvelope(d, m.Value, w.op, w.valueTypes, w.valueSchema)
		} else {
			r.Change, tsMillis, err = d.change(m.Value, w.op, w.valueTypes)
		}
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
	return changeFrom(v, op)
}

// envelopeField decodes a key or a value in Kafka Connect's schema
// envelope: header is its schema header's value (empty when the
// converter's schemas setting made it try; then a document that is not an
// envelope is plain JSON).
func (c *JSON) envelopeField(d *decoder, data []byte, format, types, header, headerName string) (any, error) {
	if header != "" && header != schemaEnvelope {
		return nil, fmt.Errorf("header %s: unknown value %q", headerName, header)
	}
	if header != "" && (format != "" || len(data) == 0) {
		return nil, fmt.Errorf("header %s=%s on a field without a JSON document", headerName, header)
	}
	typesName := HeaderValueTypes
	if headerName == HeaderKeySchema {
		typesName = HeaderKeyTypes
	}
	schema, payload, err := d.envelope(data, c.cache)
	if err == errNotEnvelope && header == "" {
		formatName := HeaderValueFormat
		if headerName == HeaderKeySchema {
			formatName = HeaderKeyFormat
		}
		return d.field(data, format, types, formatName, typesName)
	}
	if err != nil {
		return nil, err
	}
	return payloadValue(schema, payload, types, typesName)
}

// payloadValue returns an envelope's payload as the Go values of its
// schema, or, without one, as plain JSON with the types header applied.
func payloadValue(schema *connect.Schema, payload any, types, typesName string) (any, error) {
	if schema == nil {
		if types != "" {
			return restoreTypes(payload, types, typesName)
		}
		return payload, nil
	}
	if types != "" {
		return nil, fmt.Errorf("header %s with a schema, which says where bytes and times are", typesName)
	}
	return fromPayload(schema, payload, "")
}

// changeEnvelope decodes a change event in Kafka Connect's schema
// envelope, whose payload is Debezium's envelope.
func (c *JSON) changeEnvelope(d *decoder, data []byte, op, types, header string) (*connect.Change, int64, error) {
	if !connect.Operation(op).Valid() {
		return nil, 0, fmt.Errorf("header %s: unknown operation %q", HeaderOp, op)
	}
	if header != "" && header != schemaEnvelope {
		return nil, 0, fmt.Errorf("header %s: unknown value %q", HeaderValueSchema, header)
	}
	if len(data) == 0 {
		return nil, 0, errors.New("change event without a value")
	}
	schema, payload, err := d.envelope(data, c.cache)
	if err == errNotEnvelope && header == "" {
		return d.change(data, op, types)
	}
	if err != nil {
		return nil, 0, err
	}
	v, err := payloadValue(schema, payload, types, HeaderValueTypes)
	if err != nil {
		return nil, 0, err
	}
	env, ok := v.(*connect.Struct)
	if !ok {
		return changeFrom(v, op)
	}
	ch := &connect.Change{Op: connect.Operation(op)}
	if o, present := env.Get("op"); present && o != op {
		return nil, 0, fmt.Errorf("envelope op %v disagrees with header %s=%s", o, HeaderOp, op)
	}
	for _, part := range [...]struct {
		name string
		dst  *any
	}{{"before", &ch.Before}, {"after", &ch.After}, {"source", &ch.Source}} {
		switch p, _ := env.Get(part.name); p := p.(type) {
		case nil:
		case *connect.Struct:
			*part.dst = p
		default:
			return nil, 0, fmt.Errorf("envelope %q is %T, not a row", part.name, p)
		}
	}
	if err := readTail(ch, func(k string) any { v, _ := env.Get(k); return v }); err != nil {
		return nil, 0, err
	}
	var tsMillis int64
	if ts, ok := env.Get("ts_ms"); ok {
		tsMillis, _ = ts.(int64)
	}
	return ch, tsMillis, nil
}

// readTail reads an envelope's transaction block and processing time
// (ts_ns, or else ts_us: Debezium 2.6 and later write both beside ts_ms)
// into ch; get returns an envelope member, nil when absent.
func readTail(ch *connect.Change, get func(string) any) error {
	if ns, ok := get("ts_ns").(int64); ok {
		ch.At = time.Unix(0, ns).UTC()
	} else if us, ok := get("ts_us").(int64); ok {
		ch.At = time.UnixMicro(us).UTC()
	}
	tx := get("transaction")
	if tx == nil || isNilRow(tx) {
		return nil
	}
	if !connect.IsRow(tx) {
		return fmt.Errorf("envelope \"transaction\" is %T, not a row", tx)
	}
	t := &connect.Transaction{}
	id, _ := connect.Lookup(tx, "id")
	var ok bool
	if t.ID, ok = id.(string); !ok {
		return fmt.Errorf("envelope transaction id is %T, not a string", id)
	}
	for _, f := range [...]struct {
		name string
		dst  *int64
	}{{"total_order", &t.TotalOrder}, {"data_collection_order", &t.DataCollectionOrder}} {
		v, _ := connect.Lookup(tx, f.name)
		if *f.dst, ok = v.(int64); !ok {
			return fmt.Errorf("envelope transaction %s is %T, not an integer", f.name, v)
		}
	}
	ch.Transaction = t
	return nil
}

// changeFrom reads a Debezium envelope decoded as plain JSON.
func changeFrom(v any, op string) (ch *connect.Change, tsMillis int64, err error) {
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
	if err := readTail(ch, func(k string) any { return env[k] }); err != nil {
		return nil, 0, err
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
