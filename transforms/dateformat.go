package transforms

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dateFormat is a java.text.SimpleDateFormat pattern, in UTC and the
// English (US) locale, as Kafka's TimestampRouter and TimestampConverter use
// it. Supported letters: G y Y M L d D E u a H k K h m s S z Z X, quoted
// text (in single quotes; two of them for a quote) and any other character
// as itself. Letters SimpleDateFormat knows but this does not (w W F) are
// a configuration error, as are letters it does not know.
type dateFormat struct {
	pattern string
	fields  []dateField
}

type dateField struct {
	letter byte // 0 for literal text
	count  int
	text   string
}

const supportedDateLetters = "GyYMLdDEuaHkKhmsSzZX"

func parseDateFormat(pattern string) (*dateFormat, error) {
	if pattern == "" {
		return nil, errors.New("empty date format")
	}
	f := &dateFormat{pattern: pattern}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			f.fields = append(f.fields, dateField{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch {
		case c == '\'':
			if i+1 < len(pattern) && pattern[i+1] == '\'' {
				lit.WriteByte('\'')
				i += 2
				continue
			}
			i++
			for {
				if i >= len(pattern) {
					return nil, fmt.Errorf("unterminated quote in date format %q", pattern)
				}
				if pattern[i] == '\'' {
					if i+1 < len(pattern) && pattern[i+1] == '\'' {
						lit.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				lit.WriteByte(pattern[i])
				i++
			}
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			if strings.IndexByte(supportedDateLetters, c) < 0 {
				if strings.IndexByte("wWF", c) >= 0 {
					return nil, fmt.Errorf("date format %q: pattern letter %q (week or day-of-week-in-month fields) is not supported", pattern, c)
				}
				return nil, fmt.Errorf("date format %q: illegal pattern character %q", pattern, c)
			}
			n := 1
			for i+n < len(pattern) && pattern[i+n] == c {
				n++
			}
			flush()
			f.fields = append(f.fields, dateField{letter: c, count: n})
			i += n
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return f, nil
}

var (
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
	dayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// format renders t in UTC.
func (f *dateFormat) format(t time.Time) string {
	t = t.UTC()
	b := make([]byte, 0, len(f.pattern)+8)
	for _, fl := range f.fields {
		n := fl.count
		switch fl.letter {
		case 0:
			b = append(b, fl.text...)
		case 'G':
			if t.Year() > 0 {
				b = append(b, "AD"...)
			} else {
				b = append(b, "BC"...)
			}
		case 'y':
			b = appendYear(b, t.Year(), n)
		case 'Y':
			b = appendYear(b, weekYear(t), n)
		case 'M', 'L':
			switch {
			case n >= 4:
				b = append(b, monthNames[t.Month()-1]...)
			case n == 3:
				b = append(b, monthNames[t.Month()-1][:3]...)
			default:
				b = appendPadded(b, int(t.Month()), n)
			}
		case 'd':
			b = appendPadded(b, t.Day(), n)
		case 'D':
			b = appendPadded(b, t.YearDay(), n)
		case 'E':
			if n >= 4 {
				b = append(b, dayNames[t.Weekday()]...)
			} else {
				b = append(b, dayNames[t.Weekday()][:3]...)
			}
		case 'u':
			d := int(t.Weekday())
			if d == 0 {
				d = 7
			}
			b = appendPadded(b, d, n)
		case 'a':
			if t.Hour() < 12 {
				b = append(b, "AM"...)
			} else {
				b = append(b, "PM"...)
			}
		case 'H':
			b = appendPadded(b, t.Hour(), n)
		case 'k':
			h := t.Hour()
			if h == 0 {
				h = 24
			}
			b = appendPadded(b, h, n)
		case 'K':
			b = appendPadded(b, t.Hour()%12, n)
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b = appendPadded(b, h, n)
		case 'm':
			b = appendPadded(b, t.Minute(), n)
		case 's':
			b = appendPadded(b, t.Second(), n)
		case 'S':
			b = appendPadded(b, t.Nanosecond()/1e6, n)
		case 'z':
			if n >= 4 {
				b = append(b, "Coordinated Universal Time"...)
			} else {
				b = append(b, "UTC"...)
			}
		case 'Z':
			b = append(b, "+0000"...)
		case 'X':
			b = append(b, 'Z')
		}
	}
	return string(b)
}

// appendYear writes a year as SimpleDateFormat does: two digits for "yy",
// else the full year padded to the count.
func appendYear(b []byte, year, n int) []byte {
	if year <= 0 {
		year = 1 - year // era-based year
	}
	if n == 2 {
		return appendPadded(b, year%100, 2)
	}
	return appendPadded(b, year, n)
}

// weekYear is the year of t's week in the en_US calendar (weeks start on
// Sunday; the week holding January 1st is week 1), Java's 'Y'.
func weekYear(t time.Time) int {
	y := t.Year()
	if t.Month() == time.December {
		saturday := t.Day() + (6 - int(t.Weekday()))
		if saturday > 31 {
			return y + 1
		}
	}
	return y
}

func appendPadded(b []byte, v, width int) []byte {
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// parse reads s in UTC (or the zone it names), leniently as
// SimpleDateFormat does by default: out-of-range fields roll over (month
// 13 is January of the next year), and text after the pattern is ignored.
// Numbers take as many digits as there are unless the next field is a
// number too, when they take exactly the letter count.
func (f *dateFormat) parse(s string) (time.Time, error) {
	year, month, day, hour, minute, sec, ms := 1970, 1, 1, 0, 0, 0, 0
	yearOfDay, hasYearDay := 0, false
	pm, hasAmPm := false, false
	twoDigitYear := false
	offset := 0
	pos := 0
	fail := func() (time.Time, error) {
		return time.Time{}, fmt.Errorf("value (%s) does not match pattern (%s)", s, f.pattern)
	}
	for i, fl := range f.fields {
		if fl.letter == 0 {
			if !strings.HasPrefix(s[pos:], fl.text) {
				return fail()
			}
			pos += len(fl.text)
			continue
		}
		abutting := i+1 < len(f.fields) && isNumericField(f.fields[i+1])
		switch fl.letter {
		case 'G':
			switch {
			case strings.HasPrefix(strings.ToUpper(s[pos:]), "AD"):
				pos += 2
			case strings.HasPrefix(strings.ToUpper(s[pos:]), "BC"):
				return time.Time{}, fmt.Errorf("value (%s): dates before the common era are not supported", s)
			default:
				return fail()
			}
		case 'M', 'L':
			if fl.count >= 3 {
				m, n := matchName(s[pos:], monthNames)
				if n == 0 {
					return fail()
				}
				month, pos = m+1, pos+n
				continue
			}
			fallthrough
		case 'y', 'Y', 'd', 'D', 'u', 'H', 'k', 'K', 'h', 'm', 's', 'S':
			v, n := readNumber(s[pos:], fl.count, abutting)
			if n == 0 {
				return fail()
			}
			pos += n
			switch fl.letter {
			case 'y', 'Y':
				year = v
				twoDigitYear = fl.count <= 2 && n == 2
			case 'M', 'L':
				month = v
			case 'd':
				day = v
			case 'D':
				yearOfDay, hasYearDay = v, true
			case 'u':
				// day of week: checked by nothing, as when lenient
			case 'H':
				hour = v
			case 'k':
				hour = v % 24
			case 'K', 'h':
				hour = v % 12
			case 'm':
				minute = v
			case 's':
				sec = v
			case 'S':
				ms = v
			}
		case 'E':
			_, n := matchName(s[pos:], dayNames)
			if n == 0 {
				return fail()
			}
			pos += n
		case 'a':
			switch {
			case strings.HasPrefix(strings.ToUpper(s[pos:]), "AM"):
				pm, hasAmPm = false, true
			case strings.HasPrefix(strings.ToUpper(s[pos:]), "PM"):
				pm, hasAmPm = true, true
			default:
				return fail()
			}
			pos += 2
		case 'z', 'Z', 'X':
			off, n, ok := readZone(s[pos:])
			if !ok {
				return fail()
			}
			offset, pos = off, pos+n
		}
	}
	if hasAmPm && pm {
		hour += 12
	}
	if twoDigitYear {
		year = resolveTwoDigitYear(year, time.Now())
	}
	var t time.Time
	if hasYearDay {
		t = time.Date(year, time.January, yearOfDay, hour, minute, sec, ms*1e6, time.UTC)
	} else {
		t = time.Date(year, time.Month(month), day, hour, minute, sec, ms*1e6, time.UTC)
	}
	return t.Add(-time.Duration(offset) * time.Second), nil
}

func isNumericField(f dateField) bool {
	switch f.letter {
	case 'y', 'Y', 'd', 'D', 'u', 'H', 'k', 'K', 'h', 'm', 's', 'S':
		return true
	case 'M', 'L':
		return f.count < 3
	}
	return false
}

// readNumber reads a decimal number: exactly width digits when abutting
// (the next field is numeric too), else every digit there is.
func readNumber(s string, width int, abutting bool) (v, n int) {
	limit := len(s)
	if abutting && width < limit {
		limit = width
	}
	for n < limit && s[n] >= '0' && s[n] <= '9' && n < 10 {
		v = v*10 + int(s[n]-'0')
		n++
	}
	return v, n
}

// matchName matches a full or three-letter English name, case-insensitively.
func matchName(s string, names []string) (index, n int) {
	upper := strings.ToUpper(s)
	for i, name := range names {
		if strings.HasPrefix(upper, strings.ToUpper(name)) {
			return i, len(name)
		}
	}
	for i, name := range names {
		if strings.HasPrefix(upper, strings.ToUpper(name[:3])) {
			return i, 3
		}
	}
	return 0, 0
}

// readZone reads "Z", "UTC", "GMT", an optional "GMT" followed by +hh:mm,
// +hhmm or +hh, and returns the offset east of UTC in seconds.
func readZone(s string) (offset, n int, ok bool) {
	switch {
	case strings.HasPrefix(s, "Z"):
		return 0, 1, true
	case strings.HasPrefix(s, "UTC"), strings.HasPrefix(s, "GMT"):
		n = 3
		if n >= len(s) || (s[n] != '+' && s[n] != '-') {
			return 0, n, true
		}
	}
	if n >= len(s) || (s[n] != '+' && s[n] != '-') {
		return 0, 0, false
	}
	sign := 1
	if s[n] == '-' {
		sign = -1
	}
	n++
	h, hn := readNumber(s[n:], 2, true)
	if hn == 0 {
		return 0, 0, false
	}
	n += hn
	m := 0
	if n < len(s) && s[n] == ':' {
		n++
	}
	if mm, mn := readNumber(s[n:], 2, true); mn == 2 {
		m, n = mm, n+mn
	}
	return sign * (h*3600 + m*60), n, true
}

// resolveTwoDigitYear places a two-digit year within the 100 years that
// start 80 years before now, as SimpleDateFormat does.
func resolveTwoDigitYear(yy int, now time.Time) int {
	start := now.Year() - 80
	y := start - start%100 + yy
	if y < start {
		y += 100
	}
	return y
}
