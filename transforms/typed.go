package transforms

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	connect "github.com/openmessaging/connect-go"
)

// Typed rows (*connect.Struct) follow Kafka Connect's code paths for a
// Struct with a schema: a transform derives its output schema from the
// input's once, keeps it in a schemaCache, and builds a new Struct for
// every record. Input schemas and structs are never changed; a struct the
// chain owns (see Ownership) may have its Values edited in place.

// schemaCacheSize bounds a schemaCache: more input schemas than this (a
// source that builds a schema per row, many table versions) empty it.
// Kafka's transforms keep 16 in an LRU; table-per-schema sources need a few
// more.
const schemaCacheSize = 64

// schemaCache remembers what a transform derived from an input schema (or
// a pair of them). Schemas are immutable and shared by the rows of a
// table version, so pointers are the key. It is safe for concurrent use:
// a task's chain serves several converting goroutines. The newest entry
// is read without a lock, which is the common case of one table.
type schemaCache[K comparable, V any] struct {
	last atomic.Pointer[cacheEntry[K, V]]
	mu   sync.Mutex
	m    map[K]*cacheEntry[K, V]
}

type cacheEntry[K comparable, V any] struct {
	k K
	v V
}

// get returns what derive made for k, deriving it on the first call.
// Errors are not kept: the record fails, and so will the next of k.
func (c *schemaCache[K, V]) get(k K, derive func(K) (V, error)) (V, error) {
	if e := c.last.Load(); e != nil && e.k == k {
		return e.v, nil
	}
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if !ok {
		v, err := derive(k)
		if err != nil {
			return v, err
		}
		c.mu.Lock()
		// Another goroutine may have derived k meanwhile: keep one, so
		// that the rows of one input schema share one output schema.
		if e, ok = c.m[k]; !ok {
			if c.m == nil || len(c.m) >= schemaCacheSize {
				c.m = make(map[K]*cacheEntry[K, V], 8)
			}
			e = &cacheEntry[K, V]{k: k, v: v}
			c.m[k] = e
		}
		c.mu.Unlock()
	}
	c.last.Store(e)
	return e.v, nil
}

// structLike returns a struct schema with base's name, optionality and doc
// and the given fields: Kafka's SchemaUtil.copySchemaBasics. A duplicate
// field name is an error, as Kafka's SchemaBuilder reports it.
func structLike(base *connect.Schema, fields []connect.StructField) (s *connect.Schema, err error) {
	for i, f := range fields {
		for _, g := range fields[:i] {
			if g.Name == f.Name {
				return nil, fmt.Errorf("cannot create field because of field name duplication %s in schema %s", f.Name, schemaName(base))
			}
		}
	}
	s = connect.NewStructSchema(base.Name, base.Optional, fields...)
	s.Doc = base.Doc
	return s, nil
}

// schemaName names a schema in errors.
func schemaName(s *connect.Schema) string {
	if s.Name != "" {
		return s.Name
	}
	return "(unnamed)"
}

// optionalOf returns s when it is optional, else an optional copy.
func optionalOf(s *connect.Schema) *connect.Schema {
	if s.Optional {
		return s
	}
	c := *s
	c.Optional = true
	return &c
}

// renamedSchema returns a copy of s named name.
func renamedSchema(s *connect.Schema, name string) *connect.Schema {
	c := *s
	c.Name = name
	return &c
}

// Schemas of the values transforms insert.
var (
	optionalString = &connect.Schema{Type: connect.TypeString, Optional: true}
	requiredString = &connect.Schema{Type: connect.TypeString}
	optionalInt32  = &connect.Schema{Type: connect.TypeInt32, Optional: true}
	requiredInt32  = &connect.Schema{Type: connect.TypeInt32}
	optionalInt64  = &connect.Schema{Type: connect.TypeInt64, Optional: true}
	requiredInt64  = &connect.Schema{Type: connect.TypeInt64}
	// Kafka's Timestamp logical type: milliseconds, an instant.
	optionalMillis = &connect.Schema{Type: connect.TypeTimestamp, Fraction: 3, Zoned: true, Optional: true}
	requiredMillis = &connect.Schema{Type: connect.TypeTimestamp, Fraction: 3, Zoned: true}
)

// reshape is a derived struct schema whose first fields are input fields
// (from[i] is the input position of output field i) and whose others are
// filled by the transform.
type reshape struct {
	schema *connect.Schema
	from   []int
	// same: the output's fields are the input's, in order (renamed or
	// retyped at most), so the input's Values can serve as they are.
	same bool
}

func newReshape(in *connect.Schema, fields []connect.StructField, from []int) (*reshape, error) {
	s, err := structLike(in, fields)
	if err != nil {
		return nil, err
	}
	same := len(from) == len(fields) && len(from) == len(in.Fields)
	for i, j := range from {
		same = same && i == j
	}
	return &reshape{schema: s, from: from, same: same}, nil
}

// apply returns the row of the derived schema for in: the input fields
// copied, the others nil for the caller to fill (starting at
// len(d.from)). The result is the chain's to change.
func (d *reshape) apply(ctx context.Context, r *connect.Record, in *connect.Struct) *connect.Struct {
	if d.same {
		return retyped(ctx, r, in, d.schema)
	}
	n := len(d.schema.Fields)
	var values []any
	if cap(in.Values) >= n && isPrefix(d.from) && ownsStruct(ctx, r, in) {
		// Appending to an owned row: its Values grow in place.
		values = in.Values[:n]
		clear(values[len(d.from):])
	} else {
		values = make([]any, n)
		for i, j := range d.from {
			values[i] = in.Values[j]
		}
	}
	out := &connect.Struct{Schema: d.schema, Values: values}
	madeStruct(ctx, r, out)
	return out
}

// isPrefix reports whether from is 0, 1, 2, ...
func isPrefix(from []int) bool {
	for i, j := range from {
		if i != j {
			return false
		}
	}
	return true
}

// retyped returns in's values under schema s (same fields, in order),
// changeable by the chain: in itself when the chain owns it, else a row
// with its own Values.
func retyped(ctx context.Context, r *connect.Record, in *connect.Struct, s *connect.Schema) *connect.Struct {
	if ownsStruct(ctx, r, in) {
		in.Schema = s
		return in
	}
	out := &connect.Struct{Schema: s, Values: slices.Clone(in.Values)}
	madeStruct(ctx, r, out)
	return out
}

// sharedRow returns in's values under schema s without copying them, for
// transforms that change no value (renames, a new schema name). The row
// is the chain's to change only when in was.
func sharedRow(ctx context.Context, r *connect.Record, in *connect.Struct, s *connect.Schema) *connect.Struct {
	if ownsStruct(ctx, r, in) {
		in.Schema = s
		return in
	}
	return &connect.Struct{Schema: s, Values: in.Values}
}

// checkRow reports a struct whose values do not match its schema's
// fields, which the transforms would index out of range.
func checkRow(s *connect.Struct) error {
	if s.Schema == nil || s.Schema.Type != connect.TypeStruct {
		return fmt.Errorf("row without a struct schema")
	}
	if len(s.Values) != len(s.Schema.Fields) {
		return fmt.Errorf("row of %d values for the %d fields of schema %s", len(s.Values), len(s.Schema.Fields), schemaName(s.Schema))
	}
	return nil
}

// row is a transform's operand seen as a row: a typed *connect.Struct or
// an untyped map. requireRow is Kafka's requireStruct / requireMap: the
// operand must be one of them.
func requireRow(v any, purpose string) (*connect.Struct, map[string]any, error) {
	switch x := v.(type) {
	case *connect.Struct:
		if x != nil {
			if err := checkRow(x); err != nil {
				return nil, nil, err
			}
			return x, nil, nil
		}
	case map[string]any:
		return nil, x, nil
	}
	return nil, nil, fmt.Errorf("only map or struct values are supported for [%s], found: %s", purpose, typeOf(v))
}
