package converter

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	connect "github.com/openmessaging/connect-go"
)

// randValue builds a random structured value of the generic JSON types.
func randValue(rng *rand.Rand, depth int) any {
	n := 9
	if depth <= 0 {
		n = 7 // no containers
	}
	switch rng.IntN(n) {
	case 0:
		return nil
	case 1:
		return rng.IntN(2) == 0
	case 2:
		switch rng.IntN(3) {
		case 0:
			return rng.Int64() - rng.Int64()
		case 1:
			return int64(rng.IntN(1000) - 500)
		default:
			return []int64{0, 1, -1, math.MaxInt64, math.MinInt64}[rng.IntN(5)]
		}
	case 3:
		return rng.Uint64()
	case 4:
		for {
			var f float64
			switch rng.IntN(4) {
			case 0:
				f = math.Float64frombits(rng.Uint64())
			case 1:
				f = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(60)-30))
			case 2:
				f = float64(rng.IntN(2000) - 1000)
			default:
				f = []float64{0, math.Copysign(0, -1), 0.1, 1e21, 1e-6, 1e-7, 123456789e-30}[rng.IntN(7)]
			}
			if !math.IsNaN(f) && !math.IsInf(f, 0) {
				return f
			}
		}
	case 5, 6:
		return randString(rng)
	case 7:
		a := make([]any, rng.IntN(5))
		for i := range a {
			a[i] = randValue(rng, depth-1)
		}
		return a
	default:
		m := make(map[string]any)
		for range rng.IntN(6) {
			m[randString(rng)] = randValue(rng, depth-1)
		}
		return m
	}
}

// randString mixes ASCII, escapes, multi-byte runes and invalid UTF-8.
func randString(rng *rand.Rand) string {
	pieces := []string{"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\x00", "\x1f", "\x7f", "<", "&",
		"é", "世", "😀", "\u2028", "\ufffd", "\xff", "\xc3", "\xed\xa0\x80", "~", ",", "=", "%"}
	var sb strings.Builder
	for range rng.IntN(12) {
		sb.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return sb.String()
}

// TestCrossCheckEncoder: what we write reads back in encoding/json as what
// encoding/json's own output does.
func TestCrossCheckEncoder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	e := getEncoder()
	defer putEncoder(e)
	for i := range 2000 {
		v := randValue(rng, 4)
		ours, _, err := e.encode(v)
		if err != nil {
			t.Fatalf("#%d encode %#v: %v", i, v, err)
		}
		std, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("#%d json.Marshal: %v", i, err)
		}
		var fromOurs, fromStd any
		if err := json.Unmarshal(ours, &fromOurs); err != nil {
			t.Fatalf("#%d encoding/json cannot read our %s: %v", i, ours, err)
		}
		if err := json.Unmarshal(std, &fromStd); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fromOurs, fromStd) {
			t.Fatalf("#%d encoding/json reads\n ours %s\n  std %s\ndifferently", i, ours, std)
		}
	}
}

// TestCrossCheckDecoder: on encoding/json's output our decoder agrees with
// encoding/json (UseNumber, numbers mapped by the documented rules), and
// our own round trip restores the value.
func TestCrossCheckDecoder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	c := NewJSON()
	for i := range 2000 {
		v := randValue(rng, 4)
		std, err := json.MarshalIndent(v, "", " \t") // whitespace too
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Decode(&connect.Message{Value: std})
		if err != nil {
			t.Fatalf("#%d Decode(%s): %v", i, std, err)
		}
		dec := json.NewDecoder(bytes.NewReader(std))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if d := diff(got.Value, stdForm(want)); d != "" {
			t.Fatalf("#%d Decode(%s): %s", i, std, d)
		}

		m, err := c.Encode(&connect.Record{Value: v, Key: v})
		if err != nil {
			t.Fatalf("#%d Encode: %v", i, err)
		}
		r, err := c.Decode(m)
		if err != nil {
			t.Fatalf("#%d Decode(%s): %v", i, m.Value, err)
		}
		wantRT := decodedForm(v)
		if s, ok := v.(string); ok {
			wantRT = s
		}
		if d := diff(r.Value, wantRT); d != "" {
			t.Fatalf("#%d round trip of %s: %s", i, m.Value, d)
		}
	}
}
