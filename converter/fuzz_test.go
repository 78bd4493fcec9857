package converter

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// FuzzDecode: no input panics; without headers, a value decodes exactly
// when encoding/json says it is valid, and to what encoding/json reads.
func FuzzDecode(f *testing.F) {
	for _, doc := range invalidJSON {
		if len(doc) < 200 {
			f.Add([]byte(doc), "", "")
		}
	}
	for _, s := range []string{`{"a":[1,2.5,"x",true,null,{}]}`, `"\ud83d\ude00"`, `18446744073709551616`, `-0.0`, `{"after":{"d":"AQI="},"op":"c"}`} {
		f.Add([]byte(s), "", "")
	}
	f.Add([]byte(`{"a":"AQI=","b":["2024-01-02T03:04:05Z"]}`), "/a=bytes,/b/0=time", "")
	f.Add([]byte(`{"before":null,"after":{"x":"eA=="},"op":"c"}`), "/after/x=bytes", "c")
	f.Fuzz(func(t *testing.T, data []byte, types, op string) {
		c := NewJSON()
		h := connect.Headers{}
		if types != "" {
			h[HeaderValueTypes] = types
		}
		if op != "" {
			h[HeaderOp] = op
		}
		r, err := c.Decode(&connect.Message{Value: data, Key: data, Headers: h})
		if types != "" || op != "" || len(data) == 0 {
			return // only "no panic" is promised
		}
		valid := json.Valid(data)
		if valid != (err == nil) {
			t.Fatalf("Decode(%q) error %v, but json.Valid = %v", data, err, valid)
		}
		if !valid {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if d := diff(r.Value, stdForm(want)); d != "" {
			t.Fatalf("Decode(%q): %s", data, d)
		}
		if d := diff(r.Key, stdForm(want)); d != "" {
			t.Fatalf("Decode key (%q): %s", data, d)
		}
	})
}

// FuzzRoundTrip: records built from arbitrary scalars come back intact.
func FuzzRoundTrip(f *testing.F) {
	f.Add("hello", "k", int64(1), uint64(math.MaxUint64), 1.0, []byte{0, 1}, int64(1700000000123456789))
	f.Add("a\xffb\u2028", "/~,=%", int64(math.MinInt64), uint64(0), math.Copysign(0, -1), []byte(nil), int64(0))
	f.Fuzz(func(t *testing.T, s, key string, i int64, u uint64, fl float64, b []byte, nanos int64) {
		c := NewJSON()
		v := map[string]any{
			"s": s, "i": i, "u": u, "f": fl, "b": b,
			key:    []any{s, b, map[string]any{key: b}},
			"time": time.Unix(0, nanos).UTC(),
		}
		m, err := c.Encode(&connect.Record{Key: v, Value: v})
		if math.IsNaN(fl) || math.IsInf(fl, 0) {
			if err == nil {
				t.Fatal("Encode of NaN or infinity succeeded")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.Decode(m)
		if err != nil {
			t.Fatalf("Decode(%s, %v): %v", m.Value, m.Headers, err)
		}
		want := decodedForm(v)
		if d := diff(r.Value, want); d != "" {
			t.Fatalf("value %s: %s", m.Value, d)
		}
		if d := diff(r.Key, want); d != "" {
			t.Fatalf("key %s: %s", m.Key, d)
		}
	})
}
