package converter

import (
	"fmt"
	"math"
	"strconv"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// Headers the converters write and read. They are removed from
// Record.Headers on Encode (the converter owns them) and stripped from the
// decoded Record's Headers once consumed.
const (
	// HeaderTimestamp holds Record.Timestamp as Unix nanoseconds in decimal.
	HeaderTimestamp = "connect.timestamp"
	// HeaderKeyFormat is "bytes" or "string" when the key is written raw.
	HeaderKeyFormat = "connect.key.format"
	// HeaderValueFormat is "bytes" or "string" when the value is written raw.
	HeaderValueFormat = "connect.value.format"
	// HeaderKeyTypes lists where []byte and time.Time sit in a JSON key.
	HeaderKeyTypes = "connect.key.types"
	// HeaderValueTypes lists where []byte and time.Time sit in a JSON value.
	HeaderValueTypes = "connect.value.types"
	// HeaderOp marks a change event and holds its operation.
	HeaderOp = "connect.op"
	// HeaderKeySchema is "envelope" when the key is written as Kafka
	// Connect's {"schema": ..., "payload": ...} envelope.
	HeaderKeySchema = "connect.key.schema"
	// HeaderValueSchema is "envelope" when the value is written as Kafka
	// Connect's {"schema": ..., "payload": ...} envelope.
	HeaderValueSchema = "connect.value.schema"
)

// schemaEnvelope is the value of HeaderKeySchema and HeaderValueSchema.
const schemaEnvelope = "envelope"

// Values of HeaderKeyFormat and HeaderValueFormat.
const (
	formatBytes  = "bytes"
	formatString = "string"
)

// wireHeaders are the converter-owned headers of one message.
type wireHeaders struct {
	timestamp   string
	keyFormat   string
	valueFormat string
	keyTypes    string
	valueTypes  string
	op          string
	keySchema   string
	valueSchema string
}

// isOwned reports whether a header name belongs to the converters.
func isOwned(name string) bool {
	switch name {
	case HeaderTimestamp, HeaderKeyFormat, HeaderValueFormat, HeaderKeyTypes, HeaderValueTypes, HeaderOp,
		HeaderKeySchema, HeaderValueSchema:
		return true
	}
	return false
}

// count returns how many of the headers are set.
func (w *wireHeaders) count() int {
	n := 0
	for _, s := range [...]string{w.timestamp, w.keyFormat, w.valueFormat, w.keyTypes, w.valueTypes, w.op, w.keySchema, w.valueSchema} {
		if s != "" {
			n++
		}
	}
	return n
}

// message builds a Message's headers: a copy of the record's headers
// without converter-owned names, plus w. It returns nil when empty.
func (w *wireHeaders) message(src connect.Headers) connect.Headers {
	n := len(src) + w.count()
	if n == 0 {
		return nil
	}
	h := make(connect.Headers, n)
	for k, v := range src {
		if !isOwned(k) {
			h[k] = v
		}
	}
	set := func(k, v string) {
		if v != "" {
			h[k] = v
		}
	}
	set(HeaderTimestamp, w.timestamp)
	set(HeaderKeyFormat, w.keyFormat)
	set(HeaderValueFormat, w.valueFormat)
	set(HeaderKeyTypes, w.keyTypes)
	set(HeaderValueTypes, w.valueTypes)
	set(HeaderOp, w.op)
	set(HeaderKeySchema, w.keySchema)
	set(HeaderValueSchema, w.valueSchema)
	if len(h) == 0 {
		return nil
	}
	return h
}

// read fills w from a message's headers and returns the remaining headers
// (nil when none remain). The message's map is not modified.
func (w *wireHeaders) read(src connect.Headers) connect.Headers {
	owned := 0
	for k, v := range src {
		switch k {
		case HeaderTimestamp:
			w.timestamp = v
		case HeaderKeyFormat:
			w.keyFormat = v
		case HeaderValueFormat:
			w.valueFormat = v
		case HeaderKeyTypes:
			w.keyTypes = v
		case HeaderValueTypes:
			w.valueTypes = v
		case HeaderOp:
			w.op = v
		case HeaderKeySchema:
			w.keySchema = v
		case HeaderValueSchema:
			w.valueSchema = v
		default:
			continue
		}
		owned++
	}
	if len(src) == owned {
		return nil
	}
	rest := make(connect.Headers, len(src)-owned)
	for k, v := range src {
		if !isOwned(k) {
			rest[k] = v
		}
	}
	return rest
}

// Range of times UnixNano can represent.
var (
	minNanoTime = time.Unix(0, math.MinInt64)
	maxNanoTime = time.Unix(0, math.MaxInt64)
)

// encodeTimestamp renders t for HeaderTimestamp; "" for the zero time.
func encodeTimestamp(t time.Time) (string, error) {
	if t.IsZero() {
		return "", nil
	}
	if t.Before(minNanoTime) || t.After(maxNanoTime) {
		return "", fmt.Errorf("timestamp %s outside the range of Unix nanoseconds (years 1678 to 2262)", t)
	}
	return strconv.FormatInt(t.UnixNano(), 10), nil
}

// decodeTimestamp parses HeaderTimestamp; "" gives the zero time.
func decodeTimestamp(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("header %s=%q: not Unix nanoseconds", HeaderTimestamp, s)
	}
	return time.Unix(0, n), nil
}

// encodeCommon sets the timestamp header shared by every converter.
func encodeCommon(r *connect.Record, w *wireHeaders) error {
	ts, err := encodeTimestamp(r.Timestamp)
	if err != nil {
		return fmt.Errorf("converter: encode record of topic %s: %w", r.Topic, err)
	}
	w.timestamp = ts
	return nil
}

// rawBytes returns b, or a non-nil empty slice when a format header said
// the field was present but the transport delivered no bytes.
func rawBytes(b []byte, format string) []byte {
	if b == nil && format != "" {
		return []byte{}
	}
	return b
}
