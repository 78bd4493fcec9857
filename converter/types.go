package converter

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// restoreTypes turns the strings a types header names back into []byte and
// time.Time values and returns the new root (which changes only when the
// root itself is named).
func restoreTypes(root any, header, name string) (any, error) {
	for header != "" {
		var entry string
		entry, header, _ = strings.Cut(header, ",")
		i := strings.LastIndexByte(entry, '=')
		if i < 0 {
			return nil, fmt.Errorf("header %s: entry %q is not pointer=kind", name, entry)
		}
		ptr, kind := entry[:i], entry[i+1:]
		if kind != kindBytes && kind != kindTime {
			return nil, fmt.Errorf("header %s: entry %q: unknown kind %q", name, entry, kind)
		}
		ptr, ok := unescapePercent(ptr)
		if !ok {
			return nil, fmt.Errorf("header %s: entry %q: bad percent-encoding", name, entry)
		}
		var err error
		if root, err = restoreAt(root, ptr, kind); err != nil {
			return nil, fmt.Errorf("header %s: %s: %w", name, ptr, err)
		}
	}
	return root, nil
}

// restoreAt converts the value at JSON pointer ptr in root.
func restoreAt(root any, ptr, kind string) (any, error) {
	if ptr == "" {
		return restore(root, kind)
	}
	if ptr[0] != '/' {
		return nil, fmt.Errorf("JSON pointer does not start with '/'")
	}
	cur, rest := root, ptr[1:]
	for {
		tok, next, more := strings.Cut(rest, "/")
		switch c := cur.(type) {
		case map[string]any:
			name, ok := unescapeToken(tok)
			if !ok {
				return nil, fmt.Errorf("bad escape in token %q", tok)
			}
			child, ok := c[name]
			if !ok {
				return nil, fmt.Errorf("no member %q", name)
			}
			if !more {
				v, err := restore(child, kind)
				if err != nil {
					return nil, err
				}
				c[name] = v
				return root, nil
			}
			cur = child
		case []any:
			idx, ok := arrayIndex(tok)
			if !ok || idx >= len(c) {
				return nil, fmt.Errorf("no array element %q", tok)
			}
			if !more {
				v, err := restore(c[idx], kind)
				if err != nil {
					return nil, err
				}
				c[idx] = v
				return root, nil
			}
			cur = c[idx]
		default:
			return nil, fmt.Errorf("%T is not an object or array", cur)
		}
		rest = next
	}
}

// restore converts a string back into the kind it was written as.
func restore(v any, kind string) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("want a string holding %s, got %T", kind, v)
	}
	if kind == kindBytes {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("bytes: %w", err)
		}
		return b, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, fmt.Errorf("time: %w", err)
	}
	return t, nil
}

// arrayIndex parses an RFC 6901 array index: digits, no leading zero.
func arrayIndex(tok string) (int, bool) {
	if tok == "" || len(tok) > 9 || len(tok) > 1 && tok[0] == '0' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// unescapeToken undoes RFC 6901 escaping: "~1" is '/', "~0" is '~'.
func unescapeToken(tok string) (string, bool) {
	if strings.IndexByte(tok, '~') < 0 {
		return tok, true
	}
	var sb strings.Builder
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c != '~' {
			sb.WriteByte(c)
			continue
		}
		if i+1 >= len(tok) {
			return "", false
		}
		i++
		switch tok[i] {
		case '0':
			sb.WriteByte('~')
		case '1':
			sb.WriteByte('/')
		default:
			return "", false
		}
	}
	return sb.String(), true
}

// unescapePercent decodes %XX sequences.
func unescapePercent(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		if i+2 >= len(s) {
			return "", false
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", false
		}
		b = append(b, hi<<4|lo)
		i += 2
	}
	return string(b), true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
