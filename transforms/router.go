package transforms

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"

	connect "github.com/openmessaging/connect-go"
)

// regexRouter is Kafka's RegexRouter: when the whole topic matches regex,
// the topic becomes the first match replaced by replacement
// (Matcher.matches, then Matcher.replaceFirst).
type regexRouter struct {
	match *fullMatcher
	// atStart is the regex anchored at the start only: when the whole
	// topic matches, the leftmost match (replaceFirst's) starts at 0, so
	// it is atStart's match.
	atStart *regexp.Regexp
	// affix, when set, matches without the regexp engine: the regex is
	// prefix(.*)suffix (either part may be empty, the group too).
	affix *affix
	repl  []replPart
	// constant is the new topic when replacement has no group references
	// and the regex matches only one string.
	constant string
	isConst  bool
}

var regexRouterSpec = connect.ConfigSpec{
	{Name: "regex", Required: true, Description: "Regular expression the whole topic must match (Java syntax as far as Go's RE2 has it)."},
	{Name: "replacement", Required: true, Description: "Replacement string: $n and ${name} refer to groups, \\ escapes."},
}

func (*regexRouter) Spec() connect.Spec {
	return connect.Spec{Name: kafkaPkg + "RegexRouter", Config: regexRouterSpec,
		Description: "Update the record topic using the configured regular expression and replacement string."}
}

func (t *regexRouter) Configure(cfg connect.Config) error {
	cfg, errs := configure(regexRouterSpec, cfg)
	if len(errs.Fields) > 0 {
		return errs
	}
	m, err := newFullMatcher(cfg.Get("regex"))
	if err != nil {
		errs.Add("regex", "%v", err)
		return errs
	}
	t.match = m
	t.atStart = regexp.MustCompile(`\A(?:` + cfg.Get("regex") + `)`)
	t.repl, err = parseReplacement(cfg.Get("replacement"), t.atStart)
	if err != nil {
		errs.Add("replacement", "%v", err)
		return errs
	}
	t.affix = affixOf(cfg.Get("regex"))
	if m.isLit && len(t.repl) <= 1 && (len(t.repl) == 0 || t.repl[0].group < 0) {
		t.isConst = true
		if len(t.repl) == 1 {
			t.constant = t.repl[0].lit
		}
	}
	return nil
}

func (t *regexRouter) Apply(_ context.Context, r *connect.Record) (*connect.Record, error) {
	if t.isConst {
		if t.match.matches(r.Topic) {
			r.Topic = t.constant
		}
		return r, nil
	}
	if a := t.affix; a != nil {
		s := r.Topic
		if len(s) < len(a.prefix)+len(a.suffix) || !strings.HasPrefix(s, a.prefix) || !strings.HasSuffix(s, a.suffix) ||
			strings.IndexByte(s[len(a.prefix):len(s)-len(a.suffix)], '\n') >= 0 {
			return r, nil
		}
		var buf [4]int
		loc := append(buf[:0], 0, len(s))
		if a.group {
			loc = append(loc, len(a.prefix), len(s)-len(a.suffix))
		}
		r.Topic = replaceAt(s, loc, t.repl)
		return r, nil
	}
	loc := t.atStart.FindStringSubmatchIndex(r.Topic)
	if loc == nil {
		return r, nil // no match at the start: no match of the whole topic
	}
	// The match found first may be shorter than the topic while another
	// one covers it (a|ab on "ab"): then the whole topic matches all the
	// same, and the first one is replaced, as Java's replaceFirst does.
	if loc[1] != len(r.Topic) && !t.match.matches(r.Topic) {
		return r, nil
	}
	r.Topic = replaceAt(r.Topic, loc, t.repl)
	return r, nil
}

func (*regexRouter) Close() error { return nil }

// affix is a regex of the form prefix(.*)suffix: prefix and suffix plain
// text, the group optional, .* greedy. Matching the whole topic then means
// starting with prefix, ending with suffix and holding no newline between
// them, and the leftmost match is the whole topic.
type affix struct {
	prefix, suffix string
	group          bool
}

func affixOf(expr string) *affix {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	re = re.Simplify()
	parts := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		parts = re.Sub
	}
	a := &affix{}
	star := -1
	for i, p := range parts {
		switch {
		case p.Op == syntax.OpLiteral && p.Flags&syntax.FoldCase == 0:
			switch {
			case i == 0 && star < 0:
				a.prefix = string(p.Rune)
			case i == len(parts)-1 && star >= 0:
				a.suffix = string(p.Rune)
			default:
				return nil
			}
		case star < 0 && isAnyStar(p):
			star = i
		case star < 0 && p.Op == syntax.OpCapture && p.Cap == 1 && isAnyStar(p.Sub[0]):
			star, a.group = i, true
		default:
			return nil
		}
	}
	if star < 0 {
		return nil
	}
	return a
}

// isAnyStar reports whether re is a greedy .* (without the s flag).
func isAnyStar(re *syntax.Regexp) bool {
	return re.Op == syntax.OpStar && re.Flags&syntax.NonGreedy == 0 && re.Sub[0].Op == syntax.OpAnyCharNotNL
}

// replPart is a literal or a group reference of a replacement string.
type replPart struct {
	lit   string
	group int // -1 for a literal
}

// parseReplacement parses a java.util.regex replacement string: $n refers
// to group n (further digits are taken while the number stays a group
// of re, as Java does), ${name} to a named group, and a backslash makes
// the next character literal. References to groups re lacks are errors,
// as Java reports them when the replacement is first used.
func parseReplacement(s string, re *regexp.Regexp) ([]replPart, error) {
	var parts []replPart
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, replPart{lit: lit.String(), group: -1})
			lit.Reset()
		}
	}
	groups := re.NumSubexp()
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case '\\':
			i++
			if i >= len(s) {
				return nil, errors.New("character to be escaped is missing at the end")
			}
			_, n := utf8.DecodeRuneInString(s[i:])
			lit.WriteString(s[i : i+n])
			i += n
		case '$':
			i++
			if i >= len(s) {
				return nil, errors.New("illegal group reference: group index is missing")
			}
			if s[i] == '{' {
				end := strings.IndexByte(s[i:], '}')
				if end < 0 {
					return nil, errors.New("named capturing group is missing trailing '}'")
				}
				name := s[i+1 : i+end]
				idx := re.SubexpIndex(name)
				if name == "" || idx < 0 {
					return nil, fmt.Errorf("no group with name {%s}", name)
				}
				flush()
				parts = append(parts, replPart{group: idx})
				i += end + 1
				continue
			}
			if s[i] < '0' || s[i] > '9' {
				return nil, fmt.Errorf("illegal group reference: $%c", s[i])
			}
			n := int(s[i] - '0')
			i++
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				next := n*10 + int(s[i]-'0')
				if next > groups {
					break
				}
				n = next
				i++
			}
			if n > groups {
				return nil, fmt.Errorf("no group %d: the regex has %d", n, groups)
			}
			flush()
			parts = append(parts, replPart{group: n})
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return parts, nil
}

// replaceAt replaces the match at loc (FindStringSubmatchIndex's) by the
// replacement, as Matcher.replaceFirst does. A group that did not take
// part in the match adds nothing.
func replaceAt(s string, loc []int, repl []replPart) string {
	if len(repl) == 1 && repl[0].group >= 0 && loc[0] == 0 && loc[1] == len(s) {
		// The replacement is one group of a match of the whole string
		// ($1 of prefix-(.*)): a substring, no copy.
		if start := loc[2*repl[0].group]; start >= 0 {
			return s[start:loc[2*repl[0].group+1]]
		}
		return ""
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:loc[0]])
	for _, p := range repl {
		if p.group < 0 {
			b.WriteString(p.lit)
			continue
		}
		if start, end := loc[2*p.group], loc[2*p.group+1]; start >= 0 {
			b.WriteString(s[start:end])
		}
	}
	b.WriteString(s[loc[1]:])
	return b.String()
}

// timestampRouter is Kafka's TimestampRouter: the topic becomes
// topic.format with ${topic} and ${timestamp} replaced, the timestamp
// formatted in UTC with timestamp.format (java.text.SimpleDateFormat).
type timestampRouter struct {
	format string
	ts     *dateFormat
}

var timestampRouterSpec = connect.ConfigSpec{
	{Name: "topic.format", Default: "${topic}-${timestamp}",
		Description: "Format string which can contain ${topic} and ${timestamp} as placeholders for the topic and timestamp."},
	{Name: "timestamp.format", Default: "yyyyMMdd",
		Description: "Format of the timestamp, compatible with java.text.SimpleDateFormat; always in UTC."},
}

func (*timestampRouter) Spec() connect.Spec {
	return connect.Spec{Name: kafkaPkg + "TimestampRouter", Config: timestampRouterSpec,
		Description: "Update the record's topic as a function of the original topic value and the record timestamp."}
}

func (t *timestampRouter) Configure(cfg connect.Config) error {
	cfg, errs := configure(timestampRouterSpec, cfg)
	if len(errs.Fields) > 0 {
		return errs
	}
	t.format = cfg.Get("topic.format")
	f, err := parseDateFormat(cfg.Get("timestamp.format"))
	if err != nil {
		errs.Add("timestamp.format", "%v", err)
		return errs
	}
	t.ts = f
	return nil
}

func (t *timestampRouter) Apply(_ context.Context, r *connect.Record) (*connect.Record, error) {
	if r.Timestamp.IsZero() {
		return nil, fmt.Errorf("timestamp missing on record for topic %s", r.Topic)
	}
	topic := strings.ReplaceAll(t.format, "${topic}", r.Topic)
	r.Topic = strings.ReplaceAll(topic, "${timestamp}", t.ts.format(r.Timestamp))
	return r, nil
}

func (*timestampRouter) Close() error { return nil }
