package transforms

import (
	"context"
	"testing"

	connect "github.com/openmessaging/connect-go"
)

// RegexRouter's prefix(.*)suffix shortcut routes every topic as the regexp
// engine does.
func TestRegexRouterAffixShortcut(t *testing.T) {
	exprs := map[string]bool{ // regex -> whether the shortcut applies
		"soe-(.*)": true, ".*": true, "(.*)": true, "(.*)-raw": true, "a(.*)b": true, "x.*": true, "raw\\.(.*)": true,
		"(?s)a(.*)": false, "a(.*?)b": false, "(?i)ab(.*)": false, "ab(.*)(c)": false, "a(b)": false, "a": false, "a|b(.*)": false,
	}
	topics := []string{"", "a", "b", "ab", "abb", "aXb", "soe-", "soe-Order", "x", "xyz", "y-raw", "-raw", "raw.orders", "rawXorders", "a\nb", "soe-a\nb", "bc", "abc"}
	for expr, shortcut := range exprs {
		for _, repl := range []string{"<$0>", "p"} {
			if shortcut {
				repl += "$1"
				if expr == ".*" || expr == "x.*" {
					repl = "<$0>"
				}
			}
			fast := &regexRouter{}
			if err := fast.Configure(connect.Config{"regex": expr, "replacement": repl}); err != nil {
				if shortcut {
					t.Fatalf("%s / %s: %v", expr, repl, err)
				}
				continue
			}
			if (fast.affix != nil) != shortcut {
				t.Fatalf("%s: shortcut %v, want %v", expr, fast.affix != nil, shortcut)
			}
			slow := *fast
			slow.affix = nil
			for _, topic := range topics {
				a, _ := fast.Apply(context.Background(), &connect.Record{Topic: topic})
				b, _ := slow.Apply(context.Background(), &connect.Record{Topic: topic})
				if a.Topic != b.Topic {
					t.Errorf("%s -> %s on %q: shortcut %q, regexp %q", expr, repl, topic, a.Topic, b.Topic)
				}
			}
		}
	}
}
