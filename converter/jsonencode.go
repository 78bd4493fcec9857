package converter

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	connect "github.com/openmessaging/connect-go"
)

// maxDepth bounds nesting on encode (where it also stops cycles) and on
// decode, as encoding/json does.
const maxDepth = 10000

// Kinds recorded in a types header.
const (
	kindBytes = "bytes"
	kindTime  = "time"
)

// encoder writes one JSON document into buf and records in types where
// []byte and time.Time values went. Pooled: its slices are reused.
type encoder struct {
	buf     []byte
	types   []byte
	members []member   // members of large maps being written, a stack shared by nesting levels
	path    []pathElem // where the encoder is, for the types header and errors

	// Key orders of recently written objects (see cachedObject), and
	// fingerprints of key sets seen once but not yet remembered.
	orders [orderSlots]keyOrder
	seen   [orderSlots]uint64
	clock  int

	// The last timestamp header written (see timestamp).
	tsNanos int64
	tsText  string
}

// orderSlots is how many key orders an encoder remembers.
const orderSlots = 8

// maxOrderNames bounds the quoted names of one remembered key order.
const maxOrderNames = 1 << 10

// keyOrder is the sorted member names of an object written before. Change
// events of one table, and their source blocks, repeat the same names: an
// object with these names is written in this order without iterating over
// and sorting its members.
type keyOrder struct {
	keys  []string // sorted names, all valid UTF-8
	names []byte   // "{", then each name quoted and followed by ':', with ',' before all but the first
	ends  []int    // where each name (with its ',' and ':') ends in names
	busy  int      // objects being written in this order; it is not replaced meanwhile
}

type member struct {
	key string
	val any
}

// pathElem is one step of a JSON pointer: a member name, or an index when
// idx >= 0.
type pathElem struct {
	key string
	idx int
}

var encoders = sync.Pool{New: func() any { return new(encoder) }}

func getEncoder() *encoder { return encoders.Get().(*encoder) }

func putEncoder(e *encoder) {
	if cap(e.buf) > 1<<20 || cap(e.members) > 1<<12 {
		return // let an outsized one go rather than pin its memory
	}
	clear(e.path[:cap(e.path)]) // a failed encode leaves its path behind
	for i := range e.orders {
		e.orders[i].busy = 0 // in case a panic left one marked
	}
	e.members, e.path = e.members[:0], e.path[:0]
	encoders.Put(e)
}

// encode writes v as a JSON document. It returns a copy of the bytes and
// the types header ("" when no []byte or time.Time was written).
func (e *encoder) encode(v any) (data []byte, types string, err error) {
	e.buf = e.buf[:0]
	if types, err = e.appendDoc(v); err != nil {
		return nil, "", err
	}
	return slices.Clone(e.buf), types, nil
}

// appendDoc appends v as a JSON document to e.buf and returns its types
// header.
func (e *encoder) appendDoc(v any) (string, error) {
	e.types, e.path = e.types[:0], e.path[:0]
	if err := e.value(v, 0); err != nil {
		return "", err
	}
	return e.typesHeader(), nil
}

// typesHeader returns the types header of the document just written: ""
// when no []byte or time.Time was written.
func (e *encoder) typesHeader() string {
	if len(e.types) == 0 {
		return ""
	}
	return string(e.types)
}

// timestamp sets w's timestamp header from r, reusing the text of the last
// one this encoder wrote: events of one batch often share a timestamp.
func (e *encoder) timestamp(r *connect.Record, w *wireHeaders) error {
	t := r.Timestamp
	if t.IsZero() || t.Before(minNanoTime) || t.After(maxNanoTime) {
		return encodeCommon(r, w)
	}
	if n := t.UnixNano(); e.tsText == "" || n != e.tsNanos {
		e.tsNanos, e.tsText = n, strconv.FormatInt(n, 10)
	}
	w.timestamp = e.tsText
	return nil
}

func (e *encoder) value(v any, depth int) error {
	switch v := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case string:
		e.buf = appendString(e.buf, v)
	case bool:
		e.buf = strconv.AppendBool(e.buf, v)
	case int64:
		e.buf = strconv.AppendInt(e.buf, v, 10)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(v), 10)
	case float64:
		return e.float(v, 64)
	case map[string]any:
		return e.object(v, depth)
	case *connect.Struct:
		return e.row(v, depth)
	case []any:
		return e.array(v, depth)
	case []byte:
		e.buf = append(e.buf, '"')
		e.buf = base64.StdEncoding.AppendEncode(e.buf, v)
		e.buf = append(e.buf, '"')
		e.addType(kindBytes)
	case time.Time:
		e.buf = append(e.buf, '"')
		b, err := v.AppendText(e.buf)
		if err != nil {
			return e.errorf("time %s: %w", v, err)
		}
		e.buf = append(b, '"')
		e.addType(kindTime)
	case json.Number:
		return e.number(v)
	case int8:
		e.buf = strconv.AppendInt(e.buf, int64(v), 10)
	case int16:
		e.buf = strconv.AppendInt(e.buf, int64(v), 10)
	case int32:
		e.buf = strconv.AppendInt(e.buf, int64(v), 10)
	case uint:
		e.buf = strconv.AppendUint(e.buf, uint64(v), 10)
	case uint8:
		e.buf = strconv.AppendUint(e.buf, uint64(v), 10)
	case uint16:
		e.buf = strconv.AppendUint(e.buf, uint64(v), 10)
	case uint32:
		e.buf = strconv.AppendUint(e.buf, uint64(v), 10)
	case uint64:
		e.buf = strconv.AppendUint(e.buf, v, 10)
	case uintptr:
		e.buf = strconv.AppendUint(e.buf, uint64(v), 10)
	case float32:
		return e.float(float64(v), 32)
	case []string:
		if v == nil {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		e.buf = append(e.buf, '[')
		for i, s := range v {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.buf = appendString(e.buf, s)
		}
		e.buf = append(e.buf, ']')
	case map[string]string:
		return e.stringMap(v, depth)
	case []map[string]any:
		return encodeArray(e, v, depth, e.object)
	default:
		return e.fallback(v)
	}
	return nil
}

// row writes a typed row as an object whose members are in the schema's
// field order.
func (e *encoder) row(r *connect.Struct, depth int) error {
	if r == nil {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	if depth >= maxDepth {
		return e.tooDeep()
	}
	fields := r.Schema.Fields
	if len(r.Values) != len(fields) {
		return e.errorf("row of %d values for %d fields", len(r.Values), len(fields))
	}
	e.buf = append(e.buf, '{')
	for i := range fields {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendString(e.buf, fields[i].Name)
		e.buf = append(e.buf, ':')
		e.path = append(e.path, pathElem{key: fields[i].Name, idx: -1})
		if err := e.value(r.Values[i], depth+1); err != nil {
			return err
		}
		e.path = e.path[:len(e.path)-1]
	}
	e.buf = append(e.buf, '}')
	return nil
}

// smallObject is the largest map whose members are sorted in an array on
// the stack: writing pointers there needs no GC write barriers.
const smallObject = 16

func (e *encoder) object(m map[string]any, depth int) error {
	if m == nil {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	if depth >= maxDepth {
		return e.tooDeep()
	}
	if len(m) <= smallObject {
		if len(m) >= 2 {
			var vals [smallObject]any
			if o := e.findOrder(m, &vals); o != nil {
				return e.writeOrdered(o, vals[:len(m)], depth)
			}
		}
		var arr [smallObject]member
		ms := arr[:0]
		for k, v := range m {
			ms = append(ms, member{k, v})
		}
		if err := e.writeMembers(ms, depth); err != nil {
			return err
		}
		if len(ms) >= 2 {
			e.remember(ms)
		}
		return nil
	}
	start := len(e.members)
	for k, v := range m {
		e.members = append(e.members, member{k, v})
	}
	err := e.writeMembers(e.members[start:], depth)
	clear(e.members[start:])
	e.members = e.members[:start]
	return err
}

// findOrder returns the remembered key order holding exactly the names of
// m, or nil, with m's values in vals in that order. As m has as many
// names as the order, and the order's names are distinct, finding each of
// them in m proves the sets equal.
func (e *encoder) findOrder(m map[string]any, vals *[smallObject]any) *keyOrder {
	for i := range e.orders {
		o := &e.orders[i]
		if len(o.keys) != len(m) {
			continue
		}
		found := true
		for j, k := range o.keys {
			v, ok := m[k]
			if !ok {
				found = false
				break
			}
			vals[j] = v
		}
		if found {
			return o
		}
	}
	return nil
}

// writeOrdered writes an object of o's names with values vals, in o's
// order.
func (e *encoder) writeOrdered(o *keyOrder, vals []any, depth int) error {
	o.busy++
	prev := 0
	for i, k := range o.keys {
		e.buf = append(e.buf, o.names[prev:o.ends[i]]...)
		prev = o.ends[i]
		e.path = append(e.path, pathElem{key: k, idx: -1})
		if err := e.value(vals[i], depth+1); err != nil {
			o.busy--
			return err
		}
		e.path = e.path[:len(e.path)-1]
	}
	o.busy--
	e.buf = append(e.buf, '}')
	return nil
}

// remember records the order of ms, sorted names of an object just
// written, once its set of names has been seen twice among objects not
// found in the remembered orders: a set seen once may not repeat. Sets
// with invalid UTF-8 are not remembered, as their names are replaced when
// written (see writeMembers).
func (e *encoder) remember(ms []member) {
	fp := uint64(len(ms))
	size := 1
	for _, mb := range ms {
		k := mb.key
		x := uint64(len(k))
		if len(k) > 0 {
			x |= uint64(k[0])<<32 | uint64(k[len(k)-1])<<40 | uint64(k[len(k)/2])<<48
		}
		fp = (fp ^ x) * 0x100000001b3
		size += len(k) + 4
	}
	if fp == 0 {
		fp = 1
	}
	if seen := &e.seen[fp%orderSlots]; *seen != fp {
		*seen = fp
		return
	}
	if size > maxOrderNames {
		return
	}
	// The order must be distinct valid names, sorted. After fixNames, ms
	// may hold replaced names, some twice.
	for i, mb := range ms {
		if i > 0 && ms[i-1].key >= mb.key || !utf8.ValidString(mb.key) {
			return
		}
	}
	var o *keyOrder
	for range orderSlots {
		c := &e.orders[e.clock]
		e.clock = (e.clock + 1) % orderSlots
		if c.busy == 0 {
			o = c
			break
		}
	}
	if o == nil {
		return
	}
	o.keys, o.names, o.ends = o.keys[:0], append(o.names[:0], '{'), o.ends[:0]
	for i, mb := range ms {
		if i > 0 {
			o.names = append(o.names, ',')
		}
		o.keys = append(o.keys, mb.key)
		o.names = appendString(o.names, mb.key)
		o.names = append(o.names, ':')
		o.ends = append(o.ends, len(o.names))
	}
}

func (e *encoder) stringMap(m map[string]string, depth int) error {
	if m == nil {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	if len(m) <= smallObject {
		var arr [smallObject]member
		ms := arr[:0]
		for k, v := range m {
			ms = append(ms, member{k, v})
		}
		return e.writeMembers(ms, depth)
	}
	start := len(e.members)
	for k, v := range m {
		e.members = append(e.members, member{k, v})
	}
	err := e.writeMembers(e.members[start:], depth)
	clear(e.members[start:])
	e.members = e.members[:start]
	return err
}

func (e *encoder) array(a []any, depth int) error { return encodeArray(e, a, depth, e.value) }

// encodeArray writes items as a JSON array, each with elem, tracking the
// path for the types header.
func encodeArray[T any](e *encoder, items []T, depth int, elem func(T, int) error) error {
	if items == nil {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	if depth >= maxDepth {
		return e.tooDeep()
	}
	e.buf = append(e.buf, '[')
	for i, v := range items {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.path = append(e.path, pathElem{idx: i})
		if err := elem(v, depth+1); err != nil {
			return err
		}
		e.path = e.path[:len(e.path)-1]
	}
	e.buf = append(e.buf, ']')
	return nil
}

func compareMembers(a, b member) int { return strings.Compare(a.key, b.key) }

// sortMembers sorts by name. Objects are mostly small, where an inline
// insertion sort beats slices.SortFunc's indirect comparisons.
func sortMembers(ms []member) {
	if len(ms) > smallObject {
		slices.SortFunc(ms, compareMembers)
		return
	}
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].key < ms[j-1].key; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

// writeMembers writes ms as a JSON object, sorted first: key order must
// not depend on map iteration, since key bytes are hashed. It reorders ms,
// and may replace and reorder names within it (see fixNames).
func (e *encoder) writeMembers(ms []member, depth int) error {
	sortMembers(ms)
	bufStart, typesStart := len(e.buf), len(e.types)
	e.buf = append(e.buf, '{')
	for i, mb := range ms {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		var valid bool
		if e.buf, valid = appendStringValid(e.buf, mb.key); !valid {
			// Two names may become equal once invalid UTF-8 is
			// replaced: start over with replaced names.
			e.buf, e.types = e.buf[:bufStart], e.types[:typesStart]
			return e.writeMembers(fixNames(ms), depth)
		}
		e.buf = append(e.buf, ':')
		e.path = append(e.path, pathElem{key: mb.key, idx: -1})
		if err := e.value(mb.val, depth+1); err != nil {
			return err
		}
		e.path = e.path[:len(e.path)-1]
	}
	e.buf = append(e.buf, '}')
	return nil
}

// fixNames replaces invalid UTF-8 in the sorted member names and keeps, of
// equal names, the one sorted last (the one a decoder would keep had all
// been written). It returns the members left, a prefix of ms.
func fixNames(ms []member) []member {
	for i := range ms {
		ms[i].key = fixUTF8(ms[i].key)
	}
	slices.SortStableFunc(ms, compareMembers)
	out := ms[:0]
	for i, mb := range ms {
		if i+1 < len(ms) && ms[i+1].key == mb.key {
			continue
		}
		out = append(out, mb)
	}
	return out
}

// float writes f so that it reads back as a float: always with a '.' or
// an exponent. The digits are encoding/json's.
func (e *encoder) float(f float64, bits int) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return e.errorf("unsupported float %v: JSON has no NaN or infinity", f)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	start := len(e.buf)
	e.buf = strconv.AppendFloat(e.buf, f, format, -1, bits)
	if format == 'e' {
		// e-09 to e-9, as encoding/json does.
		n := len(e.buf)
		if n-start >= 4 && e.buf[n-4] == 'e' && e.buf[n-3] == '-' && e.buf[n-2] == '0' {
			e.buf[n-2] = e.buf[n-1]
			e.buf = e.buf[:n-1]
		}
		return nil
	}
	for _, c := range e.buf[start:] {
		if c == '.' {
			return nil
		}
	}
	e.buf = append(e.buf, ".0"...)
	return nil
}

func (e *encoder) number(n json.Number) error {
	if n == "" {
		e.buf = append(e.buf, '0') // as encoding/json does
		return nil
	}
	if end, _, ok := scanNumber([]byte(n), 0); !ok || end != len(n) {
		return e.errorf("invalid json.Number %q", string(n))
	}
	e.buf = append(e.buf, n...)
	return nil
}

// fallback writes a value of a type outside the fast path with
// encoding/json. What it writes decodes generically (a struct comes back as
// a map), and []byte or time.Time inside it are not recorded in the types
// header.
func (e *encoder) fallback(v any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = e.errorf("encoding %T panicked: %v", v, p)
		}
	}()
	b, err := json.Marshal(v)
	if err != nil {
		return e.errorf("%w", err)
	}
	e.buf = append(e.buf, b...)
	return nil
}

// addType records the current path with kind in the types header.
func (e *encoder) addType(kind string) {
	if len(e.types) > 0 {
		e.types = append(e.types, ',')
	}
	e.types = appendPointer(e.types, e.path, true)
	e.types = append(e.types, '=')
	e.types = append(e.types, kind...)
}

func (e *encoder) tooDeep() error {
	return e.errorf("nesting deeper than %d levels (a cycle?)", maxDepth)
}

// errorf returns an error naming the current path as a JSON pointer.
func (e *encoder) errorf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	if len(e.path) == 0 {
		return err
	}
	return &pathError{path: string(appendPointer(nil, e.path, false)), err: err}
}

// pathError is an encoding failure at a JSON pointer.
type pathError struct {
	path string
	err  error
}

func (e *pathError) Error() string { return e.path + ": " + e.err.Error() }
func (e *pathError) Unwrap() error { return e.err }

// appendPointer writes path as an RFC 6901 JSON pointer. For a header it
// also percent-encodes each token (see appendToken).
func appendPointer(b []byte, path []pathElem, header bool) []byte {
	for _, p := range path {
		b = append(b, '/')
		if p.idx >= 0 {
			b = strconv.AppendInt(b, int64(p.idx), 10)
			continue
		}
		b = appendToken(b, p.key, header)
	}
	return b
}

// appendToken writes a member name as a pointer token: '~' as "~0", '/' as
// "~1". For a header, '%', ',', '=' and ASCII control characters are then
// percent-encoded ("%25", "%2C", "%3D", ...). Names on the path are valid
// UTF-8 (see writeMembers), so the token names the member a decoder sees.
func appendToken(b []byte, key string, header bool) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c == '~':
			b = append(b, '~', '0')
		case c == '/':
			b = append(b, '~', '1')
		case header && (c == '%' || c == ',' || c == '=' || c < 0x20 || c == 0x7f):
			b = append(b, '%', hex[c>>4], hex[c&0xF])
		default:
			b = append(b, c)
		}
	}
	return b
}

// fixUTF8 replaces each byte of s that is not part of valid UTF-8 with
// U+FFFD, as encoding/json does when writing a string.
func fixUTF8(s string) string {
	var sb strings.Builder
	for _, r := range s {
		sb.WriteRune(r)
	}
	return sb.String()
}

// jsonSafe[c] reports whether ASCII byte c goes into a JSON string as is.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendString writes s as a JSON string, escaping as encoding/json does
// except that '<', '>' and '&' are left alone. Invalid UTF-8 becomes
// U+FFFD.
func appendString(dst []byte, s string) []byte {
	dst, _ = appendStringValid(dst, s)
	return dst
}

// appendStringValid is appendString also reporting whether s was valid
// UTF-8.
func appendStringValid(dst []byte, s string) ([]byte, bool) {
	const hex = "0123456789abcdef"
	valid := true
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			valid = false
			i++
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but break JavaScript; escape
		// them as encoding/json does.
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"'), valid
}
