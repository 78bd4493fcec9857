package converter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// stdJSON is encoding/json's output without HTML escaping, which ours
// matches for strings, integers, booleans and maps of them.
func stdJSON(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// TestKeyOrderCache: objects written in a remembered key order come out as
// those written by iterating and sorting, however key sets repeat, nest,
// collide in length or outnumber the remembered orders.
func TestKeyOrderCache(t *testing.T) {
	row := func(a, b, c, d, e string, n int64) map[string]any {
		return map[string]any{a: n, b: "x\"<>\n", c: true, d: nil, e: map[string]any{a: n + 1, b: "y", c: false, d: int64(-1), e: "z"}}
	}
	var values []any
	for i := range 40 {
		values = append(values,
			row("id", "name", "email", "score", "active", int64(i)),
			row("a", "b", "c", "d", "e", int64(i)),
			row("id", "name", "email", "score", "extra", int64(i)), // shares four names with the first
			row(fmt.Sprint("k", i%11), "ü/~", "\u2028", "tab\t", "", int64(i)),
			map[string]any{"x": int64(i), "y": map[string]any{"x": int64(1), "y": map[string]any{"x": int64(2), "y": nil}}},
		)
	}
	e := getEncoder()
	defer putEncoder(e)
	for round := range 3 {
		for i, v := range values {
			got, _, err := e.encode(v)
			if err != nil {
				t.Fatal(err)
			}
			if want := stdJSON(t, v); !bytes.Equal(got, want) {
				t.Fatalf("round %d #%d:\n got %s\nwant %s", round, i, got, want)
			}
		}
	}
}

// TestKeyOrderCacheInvalidUTF8: names that collide once invalid UTF-8 is
// replaced are never remembered as an order holding a name twice.
func TestKeyOrderCacheInvalidUTF8(t *testing.T) {
	bad := map[string]any{"a\xff": int64(1), "a\xfe": int64(2), "b": int64(3)}
	fixed := map[string]any{"a\ufffd": int64(4), "b": int64(5)}
	other := map[string]any{"a\ufffd": int64(6), "b": int64(7), "c": int64(8)}
	want := map[string]string{}
	for name, v := range map[string]any{"bad": bad, "fixed": fixed, "other": other} {
		got, _, err := new(encoder).encode(v)
		if err != nil {
			t.Fatal(err)
		}
		want[name] = string(got)
	}
	e := getEncoder()
	defer putEncoder(e)
	for round := range 4 {
		for _, name := range []string{"bad", "fixed", "other", "bad", "bad", "other"} {
			v := map[string]any{"bad": bad, "fixed": fixed, "other": other}[name]
			got, _, err := e.encode(v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want[name] {
				t.Fatalf("round %d %s: got %s, want %s", round, name, got, want[name])
			}
		}
	}
}
