package rocketmq

import (
	"bytes"
	"maps"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

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
	props, _, err := properties(m)
	if err != nil {
		t.Fatal(err)
	}
	pm := &primitive.Message{Topic: "t", Body: m.Value}
	pm.WithProperties(props)
	wire := pm.MarshallProperties()
	got := &primitive.Message{}
	got.UnmarshalProperties([]byte(wire))
	return keyAndHeaders(got.GetProperties())
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
			key, h := roundTrip(t, &connect.Message{Key: c.key, Headers: c.h, Value: []byte("v")})
			if !bytes.Equal(key, c.key) {
				t.Errorf("key %q, want %q", key, c.key)
			}
			if !maps.Equal(h, c.h) {
				t.Errorf("headers %q, want %q", h, c.h)
			}
		})
	}
}

func TestKeyUsesKeysPropertyWhenPlain(t *testing.T) {
	props, _, _ := properties(&connect.Message{Key: []byte("order 42")})
	if props[primitive.PropertyKeys] != "order 42" || props[keyBase64Property] != "" {
		t.Errorf("plain key: properties %q, want KEYS only", props)
	}
	props, _, _ = properties(&connect.Message{Key: []byte{0xff}})
	if props[primitive.PropertyKeys] != "" || props[keyBase64Property] != "/w==" {
		t.Errorf("binary key: properties %q, want %s only", props, keyBase64Property)
	}
}

// Messages of other producers keep their user properties as headers and
// their KEYS as key; RocketMQ's own properties are not headers.
func TestForeignMessage(t *testing.T) {
	key, h := keyAndHeaders(map[string]string{
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

func TestPropertiesTooLarge(t *testing.T) {
	h := connect.Headers{"big": strings.Repeat("x", maxPropertiesBytes)}
	if _, _, err := properties(&connect.Message{Headers: h}); err == nil {
		t.Fatal("no error for headers beyond RocketMQ's limit")
	}
}

func FuzzKeyAndHeaders(f *testing.F) {
	f.Add([]byte("key"), "name", "value")
	f.Add([]byte{0xff, 0}, "\x01", "")
	f.Fuzz(func(t *testing.T, key []byte, name, value string) {
		m := &connect.Message{Key: key, Headers: connect.Headers{name: value}}
		if _, _, err := properties(m); err != nil {
			return
		}
		gotKey, h := roundTrip(t, m)
		if !bytes.Equal(gotKey, key) {
			t.Errorf("key %q, want %q", gotKey, key)
		}
		if !maps.Equal(h, m.Headers) {
			t.Errorf("headers %q, want %q", h, m.Headers)
		}
	})
}
