package transforms_test

import (
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// Cases of https://docs.confluent.io/platform/current/connect/transforms/regexrouter.html
// (Kafka's RegexRouter reference), and Java's Matcher semantics.
func TestRegexRouter(t *testing.T) {
	r := func(topic string) *connect.Record { return rec(topic, m{"a": 1}) }
	runCases(t, kafka+"RegexRouter", []tcase{
		{name: "docs: remove a topic prefix", cfg: connect.Config{"regex": "soe-(.*)", "replacement": "$1"},
			in: r("soe-Order"), want: r("Order")},
		{name: "docs: add a topic prefix", cfg: connect.Config{"regex": ".*", "replacement": "acme_$0"},
			in: r("Order"), want: r("acme_Order")},
		{name: "docs: remove part of a topic name", cfg: connect.Config{"regex": "(.*)Stream_(.*)", "replacement": "$1$2"},
			in: r("Order_Stream_Data"), want: r("Order_Data")},
		// The page's own regex for that example, (.)Stream_(.), cannot
		// match the whole topic, so Kafka (Matcher.matches) leaves the
		// topic as it is, whatever the page says.
		{name: "docs regex that does not match the whole topic", cfg: connect.Config{"regex": "(.)Stream_(.)", "replacement": "$1$2"},
			in: r("Order_Stream_Data"), want: r("Order_Stream_Data")},
		{name: "no match leaves the topic", cfg: connect.Config{"regex": "soe-(.*)", "replacement": "$1"},
			in: r("orders"), want: r("orders")},
		{name: "partial match is no match", cfg: connect.Config{"regex": "soe", "replacement": "x"},
			in: r("soe-Order"), want: r("soe-Order")},
		{name: "literal regex", cfg: connect.Config{"regex": "bench-raw", "replacement": "bench"},
			in: r("bench-raw"), want: r("bench")},
		{name: "named group", cfg: connect.Config{"regex": "(?<db>[a-z]+)\\.(?<table>.*)", "replacement": "${table}_of_${db}"},
			in: r("shop.orders"), want: r("orders_of_shop")},
		{name: "escaped dollar and backslash", cfg: connect.Config{"regex": "(.*)", "replacement": "\\$1\\\\$1"},
			in: r("t"), want: r("$1\\t")},
		{name: "group numbers stop at the group count", cfg: connect.Config{"regex": "(a)(b)", "replacement": "$12"},
			in: r("ab"), want: r("a2")},
		{name: "replaceFirst replaces the leftmost match only", cfg: connect.Config{"regex": "a|ab", "replacement": "X"},
			in: r("ab"), want: r("Xb")},
		{name: "unmatched optional group adds nothing", cfg: connect.Config{"regex": "(x)?(.*)", "replacement": "[$1]$2"},
			in: r("topic"), want: r("[]topic")},
		{name: "change events are routed too", cfg: connect.Config{"regex": "db\\.(.*)", "replacement": "$1"},
			in:   &connect.Record{Topic: "db.users", Change: &connect.Change{Op: connect.OpCreate, After: m{"id": 1}}},
			want: &connect.Record{Topic: "users", Change: &connect.Change{Op: connect.OpCreate, After: m{"id": 1}}}},
	})
	runConfigErrors(t, kafka+"RegexRouter", []cfgCase{
		{name: "regex required", cfg: connect.Config{"replacement": "x"}, field: "regex", err: "required"},
		{name: "replacement required", cfg: connect.Config{"regex": "x"}, field: "replacement", err: "required"},
		{name: "invalid regex", cfg: connect.Config{"regex": "(", "replacement": "x"}, field: "regex", err: "invalid regex"},
		{name: "lookahead is not RE2", cfg: connect.Config{"regex": "a(?=b)", "replacement": "x"}, field: "regex", err: "RE2"},
		{name: "no such group", cfg: connect.Config{"regex": "(a)", "replacement": "$2"}, field: "replacement", err: "no group 2"},
		{name: "no such named group", cfg: connect.Config{"regex": "(a)", "replacement": "${x}"}, field: "replacement", err: "no group with name"},
		{name: "unclosed named group", cfg: connect.Config{"regex": "(a)", "replacement": "${x"}, field: "replacement", err: "missing trailing"},
		{name: "illegal group reference", cfg: connect.Config{"regex": "(a)", "replacement": "$x"}, field: "replacement", err: "illegal group reference"},
		{name: "dollar at the end", cfg: connect.Config{"regex": "(a)", "replacement": "a$"}, field: "replacement", err: "group index is missing"},
		{name: "backslash at the end", cfg: connect.Config{"regex": "(a)", "replacement": "a\\"}, field: "replacement", err: "escaped"},
	})
}

// Cases of https://docs.confluent.io/platform/current/connect/transforms/timestamprouter.html
// (Kafka's TimestampRouter reference) and java.text.SimpleDateFormat.
func TestTimestampRouter(t *testing.T) {
	at := func(topic string, when time.Time) *connect.Record {
		return &connect.Record{Topic: topic, Value: "v", Timestamp: when}
	}
	aug := time.Date(2019, time.August, 12, 10, 0, 0, 0, time.UTC)
	runCases(t, kafka+"TimestampRouter", []tcase{
		{name: "docs: foo-${topic}-${timestamp} with YYYYMM", cfg: connect.Config{"topic.format": "foo-${topic}-${timestamp}", "timestamp.format": "YYYYMM"},
			in: at("test", aug), want: at("foo-test-201908", aug)},
		{name: "defaults: ${topic}-${timestamp} and yyyyMMdd", cfg: connect.Config{},
			in: at("orders", aug), want: at("orders-20190812", aug)},
		{name: "timestamp in UTC whatever the zone", cfg: connect.Config{"timestamp.format": "yyyy-MM-dd'T'HH"},
			in:   at("t", time.Date(2019, 8, 12, 23, 30, 0, 0, time.FixedZone("x", -3*3600))),
			want: at("t-2019-08-13T02", time.Date(2019, 8, 12, 23, 30, 0, 0, time.FixedZone("x", -3*3600)))},
		{name: "week year Y differs from y at the year's end", cfg: connect.Config{"timestamp.format": "YYYY.yyyy"},
			in: at("t", time.Date(2019, 12, 29, 0, 0, 0, 0, time.UTC)), want: at("t-2020.2019", time.Date(2019, 12, 29, 0, 0, 0, 0, time.UTC))},
		{name: "text fields", cfg: connect.Config{"topic.format": "${timestamp}", "timestamp.format": "EEE, d MMM yy hh:mm a z ''Z'' X"},
			in: at("t", aug), want: at("Mon, 12 Aug 19 10:00 AM UTC '+0000' Z", aug)},
		{name: "no timestamp", cfg: connect.Config{}, in: at("t", time.Time{}), err: "timestamp missing"},
	})
	runConfigErrors(t, kafka+"TimestampRouter", []cfgCase{
		{name: "unknown pattern letter", cfg: connect.Config{"timestamp.format": "yyyyb"}, field: "timestamp.format", err: "illegal pattern character"},
		{name: "unsupported week letter", cfg: connect.Config{"timestamp.format": "yyyy-ww"}, field: "timestamp.format", err: "not supported"},
		{name: "unterminated quote", cfg: connect.Config{"timestamp.format": "yyyy'x"}, field: "timestamp.format", err: "unterminated quote"},
	})
}
