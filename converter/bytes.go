package converter

import (
	"fmt"

	connect "github.com/openmessaging/connect-go"
)

// Bytes passes raw bytes through: Value must be a []byte or nil, Key a
// []byte, a string or nil. Records come back with []byte values and keys
// (a string key comes back as a string). Change events are refused. The
// zero value is ready to use and it is safe for concurrent use.
type Bytes struct{}

var _ connect.Converter = (*Bytes)(nil)

// NewBytes returns a Bytes converter.
func NewBytes() *Bytes { return &Bytes{} }

// Encode shares r's byte slices with the message.
func (c *Bytes) Encode(r *connect.Record) (*connect.Message, error) {
	var w wireHeaders
	m, err := rawMessage(r, "Bytes", &w)
	if err != nil {
		return nil, err
	}
	switch k := r.Key.(type) {
	case nil:
	case []byte:
		m.Key, w.keyFormat = k, formatBytes
	case string:
		m.Key, w.keyFormat = []byte(k), formatString
	default:
		return nil, fmt.Errorf("converter: encode key of topic %s: Bytes needs a []byte or string key, got %T", r.Topic, r.Key)
	}
	switch v := r.Value.(type) {
	case nil:
	case []byte:
		m.Value, w.valueFormat = v, formatBytes
	default:
		return nil, fmt.Errorf("converter: encode value of topic %s: Bytes needs a []byte value, got %T", r.Topic, r.Value)
	}
	m.Headers = w.message(r.Headers)
	return m, nil
}

// Decode shares m's byte slices with the record. Whatever encoded the
// message, the value comes back as bytes; an empty value without a format
// header comes back nil.
func (c *Bytes) Decode(m *connect.Message) (*connect.Record, error) {
	var w wireHeaders
	rest := w.read(m.Headers)
	r := &connect.Record{Topic: m.Topic, Headers: rest}
	var err error
	if r.Timestamp, err = decodeTimestamp(w.timestamp); err != nil {
		return nil, fmt.Errorf("converter: decode record of topic %s: %w", m.Topic, err)
	}
	restoreJSONHeaders(r, &w)
	switch {
	case w.keyFormat == formatString:
		r.Key = string(m.Key)
	case len(m.Key) > 0 || w.keyFormat != "":
		r.Key = rawBytes(m.Key, w.keyFormat)
	}
	if len(m.Value) > 0 || w.valueFormat != "" {
		r.Value = rawBytes(m.Value, w.valueFormat)
	}
	return r, nil
}

// restoreJSONHeaders puts back headers only the JSON converter consumes, so
// that a Bytes or String decoder of a JSON message loses nothing.
func restoreJSONHeaders(r *connect.Record, w *wireHeaders) {
	for _, h := range [...]struct{ name, value string }{
		{HeaderKeyTypes, w.keyTypes}, {HeaderValueTypes, w.valueTypes}, {HeaderOp, w.op},
		{HeaderKeySchema, w.keySchema}, {HeaderValueSchema, w.valueSchema},
	} {
		if h.value == "" {
			continue
		}
		if r.Headers == nil {
			r.Headers = make(connect.Headers, 5)
		}
		r.Headers[h.name] = h.value
	}
}

// rawMessage starts the message of the raw converters (Bytes, String):
// they refuse change events and carry headers and timestamp like JSON.
func rawMessage(r *connect.Record, name string, w *wireHeaders) (*connect.Message, error) {
	if r.Change != nil {
		return nil, fmt.Errorf("converter: encode value of topic %s: %s cannot carry change events", r.Topic, name)
	}
	if err := encodeCommon(r, w); err != nil {
		return nil, err
	}
	return &connect.Message{Topic: r.Topic}, nil
}
