package converter

import (
	connect "github.com/openmessaging/connect-go"
)

// Pair converts keys with one converter and everything else (the value or
// change event, the timestamp and the headers) with another, as Kafka
// Connect's key.converter and value.converter do. Its parts must follow
// this package's header conventions for keys (HeaderKeyFormat,
// HeaderKeyTypes, HeaderKeySchema), as JSON, String and Bytes do; the value
// converter may be any.
//
// Each part sees a record or message of its own: Key sees the key alone,
// Value the record without its key. That costs a second encode or decode
// per record, which FromConfig avoids when both parts are of one kind.
// Pair is safe for concurrent use when its parts are.
type Pair struct {
	Key, Value connect.Converter
}

var _ connect.Converter = (*Pair)(nil)

// NewPair returns a converter of keys with key and of the rest with value.
// It panics when either is nil, a wiring mistake.
func NewPair(key, value connect.Converter) *Pair {
	if key == nil || value == nil {
		panic("converter: NewPair needs two converters")
	}
	return &Pair{Key: key, Value: value}
}

// keyHeaders are the headers that describe the key.
var keyHeaders = [...]string{HeaderKeyFormat, HeaderKeyTypes, HeaderKeySchema}

func isKeyHeader(name string) bool {
	for _, h := range keyHeaders {
		if name == h {
			return true
		}
	}
	return false
}

// Encode writes the key with Key and the rest with Value.
func (p *Pair) Encode(r *connect.Record) (*connect.Message, error) {
	vr := *r
	vr.Key = nil
	m, err := p.Value.Encode(&vr)
	if err != nil {
		return nil, err
	}
	if r.Key == nil {
		return m, nil
	}
	km, err := p.Key.Encode(&connect.Record{Topic: r.Topic, Key: r.Key})
	if err != nil {
		return nil, err
	}
	m.Key = km.Key
	for _, h := range keyHeaders {
		if v, ok := km.Headers[h]; ok {
			if m.Headers == nil {
				m.Headers = make(connect.Headers, 2)
			}
			m.Headers[h] = v
		}
	}
	return m, nil
}

// Decode reads the key with Key and the rest with Value; each sees only
// its own headers.
func (p *Pair) Decode(m *connect.Message) (*connect.Record, error) {
	var keyH, rest connect.Headers
	for k, v := range m.Headers {
		if isKeyHeader(k) {
			if keyH == nil {
				keyH = make(connect.Headers, len(keyHeaders))
			}
			keyH[k] = v
		}
	}
	if keyH != nil {
		rest = make(connect.Headers, len(m.Headers)-len(keyH))
		for k, v := range m.Headers {
			if !isKeyHeader(k) {
				rest[k] = v
			}
		}
	} else {
		rest = m.Headers
	}
	vm := *m
	vm.Key, vm.Headers = nil, rest
	r, err := p.Value.Decode(&vm)
	if err != nil {
		return nil, err
	}
	if len(m.Key) == 0 && keyH == nil {
		return r, nil
	}
	kr, err := p.Key.Decode(&connect.Message{Topic: m.Topic, Key: m.Key, Headers: keyH})
	if err != nil {
		return nil, err
	}
	r.Key = kr.Key
	return r, nil
}
