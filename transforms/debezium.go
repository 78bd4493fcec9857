package transforms

import (
	"context"
	"fmt"
	"slices"
	"strings"

	connect "github.com/openmessaging/connect-go"
)

// Delete handling of ExtractNewRecordState: Debezium's legacy
// delete.handling.mode and its successor delete.tombstone.handling.mode.
const (
	modeDrop                 = "drop"
	modeRewrite              = "rewrite"
	modeNone                 = "none"
	modeTombstone            = "tombstone"
	modeRewriteWithTombstone = "rewrite-with-tombstone"
	deletedField             = "__deleted"
)

// extractNewRecordState is Debezium's ExtractNewRecordState: a change event
// becomes a plain record whose value is the row after the change.
type extractNewRecordState struct {
	dropTombstones bool
	deletes        string // drop, rewrite or none (tombstone maps to none)
	rewrite        bool
	fields         []envField
	headers        []envField
	fromSource     bool // an add.fields entry reads the source block
	cache          schemaCache[envKey, *reshape]
}

// envField is one entry of add.fields or add.headers: a member of the
// envelope (op, ts_ms), of its source block, or of the transaction block,
// and the name it gets.
type envField struct {
	block string // "" for op and ts_ms, else "source" or "transaction"
	field string
	name  string
}

var extractNewRecordStateSpec = connect.ConfigSpec{
	{Name: "drop.tombstones", Type: connect.FieldBool, Default: "true",
		Description: "Drop tombstone records (no value, no change event) instead of passing them on. Deprecated by Debezium for delete.tombstone.handling.mode."},
	{Name: "delete.handling.mode", Default: modeDrop, Allowed: []string{modeDrop, modeRewrite, modeNone},
		Description: "drop: drop delete events; none: pass them on as tombstones (null value); rewrite: the value is the row before the delete with __deleted=\"true\" (other events get __deleted=\"false\"). Deprecated by Debezium for delete.tombstone.handling.mode."},
	{Name: "delete.tombstone.handling.mode", Allowed: []string{modeDrop, modeTombstone, modeRewrite, modeRewriteWithTombstone},
		Description: "Replaces drop.tombstones and delete.handling.mode: drop (deletes and tombstones dropped), tombstone (deletes become tombstones), rewrite (deletes rewritten, tombstones dropped), rewrite-with-tombstone (deletes rewritten, tombstones kept)."},
	{Name: "add.fields", Type: connect.FieldList,
		Description: "Change event metadata added to the value: op, ts_ms, source fields (table, db, file, pos, ... or source.<name>), transaction fields; name:newname renames. Each is prefixed with add.fields.prefix."},
	{Name: "add.fields.prefix", Default: "__", Description: "Prefix of the names of add.fields."},
	{Name: "add.headers", Type: connect.FieldList,
		Description: "Change event metadata added as headers, named as in add.fields, with add.headers.prefix."},
	{Name: "add.headers.prefix", Default: "__", Description: "Prefix of the names of add.headers."},
}

func (*extractNewRecordState) Spec() connect.Spec {
	return connect.Spec{Name: debeziumPkg + "ExtractNewRecordState", Config: extractNewRecordStateSpec,
		Description: "Flatten change events: the value becomes the row after the change (Debezium's event flattening)."}
}

func (t *extractNewRecordState) Configure(cfg connect.Config) error {
	applied, errs := configure(extractNewRecordStateSpec, cfg)
	if len(errs.Fields) > 0 {
		return errs
	}
	if mode := applied.Get("delete.tombstone.handling.mode"); mode != "" {
		for _, legacy := range []string{"drop.tombstones", "delete.handling.mode"} {
			if _, set := cfg[legacy]; set {
				errs.Add(legacy, "cannot be combined with delete.tombstone.handling.mode, which replaces it")
			}
		}
		t.dropTombstones = mode != modeRewriteWithTombstone
		switch mode {
		case modeDrop:
			t.deletes = modeDrop
		case modeTombstone:
			t.deletes = modeNone
		default:
			t.deletes = modeRewrite
		}
	} else {
		t.dropTombstones = applied.Bool("drop.tombstones")
		t.deletes = applied.Get("delete.handling.mode")
	}
	t.rewrite = t.deletes == modeRewrite
	var err error
	if t.fields, err = parseEnvFields(applied.List("add.fields"), applied.Get("add.fields.prefix")); err != nil {
		errs.Add("add.fields", "%v", err)
	}
	for _, f := range t.fields {
		t.fromSource = t.fromSource || f.block == envSource
	}
	if t.headers, err = parseEnvFields(applied.List("add.headers"), applied.Get("add.headers.prefix")); err != nil {
		errs.Add("add.headers", "%v", err)
	}
	for _, h := range t.headers {
		if strings.HasPrefix(h.name, reservedPrefix) {
			errs.Add("add.headers", "%q: %s", h.name, reservedPrefixError)
		}
	}
	return errs.Err()
}

// parseEnvFields reads add.fields as Debezium's FieldReference does: a
// name alone is op or ts_ms of the envelope, id, total_order or
// data_collection_order of the transaction block, or else a member of the
// source block; block.name names the block; a suffix :newname renames.
// The new name is prefix + name, or prefix + block_name when qualified.
func parseEnvFields(items []string, prefix string) ([]envField, error) {
	var out []envField
	for _, item := range items {
		ref, rename, renamed := strings.Cut(item, ":")
		if strings.Contains(rename, ":") {
			return nil, fmt.Errorf("unexpected field name: %s", item)
		}
		block, field, qualified := strings.Cut(ref, ".")
		if !qualified {
			field = block
			switch field {
			case envOp, envTsMs, envTsUs, envTsNs:
				block = ""
			case "id", "total_order", "data_collection_order":
				block = "transaction"
			default:
				block = envSource
			}
		}
		if field == "" || strings.Contains(field, ".") {
			return nil, fmt.Errorf("unexpected field name: %s", item)
		}
		name := prefix + field
		switch {
		case renamed:
			name = prefix + rename
		case qualified:
			name = prefix + block + "_" + field
		}
		out = append(out, envField{block: block, field: field, name: name})
	}
	return out, nil
}

// value looks f up in a change event; ok is false when it is absent.
func (f envField) value(r *connect.Record) (any, bool) {
	switch f.block {
	case "":
		switch f.field {
		case envOp:
			return string(r.Change.Op), true
		case envTsMs, envTsUs, envTsNs:
			at := r.Change.At // the processing time, else the record's
			if at.IsZero() {
				if f.field != envTsMs {
					return nil, false
				}
				at = r.Timestamp
			}
			if at.IsZero() {
				return nil, false
			}
			switch f.field {
			case envTsUs:
				return at.UnixMicro(), true
			case envTsNs:
				return at.UnixNano(), true
			}
			return at.UnixMilli(), true
		}
		return nil, false
	case envSource:
		return connect.Lookup(r.Change.Source, f.field)
	}
	t := r.Change.Transaction
	if t == nil {
		return nil, false
	}
	switch f.field {
	case "id":
		return t.ID, true
	case "total_order":
		return t.TotalOrder, true
	case "data_collection_order":
		return t.DataCollectionOrder, true
	}
	return nil, false
}

func (t *extractNewRecordState) Apply(ctx context.Context, r *connect.Record) (*connect.Record, error) {
	c := r.Change
	if c == nil {
		if r.Value != nil {
			return r, nil // not a change event: passed on unchanged, as Debezium does
		}
		if t.dropTombstones {
			return nil, nil
		}
		for _, h := range t.headers {
			if h.block == "" && h.field == envOp {
				r.Headers = withHeaders(r.Headers, 1)
				r.Headers[h.name] = string(connect.OpDelete)
			}
		}
		return r, nil
	}
	if len(t.headers) > 0 {
		hs := withHeaders(r.Headers, len(t.headers))
		for _, f := range t.headers {
			if v, ok := f.value(r); ok {
				s, present, err := headerString(v)
				if err != nil {
					return nil, fmt.Errorf("add.headers %s: %w", f.name, err)
				}
				if present {
					hs[f.name] = s
				}
			}
		}
		r.Headers = hs
	}
	var row any
	deleted := ""
	switch {
	case connect.IsRow(c.After):
		row, deleted = c.After, "false"
	case c.Op == connect.OpTruncate || !connect.IsRow(c.Before):
		// A truncate (no row): Debezium drops it with the tombstones.
		if t.dropTombstones {
			return nil, nil
		}
		return r, nil
	default: // a delete
		switch t.deletes {
		case modeDrop:
			return nil, nil
		case modeNone:
			r.Change, r.Value = nil, nil
			return r, nil
		}
		row, deleted = c.Before, "true"
	}
	extra := len(t.fields)
	if t.rewrite {
		extra++
	}
	if extra == 0 {
		r.Change, r.Value = nil, row
		return r, nil
	}
	if s, ok := row.(*connect.Struct); ok {
		if src, typedSource := c.Source.(*connect.Struct); typedSource || !t.fromSource {
			out, err := t.extendStruct(ctx, r, s, src, deleted)
			if err != nil {
				return nil, err
			}
			r.Change, r.Value = nil, out
			return r, nil
		}
	}
	// An untyped row, or a typed one with an untyped source block to take
	// fields from (no schema for them): a map.
	m, ok := connect.AsMap(row)
	if !ok {
		return nil, fmt.Errorf("change event row is %T, not a row", row)
	}
	if _, typed := row.(*connect.Struct); typed {
		made(ctx, r, m) // a new map, the transform's own
	}
	out := editable(ctx, r, m)
	for _, f := range t.fields {
		if v, ok := f.value(r); ok {
			out[f.name] = v
		}
	}
	if t.rewrite {
		out[deletedField] = deleted
	}
	r.Change, r.Value = nil, out
	return r, nil
}

// extendStruct is Debezium's typed path: the row's schema (its name
// kept) with the add.fields appended, each the optional form of the
// envelope member's schema (op: string, ts_ms: int64, a source field's
// own, transaction fields Debezium's), then __deleted, an optional
// string. Members the event lacks are null; a source field the source
// schema lacks is an error, as in Debezium.
func (t *extractNewRecordState) extendStruct(ctx context.Context, r *connect.Record, s, src *connect.Struct, deleted string) (*connect.Struct, error) {
	if err := checkRow(s); err != nil {
		return nil, err
	}
	var srcSchema *connect.Schema
	if src != nil {
		srcSchema = src.Schema
	}
	d, err := t.cache.get(envKey{s.Schema, srcSchema}, t.derive)
	if err != nil {
		return nil, err
	}
	out := d.apply(ctx, r, s)
	i := len(d.from)
	for _, f := range t.fields {
		if v, ok := f.value(r); ok {
			out.Values[i] = v
		}
		i++
	}
	if t.rewrite {
		out.Values[i] = deleted
	}
	return out, nil
}

func (t *extractNewRecordState) derive(k envKey) (*reshape, error) {
	fields := slices.Clone(k.row.Fields)
	from := make([]int, len(fields))
	for i := range from {
		from[i] = i
	}
	for _, f := range t.fields {
		var fs *connect.Schema
		switch f.block {
		case "":
			fs = optionalString // op
			if f.field != envOp {
				fs = optionalInt64 // ts_ms, ts_us, ts_ns
			}
		case envSource:
			j := -1
			if k.source != nil {
				j = k.source.FieldIndex(f.field)
			}
			if j < 0 {
				return nil, fmt.Errorf("add.fields: unexpected field name: %s (not in the source block's schema)", f.field)
			}
			fs = optionalOf(k.source.Fields[j].Schema)
		default: // transaction: Debezium's id (string), total_order and data_collection_order (int64)
			fs = optionalInt64
			if f.field == "id" {
				fs = optionalString
			}
		}
		fields = append(fields, connect.StructField{Name: f.name, Schema: fs})
	}
	if t.rewrite {
		fields = append(fields, connect.StructField{Name: deletedField, Schema: optionalString})
	}
	return newReshape(k.row, fields, from)
}

func (*extractNewRecordState) Close() error { return nil }
