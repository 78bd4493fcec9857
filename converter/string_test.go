package converter

import (
	"maps"
	"net"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

func TestStringRoundTrip(t *testing.T) {
	c := NewString()
	ts := time.Unix(1, 0)
	for _, tc := range []struct {
		name             string
		key, value       any
		wantKey, wantVal any
	}{
		{"nil", nil, nil, nil, nil},
		{"strings", "k", "héllo\xff", "k", "héllo\xff"},
		{"empty", "", "", "", ""},
		{"bytes", []byte("k"), []byte("v"), "k", "v"},
		{"stringer", net.IPv4(10, 0, 0, 1), time.Duration(1500) * time.Millisecond, "10.0.0.1", "1.5s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := c.Encode(&connect.Record{Topic: "t", Key: tc.key, Value: tc.value, Timestamp: ts, Headers: connect.Headers{"h": "1"}})
			if err != nil {
				t.Fatal(err)
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

func TestStringErrors(t *testing.T) {
	c := NewString()
	for _, tc := range []struct {
		name string
		rec  connect.Record
		want string
	}{
		{"int value", connect.Record{Value: 1}, "value of topic t: String needs"},
		{"map key", connect.Record{Key: map[string]any{}}, "key of topic t"},
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
}
