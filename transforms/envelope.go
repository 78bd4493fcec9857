package transforms

import (
	"strings"

	connect "github.com/openmessaging/connect-go"
)

// envelopes builds the typed envelope of change events whose rows are
// typed, with its schema derived once per row and source schema.
type envelopes struct {
	cache schemaCache[envKey, *connect.Schema]
}

type envKey struct{ row, source *connect.Schema }

// typed returns the change event of r as a *connect.Struct of Debezium's
// envelope schema (before, after, source, op, ts_ms; the images' field is
// the optional form of the row schema; ts_ms is null when the record has
// no timestamp), or nil when its rows are not typed: an image or the
// source block is a map, or before and after have different schemas.
// The images and the source are the change event's own structs, shared.
func (e *envelopes) typed(r *connect.Record) *connect.Struct {
	c := r.Change
	before, after := imageOf(c.Before), imageOf(c.After)
	var row *connect.Schema
	for _, img := range [...]any{c.Before, c.After} {
		s, isStruct := img.(*connect.Struct)
		switch {
		case !connect.IsRow(img):
		case !isStruct:
			return nil // an untyped image
		case row == nil:
			row = s.Schema
		case !row.Equal(s.Schema):
			return nil
		}
	}
	var source *connect.Schema
	switch s := c.Source.(type) {
	case *connect.Struct:
		if s != nil {
			source = s.Schema
		}
	case nil:
	default:
		return nil
	}
	if row == nil || row.Type != connect.TypeStruct || (source != nil && source.Type != connect.TypeStruct) {
		return nil
	}
	schema, _ := e.cache.get(envKey{row, source}, deriveEnvelope)
	var ts any
	if !r.Timestamp.IsZero() {
		ts = r.Timestamp.UnixMilli()
	}
	var src any
	if source != nil {
		src = c.Source
	}
	return &connect.Struct{Schema: schema, Values: []any{before, after, src, string(c.Op), ts}}
}

// imageOf is an image as an envelope holds it: a row, or nil.
func imageOf(v any) any {
	if connect.IsRow(v) {
		return v
	}
	return nil
}

// emptySource is the source block's schema when a change event has none.
var emptySource = connect.NewStructSchema("", true)

// deriveEnvelope is Debezium's envelope schema for a row schema, named
// after it (<prefix>.Value gives <prefix>.Envelope).
func deriveEnvelope(k envKey) (*connect.Schema, error) {
	name := ""
	if k.row.Name != "" {
		name = strings.TrimSuffix(k.row.Name, ".Value") + ".Envelope"
	}
	src := k.source
	if src == nil {
		src = emptySource
	}
	img := optionalOf(k.row)
	return connect.NewStructSchema(name, false,
		connect.StructField{Name: envBefore, Schema: img},
		connect.StructField{Name: envAfter, Schema: img},
		connect.StructField{Name: envSource, Schema: src},
		connect.StructField{Name: envOp, Schema: requiredString},
		connect.StructField{Name: envTsMs, Schema: optionalInt64},
	), nil
}
