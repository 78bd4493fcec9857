package converter

import (
	"fmt"

	connect "github.com/openmessaging/connect-go"
)

// String carries text: Key and Value may be a string, a []byte, a
// fmt.Stringer or nil, and come back as strings. Change events are
// refused. The zero value is ready to use and it is safe for concurrent use.
type String struct{}

var _ connect.Converter = (*String)(nil)

// NewString returns a String converter.
func NewString() *String { return &String{} }

// Encode writes the text of r's key and value.
func (c *String) Encode(r *connect.Record) (*connect.Message, error) {
	var w wireHeaders
	m, err := rawMessage(r, "String", &w)
	if err != nil {
		return nil, err
	}
	var ok bool
	if m.Key, ok = text(r.Key); !ok {
		return nil, fmt.Errorf("converter: encode key of topic %s: String needs a string, []byte or fmt.Stringer, got %T", r.Topic, r.Key)
	}
	if r.Key != nil {
		w.keyFormat = formatString
	}
	if m.Value, ok = text(r.Value); !ok {
		return nil, fmt.Errorf("converter: encode value of topic %s: String needs a string, []byte or fmt.Stringer, got %T", r.Topic, r.Value)
	}
	if r.Value != nil {
		w.valueFormat = formatString
	}
	m.Headers = w.message(r.Headers)
	return m, nil
}

func text(v any) ([]byte, bool) {
	switch v := v.(type) {
	case nil:
		return nil, true
	case string:
		return []byte(v), true
	case []byte:
		return v, true
	case fmt.Stringer:
		return []byte(v.String()), true
	}
	return nil, false
}

// Decode returns the key and value as strings. Whatever encoded the
// message, its bytes are taken as text; an empty key or value without a
// format header comes back nil.
func (c *String) Decode(m *connect.Message) (*connect.Record, error) {
	var w wireHeaders
	rest := w.read(m.Headers)
	r := &connect.Record{Topic: m.Topic, Headers: rest}
	var err error
	if r.Timestamp, err = decodeTimestamp(w.timestamp); err != nil {
		return nil, fmt.Errorf("converter: decode record of topic %s: %w", m.Topic, err)
	}
	restoreJSONHeaders(r, &w)
	if len(m.Key) > 0 || w.keyFormat != "" {
		r.Key = string(m.Key)
	}
	if len(m.Value) > 0 || w.valueFormat != "" {
		r.Value = string(m.Value)
	}
	return r, nil
}
