package converter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// decodedForm returns what the JSON converter should decode v into: the
// generic types, integers as int64 (uint64 above MaxInt64), floats as
// float64, invalid UTF-8 replaced.
func decodedForm(v any) any {
	switch v := v.(type) {
	case nil, bool, float64, time.Time:
		return v
	case string:
		return fixUTF8(v)
	case []byte:
		if v == nil {
			return []byte{}
		}
		return v
	case int:
		return int64(v)
	case int8:
		return int64(v)
	case int16:
		return int64(v)
	case int32:
		return int64(v)
	case int64:
		return v
	case uint:
		return uintForm(uint64(v))
	case uint8:
		return uintForm(uint64(v))
	case uint16:
		return uintForm(uint64(v))
	case uint32:
		return uintForm(uint64(v))
	case uint64:
		return uintForm(v)
	case float32:
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
		return f
	case json.Number:
		return numberForm(string(v))
	case []any:
		if v == nil {
			return nil
		}
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = decodedForm(e)
		}
		return out
	case []string:
		if v == nil {
			return nil
		}
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = fixUTF8(e)
		}
		return out
	case []map[string]any:
		if v == nil {
			return nil
		}
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = decodedForm(e)
		}
		return out
	case map[string]any:
		if v == nil {
			return nil
		}
		// Sorted, so that of keys equal once invalid UTF-8 is replaced the
		// last written wins, as in the encoder's output.
		out := make(map[string]any, len(v))
		for _, k := range slices.Sorted(maps.Keys(v)) {
			out[fixUTF8(k)] = decodedForm(v[k])
		}
		return out
	case map[string]string:
		if v == nil {
			return nil
		}
		out := make(map[string]any, len(v))
		for _, k := range slices.Sorted(maps.Keys(v)) {
			out[fixUTF8(k)] = fixUTF8(v[k])
		}
		return out
	}
	panic(fmt.Sprintf("decodedForm: unhandled %T", v))
}

func uintForm(u uint64) any {
	if u > math.MaxInt64 {
		return u
	}
	return int64(u)
}

// numberForm applies the decoder's number rules to a JSON number, written
// independently of the decoder (with strconv) to check it.
func numberForm(s string) any {
	if s == "" {
		s = "0" // how the encoder writes an empty json.Number
	}
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return u
		}
		return json.Number(s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return json.Number(s)
	}
	return f
}

// stdForm converts what encoding/json decodes with UseNumber into what our
// decoder should return.
func stdForm(v any) any {
	switch v := v.(type) {
	case json.Number:
		return numberForm(string(v))
	case []any:
		for i, e := range v {
			v[i] = stdForm(e)
		}
	case map[string]any:
		for k, e := range v {
			v[k] = stdForm(e)
		}
	}
	return v
}

// diff describes the first difference between got and want, "" when equal.
// Times compare with Equal, floats by value and sign (so -0.0 counts), and
// types must match exactly.
func diff(got, want any) string { return diffAt(got, want, "") }

func diffAt(got, want any, path string) string {
	if reflect.TypeOf(got) != reflect.TypeOf(want) {
		return fmt.Sprintf("%s: got %T %#v, want %T %#v", pathName(path), got, got, want, want)
	}
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		if (g == nil) != (w == nil) || len(g) != len(w) {
			return fmt.Sprintf("%s: got %#v, want %#v", pathName(path), g, w)
		}
		for _, k := range slices.Sorted(maps.Keys(w)) {
			gv, ok := g[k]
			if !ok {
				return fmt.Sprintf("%s: missing member %q", pathName(path), k)
			}
			if d := diffAt(gv, w[k], path+"/"+k); d != "" {
				return d
			}
		}
	case []any:
		g := got.([]any)
		if (g == nil) != (w == nil) || len(g) != len(w) {
			return fmt.Sprintf("%s: got %#v, want %#v", pathName(path), g, w)
		}
		for i := range w {
			if d := diffAt(g[i], w[i], path+"/"+strconv.Itoa(i)); d != "" {
				return d
			}
		}
	case []byte:
		if !bytes.Equal(got.([]byte), w) {
			return fmt.Sprintf("%s: got bytes %q, want %q", pathName(path), got, w)
		}
	case time.Time:
		if !got.(time.Time).Equal(w) {
			return fmt.Sprintf("%s: got time %v, want %v", pathName(path), got, w)
		}
	case float64:
		g := got.(float64)
		if g != w || math.Signbit(g) != math.Signbit(w) {
			return fmt.Sprintf("%s: got %v, want %v", pathName(path), g, w)
		}
	default:
		if got != want {
			return fmt.Sprintf("%s: got %#v, want %#v", pathName(path), got, want)
		}
	}
	return ""
}

func pathName(p string) string {
	if p == "" {
		return "(root)"
	}
	return p
}
