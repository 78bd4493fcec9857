package transforms_test

import (
	"context"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// change is an update event on db.users at ts.
func change() *connect.Record {
	return &connect.Record{Topic: "db.users", Key: m{"id": int64(1)}, Timestamp: ts, Change: &connect.Change{
		Op: connect.OpUpdate, Before: m{"id": int64(1), "name": "a"}, After: m{"id": int64(1), "name": "b"},
		Source: m{"db": "db", "table": "users"},
	}}
}

// withTxAt gives a change event a transaction block and a processing
// time (in nanoseconds, ts_ns's precision).
func withTxAt(r *connect.Record) {
	c := *r.Change
	c.Transaction = &connect.Transaction{ID: "0-1-7", TotalOrder: 2, DataCollectionOrder: 1}
	c.At = ts.Add(1500 * time.Millisecond).Add(7)
	r.Change = &c
}

// envelope is change() as Kafka Connect's value: Debezium's envelope.
func envelope() map[string]any {
	c := change().Change
	return m{"before": c.Before, "after": c.After, "source": c.Source, "op": "u", "ts_ms": ts.UnixMilli()}
}

// Cases of https://docs.confluent.io/platform/current/connect/transforms/insertfield.html
// and of Kafka's own example (https://kafka.apache.org/documentation/#connect_transforms).
func TestInsertField(t *testing.T) {
	book := m{"author": "Philip K. Dick", "character": "Palmer Eldritch"}
	sink := connect.ContextWithOrigin(context.Background(), connect.Origin{Queue: 3, Offset: 42})
	runCases(t, kafka+"InsertField$Value", []tcase{
		{name: "docs: static field", cfg: connect.Config{"static.field": "MessageSource", "static.value": "Kafka Connect framework"},
			in:   rec("t", book),
			want: rec("t", m{"author": "Philip K. Dick", "character": "Palmer Eldritch", "MessageSource": "Kafka Connect framework"})},
		{name: "kafka docs: data_source", cfg: connect.Config{"static.field": "data_source", "static.value": "test-file-source"},
			in: rec("connect-test", m{"line": "foo"}), want: rec("connect-test", m{"line": "foo", "data_source": "test-file-source"})},
		{name: "topic, timestamp, partition and offset of a sink record", ctx: sink,
			cfg: connect.Config{"topic.field": "topic!", "timestamp.field": "ts?", "partition.field": "p", "offset.field": "o"},
			in:  with(rec("t", m{"a": 1}), func(r *connect.Record) { r.Timestamp = ts }),
			want: with(rec("t", m{"a": 1, "topic": "t", "ts": ts.UnixMilli(), "p": 3, "o": int64(42)}),
				func(r *connect.Record) { r.Timestamp = ts })},
		{name: "a source record has no partition, no timestamp: not inserted", cfg: connect.Config{"partition.field": "p", "timestamp.field": "ts"},
			in: rec("t", m{"a": 1}), want: rec("t", m{"a": 1})},
		{name: "tombstone passes", cfg: connect.Config{"topic.field": "topic"}, in: rec("t", nil), want: rec("t", nil)},
		{name: "change event: the envelope gets the field and the record becomes plain", cfg: connect.Config{"topic.field": "topic"},
			in: change(), want: with(change(), func(r *connect.Record) {
				r.Change, r.Value = nil, envelope()
				r.Value.(map[string]any)["topic"] = "db.users"
			})},
		{name: "offset of a source record", cfg: connect.Config{"offset.field": "o"}, in: rec("t", m{}), err: "only sink records have an offset"},
		{name: "not a map", cfg: connect.Config{"topic.field": "topic"}, in: rec("t", "text"), err: "only map or struct values are supported for [field insertion], found: string"},
	})
	runCases(t, kafka+"InsertField$Key", []tcase{
		{name: "into the key", cfg: connect.Config{"topic.field": "topic"},
			in:   &connect.Record{Topic: "t", Key: m{"id": 1}, Value: "v"},
			want: &connect.Record{Topic: "t", Key: m{"id": 1, "topic": "t"}, Value: "v"}},
		{name: "key is not a map", cfg: connect.Config{"topic.field": "topic"}, in: &connect.Record{Topic: "t", Key: "k"}, err: "found: string"},
	})
	runConfigErrors(t, kafka+"InsertField$Value", []cfgCase{
		{name: "static.field without static.value", cfg: connect.Config{"static.field": "f"}, field: "static.value", err: "required with static.field"},
		{name: "static.value without static.field", cfg: connect.Config{"static.value": "v"}, field: "static.field", err: "required with static.value"},
		{name: "empty field name", cfg: connect.Config{"topic.field": "!"}, field: "topic.field", err: "must name a field"},
	})
}

// Cases of https://docs.confluent.io/platform/current/connect/transforms/replacefield.html
func TestReplaceField(t *testing.T) {
	runCases(t, kafka+"ReplaceField$Value", []tcase{
		{name: "docs: drop a field", cfg: connect.Config{"exclude": "c2"},
			in: rec("t", m{"c1": 22, "c2": "foo"}), want: rec("t", m{"c1": 22})},
		{name: "docs: rename fields", cfg: connect.Config{"renames": "foo:c1,bar:c2"},
			in: rec("t", m{"foo": 22, "bar": "baz"}), want: rec("t", m{"c1": 22, "c2": "baz"})},
		{name: "include keeps only those; exclude wins", cfg: connect.Config{"include": "a,b", "exclude": "b"},
			in: rec("t", m{"a": 1, "b": 2, "c": 3}), want: rec("t", m{"a": 1})},
		{name: "Kafka 3's blacklist is exclude", cfg: connect.Config{"blacklist": "c2"},
			in: rec("t", m{"c1": 22, "c2": "foo"}), want: rec("t", m{"c1": 22})},
		{name: "tombstone passes", cfg: connect.Config{"exclude": "a"}, in: rec("t", nil), want: rec("t", nil)},
		{name: "a transaction block and processing time stay on the event", cfg: connect.Config{"exclude": "source"},
			in: with(change(), withTxAt), want: with(change(), func(r *connect.Record) {
				withTxAt(r)
				r.Change.Source = nil
			})},
		{name: "change event without source stays a change event", cfg: connect.Config{"exclude": "source"},
			in: change(), want: with(change(), func(r *connect.Record) {
				c := *r.Change
				c.Source = nil
				r.Change = &c
			})},
		{name: "change event with renamed members becomes plain", cfg: connect.Config{"renames": "after:row", "include": "after"},
			in: change(), want: with(change(), func(r *connect.Record) { r.Change, r.Value = nil, m{"row": envelope()["after"]} })},
		{name: "not a map", cfg: connect.Config{"exclude": "a"}, in: rec("t", []byte("x")), err: "found: []uint8"},
	})
	runConfigErrors(t, kafka+"ReplaceField$Key", []cfgCase{
		{name: "bad rename", cfg: connect.Config{"renames": "a:b:c"}, field: "renames", err: "invalid rename mapping: a:b:c"},
		{name: "rename without colon", cfg: connect.Config{"renames": "a"}, field: "renames", err: "invalid rename mapping"},
	})
}

// Cases of https://docs.confluent.io/platform/current/connect/transforms/valuetokey.html
func TestValueToKey(t *testing.T) {
	runCases(t, kafka+"ValueToKey", []tcase{
		{name: "docs: key from userId, city, state", cfg: connect.Config{"fields": "userId,city,state"},
			in: rec("t", m{"userId": 123, "city": "Austin", "state": "TX", "zip": "78701"}),
			want: &connect.Record{Topic: "t", Key: m{"userId": 123, "city": "Austin", "state": "TX"},
				Value: m{"userId": 123, "city": "Austin", "state": "TX", "zip": "78701"}}},
		{name: "missing field is null", cfg: connect.Config{"fields": "id"}, in: rec("t", m{}),
			want: &connect.Record{Topic: "t", Key: m{"id": nil}, Value: m{}}},
		{name: "change event: fields of the envelope", cfg: connect.Config{"fields": "op"}, in: change(),
			want: with(change(), func(r *connect.Record) { r.Key = m{"op": "u"} })},
		{name: "tombstone", cfg: connect.Config{"fields": "id"}, in: rec("t", nil), err: "found: null"},
	})
	runConfigErrors(t, kafka+"ValueToKey", []cfgCase{
		{name: "fields required", cfg: connect.Config{}, field: "fields", err: "required"},
		{name: "fields empty", cfg: connect.Config{"fields": " , "}, field: "fields", err: "at least one"},
	})
}

// Cases of https://docs.confluent.io/platform/current/connect/transforms/extractfield.html
// and of Kafka's predicate example (https://kafka.apache.org/documentation/#connect_predicates).
func TestExtractField(t *testing.T) {
	runCases(t, kafka+"ExtractField$Value", []tcase{
		{name: "docs: extract id", cfg: connect.Config{"field": "id"},
			in: rec("t", m{"id": 42, "cost": 4000}), want: rec("t", 42)},
		{name: "missing field is null", cfg: connect.Config{"field": "id"}, in: rec("t", m{"cost": 1}), want: rec("t", nil)},
		{name: "null passes", cfg: connect.Config{"field": "id"}, in: rec("t", nil), want: rec("t", nil)},
		{name: "V2 nested path", cfg: connect.Config{"field": "a.`b.c`.d", "field.syntax.version": "V2"},
			in: rec("t", m{"a": m{"b.c": m{"d": true}}}), want: rec("t", true)},
		{name: "V2 path through a non-map is null", cfg: connect.Config{"field": "a.b", "field.syntax.version": "v2"},
			in: rec("t", m{"a": 1}), want: rec("t", nil)},
		{name: "V1 takes dots literally", cfg: connect.Config{"field": "a.b"},
			in: rec("t", m{"a.b": 1, "a": m{"b": 2}}), want: rec("t", 1)},
		{name: "change event: after makes a plain row", cfg: connect.Config{"field": "after"},
			in: change(), want: with(change(), func(r *connect.Record) { r.Change, r.Value = nil, m{"id": int64(1), "name": "b"} })},
		{name: "not a map", cfg: connect.Config{"field": "id"}, in: rec("t", int64(1)), err: "found: int64"},
	})
	runCases(t, kafka+"ExtractField$Key", []tcase{
		{name: "kafka docs: other_field of the key", cfg: connect.Config{"field": "other_field"},
			in: &connect.Record{Topic: "t", Key: m{"other_field": "k", "x": 1}}, want: &connect.Record{Topic: "t", Key: "k"}},
	})
	runConfigErrors(t, kafka+"ExtractField$Value", []cfgCase{
		{name: "field required", cfg: connect.Config{}, field: "field", err: "required"},
		{name: "bad syntax version", cfg: connect.Config{"field": "a", "field.syntax.version": "V3"}, field: "field.syntax.version", err: "V1 or V2"},
		{name: "incomplete backtick", cfg: connect.Config{"field": "`a.b", "field.syntax.version": "V2"}, field: "field", err: "incomplete backtick"},
	})
}

// Cases of https://docs.confluent.io/platform/current/connect/transforms/hoistfield.html
// and Kafka's example (https://kafka.apache.org/documentation/#connect_transforms).
func TestHoistField(t *testing.T) {
	runCases(t, kafka+"HoistField$Value", []tcase{
		{name: "docs: hoist 42 into line", cfg: connect.Config{"field": "line"}, in: rec("t", 42), want: rec("t", m{"line": 42})},
		{name: "kafka docs: a file line", cfg: connect.Config{"field": "line"}, in: rec("t", "hello world"), want: rec("t", m{"line": "hello world"})},
		{name: "null becomes a null field", cfg: connect.Config{"field": "line"}, in: rec("t", nil), want: rec("t", m{"line": nil})},
		{name: "change event: the envelope is hoisted", cfg: connect.Config{"field": "e"}, in: change(),
			want: with(change(), func(r *connect.Record) { r.Change, r.Value = nil, m{"e": envelope()} })},
	})
	runCases(t, kafka+"HoistField$Key", []tcase{
		{name: "key", cfg: connect.Config{"field": "id"}, in: &connect.Record{Topic: "t", Key: "k"}, want: &connect.Record{Topic: "t", Key: m{"id": "k"}}},
	})
	runConfigErrors(t, kafka+"HoistField$Key", []cfgCase{{name: "field required", cfg: connect.Config{}, field: "field", err: "required"}})
}

// Filter drops what it is applied to; see the chain tests in runtime for
// Kafka's examples with predicates.
func TestFilter(t *testing.T) {
	runCases(t, kafka+"Filter", []tcase{
		{name: "drops", cfg: connect.Config{}, in: rec("foo", m{"a": 1}), want: nil},
		{name: "drops change events", cfg: connect.Config{}, in: change(), want: nil},
	})
}
