package converter

import (
	"bytes"
	"maps"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

func TestBytesRoundTrip(t *testing.T) {
	c := NewBytes()
	ts := time.Unix(1700000000, 5)
	for _, tc := range []struct {
		name             string
		key, value       any
		wantKey, wantVal any
	}{
		{"nil", nil, nil, nil, nil},
		{"bytes", []byte("k"), []byte{0, 0xff}, []byte("k"), []byte{0, 0xff}},
		{"string key", "user-1", []byte("v"), "user-1", []byte("v")},
		{"empty", []byte{}, []byte{}, []byte{}, []byte{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &connect.Record{Topic: "t", Key: tc.key, Value: tc.value, Timestamp: ts, Headers: connect.Headers{"h": "1"}}
			m, err := c.Encode(rec)
			if err != nil {
				t.Fatal(err)
			}
			if m.Headers.Get(HeaderTimestamp) != "1700000000000000005" {
				t.Errorf("headers %v", m.Headers)
			}
			r, err := c.Decode(m)
			if err != nil {
				t.Fatal(err)
			}
			if d := diff(r.Key, tc.wantKey); d != "" {
				t.Errorf("key: %s", d)
			}
			if d := diff(r.Value, tc.wantVal); d != "" {
				t.Errorf("value: %s", d)
			}
			if !r.Timestamp.Equal(ts) || !maps.Equal(r.Headers, connect.Headers{"h": "1"}) {
				t.Errorf("timestamp %v headers %v", r.Timestamp, r.Headers)
			}
		})
	}
}

func TestBytesErrors(t *testing.T) {
	c := NewBytes()
	for _, tc := range []struct {
		name string
		rec  connect.Record
		want string
	}{
		{"string value", connect.Record{Value: "x"}, "needs a []byte value, got string"},
		{"map value", connect.Record{Value: map[string]any{}}, "got map[string]interface {}"},
		{"int key", connect.Record{Key: 1}, "key of topic t"},
		{"change", connect.Record{Change: &connect.Change{Op: connect.OpCreate}}, "change events"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.rec.Topic = "t"
			_, err := c.Encode(&tc.rec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Encode error = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := c.Decode(&connect.Message{Headers: connect.Headers{HeaderTimestamp: "x"}}); err == nil {
		t.Error("Decode with a bad timestamp succeeded")
	}
}

// TestInterop: each converter reads what the others write, as documented.
func TestInterop(t *testing.T) {
	j, b, s := NewJSON(), NewBytes(), NewString()

	// JSON reads Bytes and String messages as raw values.
	m, err := b.Encode(&connect.Record{Value: []byte(`{"a":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := j.Decode(m); err != nil || !bytes.Equal(r.Value.([]byte), []byte(`{"a":1}`)) {
		t.Errorf("JSON decode of a Bytes message = %v, %v", r, err)
	}
	m, err = s.Encode(&connect.Record{Value: "not json"})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := j.Decode(m); err != nil || r.Value != "not json" {
		t.Errorf("JSON decode of a String message = %v, %v", r, err)
	}

	// Bytes and String read a JSON change event as its envelope and keep
	// the headers only JSON understands.
	m, err = j.Encode(&connect.Record{Change: &connect.Change{Op: connect.OpCreate, After: map[string]any{"b": []byte("x")}}})
	if err != nil {
		t.Fatal(err)
	}
	wantHeaders := connect.Headers{HeaderOp: "c", HeaderValueTypes: "/after/b=bytes"}
	rb, err := b.Decode(m)
	if err != nil || !bytes.Equal(rb.Value.([]byte), m.Value) || !maps.Equal(rb.Headers, wantHeaders) {
		t.Errorf("Bytes decode of a change event = %+v, %v", rb, err)
	}
	rs, err := s.Decode(m)
	if err != nil || rs.Value != string(m.Value) || !maps.Equal(rs.Headers, wantHeaders) {
		t.Errorf("String decode of a change event = %+v, %v", rs, err)
	}
	// And re-encoding that record with JSON... is a raw value, not a change.
	if m2, err := b.Encode(rb); err != nil || m2.Headers.Get(HeaderOp) != "" {
		t.Errorf("Bytes re-encode kept the owned header: %v, %v", m2, err)
	}
}
