package dbzmodes

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"
)

// ErrUnrepresentable is wrapped by the error Map returns for a value the
// chosen mode cannot carry (a TIME outside one day under connect or
// isostring, which Debezium turns into null or 0), naming the field.
var ErrUnrepresentable = errors.New("value not representable in this mode")

const (
	usPerDay  = 24 * 3600 * 1_000_000
	maxSafeJS = 1 << 53 // integers beyond ±2^53 lose digits as doubles
)

// parseTime reads connect-go's TIME text "[-]H+:MM:SS[.f+]" as
// microseconds (digits beyond the sixth are cut, as MySQL has at most six).
func parseTime(s string) (int64, error) {
	orig := s
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg, s = true, s[1:]
	}
	var parts [3]int64
	p := 0
	i := 0
	for ; i < len(s) && s[i] != '.'; i++ {
		c := s[i]
		switch {
		case c == ':':
			p++
			if p > 2 {
				return 0, fmt.Errorf("TIME %q: too many fields", orig)
			}
		case c >= '0' && c <= '9':
			parts[p] = parts[p]*10 + int64(c-'0')
			if parts[p] > 1<<40 {
				return 0, fmt.Errorf("TIME %q: out of range", orig)
			}
		default:
			return 0, fmt.Errorf("TIME %q: not [-]HH:MM:SS[.f]", orig)
		}
	}
	if p != 2 || parts[1] > 59 || parts[2] > 59 {
		return 0, fmt.Errorf("TIME %q: not [-]HH:MM:SS[.f]", orig)
	}
	us := ((parts[0]*60+parts[1])*60 + parts[2]) * 1_000_000
	if i < len(s) { // fraction
		scale := int64(100_000)
		for _, c := range []byte(s[i+1:]) {
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("TIME %q: not [-]HH:MM:SS[.f]", orig)
			}
			us += int64(c-'0') * scale
			scale /= 10
		}
	}
	if neg {
		us = -us
	}
	return us, nil
}

// appendDigits appends n with at least width digits, zero padded.
func appendDigits(b []byte, n int, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for n >= 10 || width > 1 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		width--
	}
	i--
	buf[i] = byte('0' + n)
	return append(b, buf[i:]...)
}

// appendFraction appends ns (0..999999999) as Java's
// DateTimeFormatter.appendFraction(NANO_OF_SECOND, min, max, true) does:
// digits cut at max, trailing zeros dropped down to min, no point when no
// digit remains.
func appendFraction(b []byte, ns int, min, max int) []byte {
	var d [9]byte
	for i := 8; i >= 0; i-- {
		d[i] = byte('0' + ns%10)
		ns /= 10
	}
	n := max
	for n > min && d[n-1] == '0' {
		n--
	}
	if n == 0 {
		return b
	}
	b = append(b, '.')
	return append(b, d[:n]...)
}

// appendISODate appends t's date as Java's ISO_LOCAL_DATE (years 0 to 9999
// in four digits, later ones with a '+').
func appendISODate(b []byte, t time.Time) []byte {
	y, m, d := t.Date()
	if y > 9999 {
		b = append(b, '+')
	}
	if y < 0 {
		b = append(b, '-')
		y = -y
	}
	b = appendDigits(b, y, 4)
	b = append(b, '-')
	b = appendDigits(b, int(m), 2)
	b = append(b, '-')
	return appendDigits(b, d, 2)
}

// appendISOClock appends hh:mm:ss.
func appendISOClock(b []byte, h, m, s int) []byte {
	b = appendDigits(b, h, 2)
	b = append(b, ':')
	b = appendDigits(b, m, 2)
	b = append(b, ':')
	return appendDigits(b, s, 2)
}

// isoDate is io.debezium.time.IsoDate: ISO_OFFSET_DATE at UTC, "2017-09-15Z".
func isoDate(t time.Time) string {
	b := make([]byte, 0, 11)
	return string(append(appendISODate(b, t), 'Z'))
}

// isoTimestamp is io.debezium.time.IsoTimestamp, and ZonedTimestamp of a
// column without fraction digits: ISO_OFFSET_DATE_TIME at UTC, the
// fraction as long as it needs to be. With fraction > 0 (ZonedTimestamp of
// a TIMESTAMP(fraction)), exactly fraction digits.
func isoTimestamp(t time.Time, fraction int) string {
	b := make([]byte, 0, 32)
	b = appendISODate(b, t)
	b = append(b, 'T')
	h, m, s := t.Clock()
	b = appendISOClock(b, h, m, s)
	if fraction > 0 && fraction <= 9 {
		b = appendFraction(b, t.Nanosecond(), fraction, fraction)
	} else {
		b = appendFraction(b, t.Nanosecond(), 0, 9)
	}
	return string(append(b, 'Z'))
}

// isoTime is io.debezium.time.IsoTime of a time of day in µs:
// ISO_OFFSET_TIME at UTC, "04:05:11.789Z".
func isoTime(us int64) string {
	b := make([]byte, 0, 20)
	sec := us / 1_000_000
	b = appendISOClock(b, int(sec/3600), int(sec/60%60), int(sec%60))
	b = appendFraction(b, int(us%1_000_000)*1000, 0, 9)
	return string(append(b, 'Z'))
}

// epochDays is t's date as days since 1970-01-01.
func epochDays(t time.Time) int64 {
	return floorDiv(t.UTC().Unix(), 86400)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// unscaledBytes is Java's BigInteger.toByteArray of the decimal text s
// with its point removed: the unscaled value of Kafka's Decimal, two's
// complement, big-endian, in the fewest bytes that keep the sign. s must
// have exactly scale digits after the point (connect-go's decimal text has
// the column's scale).
func unscaledBytes(s string, scale int) ([]byte, error) {
	if n, ok := smallUnscaled(s, scale); ok {
		return int64Bytes(n), nil
	}
	digits := make([]byte, 0, len(s))
	neg := false
	frac := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' && i == 0:
			neg = true
		case c == '+' && i == 0:
		case c == '.' && frac < 0:
			frac = 0
		case c >= '0' && c <= '9':
			digits = append(digits, c)
			if frac >= 0 {
				frac++
			}
		default:
			return nil, fmt.Errorf("decimal %q: not a number", s)
		}
	}
	if frac < 0 {
		frac = 0
	}
	if len(digits) == 0 {
		return nil, fmt.Errorf("decimal %q: no digits", s)
	}
	for ; frac < scale; frac++ { // fewer digits than the scale: pad
		digits = append(digits, '0')
	}
	if frac > scale {
		return nil, fmt.Errorf("decimal %q: more than %d fraction digits", s, scale)
	}
	if len(digits) <= 18 { // fits an int64: no big.Int
		var n int64
		for _, c := range digits {
			n = n*10 + int64(c-'0')
		}
		if neg {
			n = -n
		}
		return int64Bytes(n), nil
	}
	var x big.Int
	x.SetString(string(digits), 10)
	if neg {
		x.Neg(&x)
	}
	return bigBytes(&x), nil
}

// smallUnscaled parses s without allocating when it has at most 18
// digits and exactly scale of them after the point.
func smallUnscaled(s string, scale int) (int64, bool) {
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg, s = true, s[1:]
	}
	var n int64
	digits, frac := 0, -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && frac < 0:
			frac = 0
		case c >= '0' && c <= '9':
			n = n*10 + int64(c-'0')
			digits++
			if frac >= 0 {
				frac++
			}
		default:
			return 0, false
		}
	}
	if frac < 0 {
		frac = 0
	}
	if digits == 0 || digits > 18 || frac != scale {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// int64Bytes is BigInteger.valueOf(n).toByteArray().
func int64Bytes(n int64) []byte {
	size := 1
	for size < 8 {
		lim := int64(1) << (8*size - 1)
		if n >= -lim && n < lim {
			break
		}
		size++
	}
	b := make([]byte, size)
	for i := size - 1; i >= 0; i-- {
		b[i] = byte(n)
		n >>= 8
	}
	return b
}

// uint64Bytes is BigInteger's toByteArray of the unsigned u.
func uint64Bytes(u uint64) []byte {
	if u <= math.MaxInt64 {
		return int64Bytes(int64(u))
	}
	b := make([]byte, 9)
	for i := 8; i >= 1; i-- {
		b[i] = byte(u)
		u >>= 8
	}
	return b
}

// bigBytes is BigInteger.toByteArray: bitLength/8+1 bytes, where a
// negative x's bitLength is that of -x-1.
func bigBytes(x *big.Int) []byte {
	var m big.Int
	if x.Sign() < 0 {
		m.Neg(x)
		m.Sub(&m, big.NewInt(1))
	} else {
		m.Set(x)
	}
	size := m.BitLen()/8 + 1
	if x.Sign() >= 0 {
		b := make([]byte, size)
		return x.FillBytes(b)
	}
	// 2^(8*size) + x
	var t big.Int
	t.Lsh(big.NewInt(1), uint(8*size))
	t.Add(&t, x)
	b := make([]byte, size)
	return t.FillBytes(b)
}

// bitsBytes is io.debezium.data.Bits: the width bits little-endian in
// width/8 bytes, rounded up.
func bitsBytes(u uint64, width int) []byte {
	b := make([]byte, (width+7)/8)
	for i := range b {
		if i < 8 {
			b[i] = byte(u >> (8 * i))
		}
	}
	return b
}

func encodeBinary(b []byte, mode BinaryMode) string {
	switch mode {
	case BinaryBase64:
		return base64.StdEncoding.EncodeToString(b)
	case BinaryBase64URLSafe:
		return base64.URLEncoding.EncodeToString(b) // Java's Base64.getUrlEncoder pads
	}
	return hex.EncodeToString(b) // Debezium's HexConverter: lower case
}

// asUint64 reads an integer of connect-go's encodings as its unsigned
// bits.
func asUint64(v any) (uint64, bool) {
	switch n := v.(type) {
	case int64:
		return uint64(n), true
	case uint64:
		return n, true
	case int:
		return uint64(n), true
	case int32:
		return uint64(n), true
	case uint32:
		return uint64(n), true
	case int16:
		return uint64(n), true
	case uint16:
		return uint64(n), true
	case int8:
		return uint64(n), true
	case uint8:
		return uint64(n), true
	case uint:
		return uint64(n), true
	}
	return 0, false
}

// safeInteger returns v as decimal text when it is an integer beyond
// ±2^53, else v.
func safeInteger(v any) any {
	switch n := v.(type) {
	case int64:
		if n > maxSafeJS || n < -maxSafeJS {
			return strconv.FormatInt(n, 10)
		}
	case uint64:
		if n > maxSafeJS {
			return strconv.FormatUint(n, 10)
		}
	}
	return v
}
