package transforms_test

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/transforms"
)

// The typed rows of these tests: a customers table as a MySQL source
// would type it, with a nested address and an untyped-free source block.
var (
	address = connect.NewStructSchema("db.inventory.address", true,
		connect.StructField{Name: "city", Schema: &connect.Schema{Type: connect.TypeString}},
		connect.StructField{Name: "zip", Schema: &connect.Schema{Type: connect.TypeString, Optional: true}},
	)
	customers = connect.NewStructSchema("db.inventory.customers.Value", true,
		connect.StructField{Name: "id", Schema: &connect.Schema{Type: connect.TypeInt64}},
		connect.StructField{Name: "name", Schema: &connect.Schema{Type: connect.TypeString, Optional: true}},
		connect.StructField{Name: "price", Schema: &connect.Schema{Type: connect.TypeDecimal, Precision: 10, Scale: 2, Optional: true}},
		connect.StructField{Name: "born", Schema: &connect.Schema{Type: connect.TypeDate, Optional: true}},
		connect.StructField{Name: "seen", Schema: &connect.Schema{Type: connect.TypeTimestamp, Fraction: 6, Zoned: true}},
		connect.StructField{Name: "active", Schema: &connect.Schema{Type: connect.TypeBool}},
		connect.StructField{Name: "score", Schema: &connect.Schema{Type: connect.TypeFloat64, Optional: true}},
		connect.StructField{Name: "visits", Schema: &connect.Schema{Type: connect.TypeInt32}},
		connect.StructField{Name: "epoch", Schema: &connect.Schema{Type: connect.TypeInt64, Optional: true}},
		connect.StructField{Name: "since", Schema: &connect.Schema{Type: connect.TypeString, Optional: true}},
		connect.StructField{Name: "wake", Schema: &connect.Schema{Type: connect.TypeTime, Fraction: 0, Optional: true}},
		connect.StructField{Name: "tags", Schema: &connect.Schema{Type: connect.TypeArray, Elem: &connect.Schema{Type: connect.TypeString}, Optional: true}},
		connect.StructField{Name: "addr", Schema: address},
	)
	sourceBlock = connect.NewStructSchema("io.debezium.connector.mysql.Source", false,
		connect.StructField{Name: "db", Schema: &connect.Schema{Type: connect.TypeString}},
		connect.StructField{Name: "table", Schema: &connect.Schema{Type: connect.TypeString, Optional: true}},
		connect.StructField{Name: "lsn", Schema: &connect.Schema{Type: connect.TypeInt64}},
	)
	seen = time.Date(2024, time.March, 9, 7, 8, 9, 123456000, time.UTC)
	born = time.Date(1990, time.May, 17, 0, 0, 0, 0, time.UTC)
)

// customer is a typed row of customers.
func customer(id int64, name string) *connect.Struct {
	return connect.NewStruct(customers, id, name, "12.50", born, seen, true, 4.25, int64(7), int64(1556202136000),
		"2019-04-25 14:22", "06:30:00", []any{"a", "b"}, connect.NewStruct(address, "Paris", nil))
}

// typedChange is change() with typed rows and source block.
func typedChange() *connect.Record {
	return &connect.Record{Topic: "db.users", Key: m{"id": int64(1)}, Timestamp: ts, Change: &connect.Change{
		Op: connect.OpUpdate, Before: customer(1, "a"), After: customer(1, "b"),
		Source: connect.NewStruct(sourceBlock, "inventory", "customers", int64(24023128)),
	}}
}

// plain turns the rows in v into maps, deeply: what the same record is
// without types.
func plain(v any) any {
	switch x := v.(type) {
	case *connect.Struct:
		if x == nil {
			return nil
		}
		out := make(map[string]any, len(x.Values))
		for i, f := range x.Schema.Fields {
			out[f.Name] = plain(x.Values[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plain(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	}
	return v
}

func plainRecord(r *connect.Record) *connect.Record {
	if r == nil {
		return nil
	}
	c := *r
	c.Key, c.Value = plain(r.Key), plain(r.Value)
	if r.Change != nil {
		c.Change = &connect.Change{Op: r.Change.Op, Before: plain(r.Change.Before), After: plain(r.Change.After), Source: plain(r.Change.Source)}
	}
	return &c
}

// dump renders v deeply, rows with their schema and values, to see that
// an input was left as it was.
func dump(v any) string {
	switch x := v.(type) {
	case *connect.Struct:
		if x == nil {
			return "<nil row>"
		}
		parts := make([]string, len(x.Values))
		for i, e := range x.Values {
			parts[i] = dump(e)
		}
		return fmt.Sprintf("%p %s{%s}", x.Schema, x.Schema, strings.Join(parts, ", "))
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ":" + dump(x[k])
		}
		return "map{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = dump(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *connect.Change:
		if x == nil {
			return "<nil change>"
		}
		return fmt.Sprintf("change{%s %s %s %s}", x.Op, dump(x.Before), dump(x.After), dump(x.Source))
	}
	return fmt.Sprintf("%#v", v)
}

func dumpRecord(r *connect.Record) string {
	return fmt.Sprintf("%s %s %s %s %v", dump(r.Key), dump(r.Value), dump(r.Change), r.Topic, r.Headers)
}

// sig renders a struct schema with its top-level fields, nested structs
// by name only: "optional struct name{a int64, b optional string}".
func sig(s *connect.Schema) string {
	var b strings.Builder
	if s.Optional {
		b.WriteString("optional ")
	}
	b.WriteString("struct")
	if s.Name != "" {
		b.WriteString(" " + s.Name)
	}
	b.WriteString("{")
	for i, f := range s.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Name + " ")
		if f.Schema.Type == connect.TypeStruct {
			if f.Schema.Optional {
				b.WriteString("optional ")
			}
			b.WriteString("struct " + f.Schema.Name)
		} else {
			b.WriteString(f.Schema.String())
		}
	}
	b.WriteString("}")
	return b.String()
}

// customersSig is sig(customers) without its closing brace, to extend.
var customersSig = strings.TrimSuffix(sig(customers), "}")

// typedCase runs a typed record and its untyped twin through one
// transform each and wants them equal once the typed result is made plain.
type typedCase struct {
	name string
	typ  string
	cfg  connect.Config
	ctx  context.Context
	in   *connect.Record // typed; the untyped twin is plainRecord(in)
	// schema is the wanted sig of the result's row, at part (the value
	// when nil); "" checks none.
	schema string
	part   func(*connect.Record) any
	// typed, when set, turns the untyped result into what the typed one
	// should be where types say more (a decimal's zero, a time of day).
	typed func(untyped *connect.Record)
	// err is an error of the typed path only (Kafka fails on a Struct
	// where it does not on a Map); untypedErr one of both paths.
	err, untypedErr string
}

func value(r *connect.Record) any { return r.Value }
func key(r *connect.Record) any   { return r.Key }

func runTyped(t *testing.T, cases []typedCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := c.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			untypedIn := plainRecord(c.in)
			before, beforeUntyped := dumpRecord(c.in), dumpRecord(untypedIn)
			typed, untyped := newTransform(t, c.typ, c.cfg), newTransform(t, c.typ, c.cfg)
			got, err := typed.Apply(ctx, c.in.Clone())
			want, uerr := untyped.Apply(ctx, untypedIn.Clone())
			if dumpRecord(c.in) != before || dumpRecord(untypedIn) != beforeUntyped {
				t.Fatalf("the input changed:\n%s\nwas\n%s", dumpRecord(c.in), before)
			}
			switch {
			case c.untypedErr != "":
				for _, e := range []error{err, uerr} {
					if e == nil || !strings.Contains(e.Error(), c.untypedErr) {
						t.Fatalf("errors %v and %v, want both to contain %q", err, uerr, c.untypedErr)
					}
				}
				return
			case c.err != "":
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("typed error %v, want one containing %q", err, c.err)
				}
				if uerr != nil {
					t.Fatalf("untyped: %v", uerr)
				}
				return
			}
			if err != nil || uerr != nil {
				t.Fatalf("typed: %v; untyped: %v", err, uerr)
			}
			if c.typed != nil && want != nil {
				c.typed(want)
			}
			if diff := diffRecords(plainRecord(got), want); diff != "" {
				t.Errorf("typed and untyped results differ:\n%s", diff)
			}
			if c.schema == "" {
				return
			}
			part := c.part
			if part == nil {
				part = value
			}
			row, ok := part(got).(*connect.Struct)
			if !ok {
				t.Fatalf("result %T, want a *connect.Struct", part(got))
			}
			if got := sig(row.Schema); got != c.schema {
				t.Errorf("schema\n%s\nwant\n%s", got, c.schema)
			}
			if err := row.Validate(); err != nil {
				t.Errorf("result does not match its schema: %v", err)
			}
		})
	}
}

func typedRec(topic string, v any) *connect.Record { return &connect.Record{Topic: topic, Value: v} }

// Typed and untyped paths give the same values; typed rows get Kafka's
// schemas: cases of every transform.
func TestTypedInsertField(t *testing.T) {
	sink := connect.ContextWithOrigin(context.Background(), connect.Origin{Queue: 3, Offset: 42})
	stamped := with(typedRec("t", customer(1, "a")), func(r *connect.Record) { r.Timestamp = ts })
	runTyped(t, []typedCase{
		{name: "static field", typ: kafka + "InsertField$Value", cfg: connect.Config{"static.field": "origin", "static.value": "bench"},
			in: typedRec("t", customer(1, "a")), schema: customersSig + ", origin optional string}"},
		{name: "every field, in Kafka's order, with ! and ?", typ: kafka + "InsertField$Value", ctx: sink,
			cfg:    connect.Config{"static.field": "s!", "static.value": "v", "timestamp.field": "ts?", "offset.field": "o!", "partition.field": "p", "topic.field": "topic!"},
			in:     stamped,
			schema: customersSig + ", topic string, p optional int32, o int64, ts optional timestamp(3) zoned, s string}",
			// Kafka inserts a Timestamp into a Struct, a Long into a Map.
			typed: func(r *connect.Record) { r.Value.(map[string]any)["ts"] = ts }},
		{name: "a source record: partition null in the schema, absent from the map", typ: kafka + "InsertField$Value",
			cfg: connect.Config{"partition.field": "p"}, in: typedRec("t", customer(1, "a")),
			schema: customersSig + ", p optional int32}",
			typed:  func(r *connect.Record) { r.Value.(map[string]any)["p"] = nil }},
		{name: "a required field without a value", typ: kafka + "InsertField$Value", cfg: connect.Config{"timestamp.field": "ts!"},
			in: typedRec("t", customer(1, "a")), err: "field ts is required, and the record has no timestamp"},
		{name: "a required partition of a source record", typ: kafka + "InsertField$Value", cfg: connect.Config{"partition.field": "p!"},
			in: typedRec("t", customer(1, "a")), err: "field p is required, and a source record has no partition"},
		{name: "a field the row has: Kafka's duplicate field", typ: kafka + "InsertField$Value", cfg: connect.Config{"topic.field": "name"},
			in: typedRec("t", customer(1, "a")), err: "field name duplication name"},
		{name: "into the key", typ: kafka + "InsertField$Key", cfg: connect.Config{"topic.field": "topic"},
			in: &connect.Record{Topic: "t", Key: connect.NewStruct(address, "Rome", "00100")}, part: key,
			schema: "optional struct db.inventory.address{city string, zip optional string, topic optional string}"},
		{name: "a typed change event: the envelope gets the field, the record is plain", typ: kafka + "InsertField$Value",
			cfg: connect.Config{"topic.field": "topic"}, in: typedChange(),
			schema: "struct db.inventory.customers.Envelope{before optional struct db.inventory.customers.Value, after optional struct db.inventory.customers.Value, " +
				"source struct io.debezium.connector.mysql.Source, op string, ts_ms optional int64, topic optional string}"},
		{name: "offset of a source record", typ: kafka + "InsertField$Value", cfg: connect.Config{"offset.field": "o"},
			in: typedRec("t", customer(1, "a")), untypedErr: "only sink records have an offset"},
	})
}

func TestTypedReplaceField(t *testing.T) {
	runTyped(t, []typedCase{
		{name: "exclude", typ: kafka + "ReplaceField$Value", cfg: connect.Config{"exclude": "price,born,seen,active,score,visits,epoch,since,wake,tags"},
			in: typedRec("t", customer(1, "a")), schema: "optional struct db.inventory.customers.Value{id int64, name optional string, addr optional struct db.inventory.address}"},
		{name: "include in the row's order, renamed in place; exclude wins", typ: kafka + "ReplaceField$Value",
			cfg: connect.Config{"include": "score,id,name,addr", "exclude": "addr", "renames": "id:key,score:rating"},
			in:  typedRec("t", customer(1, "a")), schema: "optional struct db.inventory.customers.Value{key int64, name optional string, rating optional float64}"},
		{name: "renames only", typ: kafka + "ReplaceField$Value", cfg: connect.Config{"renames": "name:full_name,addr:address"},
			in:     typedRec("t", customer(1, "a")),
			schema: strings.Replace(strings.Replace(sig(customers), "name optional", "full_name optional", 1), "addr optional", "address optional", 1)},
		{name: "swapping two names", typ: kafka + "ReplaceField$Value", cfg: connect.Config{"include": "id,name", "renames": "id:name,name:id"},
			in: typedRec("t", customer(1, "a")), schema: "optional struct db.inventory.customers.Value{name int64, id optional string}"},
		{name: "a rename onto a kept name: Kafka's duplicate field", typ: kafka + "ReplaceField$Value", cfg: connect.Config{"renames": "name:id"},
			in: typedRec("t", customer(1, "a")), err: "field name duplication id"},
		{name: "a typed change event without source stays a change event", typ: kafka + "ReplaceField$Value", cfg: connect.Config{"exclude": "source"},
			in: typedChange()},
		{name: "a typed change event's after, renamed: plain", typ: kafka + "ReplaceField$Value", cfg: connect.Config{"include": "after", "renames": "after:row"},
			in: typedChange(), schema: "struct db.inventory.customers.Envelope{row optional struct db.inventory.customers.Value}"},
		{name: "a key", typ: kafka + "ReplaceField$Key", cfg: connect.Config{"exclude": "zip"}, part: key,
			in: &connect.Record{Key: connect.NewStruct(address, "Rome", "00100")}, schema: "optional struct db.inventory.address{city string}"},
	})
}

func TestTypedMaskField(t *testing.T) {
	runTyped(t, []typedCase{
		{name: "null values of each type; the schema is the input's", typ: kafka + "MaskField$Value",
			cfg: connect.Config{"fields": "id,name,price,born,seen,active,score,visits,wake,tags,absent"},
			in:  typedRec("t", customer(1, "a")), schema: sig(customers),
			// Types say what a masked decimal and time of day are; a map's
			// text does not.
			typed: func(r *connect.Record) {
				r.Value.(map[string]any)["price"] = "0.00"
				r.Value.(map[string]any)["wake"] = "00:00:00"
			}},
		{name: "a replacement", typ: kafka + "MaskField$Value", cfg: connect.Config{"fields": "name,visits,price", "replacement": "12"},
			in: typedRec("t", customer(1, "a")), schema: sig(customers),
			typed: func(r *connect.Record) { r.Value.(map[string]any)["price"] = "12.00" }},
		{name: "a null stays null", typ: kafka + "MaskField$Value", cfg: connect.Config{"fields": "zip"},
			in: typedRec("t", connect.NewStruct(address, "Rome", nil)), schema: sig(address)},
		{name: "a replacement for a date", typ: kafka + "MaskField$Value", cfg: connect.Config{"fields": "born", "replacement": "1"},
			in: typedRec("t", customer(1, "a")), untypedErr: "with a custom replacement"},
		{name: "a replacement not a number, for a decimal", typ: kafka + "MaskField$Value", cfg: connect.Config{"fields": "price", "replacement": "x"},
			in: typedRec("t", customer(1, "a")), err: "unable to convert x to a decimal"},
	})
}

func TestTypedValueToKey(t *testing.T) {
	runTyped(t, []typedCase{
		{name: "an unnamed struct of the fields, in the configured order", typ: kafka + "ValueToKey", cfg: connect.Config{"fields": "name,id"},
			in: typedRec("t", customer(1, "a")), part: key, schema: "struct{name optional string, id int64}"},
		{name: "a field the value lacks", typ: kafka + "ValueToKey", cfg: connect.Config{"fields": "id,nope"},
			in: typedRec("t", customer(1, "a")), err: "field does not exist: nope"},
	})
}

func TestTypedExtractField(t *testing.T) {
	runTyped(t, []typedCase{
		{name: "a field", typ: kafka + "ExtractField$Value", cfg: connect.Config{"field": "name"}, in: typedRec("t", customer(1, "a"))},
		{name: "a nested row", typ: kafka + "ExtractField$Value", cfg: connect.Config{"field": "addr"}, in: typedRec("t", customer(1, "a")),
			schema: sig(address)},
		{name: "V2: through a nested row", typ: kafka + "ExtractField$Value", cfg: connect.Config{"field": "addr.city", "field.syntax.version": "V2"},
			in: typedRec("t", customer(1, "a"))},
		{name: "V2: through a null row", typ: kafka + "ExtractField$Value", cfg: connect.Config{"field": "after.name", "field.syntax.version": "V2"},
			in: with(typedChange(), func(r *connect.Record) {
				c := *r.Change
				c.Op, c.After = connect.OpDelete, nil
				r.Change = &c
			})},
		{name: "after of a typed change event: the row", typ: kafka + "ExtractField$Value", cfg: connect.Config{"field": "after"}, in: typedChange(),
			schema: sig(customers)},
		{name: "an unknown field", typ: kafka + "ExtractField$Value", cfg: connect.Config{"field": "nope"},
			in: typedRec("t", customer(1, "a")), err: "unknown field: nope"},
		{name: "V2: through a field that is no struct", typ: kafka + "ExtractField$Value", cfg: connect.Config{"field": "name.x", "field.syntax.version": "V2"},
			in: typedRec("t", customer(1, "a")), err: "unknown field: name.x"},
	})
}

func TestTypedHoistField(t *testing.T) {
	runTyped(t, []typedCase{
		{name: "a row in an unnamed struct", typ: kafka + "HoistField$Value", cfg: connect.Config{"field": "line"},
			in: typedRec("t", customer(1, "a")), schema: "struct{line optional struct db.inventory.customers.Value}"},
		{name: "a key", typ: kafka + "HoistField$Key", cfg: connect.Config{"field": "k"},
			in: &connect.Record{Key: connect.NewStruct(address, "Rome", nil)}, part: key, schema: "struct{k optional struct db.inventory.address}"},
	})
}

func TestTypedCast(t *testing.T) {
	runTyped(t, []typedCase{
		{name: "fields to other types, optional kept", typ: kafka + "Cast$Value",
			cfg: connect.Config{"spec": "id:string,score:int32,active:int8,visits:float32,name:boolean,price:float64,epoch:int16,absent:int8"},
			in:  typedRec("t", customer(1, "true")),
			schema: "optional struct db.inventory.customers.Value{id string, name optional bool, price optional float64, born optional date, " +
				"seen timestamp(6) zoned, active int8, score optional int32, visits float32, epoch optional int16, since optional string, wake optional time(0), " +
				"tags optional array<string>, addr optional struct db.inventory.address}"},
		{name: "a null stays null", typ: kafka + "Cast$Value", cfg: connect.Config{"spec": "zip:int64"},
			in: typedRec("t", connect.NewStruct(address, "Rome", nil)), schema: "optional struct db.inventory.address{city string, zip optional int64}"},
		{name: "a whole row", typ: kafka + "Cast$Value", cfg: connect.Config{"spec": "string"},
			in: typedRec("t", customer(1, "a")), untypedErr: "does not support casting from"},
		{name: "an array field", typ: kafka + "Cast$Value", cfg: connect.Config{"spec": "tags:string"},
			in: typedRec("t", customer(1, "a")), untypedErr: "does not support casting from ARRAY"},
		{name: "a string out of range", typ: kafka + "Cast$Value", cfg: connect.Config{"spec": "name:int8"},
			in: typedRec("t", customer(1, "300")), untypedErr: "out of range"},
	})
	// Where the untyped path fails, the schema says more: the typed
	// result alone.
	tr := newTransform(t, kafka+"Cast$Value", connect.Config{"spec": "price:int32,born:string,seen:int64,wake:int32,since:string"})
	got, err := tr.Apply(context.Background(), typedRec("t", customer(1, "a")))
	if err != nil {
		t.Fatal(err)
	}
	row := got.Value.(*connect.Struct)
	for f, want := range map[string]any{"price": int32(12), "born": "1990-05-17", "seen": seen.UnixMilli(), "wake": int32(23400000), "since": "2019-04-25 14:22"} {
		if v, _ := row.Get(f); v != want {
			t.Errorf("%s = %#v, want %#v", f, v, want)
		}
	}
	if err := row.Validate(); err != nil {
		t.Error(err)
	}
	for _, c := range []struct{ spec, err string }{
		{"addr:string", "does not support casting from STRUCT"},
		{"price:int32", "is not a number"},
	} {
		tr := newTransform(t, kafka+"Cast$Value", connect.Config{"spec": c.spec})
		in := customer(1, "a")
		in.Values[2] = "x" // price
		if _, err := tr.Apply(context.Background(), typedRec("t", in)); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: error %v, want %q", c.spec, err, c.err)
		}
	}
}

func TestTypedTimestampConverter(t *testing.T) {
	const typ = kafka + "TimestampConverter$Value"
	withSchema := func(field, want string) string {
		return strings.Replace(sig(customers), field, want, 1)
	}
	timeOfDay := func(v string) func(*connect.Record) {
		return func(r *connect.Record) { r.Value.(map[string]any)["seen"] = v }
	}
	runTyped(t, []typedCase{
		{name: "a timestamp to text", typ: typ, cfg: connect.Config{"field": "seen", "target.type": "string", "format": "yyyy-MM-dd HH:mm:ss.SSS"},
			in: typedRec("t", customer(1, "a")), schema: withSchema("seen timestamp(6) zoned", "seen string")},
		{name: "a timestamp to unix", typ: typ, cfg: connect.Config{"field": "seen", "target.type": "unix", "unix.precision": "microseconds"},
			in: typedRec("t", customer(1, "a")), schema: withSchema("seen timestamp(6) zoned", "seen int64")},
		{name: "a timestamp to a date", typ: typ, cfg: connect.Config{"field": "seen", "target.type": "Date"},
			in: typedRec("t", customer(1, "a")), schema: withSchema("seen timestamp(6) zoned", "seen date")},
		{name: "a timestamp to a time of day: text in a row", typ: typ, cfg: connect.Config{"field": "seen", "target.type": "Time"},
			in: typedRec("t", customer(1, "a")), schema: withSchema("seen timestamp(6) zoned", "seen time(6)"),
			typed: timeOfDay("07:08:09.123456")},
		{name: "unix milliseconds to a timestamp", typ: typ, cfg: connect.Config{"field": "epoch", "target.type": "Timestamp"},
			in: typedRec("t", customer(1, "a")), schema: withSchema("epoch optional int64", "epoch optional timestamp(3) zoned")},
		{name: "text to a timestamp", typ: typ, cfg: connect.Config{"field": "since", "target.type": "Timestamp", "format": "yyyy-MM-dd HH:mm"},
			in: typedRec("t", customer(1, "a")), schema: withSchema("since optional string", "since optional timestamp(3) zoned")},
		{name: "a date to unix seconds", typ: typ, cfg: connect.Config{"field": "born", "target.type": "unix", "unix.precision": "seconds"},
			in: typedRec("t", customer(1, "a")), schema: withSchema("born optional date", "born optional int64")},
		{name: "a field the row lacks", typ: typ, cfg: connect.Config{"field": "nope", "target.type": "unix"},
			in: typedRec("t", customer(1, "a")), schema: sig(customers)},
		{name: "an int32 is no timestamp type", typ: typ, cfg: connect.Config{"field": "visits", "target.type": "unix"},
			in: typedRec("t", customer(1, "a")), err: "schema type int32 does not correspond to a known timestamp type"},
		{name: "a whole row", typ: typ, cfg: connect.Config{"target.type": "unix"},
			in: typedRec("t", customer(1, "a")), untypedErr: "timestampConverter does not support"},
	})
	// A time of day (text in a typed row) as Kafka's Time: typed only.
	tr := newTransform(t, typ, connect.Config{"field": "wake", "target.type": "unix"})
	got, err := tr.Apply(context.Background(), typedRec("t", customer(1, "a")))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Value.(*connect.Struct).Get("wake"); v != int64(23400000) {
		t.Errorf("wake = %#v, want 06:30 in milliseconds", v)
	}
}

func TestTypedSetSchemaMetadata(t *testing.T) {
	tr := newTransform(t, kafka+"SetSchemaMetadata$Value", connect.Config{"schema.name": "com.example.Customer"})
	in := customer(1, "a")
	before := dump(in)
	got, err := tr.Apply(context.Background(), typedRec("t", in))
	if err != nil {
		t.Fatal(err)
	}
	row := got.Value.(*connect.Struct)
	if row.Schema.Name != "com.example.Customer" || customers.Name != "db.inventory.customers.Value" || dump(in) != before {
		t.Fatalf("schema %q; the input's is now %q", row.Schema.Name, customers.Name)
	}
	if want := strings.Replace(sig(customers), "db.inventory.customers.Value", "com.example.Customer", 1); sig(row.Schema) != want {
		t.Errorf("schema %s, want %s", sig(row.Schema), want)
	}
	if !reflect.DeepEqual(plain(row), plain(in)) {
		t.Errorf("values changed: %v", plain(row))
	}
	// Schemaless values: Kafka's requireSchema; a null passes.
	for _, v := range []any{m{"a": 1}, "text"} {
		if _, err := tr.Apply(context.Background(), typedRec("t", v)); err == nil || !strings.Contains(err.Error(), "schema required for [updating schema metadata]") {
			t.Errorf("%T: error %v", v, err)
		}
	}
	if got, err := tr.Apply(context.Background(), typedRec("t", nil)); err != nil || got.Value != nil {
		t.Errorf("a tombstone: %v, %v", got, err)
	}
	key := newTransform(t, kafka+"SetSchemaMetadata$Key", connect.Config{"schema.name": "k"})
	got, err = key.Apply(context.Background(), &connect.Record{Key: connect.NewStruct(address, "Rome", nil)})
	if err != nil || got.Key.(*connect.Struct).Schema.Name != "k" {
		t.Fatalf("key: %v %v", got, err)
	}
	runConfigErrors(t, kafka+"SetSchemaMetadata$Value", []cfgCase{
		{name: "schema.name required", cfg: connect.Config{}, field: "schema.name", err: "required"},
		{name: "no versions", cfg: connect.Config{"schema.name": "a", "schema.version": "2"}, field: "schema.version", err: "carry no version"},
	})
}

func TestTypedHeaderFrom(t *testing.T) {
	runTyped(t, []typedCase{
		{name: "copy", typ: kafka + "HeaderFrom$Value", cfg: connect.Config{"fields": "id,name,seen", "headers": "i,n,s", "operation": "copy"},
			in: typedRec("t", customer(1, "a")), schema: sig(customers)},
		{name: "move: the fields leave the schema", typ: kafka + "HeaderFrom$Value", cfg: connect.Config{"fields": "id,addr", "headers": "i,a", "operation": "move"},
			in: typedRec("t", customer(1, "a")), schema: strings.Replace(strings.Replace(sig(customers), "id int64, ", "", 1), ", addr optional struct db.inventory.address", "", 1)},
		{name: "a field the row lacks: Kafka's Struct.get", typ: kafka + "HeaderFrom$Value", cfg: connect.Config{"fields": "nope", "headers": "x", "operation": "copy"},
			in: typedRec("t", customer(1, "a")), err: "nope is not a valid field name"},
	})
}

func TestTypedExtractNewRecordState(t *testing.T) {
	const typ = "io.debezium.transforms.ExtractNewRecordState"
	del := with(typedChange(), func(r *connect.Record) {
		c := *r.Change
		c.Op, c.After = connect.OpDelete, nil
		r.Change = &c
	})
	runTyped(t, []typedCase{
		{name: "the row after: its own struct", typ: typ, cfg: connect.Config{}, in: typedChange(), schema: sig(customers)},
		{name: "add.fields and rewrite extend the schema", typ: typ, cfg: connect.Config{"add.fields": "op,table,lsn,ts_ms,source.db,id", "delete.handling.mode": "rewrite"},
			in: typedChange(),
			schema: customersSig + ", __op optional string, __table optional string, __lsn optional int64, __ts_ms optional int64, " +
				"__source_db optional string, __id optional string, __deleted optional string}",
			// The schema has the transaction id: null in the row.
			typed: func(r *connect.Record) { r.Value.(map[string]any)["__id"] = nil }},
		{name: "a rewritten delete", typ: typ, cfg: connect.Config{"delete.handling.mode": "rewrite"}, in: del,
			schema: customersSig + ", __deleted optional string}"},
		{name: "a source field the source schema lacks: Debezium's error", typ: typ, cfg: connect.Config{"add.fields": "file"},
			in: typedChange(), err: "unexpected field name: file"},
		{name: "headers from a typed source", typ: typ, cfg: connect.Config{"add.headers": "op,table,lsn"}, in: typedChange(), schema: sig(customers)},
	})
	// An untyped source block has no schema for its fields: the row
	// becomes a map.
	tr := newTransform(t, typ, connect.Config{"add.fields": "table"})
	in := typedChange()
	in.Change.Source = m{"table": "customers"}
	got, err := tr.Apply(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := got.Value.(map[string]any); !ok || v["__table"] != "customers" || v["name"] != "b" {
		t.Fatalf("value %#v", got.Value)
	}
}

// The same input schema derives the same output schema: once, shared by
// the rows of a table, also from several goroutines at once.
func TestTypedSchemaCached(t *testing.T) {
	for _, c := range []struct {
		typ string
		cfg connect.Config
	}{
		{kafka + "InsertField$Value", connect.Config{"static.field": "s", "static.value": "v"}},
		{kafka + "ReplaceField$Value", connect.Config{"renames": "name:n"}},
		{kafka + "ReplaceField$Value", connect.Config{"exclude": "name"}},
		{kafka + "Cast$Value", connect.Config{"spec": "id:string"}},
		{kafka + "TimestampConverter$Value", connect.Config{"field": "seen", "target.type": "unix"}},
		{kafka + "SetSchemaMetadata$Value", connect.Config{"schema.name": "x"}},
		{kafka + "HeaderFrom$Value", connect.Config{"fields": "id", "headers": "id", "operation": "move"}},
		{kafka + "HoistField$Value", connect.Config{"field": "x"}},
		{kafka + "ValueToKey", connect.Config{"fields": "id"}},
		{"io.debezium.transforms.ExtractNewRecordState", connect.Config{"add.fields": "op"}},
	} {
		t.Run(c.typ, func(t *testing.T) {
			tr := newTransform(t, c.typ, c.cfg)
			in := func(i int) *connect.Record {
				if strings.HasPrefix(c.typ, "io.debezium") {
					r := typedChange()
					r.Change.After = customer(int64(i), "x")
					return r
				}
				return typedRec("t", customer(int64(i), "x"))
			}
			schemaOf := func(r *connect.Record) *connect.Schema {
				if c.typ == kafka+"ValueToKey" {
					return r.Key.(*connect.Struct).Schema
				}
				return r.Value.(*connect.Struct).Schema
			}
			// All at once from the start: who derives first, the others
			// get the same.
			var wg sync.WaitGroup
			start := make(chan struct{})
			schemas := make([]*connect.Schema, 4)
			for g := range schemas {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					for i := range 50 {
						r, err := tr.Apply(context.Background(), in(g*100+i))
						if err != nil {
							t.Error(err)
							return
						}
						if schemas[g] == nil {
							schemas[g] = schemaOf(r)
						} else if schemaOf(r) != schemas[g] {
							t.Error("another schema derived for the same input schema")
							return
						}
					}
				}()
			}
			close(start)
			wg.Wait()
			for _, s := range schemas[1:] {
				if s != schemas[0] {
					t.Fatal("goroutines got different schemas for one input schema")
				}
			}
		})
	}
}

// Built-ins change a typed row in place only when the chain owns it, as
// they do maps: a source's rows never, a decoded one's or one an earlier
// built-in made, yes.
func TestTypedOwnership(t *testing.T) {
	insert := newTransform(t, kafka+"InsertField$Value", connect.Config{"static.field": "s", "static.value": "v"})
	mask := newTransform(t, kafka+"MaskField$Value", connect.Config{"fields": "name"})
	rename := newTransform(t, kafka+"ReplaceField$Value", connect.Config{"renames": "id:key"})
	var own transforms.Ownership
	ctx := own.Context(context.Background())

	src := customer(1, "a")
	before := dump(src)
	r := &connect.Record{Value: src}
	own.Reset(r, false)
	r, _ = rename.Apply(ctx, r) // shares src's values: must not be owned
	r, _ = mask.Apply(ctx, r)
	if dump(src) != before {
		t.Fatalf("a source's row changed:\n%s\nwas\n%s", dump(src), before)
	}
	r, _ = insert.Apply(ctx, r)
	inserted := r.Value.(*connect.Struct)
	r, _ = rename.Apply(ctx, r)
	if got := r.Value.(*connect.Struct); got != inserted {
		t.Error("a row the chain made was copied again")
	}
	if got := plain(r.Value).(map[string]any); got["key"] != int64(1) || got["name"] != "" || got["s"] != "v" {
		t.Errorf("value %v", got)
	}

	dec := customer(2, "b")
	r = &connect.Record{Value: dec}
	own.Reset(r, true)
	r, _ = mask.Apply(ctx, r)
	if r.Value.(*connect.Struct) != dec || dec.Values[1] != "" {
		t.Fatalf("a fresh row was copied: %v", dump(r.Value))
	}

	// A decoded change event: its after image is the chain's too.
	unwrap := newTransform(t, "io.debezium.transforms.ExtractNewRecordState", connect.Config{})
	ev := typedChange()
	after := ev.Change.After.(*connect.Struct)
	own.Reset(ev, true)
	r, _ = unwrap.Apply(ctx, ev)
	r, _ = mask.Apply(ctx, r)
	if r.Value.(*connect.Struct) != after || after.Values[1] != "" {
		t.Fatalf("a decoded image was copied: %v", dump(r.Value))
	}

	other := customer(3, "c")
	out, _ := mask.Apply(ctx, &connect.Record{Value: other}) // not the record own was reset with
	if out.Value.(*connect.Struct) == other || other.Values[1] != "c" {
		t.Fatal("a row of another record was changed")
	}
}

// Transforms that do not read the value pass a typed one as it is.
func TestTypedPassThrough(t *testing.T) {
	stamped := with(typedRec("raw.t", customer(1, "a")), func(r *connect.Record) { r.Timestamp = ts })
	runTyped(t, []typedCase{
		{name: "RegexRouter", typ: kafka + "RegexRouter", cfg: connect.Config{"regex": `raw\.(.*)`, "replacement": "$1"}, in: stamped, schema: sig(customers)},
		{name: "TimestampRouter", typ: kafka + "TimestampRouter", cfg: connect.Config{}, in: stamped, schema: sig(customers)},
		{name: "InsertHeader", typ: kafka + "InsertHeader", cfg: connect.Config{"header": "h", "value.literal": "v"}, in: stamped, schema: sig(customers)},
		{name: "DropHeaders", typ: kafka + "DropHeaders", cfg: connect.Config{"headers": "h"},
			in: with(stamped, func(r *connect.Record) { r.Headers = connect.Headers{"h": "v", "k": "w"} }), schema: sig(customers)},
		{name: "Filter", typ: kafka + "Filter", cfg: connect.Config{}, in: stamped},
		{name: "ExtractNewRecordState on a plain record", typ: "io.debezium.transforms.ExtractNewRecordState", cfg: connect.Config{}, in: stamped, schema: sig(customers)},
	})
	in := typedRec("t", customer(1, "a"))
	for name, want := range map[string]bool{"RecordIsTombstone": false} {
		p := transforms.Predicates()[predicate+name]()
		if err := p.Configure(connect.Config{}); err != nil {
			t.Fatal(err)
		}
		if got, err := p.Test(context.Background(), in); err != nil || got != want {
			t.Errorf("%s: %v, %v", name, got, err)
		}
	}
}
