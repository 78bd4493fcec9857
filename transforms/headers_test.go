package transforms_test

import (
	"context"
	"strings"
	"testing"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/transforms"
)

func withHeaders(r *connect.Record, h connect.Headers) *connect.Record {
	return with(r, func(r *connect.Record) { r.Headers = h })
}

// Cases of https://docs.confluent.io/platform/current/connect/transforms/headerfrom.html
func TestHeaderFrom(t *testing.T) {
	v := m{"id": int64(1), "ts": int64(1556204536000), "name": "a"}
	runCases(t, kafka+"HeaderFrom$Value", []tcase{
		{name: "docs: copy id and ts", cfg: connect.Config{"fields": "id,ts", "headers": "record_id,ts", "operation": "copy"},
			in: rec("t", v), want: withHeaders(rec("t", v), connect.Headers{"record_id": "1", "ts": "1556204536000"})},
		{name: "docs: move id and ts", cfg: connect.Config{"fields": "id,ts", "headers": "record_id,ts", "operation": "move"},
			in:   withHeaders(rec("t", v), connect.Headers{"other": "x"}),
			want: withHeaders(rec("t", m{"name": "a"}), connect.Headers{"other": "x", "record_id": "1", "ts": "1556204536000"})},
		{name: "value kinds", cfg: connect.Config{"fields": "b,f,by,tm,l,n", "headers": "b,f,by,tm,l,n", "operation": "copy"},
			in: rec("t", m{"b": true, "f": 2.5, "by": []byte("hi"), "tm": ts, "l": []any{1, "x"}, "n": nil}),
			want: withHeaders(rec("t", m{"b": true, "f": 2.5, "by": []byte("hi"), "tm": ts, "l": []any{1, "x"}, "n": nil}),
				connect.Headers{"b": "true", "f": "2.5", "by": "aGk=", "tm": "2019-04-25T14:22:16.000Z", "l": `[1,"x"]`})},
		{name: "change event: op to a header", cfg: connect.Config{"fields": "op", "headers": "op", "operation": "copy"},
			in: change(), want: withHeaders(change(), connect.Headers{"op": "u"})},
		{name: "tombstone", cfg: connect.Config{"fields": "a", "headers": "a", "operation": "copy"}, in: rec("t", nil), err: "found: null"},
		{name: "unwritable value", cfg: connect.Config{"fields": "c", "headers": "c", "operation": "copy"}, in: rec("t", m{"c": make(chan int)}), err: "cannot write a chan int"},
	})
	runCases(t, kafka+"HeaderFrom$Key", []tcase{
		{name: "key", cfg: connect.Config{"fields": "id", "headers": "id", "operation": "copy"},
			in: &connect.Record{Key: m{"id": "k"}}, want: &connect.Record{Key: m{"id": "k"}, Headers: connect.Headers{"id": "k"}}},
	})
	runConfigErrors(t, kafka+"HeaderFrom$Value", []cfgCase{
		{name: "lengths differ", cfg: connect.Config{"fields": "a,b", "headers": "a", "operation": "copy"}, field: "headers", err: "same number"},
		{name: "operation", cfg: connect.Config{"fields": "a", "headers": "a", "operation": "cut"}, field: "operation", err: "must be one of move, copy"},
		{name: "reserved header", cfg: connect.Config{"fields": "a", "headers": "connect.op", "operation": "copy"}, field: "headers", err: "reserved"},
	})
}

// Cases of https://docs.confluent.io/platform/current/connect/transforms/insertheader.html
func TestInsertHeader(t *testing.T) {
	runCases(t, kafka+"InsertHeader", []tcase{
		{name: "docs: MessageSource header", cfg: connect.Config{"header": "MessageSource", "value.literal": "Kafka Connect framework"},
			in: rec("t", m{"a": 1}), want: withHeaders(rec("t", m{"a": 1}), connect.Headers{"MessageSource": "Kafka Connect framework"})},
		{name: "replaces a header of that name", cfg: connect.Config{"header": "h", "value.literal": "new"},
			in: withHeaders(rec("t", nil), connect.Headers{"h": "old", "k": "v"}), want: withHeaders(rec("t", nil), connect.Headers{"h": "new", "k": "v"})},
	})
	runConfigErrors(t, kafka+"InsertHeader", []cfgCase{
		{name: "header required", cfg: connect.Config{"value.literal": "v"}, field: "header", err: "required"},
		{name: "value required", cfg: connect.Config{"header": "h"}, field: "value.literal", err: "required"},
		{name: "reserved", cfg: connect.Config{"header": "connect.timestamp", "value.literal": "1"}, field: "header", err: "reserved"},
	})
}

// Cases of https://docs.confluent.io/platform/current/connect/transforms/dropheaders.html
func TestDropHeaders(t *testing.T) {
	runCases(t, kafka+"DropHeaders", []tcase{
		{name: "docs: drop two headers", cfg: connect.Config{"headers": "app.id,user.id"},
			in:   withHeaders(rec("t", 1), connect.Headers{"app.id": "a", "user.id": "u", "trace": "t"}),
			want: withHeaders(rec("t", 1), connect.Headers{"trace": "t"})},
		{name: "none present", cfg: connect.Config{"headers": "x"}, in: withHeaders(rec("t", 1), connect.Headers{"a": "b"}),
			want: withHeaders(rec("t", 1), connect.Headers{"a": "b"})},
		{name: "the last one", cfg: connect.Config{"headers": "a"}, in: withHeaders(rec("t", 1), connect.Headers{"a": "b"}), want: rec("t", 1)},
	})
	runConfigErrors(t, kafka+"DropHeaders", []cfgCase{{name: "headers required", cfg: connect.Config{}, field: "headers", err: "required"}})
}

// Cases of https://kafka.apache.org/documentation/#connect_predicates.
func TestPredicates(t *testing.T) {
	test := func(t *testing.T, typ string, cfg connect.Config, r *connect.Record) bool {
		t.Helper()
		p := transforms.Predicates()[typ]()
		if p.Spec().Name != typ {
			t.Fatalf("Spec().Name = %q", p.Spec().Name)
		}
		if err := p.Configure(cfg); err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		ok, err := p.Test(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	cases := []struct {
		name string
		typ  string
		cfg  connect.Config
		in   *connect.Record
		want bool
	}{
		{"docs: IsFoo matches foo", "TopicNameMatches", connect.Config{"pattern": "foo"}, rec("foo", 1), true},
		{"docs: IsFoo does not match bar", "TopicNameMatches", connect.Config{"pattern": "foo"}, rec("bar", 1), false},
		{"the whole name must match", "TopicNameMatches", connect.Config{"pattern": "foo"}, rec("food", 1), false},
		{"regex", "TopicNameMatches", connect.Config{"pattern": "db\\.(users|orders)"}, rec("db.orders", 1), true},
		{"header present", "HasHeaderKey", connect.Config{"name": "h"}, withHeaders(rec("t", 1), connect.Headers{"h": ""}), true},
		{"header absent", "HasHeaderKey", connect.Config{"name": "h"}, rec("t", 1), false},
		{"tombstone", "RecordIsTombstone", connect.Config{}, rec("t", nil), true},
		{"value", "RecordIsTombstone", connect.Config{}, rec("t", 0), false},
		{"a delete event is no tombstone", "RecordIsTombstone", connect.Config{},
			&connect.Record{Change: &connect.Change{Op: connect.OpDelete, Before: m{"id": 1}}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := test(t, predicate+c.typ, c.cfg, c.in); got != c.want {
				t.Errorf("Test = %v, want %v", got, c.want)
			}
		})
	}
	for _, c := range []struct{ typ, field, err string }{
		{"TopicNameMatches", "pattern", "required"},
		{"HasHeaderKey", "name", "required"},
	} {
		p := transforms.Predicates()[predicate+c.typ]()
		checkConfigError(t, p.Configure(connect.Config{}), c.field, c.err)
	}
	p := transforms.Predicates()[predicate+"TopicNameMatches"]()
	err := p.Configure(connect.Config{"pattern": "(?<=a)b"})
	checkConfigError(t, err, "pattern", "RE2")
	if !strings.Contains(err.Error(), "pattern") {
		t.Error(err)
	}
}
