package converter

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// decoder parses one JSON document into generic values: map[string]any,
// []any, string, bool, nil, and numbers as int64, uint64 (above
// math.MaxInt64), float64 (anything with a fraction or exponent) or
// json.Number (what those cannot hold). Pooled: its slices are reused.
type decoder struct {
	data    []byte
	pos     int
	members []member // object members being read, a stack shared by nesting levels
	elems   []any    // array elements being read, likewise
	scratch []byte   // unescaped string being built
	names   map[string]string
}

// maxNames bounds the member names a pooled decoder remembers, so that
// records of one shape share their key strings instead of allocating them.
const (
	maxNames   = 512
	maxNameLen = 64
)

var decoders = sync.Pool{New: func() any { return &decoder{names: make(map[string]string)} }}

func getDecoder() *decoder { return decoders.Get().(*decoder) }

func putDecoder(d *decoder) {
	if cap(d.members) > 1<<12 || cap(d.elems) > 1<<12 || cap(d.scratch) > 1<<16 {
		return
	}
	// Members and elements are cleared as they are popped; only a failed
	// decode leaves some behind.
	clear(d.members)
	clear(d.elems)
	d.members, d.elems, d.data = d.members[:0], d.elems[:0], nil
	decoders.Put(d)
}

// syntaxError is a malformed JSON document.
type syntaxError struct {
	msg    string
	offset int
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%s at offset %d", e.msg, e.offset) }

var errEOF = errors.New("unexpected end of JSON input")

// decode parses data, which must hold exactly one JSON value.
func (d *decoder) decode(data []byte) (any, error) {
	d.data, d.pos = data, 0
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos < len(d.data) {
		return nil, d.unexpected("after top-level value")
	}
	return v, nil
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) unexpected(context string) error {
	if d.pos >= len(d.data) {
		return errEOF
	}
	return &syntaxError{msg: fmt.Sprintf("invalid character %q %s", d.data[d.pos], context), offset: d.pos}
}

func (d *decoder) value(depth int) (any, error) {
	d.skipSpace()
	if d.pos >= len(d.data) {
		return nil, errEOF
	}
	switch c := d.data[d.pos]; c {
	case '{':
		return d.object(depth + 1)
	case '[':
		return d.array(depth + 1)
	case '"':
		s, err := d.string(false)
		if err != nil {
			return nil, err
		}
		return s, nil
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	default:
		if c == '-' || '0' <= c && c <= '9' {
			return d.number()
		}
		return nil, d.unexpected("looking for beginning of value")
	}
}

func (d *decoder) literal(lit string) error {
	for i := 0; i < len(lit); i++ {
		if d.pos >= len(d.data) {
			return errEOF
		}
		if d.data[d.pos] != lit[i] {
			return d.unexpected("in literal " + lit)
		}
		d.pos++
	}
	return nil
}

func (d *decoder) object(depth int) (any, error) {
	if depth > maxDepth {
		return nil, &syntaxError{msg: fmt.Sprintf("nesting deeper than %d levels", maxDepth), offset: d.pos}
	}
	d.pos++ // '{'
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return map[string]any{}, nil
	}
	start := len(d.members)
	for {
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, errEOF
		}
		if d.data[d.pos] != '"' {
			return nil, d.unexpected("looking for beginning of object key string")
		}
		k, err := d.string(true)
		if err != nil {
			return nil, err
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.unexpected("after object key")
		}
		d.pos++
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		d.members = append(d.members, member{k, v})
		if done, err := d.separator('}', "after object key:value pair"); err != nil {
			return nil, err
		} else if done {
			break
		}
	}
	// Sized once from the collected members instead of grown while parsing.
	ms := d.members[start:]
	m := make(map[string]any, len(ms))
	for _, mb := range ms {
		m[mb.key] = mb.val // a repeated name: the last one wins, as in encoding/json
	}
	clear(ms)
	d.members = d.members[:start]
	return m, nil
}

// separator reads what follows a member or element: ',' (more follow) or
// closing (done).
func (d *decoder) separator(closing byte, where string) (done bool, err error) {
	d.skipSpace()
	if d.pos >= len(d.data) {
		return false, errEOF
	}
	switch d.data[d.pos] {
	case ',':
		d.pos++
		return false, nil
	case closing:
		d.pos++
		return true, nil
	}
	return false, d.unexpected(where)
}

func (d *decoder) array(depth int) (any, error) {
	if depth > maxDepth {
		return nil, &syntaxError{msg: fmt.Sprintf("nesting deeper than %d levels", maxDepth), offset: d.pos}
	}
	d.pos++ // '['
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return []any{}, nil
	}
	start := len(d.elems)
	for {
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		d.elems = append(d.elems, v)
		if done, err := d.separator(']', "after array element"); err != nil {
			return nil, err
		} else if done {
			break
		}
	}
	a := make([]any, len(d.elems)-start)
	copy(a, d.elems[start:])
	clear(d.elems[start:])
	d.elems = d.elems[:start]
	return a, nil
}

// string reads a JSON string at d.pos (the opening quote). Names of object
// members are remembered and shared when name is set.
func (d *decoder) string(name bool) (string, error) {
	start := d.pos + 1
	i := start
	for i < len(d.data) {
		c := d.data[i]
		if c < utf8.RuneSelf {
			if c == '"' {
				d.pos = i + 1
				raw := d.data[start:i]
				if name {
					return d.name(raw), nil
				}
				return string(raw), nil
			}
			if !jsonSafe[c] {
				break // an escape or a control character
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(d.data[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	return d.unquote(start, i)
}

// name returns raw as a string, shared with earlier records when seen
// before.
func (d *decoder) name(raw []byte) string {
	if s, ok := d.names[string(raw)]; ok {
		return s
	}
	s := string(raw)
	if len(raw) <= maxNameLen && len(d.names) < maxNames {
		d.names[s] = s
	}
	return s
}

// unquote finishes a string that needs unescaping or UTF-8 repair: the
// bytes from start to i need neither. Like encoding/json it turns invalid
// UTF-8 and unpaired surrogates into U+FFFD.
func (d *decoder) unquote(start, i int) (string, error) {
	b := append(d.scratch[:0], d.data[start:i]...)
	defer func() { d.scratch = b[:0] }()
	for i < len(d.data) {
		c := d.data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return string(b), nil
		case c == '\\':
			i++
			if i >= len(d.data) {
				return "", errEOF
			}
			switch e := d.data[i]; e {
			case '"', '\\', '/':
				b = append(b, e)
				i++
			case 'b':
				b = append(b, '\b')
				i++
			case 'f':
				b = append(b, '\f')
				i++
			case 'n':
				b = append(b, '\n')
				i++
			case 'r':
				b = append(b, '\r')
				i++
			case 't':
				b = append(b, '\t')
				i++
			case 'u':
				r, ok := d.hex4(i + 1)
				if !ok {
					return "", d.badEscape(i + 1)
				}
				i += 5
				if utf16.IsSurrogate(r) {
					if i+1 < len(d.data) && d.data[i] == '\\' && d.data[i+1] == 'u' {
						if r2, ok := d.hex4(i + 2); ok {
							if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
								b = utf8.AppendRune(b, dec)
								i += 6
								break
							}
						}
					}
					r = utf8.RuneError
				}
				b = utf8.AppendRune(b, r)
			default:
				d.pos = i
				return "", d.unexpected("in string escape code")
			}
		case c < 0x20:
			d.pos = i
			return "", d.unexpected("in string literal")
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRune(d.data[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, "\uFFFD"...)
			} else {
				b = append(b, d.data[i:i+size]...)
			}
			i += size
		}
	}
	return "", errEOF
}

// hex4 reads the four hex digits of a \u escape at i.
func (d *decoder) hex4(i int) (rune, bool) {
	if i+4 > len(d.data) {
		return 0, false
	}
	var r rune
	for _, c := range d.data[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func (d *decoder) badEscape(i int) error {
	for j := i; j < i+4; j++ {
		if j >= len(d.data) {
			return errEOF
		}
		c := d.data[j]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			d.pos = j
			return d.unexpected(`in \u hexadecimal character escape`)
		}
	}
	return errEOF
}

// scanNumber checks the JSON number grammar from i and returns where the
// number ends and whether it has a fraction or exponent.
func scanNumber(data []byte, i int) (end int, float, ok bool) {
	if i < len(data) && data[i] == '-' {
		i++
	}
	if i >= len(data) {
		return i, false, false
	}
	switch c := data[i]; {
	case c == '0':
		i++
	case '1' <= c && c <= '9':
		i++
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			i++
		}
	default:
		return i, false, false
	}
	if i < len(data) && data[i] == '.' {
		float = true
		i++
		if i >= len(data) || data[i] < '0' || data[i] > '9' {
			return i, false, false
		}
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			i++
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		float = true
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) || data[i] < '0' || data[i] > '9' {
			return i, false, false
		}
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			i++
		}
	}
	return i, float, true
}

func (d *decoder) number() (any, error) {
	start := d.pos
	end, float, ok := scanNumber(d.data, start)
	if !ok {
		d.pos = end
		return nil, d.unexpected("in numeric literal")
	}
	d.pos = end
	s := d.data[start:end]
	if float {
		f, err := strconv.ParseFloat(string(s), 64)
		if err != nil {
			return json.Number(s), nil // out of float64 range: keep the text
		}
		return f, nil
	}
	neg := s[0] == '-'
	digits := s
	if neg {
		digits = s[1:]
	}
	if len(digits) > 20 {
		return json.Number(s), nil
	}
	var n uint64
	for _, c := range digits {
		dg := uint64(c - '0')
		if n > (math.MaxUint64-dg)/10 {
			return json.Number(s), nil
		}
		n = n*10 + dg
	}
	switch {
	case !neg && n <= math.MaxInt64:
		return int64(n), nil
	case !neg:
		return n, nil
	case n <= 1<<63:
		return -int64(n), nil // n == 1<<63 wraps to math.MinInt64, as wanted
	default:
		return json.Number(s), nil
	}
}
