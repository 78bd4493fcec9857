package mysqlsource

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"

	connect "github.com/openmessaging/connect-go"
)

// The binlog and snapshot queries hand over the same data in different
// shapes: go-mysql decodes row events into int8..uint64, float32, strings
// and time.Time, and the binary protocol of prepared statements gives
// signed/unsigned/float/bytes field values with dates as text. Both paths
// end in the same canonical Go values, so that a row reads the same whether
// it came from the snapshot or the binlog. The canonical forms are also
// exactly what the JSON converter decodes, so values survive a round trip.

// canonicalUint returns u as int64 when it fits, else as uint64.
func canonicalUint(u uint64) any {
	if u <= math.MaxInt64 {
		return int64(u)
	}
	return u
}

// shortFloat returns the float64 whose decimal form is the shortest one
// that reads back as f: what a FLOAT column shows, and what the JSON
// converter would produce from a float32.
func shortFloat(f float32) float64 {
	if math.IsInf(float64(f), 0) || math.IsNaN(float64(f)) {
		return float64(f)
	}
	v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
	return v
}

// fromBinlog converts a value decoded by go-mysql from a row event. A
// value already in its canonical form is returned as it is, without
// boxing it again.
func (c *column) fromBinlog(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch c.kind {
	case kindInt, kindYear:
		switch n := v.(type) {
		case int8:
			return int64(n), nil
		case int16:
			return int64(n), nil
		case int32:
			return int64(n), nil
		case int64:
			return v, nil
		case int:
			return int64(n), nil
		case uint8:
			return int64(n), nil
		case uint16:
			return int64(n), nil
		case uint32:
			return int64(n), nil
		case uint64:
			return canonicalUint(n), nil
		}
	case kindFloat:
		switch f := v.(type) {
		case float32:
			return shortFloat(f), nil
		case float64:
			return shortFloat(float32(f)), nil
		}
	case kindDouble:
		switch f := v.(type) {
		case float64:
			return v, nil
		case float32:
			return float64(f), nil
		}
	case kindDecimal:
		switch d := v.(type) {
		case string:
			return v, nil
		case fmt.Stringer:
			return d.String(), nil
		}
	case kindDate:
		if s, ok := v.(string); ok {
			return c.date(s)
		}
	case kindDateTime, kindTimestamp:
		switch t := v.(type) {
		case time.Time:
			return t.UTC(), nil
		case string:
			return c.date(t)
		}
	case kindTime:
		if s, ok := v.(string); ok {
			return formatTime(s, c.fsp), nil
		}
	case kindString, kindJSON:
		switch s := v.(type) {
		case string:
			if c.dec == nil {
				return v, nil
			}
			return decodeText(s, c.dec), nil
		case []byte:
			return decodeText(string(s), c.dec), nil
		}
	case kindBytes, kindGeometry:
		var b []byte
		switch s := v.(type) {
		case string:
			b = []byte(s)
		case []byte:
			b = s
		default:
			return nil, fmt.Errorf("column %s: %s value of type %T", c.name, c.kind, v)
		}
		if len(b) < c.padLen {
			p := make([]byte, c.padLen)
			copy(p, b)
			return p, nil
		}
		if _, ok := v.([]byte); ok {
			return v, nil
		}
		return b, nil
	case kindEnum:
		if n, ok := v.(int64); ok {
			if n >= 1 && int(n) <= len(c.boxedMembers) {
				return c.boxedMembers[n-1], nil
			}
			return c.enumName(n), nil
		}
	case kindSet:
		if n, ok := v.(int64); ok {
			return c.setNames(uint64(n)), nil
		}
	case kindBit:
		if n, ok := v.(int64); ok {
			return c.bitValue(uint64(n)), nil
		}
	}
	return nil, fmt.Errorf("column %s: unexpected %s value of type %T from the binlog", c.name, c.kind, v)
}

// fromSnapshot converts a field value of a snapshot query (binary protocol).
// Bytes are copied: go-mysql reuses its buffers.
func (c *column) fromSnapshot(fv *mysql.FieldValue) (any, error) {
	switch fv.Type {
	case mysql.FieldValueTypeNull:
		return nil, nil
	case mysql.FieldValueTypeSigned:
		switch c.kind {
		case kindInt, kindYear:
			return fv.AsInt64(), nil
		case kindBit:
			return c.bitValue(fv.AsUint64()), nil
		}
	case mysql.FieldValueTypeUnsigned:
		switch c.kind {
		case kindInt, kindYear:
			return canonicalUint(fv.AsUint64()), nil
		case kindBit:
			return c.bitValue(fv.AsUint64()), nil
		}
	case mysql.FieldValueTypeFloat:
		switch c.kind {
		case kindFloat:
			return shortFloat(float32(fv.AsFloat64())), nil
		case kindDouble:
			return fv.AsFloat64(), nil
		}
	case mysql.FieldValueTypeString:
		b := fv.AsString()
		switch c.kind {
		case kindDecimal, kindString, kindJSON, kindEnum, kindSet:
			return string(b), nil
		case kindBytes, kindGeometry:
			out := make([]byte, len(b)) // never nil, like the binlog's
			copy(out, b)
			return out, nil
		case kindDate, kindDateTime, kindTimestamp:
			return c.date(string(b))
		case kindTime:
			return formatTime(string(b), c.fsp), nil
		case kindBit:
			return c.bitValue(beUint(b)), nil
		case kindInt, kindYear:
			if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
				return n, nil
			}
			if u, err := strconv.ParseUint(string(b), 10, 64); err == nil {
				return canonicalUint(u), nil
			}
		case kindFloat:
			if f, err := strconv.ParseFloat(string(b), 32); err == nil {
				return shortFloat(float32(f)), nil
			}
		case kindDouble:
			if f, err := strconv.ParseFloat(string(b), 64); err == nil {
				return f, nil
			}
		}
	}
	return nil, fmt.Errorf("column %s: unexpected %s value (field type %d) from a snapshot query", c.name, c.kind, fv.Type)
}

func (c *column) bitValue(u uint64) any {
	if c.bits == 1 {
		return u != 0
	}
	return canonicalUint(u)
}

// enumName returns the member at 1-based index n; 0 is the empty string
// MySQL stores for an invalid value.
func (c *column) enumName(n int64) string {
	if n >= 1 && int(n) <= len(c.members) {
		return c.members[n-1]
	}
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10) // members unknown: keep the index
}

// setNames returns the members whose bits are set, joined with ',' as MySQL
// shows them.
func (c *column) setNames(bits uint64) string {
	if bits == 0 {
		return ""
	}
	var b strings.Builder
	for i := 0; i < 64 && bits>>i != 0; i++ {
		if bits&(1<<i) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if i < len(c.members) {
			b.WriteString(c.members[i])
		} else {
			b.WriteString(strconv.Itoa(i))
		}
	}
	return b.String()
}

// date converts the text of a DATE, DATETIME or TIMESTAMP value, as the
// binlog reader or a snapshot query gives it, to a time.Time, or for a
// zero or invalid date (0000-00-00, a zero month or day, February 30
// under ALLOW_INVALID_DATES), which no time.Time holds, to the text the
// server itself prints for it: "YYYY-MM-DD" for DATE, else
// "YYYY-MM-DD HH:MM:SS" with the column's fraction digits (binlog and
// snapshot give those differently: the snapshot's binary protocol none or
// six). So both sides give the same value, and never nil for a value.
func (c *column) date(s string) (any, error) {
	var v any
	if c.kind == kindDate {
		v = parseDate(s)
	} else {
		v = parseDateTime(s)
	}
	if v != nil {
		return v, nil
	}
	if text := dateText(s, c.kind == kindDate, c.fsp); connect.IsDateText(text) {
		return text, nil
	}
	return nil, fmt.Errorf("column %s: %s value %q is not a date", c.name, c.kind, s)
}

// dateText rewrites the text of a date as the server prints a column's
// value: the date alone, or with the time and fsp fraction digits.
func dateText(s string, dateOnly bool, fsp int) string {
	if len(s) < 10 {
		return s
	}
	if dateOnly {
		return s[:10]
	}
	day, rest := s[:10], "00:00:00"
	if len(s) >= 19 && s[10] == ' ' {
		rest = s[11:19]
	}
	if fsp == 0 {
		return day + " " + rest
	}
	frac := ""
	if len(s) > 20 && s[19] == '.' {
		frac = s[20:]
	}
	return withFraction(day+" "+rest, frac, fsp)
}

// withFraction returns whole, a point and exactly fsp digits of frac
// (cut, or padded with zeros).
func withFraction(whole, frac string, fsp int) string {
	var b strings.Builder
	b.Grow(len(whole) + 1 + fsp)
	b.WriteString(whole)
	b.WriteByte('.')
	for i := range fsp {
		if i < len(frac) {
			b.WriteByte(frac[i])
		} else {
			b.WriteByte('0')
		}
	}
	return b.String()
}

// parseDate parses "YYYY-MM-DD". Zero and invalid dates (a zero month or
// day, February 30 under ALLOW_INVALID_DATES) have no time.Time and are nil.
func parseDate(s string) any {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return nil
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || !validDate(y, m, d) {
		return nil
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
}

// parseDateTime parses "YYYY-MM-DD HH:MM:SS[.ffffff]" as UTC; zero and
// invalid dates are nil.
func parseDateTime(s string) any {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return parseDate(s)
	}
	y, ok1 := digits(s[0:4])
	mo, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	h, ok4 := digits(s[11:13])
	mi, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || !validDate(y, mo, d) {
		return nil
	}
	ns := 0
	if len(s) > 20 && s[19] == '.' {
		frac := s[20:]
		if len(frac) > 9 {
			frac = frac[:9]
		}
		f, ok := digits(frac)
		if !ok {
			return nil
		}
		for i := len(frac); i < 9; i++ {
			f *= 10
		}
		ns = f
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC)
}

func validDate(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, len(s) > 0
}

// formatTime rewrites a TIME value "[-]H+:MM:SS[.f+]" with exactly fsp
// fraction digits, as MySQL shows a TIME(fsp) column.
func formatTime(s string, fsp int) string {
	whole, frac, _ := strings.Cut(s, ".")
	if fsp <= 0 {
		return whole
	}
	if len(frac) == fsp {
		return s
	}
	return withFraction(whole, frac, fsp)
}

// sameValue reports whether two canonical values are equal (used to detect
// primary key changes).
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	}
	return a == b
}

// beUint decodes big-endian bytes (BIT values of the binary protocol).
func beUint(b []byte) uint64 {
	if len(b) > 8 {
		b = b[len(b)-8:]
	}
	var buf [8]byte
	copy(buf[8-len(b):], b)
	return binary.BigEndian.Uint64(buf[:])
}
