package converter

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

var (
	t1 = time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)
	t2 = time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("X", -(7*3600+30*60)))
)

func deep(levels int, leaf any) any {
	v := leaf
	for i := range levels {
		if i%2 == 0 {
			v = map[string]any{"k": v, "n": int64(i)}
		} else {
			v = []any{int64(i), v}
		}
	}
	return v
}

// structuredCases are values the JSON converter must round-trip, as keys
// and as values.
var structuredCases = []struct {
	name string
	v    any
}{
	{"int64 max", int64(math.MaxInt64)},
	{"int64 min", int64(math.MinInt64)},
	{"uint64 max", uint64(math.MaxUint64)},
	{"uint64 small", uint64(7)},
	{"int", -12},
	{"int8", int8(-128)},
	{"int16", int16(32767)},
	{"int32", int32(math.MinInt32)},
	{"uint", uint(42)},
	{"uint8", uint8(255)},
	{"uint16", uint16(65535)},
	{"uint32", uint32(math.MaxUint32)},
	{"float 1.0", 1.0},
	{"float 0.1", 0.1},
	{"float 1e300", 1e300},
	{"float -0.0", math.Copysign(0, -1)},
	{"float 1e21", 1e21},
	{"float 1e-7", 1e-7},
	{"float smallest", math.SmallestNonzeroFloat64},
	{"float max", math.MaxFloat64},
	{"float -123456.5", -123456.5},
	{"float32 0.1", float32(0.1)},
	{"float32 1", float32(1)},
	{"float32 max", float32(math.MaxFloat32)},
	{"true", true},
	{"false", false},
	{"string", "hello"},
	{"empty string", ""},
	{"emoji", "😀 héllo 世界"},
	{"invalid utf-8", "a\xffb\xc3"},
	{"control chars", "\x00\x01\x1f\b\f\n\r\t\"\\/\x7f"},
	{"line separators", "a\u2028b\u2029c"},
	{"html", "<a href='x'>&</a>"},
	{"json.Number int", json.Number("123")},
	{"json.Number float", json.Number("-1.5e3")},
	{"json.Number huge", json.Number("123456789012345678901234567890")},
	{"json.Number empty", json.Number("")},
	{"time at root", t1},
	{"nil in array", []any{nil}},
	{"empty array", []any{}},
	{"nil array", map[string]any{"a": []any(nil)}},
	{"empty map", map[string]any{}},
	{"nil map", map[string]any{"m": map[string]any(nil)}},
	{"[]string", []string{"a", "", "ü\xff"}},
	{"map[string]string", map[string]string{"b": "2", "a": "1", "\xfe": "x"}},
	{"[]map[string]any", []map[string]any{{"a": int64(1)}, {}, {"b": []byte("x")}}},
	{"five fields", map[string]any{"id": int64(42), "name": "Ada Lovelace", "email": "ada@example.com", "score": 97.5, "active": true}},
	{"bytes and times at depth", map[string]any{
		"data":  []byte{0, 1, 2, 255},
		"empty": []byte{},
		"nil":   []byte(nil),
		"ts":    t1,
		"list":  []any{[]byte("x"), t2, map[string]any{"inner": []any{[]byte("deep"), t1}}},
		"nest":  map[string]any{"a": map[string]any{"b": map[string]any{"c": []byte("abc"), "t": t2}}},
	}},
	{"keys needing escaping", map[string]any{
		"a/b":        []byte("slash"),
		"~x":         []byte("tilde"),
		"~1":         t1,
		"a,b=c%d":    []byte("sep"),
		"":           []byte("empty key"),
		"tab\tkey\n": t2,
		"emoji😀":     []byte("e"),
		"bad\xffkey": []byte("invalid utf-8 key"),
		"x": map[string]any{
			"/": map[string]any{"~": []any{[]byte("deep escaped")}},
		},
	}},
	{"deep nesting", deep(60, []byte("bottom"))},
	{"many members", func() any {
		m := make(map[string]any)
		for i := range 100 {
			m[strings.Repeat("k", i%7)+string(rune('a'+i%26))+string(rune('0'+i/26))] = int64(i)
		}
		return m
	}()},
}

func TestJSONRoundTrip(t *testing.T) {
	c := NewJSON()
	for _, tc := range structuredCases {
		t.Run(tc.name, func(t *testing.T) {
			// At the root, and inside an object and an array.
			for _, v := range []any{tc.v, map[string]any{"v": tc.v}, []any{int64(0), tc.v}} {
				m, err := c.Encode(&connect.Record{Topic: "t", Key: v, Value: v})
				if err != nil {
					t.Fatalf("Encode: %v", err)
				}
				want := decodedForm(v)
				if s, ok := v.(string); ok {
					want = s // written raw
				} else if !json.Valid(m.Value) || !json.Valid(m.Key) {
					t.Fatalf("Encode wrote invalid JSON: key %s value %s", m.Key, m.Value)
				}
				r, err := c.Decode(m)
				if err != nil {
					t.Fatalf("Decode %s (headers %v): %v", m.Value, m.Headers, err)
				}
				if d := diff(r.Value, want); d != "" {
					t.Errorf("value %s: %s", m.Value, d)
				}
				if d := diff(r.Key, want); d != "" {
					t.Errorf("key %s: %s", m.Key, d)
				}
				if r.Headers != nil {
					t.Errorf("Headers = %v, want nil", r.Headers)
				}
			}
		})
	}
}

func TestJSONRawAndNil(t *testing.T) {
	c := NewJSON()
	for _, tc := range []struct {
		name        string
		key, value  any
		wantKey     []byte
		wantValue   []byte
		wantHeaders connect.Headers
	}{
		{"nil key and value", nil, nil, nil, nil, nil},
		{"bytes", []byte("k\x00"), []byte{0xff, 0}, []byte("k\x00"), []byte{0xff, 0},
			connect.Headers{HeaderKeyFormat: "bytes", HeaderValueFormat: "bytes"}},
		{"strings", "user-1", `{"not":"parsed"}`, []byte("user-1"), []byte(`{"not":"parsed"}`),
			connect.Headers{HeaderKeyFormat: "string", HeaderValueFormat: "string"}},
		{"empty string", "", "", nil, nil,
			connect.Headers{HeaderKeyFormat: "string", HeaderValueFormat: "string"}},
		{"empty bytes", []byte{}, []byte{}, nil, nil,
			connect.Headers{HeaderKeyFormat: "bytes", HeaderValueFormat: "bytes"}},
		{"structured key", map[string]any{"id": int64(1)}, int64(5), []byte(`{"id":1}`), []byte(`5`), nil},
		{"null value", nil, json.RawMessage("null"), nil, []byte("null"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := c.Encode(&connect.Record{Topic: "t", Key: tc.key, Value: tc.value})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(m.Key, tc.wantKey) || !bytes.Equal(m.Value, tc.wantValue) {
				t.Errorf("message key %q value %q, want %q %q", m.Key, m.Value, tc.wantKey, tc.wantValue)
			}
			if !maps.Equal(m.Headers, tc.wantHeaders) {
				t.Errorf("headers %v, want %v", m.Headers, tc.wantHeaders)
			}
			// Transports may turn empty slices into nil.
			if len(m.Key) == 0 {
				m.Key = nil
			}
			if len(m.Value) == 0 {
				m.Value = nil
			}
			r, err := c.Decode(m)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []struct {
				name      string
				got, sent any
			}{{"key", r.Key, tc.key}, {"value", r.Value, tc.value}} {
				want := f.sent
				switch s := f.sent.(type) {
				case map[string]any, int64:
					want = decodedForm(s)
				case json.RawMessage:
					want = nil
				}
				if d := diff(f.got, want); d != "" {
					t.Errorf("%s: %s", f.name, d)
				}
			}
		})
	}
}

func TestJSONWireFormat(t *testing.T) {
	c := NewJSON()
	ts := time.Unix(1700000000, 123456789)
	for _, tc := range []struct {
		name        string
		rec         connect.Record
		wantKey     string
		wantValue   string
		wantHeaders connect.Headers
	}{
		{
			name: "plain value",
			rec: connect.Record{Key: map[string]any{"b": int64(2), "a": "x"}, Value: map[string]any{
				"id": int64(1), "name": "x", "score": 1.0, "active": true,
				"data": []byte{1, 2}, "ts": t1, "n": nil, "f32": float32(0.1), "big": uint64(math.MaxUint64),
			}},
			wantKey:   `{"a":"x","b":2}`,
			wantValue: `{"active":true,"big":18446744073709551615,"data":"AQI=","f32":0.1,"id":1,"n":null,"name":"x","score":1.0,"ts":"2024-01-02T03:04:05.000000006Z"}`,
			wantHeaders: connect.Headers{
				HeaderValueTypes: "/data=bytes,/ts=time",
			},
		},
		{
			name: "change event",
			rec: connect.Record{Timestamp: ts, Key: map[string]any{"id": int64(1)}, Change: &connect.Change{
				Op:     connect.OpUpdate,
				Before: map[string]any{"id": int64(1), "blob": []byte("a")},
				After:  map[string]any{"id": int64(1), "blob": []byte("b"), "at": t1},
				Source: map[string]any{"db": "shop", "table": "users", "pos": int64(4)},
			}},
			wantKey:   `{"id":1}`,
			wantValue: `{"before":{"blob":"YQ==","id":1},"after":{"at":"2024-01-02T03:04:05.000000006Z","blob":"Yg==","id":1},"source":{"db":"shop","pos":4,"table":"users"},"op":"u","ts_ms":1700000000123}`,
			wantHeaders: connect.Headers{
				HeaderOp:         "u",
				HeaderTimestamp:  "1700000000123456789",
				HeaderValueTypes: "/before/blob=bytes,/after/at=time,/after/blob=bytes",
			},
		},
		{
			name:        "change event without timestamp",
			rec:         connect.Record{Change: &connect.Change{Op: connect.OpCreate, After: map[string]any{}}},
			wantValue:   `{"before":null,"after":{},"source":null,"op":"c"}`,
			wantHeaders: connect.Headers{HeaderOp: "c"},
		},
		{
			name:        "escaped pointers",
			rec:         connect.Record{Value: map[string]any{"a/b,c=d%e~": []any{int64(0), []byte{}}, "\x01": t1}},
			wantValue:   `{"\u0001":"2024-01-02T03:04:05.000000006Z","a/b,c=d%e~":[0,""]}`,
			wantHeaders: connect.Headers{HeaderValueTypes: "/%01=time,/a~1b%2Cc%3Dd%25e~0/1=bytes"},
		},
		{
			name:        "bytes at root of a structured key",
			rec:         connect.Record{Key: []any{[]byte("k")}, Value: t1},
			wantKey:     `["aw=="]`,
			wantValue:   `"2024-01-02T03:04:05.000000006Z"`,
			wantHeaders: connect.Headers{HeaderKeyTypes: "/0=bytes", HeaderValueTypes: "=time"},
		},
		{
			name:      "escapes",
			rec:       connect.Record{Value: "\x00", Key: []any{"\x00\u2028\xff\"\\<"}},
			wantKey:   `["\u0000\u2028\ufffd\"\\<"]`,
			wantValue: "\x00",
			wantHeaders: connect.Headers{
				HeaderValueFormat: "string",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.rec.Topic = "t"
			m, err := c.Encode(&tc.rec)
			if err != nil {
				t.Fatal(err)
			}
			if string(m.Key) != tc.wantKey {
				t.Errorf("key\n got %s\nwant %s", m.Key, tc.wantKey)
			}
			if string(m.Value) != tc.wantValue {
				t.Errorf("value\n got %s\nwant %s", m.Value, tc.wantValue)
			}
			if !maps.Equal(m.Headers, tc.wantHeaders) {
				t.Errorf("headers\n got %v\nwant %v", m.Headers, tc.wantHeaders)
			}
		})
	}
}

func TestJSONChangeRoundTrip(t *testing.T) {
	c := NewJSON()
	ts := time.Unix(1700000000, 123456789)
	for _, op := range []connect.Operation{connect.OpCreate, connect.OpUpdate, connect.OpDelete, connect.OpRead, connect.OpTruncate} {
		t.Run(string(op), func(t *testing.T) {
			ch := &connect.Change{Op: op, Source: map[string]any{"db": "shop", "file": "binlog.000001", "pos": uint64(math.MaxUint64)}}
			row := map[string]any{"id": int64(7), "blob": []byte{9}, "at": t2, "tags": []string{"a"}, "price": 1.0}
			switch op {
			case connect.OpCreate, connect.OpRead:
				ch.After = row
			case connect.OpUpdate:
				ch.Before, ch.After = map[string]any{"id": int64(7)}, row
			case connect.OpDelete:
				ch.Before = row
			}
			rec := &connect.Record{Topic: "t", Key: map[string]any{"id": int64(7)}, Change: ch, Timestamp: ts,
				Headers: connect.Headers{"trace": "abc"}}
			m, err := c.Encode(rec)
			if err != nil {
				t.Fatal(err)
			}
			if m.Headers.Get(HeaderOp) != string(op) {
				t.Errorf("header %s = %q", HeaderOp, m.Headers.Get(HeaderOp))
			}
			got, err := c.Decode(m)
			if err != nil {
				t.Fatal(err)
			}
			if got.Value != nil {
				t.Errorf("Value = %v, want nil", got.Value)
			}
			if got.Change == nil || got.Change.Op != op {
				t.Fatalf("Change = %+v", got.Change)
			}
			for _, p := range []struct {
				name      string
				got, want any
			}{{"before", got.Change.Before, ch.Before}, {"after", got.Change.After, ch.After}, {"source", got.Change.Source, ch.Source}} {
				var want any = p.want
				if p.want != nil {
					want = decodedForm(p.want)
				} else {
					want = nil // an absent row decodes as nil
				}
				if d := diff(p.got, want); d != "" {
					t.Errorf("%s: %s", p.name, d)
				}
			}
			if !got.Timestamp.Equal(ts) {
				t.Errorf("Timestamp = %v, want %v", got.Timestamp, ts)
			}
			if !maps.Equal(got.Headers, connect.Headers{"trace": "abc"}) {
				t.Errorf("Headers = %v", got.Headers)
			}
		})
	}
}

func TestJSONChangeWithoutTimestampHeader(t *testing.T) {
	// A Debezium producer sends ts_ms but no connect.timestamp.
	m := &connect.Message{Topic: "t", Value: []byte(`{"before":null,"after":{"id":1},"source":{"connector":"mysql"},"op":"c","ts_ms":1700000000123,"transaction":null}`),
		Headers: connect.Headers{HeaderOp: "c"}}
	r, err := NewJSON().Decode(m)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.UnixMilli(1700000000123); !r.Timestamp.Equal(want) {
		t.Errorf("Timestamp = %v, want %v", r.Timestamp, want)
	}
	if d := diff(r.Change.After, map[string]any{"id": int64(1)}); d != "" {
		t.Error(d)
	}
}

func TestJSONHeadersAndTimestamp(t *testing.T) {
	c := NewJSON()
	ts := time.Date(2025, 6, 1, 12, 0, 0, 1, time.UTC)
	recHeaders := connect.Headers{
		"trace":               "abc",
		"connect.dlq.reason":  "kept: not owned by the converter",
		HeaderValueTypes:      "/bogus=bytes", // owned: dropped on Encode
		HeaderTimestamp:       "1",
		HeaderOp:              "c",
		"connect.key.format2": "kept",
	}
	before := maps.Clone(recHeaders)
	rec := &connect.Record{Topic: "t", Value: map[string]any{"a": int64(1)}, Headers: recHeaders, Timestamp: ts}
	m, err := c.Encode(rec)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(rec.Headers, before) {
		t.Errorf("Encode changed the record's headers: %v", rec.Headers)
	}
	wantMsg := connect.Headers{
		"trace":               "abc",
		"connect.dlq.reason":  "kept: not owned by the converter",
		"connect.key.format2": "kept",
		HeaderTimestamp:       "1748779200000000001",
	}
	if !maps.Equal(m.Headers, wantMsg) {
		t.Errorf("message headers\n got %v\nwant %v", m.Headers, wantMsg)
	}
	m.Headers["added"] = "x"
	if _, ok := rec.Headers["added"]; ok {
		t.Error("message headers share the record's map")
	}
	delete(m.Headers, "added")

	msgHeaders := maps.Clone(m.Headers)
	r, err := c.Decode(m)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(m.Headers, msgHeaders) {
		t.Errorf("Decode changed the message's headers: %v", m.Headers)
	}
	wantRec := connect.Headers{"trace": "abc", "connect.dlq.reason": "kept: not owned by the converter", "connect.key.format2": "kept"}
	if !maps.Equal(r.Headers, wantRec) {
		t.Errorf("record headers\n got %v\nwant %v", r.Headers, wantRec)
	}
	if !r.Timestamp.Equal(ts) {
		t.Errorf("Timestamp = %v, want %v", r.Timestamp, ts)
	}

	// Zero timestamp: no header, zero on decode.
	m, err = c.Encode(&connect.Record{Topic: "t", Value: int64(1)})
	if err != nil {
		t.Fatal(err)
	}
	if m.Headers != nil {
		t.Errorf("headers = %v, want nil", m.Headers)
	}
	if r, err = c.Decode(m); err != nil || !r.Timestamp.IsZero() || r.Headers != nil {
		t.Errorf("Decode = %+v, %v", r, err)
	}
}

func TestJSONDeterministicKeys(t *testing.T) {
	c := NewJSON()
	key := map[string]any{}
	for i := range 40 {
		key[string(rune('a'+i%26))+strings.Repeat("x", i/26)] = map[string]any{"z": int64(i), "y": []any{"q", map[string]string{"b": "1", "a": "2"}}}
	}
	first, err := c.Encode(&connect.Record{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		m, err := c.Encode(&connect.Record{Key: key})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m.Key, first.Key) {
			t.Fatalf("key bytes differ between encodings:\n%s\n%s", first.Key, m.Key)
		}
	}
}

type point struct {
	X, Y int
	Data []byte
}

func TestJSONFallback(t *testing.T) {
	c := NewJSON()
	m, err := c.Encode(&connect.Record{Topic: "t", Value: map[string]any{"p": point{1, 2, []byte("x")}, "ptr": &point{X: 3}, "r": json.RawMessage(` {"a" : 1.0} `)}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Decode(m)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"p":   map[string]any{"X": int64(1), "Y": int64(2), "Data": "eA=="},
		"ptr": map[string]any{"X": int64(3), "Y": int64(0), "Data": nil},
		"r":   map[string]any{"a": 1.0},
	}
	if d := diff(r.Value, want); d != "" {
		t.Error(d)
	}
}

type chanHolder struct{ C chan int }

type panicky struct{}

func (panicky) MarshalJSON() ([]byte, error) { panic("boom") }

func TestJSONEncodeErrors(t *testing.T) {
	c := NewJSON()
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	cyclicArr := []any{nil}
	cyclicArr[0] = cyclicArr
	for _, tc := range []struct {
		name string
		rec  connect.Record
		want []string // substrings of the error
	}{
		{"NaN", connect.Record{Value: math.NaN()}, []string{"encode value of topic t", "NaN"}},
		{"NaN nested", connect.Record{Value: map[string]any{"a": []any{int64(1), map[string]any{"x/y": math.NaN()}}}}, []string{"/a/1/x~1y", "NaN"}},
		{"+Inf in key", connect.Record{Key: map[string]any{"k": math.Inf(1)}}, []string{"encode key of topic t", "/k", "+Inf"}},
		{"-Inf float32", connect.Record{Value: []any{float32(math.Inf(-1))}}, []string{"/0", "-Inf"}},
		{"NaN in change", connect.Record{Change: &connect.Change{Op: connect.OpCreate, After: map[string]any{"score": math.NaN()}}}, []string{"/after/score", "NaN"}},
		{"chan", connect.Record{Value: map[string]any{"c": make(chan int)}}, []string{"/c", "unsupported type"}},
		{"func", connect.Record{Value: []any{func() {}}}, []string{"/0", "unsupported type"}},
		{"chan in struct", connect.Record{Value: chanHolder{}}, []string{"unsupported type"}},
		{"panicking marshaler", connect.Record{Value: map[string]any{"p": panicky{}}}, []string{"/p", "panicked", "boom"}},
		{"cyclic map", connect.Record{Value: cyclic}, []string{"nesting deeper", "cycle"}},
		{"cyclic array", connect.Record{Value: cyclicArr}, []string{"nesting deeper"}},
		{"time out of range", connect.Record{Value: map[string]any{"t": time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}, []string{"/t", "year"}},
		{"bad json.Number", connect.Record{Value: json.Number("1.2.3")}, []string{"invalid json.Number"}},
		{"Value and Change", connect.Record{Value: int64(1), Change: &connect.Change{Op: connect.OpCreate}}, []string{"both Value and Change"}},
		{"bad op", connect.Record{Change: &connect.Change{Op: "x"}}, []string{"invalid change operation"}},
		{"timestamp out of range", connect.Record{Value: int64(1), Timestamp: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}, []string{"timestamp", "range"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.rec.Topic = "t"
			_, err := c.Encode(&tc.rec)
			if err == nil {
				t.Fatal("Encode succeeded, want an error")
			}
			for _, w := range append(tc.want, "converter: encode") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// invalidJSON are documents every JSON decoder must refuse.
var invalidJSON = []string{
	`{`, `}`, `[`, `]`, `{"a"`, `{"a":`, `{"a":}`, `{"a" 1}`, `{"a":1,}`, `{,}`, `{1:2}`, `{"a":1 "b":2}`,
	`[1,]`, `[,1]`, `[1 2]`, `[1,2`, `01`, `-01`, `1.`, `.5`, `-`, `+1`, `1e`, `1e+`, `1.e5`, `0x10`,
	`NaN`, `Infinity`, `tru`, `nul`, `fals`, `truex`, `nulll`, `"abc`, `"\`, `"\"`, "\"\x01\"", "\"a\nb\"",
	`"\q"`, `"\u12"`, `"\u12g4"`, `"\uD800\u12"`, `{"a":1}x`, `1 2`, `'a'`, "\x00", `[1]]`, `{"a":1}}`,
	strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1),
	strings.Repeat(`{"a":`, maxDepth+1) + "1" + strings.Repeat("}", maxDepth+1),
}

func TestJSONDecodeInvalid(t *testing.T) {
	c := NewJSON()
	for _, doc := range invalidJSON {
		name := doc
		if len(name) > 20 {
			name = name[:20]
		}
		t.Run(name, func(t *testing.T) {
			if json.Valid([]byte(doc)) {
				t.Fatalf("test bug: %q is valid JSON", doc)
			}
			_, err := c.Decode(&connect.Message{Topic: "orders", Value: []byte(doc)})
			if err == nil || !strings.HasPrefix(err.Error(), "converter: decode value of topic orders: ") {
				t.Errorf("Decode(%q) error = %v", doc, err)
			}
			_, err = c.Decode(&connect.Message{Topic: "orders", Key: []byte(doc)})
			if err == nil || !strings.HasPrefix(err.Error(), "converter: decode key of topic orders: ") {
				t.Errorf("Decode key %q error = %v", doc, err)
			}
		})
	}
}

func TestJSONDecodeTruncated(t *testing.T) {
	c := NewJSON()
	m, err := c.Encode(&connect.Record{Topic: "t", Value: map[string]any{"s": "a\"\\\u00e9😀\n", "n": []any{int64(-12), 1.5e-9, true, false, nil}, "m": map[string]any{"x": "y"}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(m.Value); i++ {
		prefix := m.Value[:i]
		if json.Valid(prefix) {
			continue
		}
		if _, err := c.Decode(&connect.Message{Topic: "t", Value: prefix}); err == nil {
			t.Errorf("Decode(%q) succeeded", prefix)
		}
	}
}

func TestJSONDecodeBadHeaders(t *testing.T) {
	c := NewJSON()
	for _, tc := range []struct {
		name    string
		key     string
		value   string
		headers connect.Headers
		want    string
	}{
		{"unknown value format", "", `1`, connect.Headers{HeaderValueFormat: "avro"}, "unknown format"},
		{"unknown key format", "k", `1`, connect.Headers{HeaderKeyFormat: "avro"}, "decode key"},
		{"bad timestamp", "", `1`, connect.Headers{HeaderTimestamp: "yesterday"}, "Unix nanoseconds"},
		{"unknown op", "", `{}`, connect.Headers{HeaderOp: "x"}, "unknown operation"},
		{"op with raw value", "", `{}`, connect.Headers{HeaderOp: "c", HeaderValueFormat: "bytes"}, "change event with header"},
		{"op without value", "", ``, connect.Headers{HeaderOp: "c"}, "without a value"},
		{"envelope not object", "", `[1]`, connect.Headers{HeaderOp: "c"}, "not an object"},
		{"after not object", "", `{"after":1}`, connect.Headers{HeaderOp: "c"}, `"after" is int64`},
		{"op disagrees", "", `{"op":"d"}`, connect.Headers{HeaderOp: "c"}, "disagrees"},
		{"invalid envelope JSON", "", `{"op":"c"`, connect.Headers{HeaderOp: "c"}, "unexpected end"},
		{"types entry without kind", "", `{"a":"x"}`, connect.Headers{HeaderValueTypes: "/a"}, "not pointer=kind"},
		{"types unknown kind", "", `{"a":"x"}`, connect.Headers{HeaderValueTypes: "/a=uuid"}, "unknown kind"},
		{"types missing member", "", `{"a":"x"}`, connect.Headers{HeaderValueTypes: "/b=bytes"}, `no member "b"`},
		{"types not a string", "", `{"a":1}`, connect.Headers{HeaderValueTypes: "/a=bytes"}, "want a string"},
		{"types bad base64", "", `{"a":"!!"}`, connect.Headers{HeaderValueTypes: "/a=bytes"}, "illegal base64"},
		{"types bad time", "", `{"a":"yesterday"}`, connect.Headers{HeaderValueTypes: "/a=time"}, "time:"},
		{"types bad percent", "", `{"a":"x"}`, connect.Headers{HeaderValueTypes: "/a%2=bytes"}, "percent"},
		{"types bad tilde", "", `{"a":"x"}`, connect.Headers{HeaderValueTypes: "/a~2=bytes"}, "bad escape"},
		{"types index out of range", "", `["eA=="]`, connect.Headers{HeaderValueTypes: "/1=bytes"}, "no array element"},
		{"types index leading zero", "", `["eA=="]`, connect.Headers{HeaderValueTypes: "/00=bytes"}, "no array element"},
		{"types through a scalar", "", `{"a":"x"}`, connect.Headers{HeaderValueTypes: "/a/b=bytes"}, "not an object or array"},
		{"types pointer without slash", "", `{"a":"x"}`, connect.Headers{HeaderValueTypes: "a=bytes"}, "start with '/'"},
		{"types on empty value", "", ``, connect.Headers{HeaderValueTypes: "=bytes"}, "empty field"},
		{"key types", `{"a":1}`, ``, connect.Headers{HeaderKeyTypes: "/a=time"}, "decode key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &connect.Message{Topic: "t", Value: []byte(tc.value), Headers: tc.headers}
			if tc.key != "" {
				m.Key = []byte(tc.key)
			}
			_, err := c.Decode(m)
			if err == nil {
				t.Fatal("Decode succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "converter: decode ") {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestJSONDecodeStrings(t *testing.T) {
	c := NewJSON()
	for _, tc := range []struct {
		doc  string
		want string
	}{
		{`"plain"`, "plain"},
		{`"\"\\\/\b\f\n\r\t"`, "\"\\/\b\f\n\r\t"},
		{`"\u00e9\u00E9"`, "éé"},
		{`"\ud83d\ude00"`, "😀"},
		{`"\uD83D\uDE00x"`, "😀x"},
		{`"\ud83d"`, "\uFFFD"},
		{`"\ud83dx"`, "\uFFFDx"},
		{`"\ude00\ud83d"`, "\uFFFD\uFFFD"},
		{`"\ud83d\u0041"`, "\uFFFDA"},
		{`"\ud83d\ud83d\ude00"`, "\uFFFD😀"},
		{"\"a\xffb\"", "a\uFFFDb"},
		{"\"\xed\xa0\x80\"", "\uFFFD\uFFFD\uFFFD"},
		{"\"é\\n\xff\"", "é\n\uFFFD"},
		{`"\u0000"`, "\x00"},
		{"\"\u2028\"", "\u2028"},
	} {
		r, err := c.Decode(&connect.Message{Value: []byte(tc.doc)})
		if err != nil {
			t.Errorf("Decode(%s): %v", tc.doc, err)
			continue
		}
		var std string
		if err := json.Unmarshal([]byte(tc.doc), &std); err != nil || std != tc.want {
			t.Errorf("test bug: encoding/json reads %s as %q (%v), want %q", tc.doc, std, err, tc.want)
		}
		if r.Value != tc.want {
			t.Errorf("Decode(%s) = %q, want %q", tc.doc, r.Value, tc.want)
		}
	}
}

func TestJSONDecodeNumbers(t *testing.T) {
	c := NewJSON()
	for _, tc := range []struct {
		doc  string
		want any
	}{
		{`0`, int64(0)},
		{`-0`, int64(0)},
		{`-0.0`, math.Copysign(0, -1)},
		{`9223372036854775807`, int64(math.MaxInt64)},
		{`9223372036854775808`, uint64(1 << 63)},
		{`-9223372036854775808`, int64(math.MinInt64)},
		{`-9223372036854775809`, json.Number("-9223372036854775809")},
		{`18446744073709551615`, uint64(math.MaxUint64)},
		{`18446744073709551616`, json.Number("18446744073709551616")},
		{`99999999999999999999`, json.Number("99999999999999999999")},
		{`123456789012345678901234567890`, json.Number("123456789012345678901234567890")},
		{`1.0`, 1.0},
		{`1E2`, 100.0},
		{`1e-2`, 0.01},
		{`1e400`, json.Number("1e400")},
		{`-1e400`, json.Number("-1e400")},
		{`1e-400`, 0.0},
		{` 42 `, int64(42)},
	} {
		r, err := c.Decode(&connect.Message{Value: []byte(tc.doc)})
		if err != nil {
			t.Errorf("Decode(%s): %v", tc.doc, err)
			continue
		}
		if d := diff(r.Value, tc.want); d != "" {
			t.Errorf("Decode(%s): %s", tc.doc, d)
		}
	}
}

func TestJSONInvalidUTF8NameCollision(t *testing.T) {
	// Names equal once invalid UTF-8 is replaced are written once, so that
	// the types header names the member a decoder keeps.
	c := NewJSON()
	for _, tc := range []struct {
		v     map[string]any
		names int // members named U+FFFD in the output
	}{
		{map[string]any{"\xff": int64(1), "\xfe": []byte("x"), "a": "b"}, 1},
		{map[string]any{"\xfe": int64(1), "\xff": []byte("x"), "a": "b"}, 1},
		{map[string]any{"\xfe": map[string]string{"\xff": "1", "\xfe": "2"}, "\xff": []any{map[string]any{"\xc3": t1, "\xc4": []byte("y")}}}, 2},
	} {
		m, err := c.Encode(&connect.Record{Value: tc.v})
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.Decode(m)
		if err != nil {
			t.Fatalf("Decode(%s, %v): %v", m.Value, m.Headers, err)
		}
		if d := diff(r.Value, decodedForm(tc.v)); d != "" {
			t.Errorf("%s: %s", m.Value, d)
		}
		if n := strings.Count(string(m.Value), "\"\uFFFD\":"); n != tc.names {
			t.Errorf("%s: %d members named U+FFFD, want %d", m.Value, n, tc.names)
		}
	}
}

func TestJSONDecodeDuplicateMembers(t *testing.T) {
	r, err := NewJSON().Decode(&connect.Message{Value: []byte(`{"a":1,"a":2}`)})
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(r.Value, map[string]any{"a": int64(2)}); d != "" {
		t.Error(d)
	}
}

func TestJSONConcurrent(t *testing.T) {
	c := NewJSON()
	done := make(chan error)
	for g := range 4 {
		go func() {
			for i := range 300 {
				v := map[string]any{"g": int64(g), "i": int64(i), "b": []byte{byte(i)}, "nest": map[string]any{"s": strings.Repeat("x", i%40)}}
				m, err := c.Encode(&connect.Record{Value: v})
				if err == nil {
					var r *connect.Record
					if r, err = c.Decode(m); err == nil {
						if d := diff(r.Value, decodedForm(v)); d != "" {
							err = &pathError{path: "concurrent", err: errString(d)}
						}
					}
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }
