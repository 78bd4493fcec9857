package mysqlsource

import "strings"

// hiddenLiteral replaces a credential in statement text.
const hiddenLiteral = "'[hidden]'"

// maskCredentials returns a statement's text with the credentials it may
// carry replaced by '[hidden]', for logs and source.query. The server writes
// account statements to the binlog as they were sent, so
//
//	CREATE USER u IDENTIFIED BY 'secret'
//	ALTER USER u IDENTIFIED VIA ed25519 USING PASSWORD('secret')
//	SET PASSWORD FOR u = PASSWORD('secret')
//	GRANT ALL ON *.* TO u IDENTIFIED BY 'secret'
//
// carry cleartext passwords. A string literal is masked when the word
// before it (skipping "=" and "(") is PASSWORD, OLD_PASSWORD or
// MASTER_PASSWORD, or BY, USING, AS or REPLACE once IDENTIFIED (or SET
// PASSWORD) was seen; in a SET PASSWORD statement every literal after the
// "=" is masked. Both quote styles are understood, with backslash escapes
// and doubled quotes. Statements without such words are returned as they
// are, without copying.
func maskCredentials(q string) string {
	if !containsFold(q, "PASSWORD") && !containsFold(q, "IDENTIFIED") {
		return q
	}
	var (
		b          strings.Builder
		copied     int    // q[:copied] is in b
		prev       string // the last word, upper case; "" after a literal or other token
		identified bool   // IDENTIFIED seen
		setPass    bool   // the statement is SET PASSWORD
		afterEq    bool   // setPass and "=" seen
		words      int
	)
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			end := literalEnd(q, i)
			mask := afterEq
			switch prev {
			case "PASSWORD", "OLD_PASSWORD", "MASTER_PASSWORD":
				mask = true
			case "BY", "USING", "AS", "REPLACE":
				mask = mask || identified
			}
			if mask {
				b.WriteString(q[copied:i])
				b.WriteString(hiddenLiteral)
				copied = end
			}
			prev = ""
			i = end
		case c == '`':
			end := strings.IndexByte(q[i+1:], '`')
			if end < 0 {
				i = len(q)
			} else {
				i += end + 2
			}
			prev = ""
		case isWordByte(c):
			j := i
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			prev = strings.ToUpper(q[i:j])
			words++
			switch {
			case prev == "IDENTIFIED":
				identified = true
			case words == 2 && prev == "PASSWORD" && strings.EqualFold(strings.TrimSpace(q[:i]), "SET"):
				setPass, identified = true, true
			}
			i = j
		case c == '=':
			afterEq = afterEq || setPass
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '(':
			i++ // keeps prev
		default:
			prev = ""
			i++
		}
	}
	if copied == 0 {
		return q
	}
	b.WriteString(q[copied:])
	return b.String()
}

// literalEnd returns the index just after the string literal starting with
// the quote at q[start] (len(q) if it is not closed).
func literalEnd(q string, start int) int {
	quote := q[start]
	for i := start + 1; i < len(q); i++ {
		switch q[i] {
		case '\\':
			i++
		case quote:
			if i+1 < len(q) && q[i+1] == quote {
				i++ // a doubled quote
				continue
			}
			return i + 1
		}
	}
	return len(q)
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c >= 0x80
}

// containsFold reports whether s contains the upper-case ASCII word w,
// ignoring case.
func containsFold(s, w string) bool {
	first := w[0] | 0x20
	for i := 0; i+len(w) <= len(s); i++ {
		if s[i]|0x20 == first && strings.EqualFold(s[i:i+len(w)], w) {
			return true
		}
	}
	return false
}
