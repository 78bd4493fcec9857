package runtime

import (
	"context"
	"errors"
	"strings"
	"testing"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/transforms"
)

// applyChain runs r through every stage, as a task does but without
// errors.tolerance: the first error is returned.
func applyChain(t *testing.T, ch *chain, r *connect.Record) (*connect.Record, error) {
	t.Helper()
	for i := range ch.stages {
		out, err := ch.stages[i].run(context.Background(), r)
		if err != nil || out == nil {
			return nil, err
		}
		r = out
	}
	return r, nil
}

func mustChain(t *testing.T, rt *Runtime, cfg connect.Config) *chain {
	t.Helper()
	ch, errs := rt.buildChain(cfg)
	if errs != nil {
		t.Fatalf("build chain: %v", errs)
	}
	t.Cleanup(func() {
		if ch != nil {
			ch.close(nil)
		}
	})
	return ch
}

// The two examples of https://kafka.apache.org/documentation/#connect_predicates:
// Filter with TopicNameMatches, then ExtractField$Key with a negated
// predicate.
func TestChainKafkaPredicateExamples(t *testing.T) {
	rt := New()
	base := connect.Config{
		"transforms":                   "Filter",
		"transforms.Filter.type":       "org.apache.kafka.connect.transforms.Filter",
		"transforms.Filter.predicate":  "IsFoo",
		"predicates":                   "IsFoo",
		"predicates.IsFoo.type":        "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
		"predicates.IsFoo.pattern":     "foo",
		"transforms.Extract.type":      "org.apache.kafka.connect.transforms.ExtractField$Key",
		"transforms.Extract.field":     "other_field",
		"transforms.Extract.predicate": "IsBar",
		"transforms.Extract.negate":    "true",
		"predicates.IsBar.type":        "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
		"predicates.IsBar.pattern":     "bar",
	}
	first := connect.Config{}
	for k, v := range base {
		if !strings.Contains(k, "Extract") && !strings.Contains(k, "IsBar") {
			first[k] = v
		}
	}
	second := connect.Config{}
	for k, v := range base {
		second[k] = v
	}
	second["transforms"], second["predicates"] = "Filter,Extract", "IsFoo,IsBar"
	key := func() map[string]any { return map[string]any{"other_field": "k", "x": 1} }
	cases := []struct {
		name  string
		cfg   connect.Config
		topic string
		want  any // the key; "dropped" when filtered
	}{
		{"filter drops foo", first, "foo", "dropped"},
		{"filter keeps bar", first, "bar", key()},
		{"filter keeps others", first, "baz", key()},
		{"then: foo still dropped", second, "foo", "dropped"},
		{"then: bar keeps its key (negated predicate)", second, "bar", key()},
		{"then: others get the extracted key", second, "baz", "k"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := mustChain(t, rt, c.cfg)
			got, err := applyChain(t, ch, &connect.Record{Topic: c.topic, Key: key(), Value: "v"})
			if err != nil {
				t.Fatal(err)
			}
			if c.want == "dropped" {
				if got != nil {
					t.Fatalf("kept %+v, want it dropped", got)
				}
				return
			}
			if got == nil {
				t.Fatal("dropped")
			}
			if g, w := got.Key, c.want; !equalAny(g, w) {
				t.Fatalf("key %v, want %v", g, w)
			}
		})
	}
}

func equalAny(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		if len(am) != len(bm) {
			return false
		}
		for k, v := range am {
			if bm[k] != v {
				return false
			}
		}
		return true
	}
	return a == b
}

// Short aliases, user transforms and predicates, negation of
// HasHeaderKey, RecordIsTombstone, in order.
func TestChainAliasesAndUserTypes(t *testing.T) {
	var closed []string
	rt := New(
		WithTransform("com.example.Upper", func() connect.Transform {
			return &closer{Transform: connect.NewTransform("com.example.Upper", func(_ context.Context, r *connect.Record) (*connect.Record, error) {
				r.Value = strings.ToUpper(r.Value.(string))
				return r, nil
			}), closed: &closed, name: "upper"}
		}),
		WithPredicate("com.example.IsShort", func() connect.Predicate { return &isShort{closed: &closed} }),
	)
	ch := mustChain(t, rt, connect.Config{
		"transforms":                   "route,up,tag",
		"transforms.route.type":        "RegexRouter", // alias of Kafka's class name
		"transforms.route.regex":       "(.*)",
		"transforms.route.replacement": "prod-$1",
		"transforms.up.type":           "Upper", // alias of a user type
		"transforms.up.predicate":      "short",
		"transforms.tag.type":          "InsertHeader",
		"transforms.tag.header":        "tagged",
		"transforms.tag.value.literal": "yes",
		"transforms.tag.predicate":     "hasSkip",
		"transforms.tag.negate":        "true",
		"predicates":                   "short,hasSkip",
		"predicates.short.type":        "com.example.IsShort",
		"predicates.hasSkip.type":      "HasHeaderKey",
		"predicates.hasSkip.name":      "skip",
	})
	for _, c := range []struct {
		in      *connect.Record
		value   string
		tagged  bool
		topicIs string
	}{
		{&connect.Record{Topic: "a", Value: "abc"}, "ABC", true, "prod-a"},
		{&connect.Record{Topic: "a", Value: "abcdefgh"}, "abcdefgh", true, "prod-a"},
		{&connect.Record{Topic: "b", Value: "xy", Headers: connect.Headers{"skip": ""}}, "XY", false, "prod-b"},
	} {
		got, err := applyChain(t, ch, c.in)
		if err != nil {
			t.Fatal(err)
		}
		if got.Value != c.value || (got.Headers["tagged"] == "yes") != c.tagged || got.Topic != c.topicIs {
			t.Errorf("got %+v, want value %s tagged %v topic %s", got, c.value, c.tagged, c.topicIs)
		}
	}
	ch.close(nil)
	ch.stages, ch.preds = nil, nil
	if strings.Join(closed, ",") != "upper,isShort" {
		t.Errorf("closed %v", closed)
	}
}

type closer struct {
	connect.Transform
	closed *[]string
	name   string
}

func (c *closer) Close() error { *c.closed = append(*c.closed, c.name); return nil }

type isShort struct{ closed *[]string }

func (*isShort) Spec() connect.Spec             { return connect.Spec{Name: "com.example.IsShort"} }
func (*isShort) Configure(connect.Config) error { return nil }
func (*isShort) Test(_ context.Context, r *connect.Record) (bool, error) {
	s, _ := r.Value.(string)
	return len(s) < 5, nil
}
func (p *isShort) Close() error { *p.closed = append(*p.closed, "isShort"); return nil }

// Every bad transform or predicate setting is a field error with its full
// key.
func TestValidateTransformSettings(t *testing.T) {
	rt := New(
		WithTransform("com.a.Same", func() connect.Transform { return connect.NewTransform("com.a.Same", nil2) }),
		WithTransform("com.b.Same", func() connect.Transform { return connect.NewTransform("com.b.Same", nil2) }),
		WithTransform("Panics", func() connect.Transform { panic("boom") }),
		WithTransform("FailsConfigure", func() connect.Transform { return failingConfigure{} }),
	)
	cases := []struct {
		name   string
		cfg    connect.Config
		field  string
		reason string
	}{
		{"bad regex", connect.Config{"transforms": "a", "transforms.a.type": "RegexRouter", "transforms.a.regex": "(", "transforms.a.replacement": "x"},
			"transforms.a.regex", "invalid regex"},
		{"missing required setting", connect.Config{"transforms": "a", "transforms.a.type": "RegexRouter", "transforms.a.regex": "x"},
			"transforms.a.replacement", "is required"},
		{"unknown setting", connect.Config{"transforms": "a", "transforms.a.type": "RegexRouter", "transforms.a.regex": "x", "transforms.a.replacement": "y", "transforms.a.regx": "z"},
			"transforms.a.regx", "unknown setting of org.apache.kafka.connect.transforms.RegexRouter; its settings: regex, replacement"},
		{"empty typed setting", connect.Config{"transforms": "a", "transforms.a.type": "Cast$Value", "transforms.a.spec": ""},
			"transforms.a.spec", "must not be empty"},
		{"missing type", connect.Config{"transforms": "a"}, "transforms.a.type", "is required"},
		{"unknown type", connect.Config{"transforms": "a", "transforms.a.type": "com.example.Nope"}, "transforms.a.type", "unknown transform type"},
		{"ambiguous alias", connect.Config{"transforms": "a", "transforms.a.type": "Same"}, "transforms.a.type", "ambiguous"},
		{"factory panics", connect.Config{"transforms": "a", "transforms.a.type": "Panics"}, "transforms.a.type", "panicked: boom"},
		{"configure fails", connect.Config{"transforms": "a", "transforms.a.type": "FailsConfigure"}, "transforms.a.type", "FailsConfigure: no"},
		{"duplicate alias", connect.Config{"transforms": "a,a", "transforms.a.type": "Filter"}, "transforms", `lists "a" twice`},
		{"setting of an unlisted alias", connect.Config{"transforms": "a", "transforms.a.type": "Filter", "transforms.b.type": "Filter"},
			"transforms.b.type", "belongs to no alias listed in transforms"},
		{"unlisted predicate", connect.Config{"transforms": "a", "transforms.a.type": "Filter", "transforms.a.predicate": "p"},
			"transforms.a.predicate", `names predicate "p", which is not listed in predicates`},
		{"empty predicate", connect.Config{"transforms": "a", "transforms.a.type": "Filter", "transforms.a.predicate": " "},
			"transforms.a.predicate", "must not be empty"},
		{"negate without predicate", connect.Config{"transforms": "a", "transforms.a.type": "Filter", "transforms.a.negate": "true"},
			"transforms.a.negate", "needs transforms.a.predicate"},
		{"negate not a bool", connect.Config{"transforms": "a", "transforms.a.type": "Filter", "transforms.a.negate": "yes",
			"transforms.a.predicate": "p", "predicates": "p", "predicates.p.type": "RecordIsTombstone"}, "transforms.a.negate", "must be true or false"},
		{"predicate setting", connect.Config{"transforms": "a", "transforms.a.type": "Filter", "transforms.a.predicate": "p",
			"predicates": "p", "predicates.p.type": "TopicNameMatches", "predicates.p.pattern": "a(?=b)"}, "predicates.p.pattern", "RE2"},
		{"predicate type missing", connect.Config{"transforms": "a", "transforms.a.type": "Filter", "predicates": "p"}, "predicates.p.type", "is required"},
		{"predicate type unknown", connect.Config{"transforms": "a", "transforms.a.type": "Filter", "predicates": "p", "predicates.p.type": "Nope"},
			"predicates.p.type", "unknown predicate type"},
		{"predicate has no negate", connect.Config{"transforms": "a", "transforms.a.type": "Filter", "predicates": "p",
			"predicates.p.type": "RecordIsTombstone", "predicates.p.negate": "true"}, "predicates.p.negate", "takes no settings"},
		{"settings of an unlisted predicate", connect.Config{"transforms": "a", "transforms.a.type": "Filter", "predicates.q.type": "RecordIsTombstone"},
			"predicates.q.type", "belongs to no alias listed in predicates"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.cfg["connector.class"] = "nope"
			err := rt.Validate(context.Background(), c.cfg)
			var ce *connect.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v", err)
			}
			for _, fe := range ce.Fields {
				if fe.Field == c.field && strings.Contains(fe.Reason, c.reason) {
					return
				}
			}
			t.Fatalf("%v names no %s with %q", err, c.field, c.reason)
		})
	}
	// A good chain validates; only the unknown plugin is left.
	err := rt.Validate(context.Background(), connect.Config{"connector.class": "nope", "transforms": "a", "transforms.a.type": "Filter"})
	var ce *connect.ConfigError
	if !errors.As(err, &ce) || len(ce.Fields) != 1 || ce.Fields[0].Field != "connector.class" {
		t.Fatalf("error %v", err)
	}
}

func nil2(_ context.Context, r *connect.Record) (*connect.Record, error) { return r, nil }

type failingConfigure struct{}

func (failingConfigure) Spec() connect.Spec             { return connect.Spec{Name: "FailsConfigure"} }
func (failingConfigure) Configure(connect.Config) error { return errors.New("no") }
func (failingConfigure) Apply(context.Context, *connect.Record) (*connect.Record, error) {
	return nil, nil
}
func (failingConfigure) Close() error { return nil }

// A panicking transform is an error, not a crash.
func TestChainPanic(t *testing.T) {
	rt := New(WithTransform("Boom", func() connect.Transform {
		return connect.NewTransform("Boom", func(context.Context, *connect.Record) (*connect.Record, error) { panic("bad record") })
	}))
	ch := mustChain(t, rt, connect.Config{"transforms": "b", "transforms.b.type": "Boom"})
	if _, err := applyChain(t, ch, &connect.Record{Topic: "t"}); err == nil || !strings.Contains(err.Error(), "panicked: bad record") {
		t.Fatalf("error %v", err)
	}
}

func TestNoTransformsNoChain(t *testing.T) {
	rt := New()
	if ch, errs := rt.buildChain(connect.Config{"connector.class": "x"}); ch != nil || errs != nil {
		t.Fatalf("chain %v, errors %v", ch, errs)
	}
}

// After a transform that is not a built-in, the built-ins copy again: it
// may have kept the map it saw.
func TestChainForgetsOwnershipAfterUserTransform(t *testing.T) {
	var kept map[string]any
	rt := New(WithTransform("Keep", func() connect.Transform {
		return connect.NewTransform("Keep", func(_ context.Context, r *connect.Record) (*connect.Record, error) {
			kept = r.Value.(map[string]any)
			return r, nil
		})
	}))
	ch := mustChain(t, rt, connect.Config{
		"transforms":                     "first,keep,second",
		"transforms.first.type":          "InsertField$Value",
		"transforms.first.topic.field":   "topic",
		"transforms.keep.type":           "Keep",
		"transforms.second.type":         "InsertField$Value",
		"transforms.second.static.field": "s",
		"transforms.second.static.value": "v",
	})
	var own transforms.Ownership
	ctx := own.Context(context.Background())
	r := &connect.Record{Topic: "t", Value: map[string]any{"a": 1}}
	own.Reset(r, true)
	out, err := (&taskRunner{}).transform(ctx, ch, &own, r, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, changed := kept["s"]; changed || out.Value.(map[string]any)["s"] != "v" || kept["topic"] != "t" {
		t.Fatalf("kept %v, out %v", kept, out.Value)
	}
}
