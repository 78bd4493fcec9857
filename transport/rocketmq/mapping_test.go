package rocketmq

import (
	"bytes"
	"maps"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	connect "github.com/openmessaging/connect-go"
)

func TestEscapeRoundTrip(t *testing.T) {
	cases := []string{
		"", "plain", "with space ", "%", "%25", "100%", "%zz", "a%2", "\x01\x02", "tab\tnew\nline",
		"zürich → 東京", "emoji 🎉", "\xff\xfe", "bad\xc3", "\x7f", "\x00nul",
		"__connect.errors.exception.message", "connect.key", "KEYS", "h:nested",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		b := make([]byte, rng.IntN(24))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		e := escape(s)
		if !utf8.ValidString(e) {
			t.Errorf("escape(%q) = %q: not valid UTF-8", s, e)
		}
		if strings.ContainsAny(e, "\x00\x01\x02\n\x7f") {
			t.Errorf("escape(%q) = %q: control characters left", s, e)
		}
		if got := unescape(e); got != s {
			t.Errorf("unescape(escape(%q)) = %q", s, got)
		}
		ev := escapeValue(s)
		if ev == "" {
			t.Errorf("escapeValue(%q) is empty: the broker drops empty values", s)
		}
		if got := unescapeValue(ev); got != s {
			t.Errorf("unescapeValue(escapeValue(%q)) = %q", s, got)
		}
	}
}

func TestEscapeLeavesPlainTextAlone(t *testing.T) {
	for _, s := range []string{"order-42", "zürich → 東京", " a b ", "connect.topic"} {
		if e := escape(s); e != s {
			t.Errorf("escape(%q) = %q, want it unchanged", s, e)
		}
	}
	// Unescaping is lenient with what other producers wrote.
	for _, s := range []string{"50%", "%g1", "a%"} {
		if u := unescape(s); u != s {
			t.Errorf("unescape(%q) = %q, want it unchanged", s, u)
		}
	}
}

// roundTrip encodes m's key and headers as properties, passes them through
// the client's own wire encoding of a batch message and decodes them.
func roundTrip(t *testing.T, m *connect.Message) ([]byte, connect.Headers) {
	t.Helper()
	props, _, err := properties(m, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return received(props, m.Value)
}

// received returns the key and headers of a message with props as the
// transport reads them, after the client's own wire encoding.
func received(props map[string]string, value []byte) ([]byte, connect.Headers) {
	pm := &primitive.Message{Topic: "t", Body: value}
	pm.WithProperties(props)
	wire := pm.MarshallProperties()
	got := &primitive.MessageExt{Message: primitive.Message{Body: value}}
	got.UnmarshalProperties([]byte(wire))
	key, _, h := decode(got, nil)
	return key, h
}

// legacyProperties is how the previous version of the transport wrote a
// message's key and headers (and WithPropertyPerHeader does): a property
// per header.
func legacyProperties(m *connect.Message) map[string]string {
	props, _, _ := properties(m, true, nil)
	return props
}

func TestKeyAndHeadersRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		key  []byte
		h    connect.Headers
	}{
		{"none", nil, nil},
		{"utf8 key", []byte("customer-7 ünïcode"), nil},
		{"key with spaces", []byte("  spaced key  "), nil},
		{"binary key", []byte{0, 1, 2, 0xff, 0xfe, '%'}, nil},
		{"key with separators", []byte("a\x01b\x02c"), nil},
		{"invalid utf8 key", []byte("ab\xc3"), nil},
		{"runtime headers", []byte("k"), connect.Headers{
			"__connect.errors.topic":             "orders",
			"__connect.errors.exception.message": "line 1\nline 2\ttab",
			"__connect.errors.stage":             "VALUE_CONVERTER",
			"connect.value.type":                 "json",
			"connect.op":                         "",
		}},
		{"reserved names", nil, connect.Headers{
			"KEYS": "not the key", "TAGS": "x", "DELAY": "3", "UNIQ_KEY": "u", "RETRY_TOPIC": "r",
			"CONNECT_KEY_BASE64": "AAAA", "h:already": "prefixed",
		}},
		{"more headers than decoded in place", []byte("k"), connect.Headers{
			"h1": "1", "h2": "2", "h3": "3", "h4": "4", "h5": "5", "h6": "6", "h7": "7", "h8": "8", "h9": "9",
			"KEYS": "header", "h:h1": "prefixed",
		}},
		{"odd headers", nil, connect.Headers{
			"":            "empty name",
			"empty value": "",
			"percent%":    "100%",
			"sep\x01\x02": "\x01\x02",
			"bad\xff":     "bad\xfe",
			"zürich → 東京": "東京 → zürich",
			" spaces ":    " a b ",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := &connect.Message{Key: c.key, Headers: c.h, Value: []byte("v")}
			key, h := roundTrip(t, m)
			if !bytes.Equal(key, c.key) {
				t.Errorf("key %q, want %q", key, c.key)
			}
			if !maps.Equal(h, c.h) {
				t.Errorf("headers %q, want %q", h, c.h)
			}
			// Messages the previous version wrote read the same.
			key, h = received(legacyProperties(m), m.Value)
			if !bytes.Equal(key, c.key) {
				t.Errorf("written by the previous version: key %q, want %q", key, c.key)
			}
			if !maps.Equal(h, c.h) {
				t.Errorf("written by the previous version: headers %q, want %q", h, c.h)
			}
		})
	}
}

// Headers travel in one property, which nothing else is read as a header.
func TestHeadersTravelInOneProperty(t *testing.T) {
	m := &connect.Message{Key: []byte("k"), Headers: connect.Headers{
		"connect.key.format": "string", "connect.value.format": "bytes", "a=b&c": "d&e=f%", "": "",
	}}
	props, _, err := properties(m, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(props) != 2 || props[headersProperty] == "" || props[primitive.PropertyKeys] != "k" {
		t.Fatalf("properties %q, want KEYS and %s", props, headersProperty)
	}
	// A property another producer added to one of our messages is not a
	// header: all of them are in headersProperty.
	props["orderId"] = "42"
	props[headerPrefix+"x"] = "y"
	if _, h := received(props, nil); !maps.Equal(h, m.Headers) {
		t.Errorf("headers %q, want %q", h, m.Headers)
	}
}

func TestKeyUsesKeysPropertyWhenPlain(t *testing.T) {
	props, _, _ := properties(&connect.Message{Key: []byte("order 42")}, false, nil)
	if props[primitive.PropertyKeys] != "order 42" || props[keyBase64Property] != "" {
		t.Errorf("plain key: properties %q, want KEYS only", props)
	}
	props, _, _ = properties(&connect.Message{Key: []byte{0xff}}, false, nil)
	if props[primitive.PropertyKeys] != "" || props[keyBase64Property] != "/w==" {
		t.Errorf("binary key: properties %q, want %s only", props, keyBase64Property)
	}
}

// Messages of other producers keep their user properties as headers and
// their KEYS as key; RocketMQ's own properties are not headers.
func TestForeignMessage(t *testing.T) {
	key, h := keyAndHeadersOf(map[string]string{
		"KEYS": "k1", "UNIQ_KEY": "abc", "MIN_OFFSET": "0", "MAX_OFFSET": "9", "CONSUME_START_TIME": "1",
		"TAGS": "t", "orderId": "42", "h:x": "y",
	})
	if string(key) != "k1" {
		t.Errorf("key %q, want k1", key)
	}
	if want := (connect.Headers{"orderId": "42", "x": "y"}); !maps.Equal(h, want) {
		t.Errorf("headers %q, want %q", h, want)
	}
}

// keyAndHeadersOf leaves props as they are, and decode, which reads the
// client's Message in place, gives the same key and headers.
func TestForeignMessageInPlace(t *testing.T) {
	if !inPlaceProperties {
		t.Fatal("primitive.Message's properties cannot be read in place: decode copies them")
	}
	for _, c := range []struct {
		props   map[string]string
		wantKey string
		wantH   connect.Headers
	}{
		{map[string]string{"KEYS": "k1", "UNIQ_KEY": "abc", "MIN_OFFSET": "0", "MAX_OFFSET": "9", "TAGS": "t", "orderId": "42", "h:x": "y", "x": "z"},
			"k1", connect.Headers{"orderId": "42", "x": "y"}},
		{map[string]string{"UNIQ_KEY": "abc", "MIN_OFFSET": "0", "MAX_OFFSET": "9", "CLUSTER": "c", "TRACE_ON": "true"}, "", nil},
		{map[string]string{"CONNECT_KEY_BASE64": "/w==", "h:a%3D": "%", "UNIQ_KEY": "abc"}, "\xff", connect.Headers{"a=": ""}},
		{map[string]string{"other": "1"}, "", connect.Headers{"other": "1"}},
	} {
		props := c.props
		before := maps.Clone(props)
		key, h := keyAndHeadersOf(props)
		if !maps.Equal(props, before) {
			t.Errorf("keyAndHeadersOf changed %q", before)
		}
		if string(key) != c.wantKey || !maps.Equal(h, c.wantH) {
			t.Errorf("%q: key %q headers %q, want %q %q", props, key, h, c.wantKey, c.wantH)
		}
		ext := &primitive.MessageExt{Message: primitive.Message{Body: []byte("v")}}
		ext.WithProperties(maps.Clone(props))
		key, _, h = decode(ext, nil)
		if string(key) != c.wantKey || !maps.Equal(h, c.wantH) {
			t.Errorf("decode %q: key %q headers %q, want %q %q", props, key, h, c.wantKey, c.wantH)
		}
	}
}

func TestPropertiesTooLarge(t *testing.T) {
	h := connect.Headers{"big": strings.Repeat("x", maxPropertiesBytes)}
	if _, _, err := properties(&connect.Message{Headers: h}, false, nil); err == nil {
		t.Fatal("no error for headers beyond RocketMQ's limit")
	}
}

func FuzzKeyAndHeaders(f *testing.F) {
	f.Add([]byte("key"), "name", "value")
	f.Add([]byte{0xff, 0}, "\x01", "")
	f.Fuzz(func(t *testing.T, key []byte, name, value string) {
		m := &connect.Message{Key: key, Headers: connect.Headers{name: value}}
		if _, _, err := properties(m, false, nil); err != nil {
			return
		}
		gotKey, h := roundTrip(t, m)
		if !bytes.Equal(gotKey, key) {
			t.Errorf("key %q, want %q", gotKey, key)
		}
		if !maps.Equal(h, m.Headers) {
			t.Errorf("headers %q, want %q", h, m.Headers)
		}
		gotKey, h = received(legacyProperties(m), nil)
		if !bytes.Equal(gotKey, key) || !maps.Equal(h, m.Headers) {
			t.Errorf("written by the previous version: key %q headers %q, want %q %q", gotKey, h, key, m.Headers)
		}
	})
}

// codecMessage is the message of the codec benchmarks: a key, a 150-byte
// value and the two headers the JSON converter writes.
func codecMessage() *connect.Message {
	return &connect.Message{Key: []byte("key-123"), Value: make([]byte, 150), Headers: connect.Headers{
		"connect.key.format": "string", "connect.value.format": "bytes",
	}}
}

// codecCases are the two ways of writing a message's properties the codec
// benchmarks compare: packed headers, and a property per header.
var codecCases = []struct {
	name  string
	props func(*connect.Message) map[string]string
}{
	{"packed", func(m *connect.Message) map[string]string { p, _, _ := properties(m, false, nil); return p }},
	{"legacy", legacyProperties},
}

// BenchmarkCodec measures what a message's key and headers cost on the
// way through the client, per message: properties, the client's wire
// encoding (a batch's, as Publish sends) and decoding (plus the two
// properties it adds to every pulled message and the one ACK adds), and
// decode. "legacy" is the previous version's property per header.
func BenchmarkCodec(b *testing.B) {
	m := codecMessage()
	for _, c := range codecCases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				pm := &primitive.Message{Topic: "t", Body: m.Value}
				pm.WithProperties(c.props(m))
				pm.WithProperty(primitive.PropertyUniqueClientMessageIdKeyIndex, "C0000202768F0000000007829f680001")
				wire := pm.Marshal()
				ext := &primitive.MessageExt{Message: primitive.Message{Body: m.Value}}
				ext.UnmarshalProperties(wire[len(wire)-len(pm.MarshallProperties()):])
				ext.WithProperty(primitive.PropertyCluster, "DefaultCluster")
				ext.WithProperty(primitive.PropertyMsgRegion, "DefaultRegion")
				ext.WithProperty(primitive.PropertyTraceSwitch, "true")
				ext.WithProperty(primitive.PropertyMinOffset, "0")
				ext.WithProperty(primitive.PropertyMaxOffset, "123456")
				key, _, h := decode(ext, nil)
				ext.WithProperty(primitive.PropertyConsumeStartTime, "1700000000000")
				if len(key) == 0 || len(h) != 2 {
					b.Fatalf("key %q headers %q", key, h)
				}
			}
		})
	}
}

// BenchmarkDecode measures decode alone on pulled messages as the client
// hands them over: the previous version's properties and packed headers.
func BenchmarkDecode(b *testing.B) {
	m := codecMessage()
	for _, c := range codecCases {
		b.Run(c.name, func(b *testing.B) {
			pm := &primitive.Message{Topic: "t", Body: m.Value}
			pm.WithProperties(c.props(m))
			for k, v := range map[string]string{"UNIQ_KEY": "C0000202768F0000000007829f680001", "CLUSTER": "DefaultCluster",
				"MSG_REGION": "DefaultRegion", "TRACE_ON": "true"} {
				pm.WithProperty(k, v)
			}
			wire := []byte(pm.MarshallProperties())
			exts := make([]*primitive.MessageExt, b.N)
			for i := range exts {
				ext := &primitive.MessageExt{Message: primitive.Message{Body: m.Value}}
				ext.UnmarshalProperties(wire)
				ext.WithProperty(primitive.PropertyMinOffset, "0")
				ext.WithProperty(primitive.PropertyMaxOffset, "123456")
				exts[i] = ext
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if key, _, h := decode(exts[i], nil); len(key) == 0 || len(h) != 2 {
					b.Fatalf("key %q headers %q", key, h)
				}
			}
		})
	}
}

// A batch's messages with the same headers pack and unpack them once.
func TestHeaderCache(t *testing.T) {
	var c headerCache
	a := connect.Headers{"connect.value.format": "bytes", "x": "1"}
	p1 := c.pack(a)
	p2 := c.pack(maps.Clone(a))
	if p1 != p2 || unsafe.StringData(p1) != unsafe.StringData(p2) {
		t.Errorf("equal headers packed anew: %q, %q", p1, p2)
	}
	b := connect.Headers{"connect.value.format": "bytes", "x": "2"}
	if p3 := c.pack(b); p3 == p1 || !maps.Equal(unpackHeaders(p3), b) {
		t.Errorf("other headers packed as %q", p3)
	}

	var u headerCache
	h1, h2 := u.unpack(p1), u.unpack(strings.Clone(p1))
	if !maps.Equal(h1, a) || reflect.ValueOf(h1).UnsafePointer() != reflect.ValueOf(h2).UnsafePointer() {
		t.Errorf("equal packed headers unpacked anew, or wrong: %q", h1)
	}
	if h3 := u.unpack(c.pack(b)); !maps.Equal(h3, b) || !maps.Equal(h1, a) {
		t.Errorf("other packed headers: %q (and the first became %q)", h3, h1)
	}
	var none *headerCache
	if !maps.Equal(none.unpack(none.pack(a)), a) {
		t.Error("a nil cache does not round trip")
	}
}

// isSystemProperty's shortcut names only system properties.
func TestIsSystemProperty(t *testing.T) {
	for _, name := range []string{"UNIQ_KEY", "CLUSTER", "MSG_REGION", "TRACE_ON", "MIN_OFFSET", "MAX_OFFSET", "KEYS", "TAGS", "WAIT", "CONSUME_START_TIME"} {
		if !isSystemProperty(name) || !systemProperties[name] {
			t.Errorf("%s: isSystemProperty %v, systemProperties %v", name, isSystemProperty(name), systemProperties[name])
		}
	}
	for _, name := range []string{"orderId", "h:x", "", "keys", "UNIQ_KEY2"} {
		if isSystemProperty(name) {
			t.Errorf("%s: a system property", name)
		}
	}
}

// BenchmarkDecodeRaw measures decode on messages of the raw client's
// producer as pulled: no headers, the client's and broker's properties.
func BenchmarkDecodeRaw(b *testing.B) {
	exts := make([]*primitive.MessageExt, 1024)
	for i := range exts {
		ext := &primitive.MessageExt{Message: primitive.Message{Body: make([]byte, 150)}}
		for k, v := range map[string]string{"UNIQ_KEY": "C0000202768F0000000007829f68" + strconv.Itoa(1000+i), "CLUSTER": "DefaultCluster",
			"MSG_REGION": "DefaultRegion", "TRACE_ON": "true", "MIN_OFFSET": "0", "MAX_OFFSET": "123456"} {
			ext.WithProperty(k, v)
		}
		exts[i] = ext
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if key, v, h := decode(exts[i%len(exts)], nil); key != nil || h != nil || len(v) != 150 {
			b.Fatalf("key %q headers %q", key, h)
		}
		i++
	}
}

// Seek's rebalances take the client's rebalance lock: serialRebalance
// reaches it in the pinned client (a fallback would let a Seek's
// rebalance and the client's run at once, which the race detector
// catches in TestQueueSeekingSinkAppliesEachRecordOnce).
func TestSerialRebalanceReachesTheClient(t *testing.T) {
	c, err := consumer.NewPullConsumer(consumer.WithNameServer([]string{"127.0.0.1:1"}), consumer.WithGroupName("serial-rebalance"),
		consumer.WithInstance("serial-rebalance-test"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := serialRebalance(c); !ok {
		t.Fatal("serialRebalance cannot reach the client's RebalanceImmediately")
	}
	if _, ok := serialRebalance(struct{}{}); ok {
		t.Error("serialRebalance of a value that is no pull consumer: ok")
	}
}
