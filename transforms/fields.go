package transforms

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// insertField is Kafka's InsertField$Key / $Value.
type insertField struct {
	op                                 operand
	topic, partition, offset, tsField  string
	staticField                        string
	staticValue                        any // a string, boxed once
	hasStatic                          bool
	topicSet, partSet, offSet, tsIsSet bool
	// required: the fields marked with Kafka's "!" (typed rows only).
	topicReq, partReq, offReq, tsReq, staticReq bool

	env   envelopes
	cache schemaCache[*connect.Schema, *reshape]
}

var insertFieldSpec = connect.ConfigSpec{
	{Name: "topic.field", Description: "Field name for the topic. Suffix with ! to make it a required field of a typed row, or ? to keep it optional (the default)."},
	{Name: "partition.field", Description: "Field name for the transport queue of a sink record (Kafka's partition); not inserted for source records, which have none (null in a typed row)."},
	{Name: "offset.field", Description: "Field name for the offset of a sink record in its queue; only applicable to sink connectors."},
	{Name: "timestamp.field", Description: "Field name for the record timestamp: Unix milliseconds in a map, a timestamp in a typed row; not inserted when the record has none (null in a typed row)."},
	{Name: "static.field", Description: "Field name for a static data field."},
	{Name: "static.value", Description: "Static field value; required with static.field."},
}

func (t *insertField) Spec() connect.Spec {
	return connect.Spec{Name: kafkaPkg + "InsertField" + t.op.suffix(), Config: insertFieldSpec,
		Description: "Insert fields using attributes from the record metadata or a configured static value."}
}

// fieldName splits InsertField's optionality mark off a field name: "!"
// is required, "?" or none optional (it only matters for typed rows).
func fieldName(spec string) (name string, required bool) {
	if n, ok := strings.CutSuffix(spec, "!"); ok {
		return n, true
	}
	return strings.TrimSuffix(spec, "?"), false
}

func (t *insertField) Configure(cfg connect.Config) error {
	cfg, errs := configure(insertFieldSpec, cfg)
	set := func(key string, dst *string, isSet, req *bool) {
		if v, ok := cfg[key]; ok {
			*dst, *req = fieldName(strings.TrimSpace(v))
			*isSet = true
			if *dst == "" {
				errs.Add(key, "must name a field")
			}
		}
	}
	set("topic.field", &t.topic, &t.topicSet, &t.topicReq)
	set("partition.field", &t.partition, &t.partSet, &t.partReq)
	set("offset.field", &t.offset, &t.offSet, &t.offReq)
	set("timestamp.field", &t.tsField, &t.tsIsSet, &t.tsReq)
	set("static.field", &t.staticField, &t.hasStatic, &t.staticReq)
	sv, hasValue := cfg["static.value"]
	switch {
	case t.hasStatic && !hasValue:
		errs.Add("static.value", "is required with static.field")
	case hasValue && !t.hasStatic:
		errs.Add("static.field", "is required with static.value")
	}
	t.staticValue = sv
	return errs.Err()
}

func (t *insertField) Apply(ctx context.Context, r *connect.Record) (*connect.Record, error) {
	v := t.op.get(r, &t.env)
	if v == nil {
		return r, nil
	}
	s, m, err := requireRow(v, "field insertion")
	if err != nil {
		return nil, err
	}
	var origin connect.Origin
	isSink := false
	if t.partSet || t.offSet { // a context lookup, only when needed
		origin, isSink = connect.OriginFrom(ctx)
	}
	if t.offSet && !isSink {
		return nil, errors.New("offset.field: only sink records have an offset, found a source record")
	}
	if s != nil {
		out, err := t.applyStruct(ctx, r, s, origin, isSink)
		if err != nil {
			return nil, err
		}
		t.op.set(r, out)
		return r, nil
	}
	out := editable(ctx, r, m)
	if t.topicSet {
		out[t.topic] = r.Topic
	}
	if t.partSet && isSink {
		out[t.partition] = origin.Queue
	}
	if t.offSet {
		out[t.offset] = origin.Offset
	}
	if t.tsIsSet && !r.Timestamp.IsZero() {
		out[t.tsField] = r.Timestamp.UnixMilli()
	}
	if t.hasStatic {
		out[t.staticField] = t.staticValue
	}
	t.op.set(r, out)
	return r, nil
}

// applyStruct is Kafka's applyWithSchema: the row's fields, then topic,
// partition, offset, timestamp and static field, in that order; a field
// with no value for this record is null.
func (t *insertField) applyStruct(ctx context.Context, r *connect.Record, s *connect.Struct, origin connect.Origin, isSink bool) (*connect.Struct, error) {
	d, err := t.cache.get(s.Schema, t.derive)
	if err != nil {
		return nil, err
	}
	out := d.apply(ctx, r, s)
	v := out.Values[len(d.from):]
	if t.topicSet {
		v[0], v = r.Topic, v[1:]
	}
	if t.partSet {
		if isSink {
			v[0] = origin.Queue
		} else if t.partReq {
			return nil, fmt.Errorf("field %s is required, and a source record has no partition", t.partition)
		}
		v = v[1:]
	}
	if t.offSet {
		v[0], v = origin.Offset, v[1:] // Apply refused a source record
	}
	if t.tsIsSet {
		if !r.Timestamp.IsZero() {
			v[0] = time.UnixMilli(r.Timestamp.UnixMilli()).UTC()
		} else if t.tsReq {
			return nil, fmt.Errorf("field %s is required, and the record has no timestamp", t.tsField)
		}
		v = v[1:]
	}
	if t.hasStatic {
		v[0] = t.staticValue
	}
	return out, nil
}

// derive appends the inserted fields to a row schema.
func (t *insertField) derive(in *connect.Schema) (*reshape, error) {
	fields := slices.Clone(in.Fields)
	from := make([]int, len(in.Fields))
	for i := range from {
		from[i] = i
	}
	add := func(isSet bool, name string, required bool, opt, req *connect.Schema) {
		if !isSet {
			return
		}
		s := opt
		if required {
			s = req
		}
		fields = append(fields, connect.StructField{Name: name, Schema: s})
	}
	add(t.topicSet, t.topic, t.topicReq, optionalString, requiredString)
	add(t.partSet, t.partition, t.partReq, optionalInt32, requiredInt32)
	add(t.offSet, t.offset, t.offReq, optionalInt64, requiredInt64)
	add(t.tsIsSet, t.tsField, t.tsReq, optionalMillis, requiredMillis)
	add(t.hasStatic, t.staticField, t.staticReq, optionalString, requiredString)
	return newReshape(in, fields, from)
}

func (*insertField) Close() error { return nil }

// replaceField is Kafka's ReplaceField$Key / $Value.
type replaceField struct {
	op          operand
	exclude     map[string]bool
	include     map[string]bool
	renames     map[string]string
	excludeList []string    // exclude, to iterate
	renameList  [][2]string // renames, to iterate: from, to

	env   envelopes
	cache schemaCache[*connect.Schema, *reshape]
}

var replaceFieldSpec = connect.ConfigSpec{
	{Name: "exclude", Type: connect.FieldList, Aliases: []string{"blacklist"},
		Description: "Fields to exclude. This takes precedence over the fields to include. (Kafka before 4.0 also called it blacklist.)"},
	{Name: "include", Type: connect.FieldList, Aliases: []string{"whitelist"},
		Description: "Fields to include. If specified, only these fields are kept. (Kafka before 4.0 also called it whitelist.)"},
	{Name: "renames", Type: connect.FieldList, Validate: func(v string) error { _, err := parseRenames(v); return err },
		Description: "Field rename mappings: comma-separated old:new pairs, e.g. foo:bar,abc:xyz."},
	replaceNullField,
}

func (t *replaceField) Spec() connect.Spec {
	return connect.Spec{Name: kafkaPkg + "ReplaceField" + t.op.suffix(), Config: replaceFieldSpec,
		Description: "Filter or rename fields."}
}

func parseRenames(v string) (map[string]string, error) {
	m := map[string]string{}
	for _, p := range splitList(v) {
		parts := strings.Split(p, ":")
		if len(parts) != 2 {
			return nil, fmt.Errorf("invalid rename mapping: %s", p)
		}
		m[parts[0]] = parts[1]
	}
	return m, nil
}

func setOf(items []string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, i := range items {
		m[i] = true
	}
	return m
}

func (t *replaceField) Configure(cfg connect.Config) error {
	cfg, errs := configure(replaceFieldSpec, cfg)
	if len(errs.Fields) > 0 {
		return errs
	}
	t.excludeList = cfg.List("exclude")
	t.exclude, t.include = setOf(t.excludeList), setOf(cfg.List("include"))
	t.renames, _ = parseRenames(cfg.Get("renames"))
	for from, to := range t.renames {
		t.renameList = append(t.renameList, [2]string{from, to})
	}
	return nil
}

func (t *replaceField) Apply(ctx context.Context, r *connect.Record) (*connect.Record, error) {
	v := t.op.get(r, &t.env)
	if v == nil {
		return r, nil
	}
	s, m, err := requireRow(v, "field replacement")
	if err != nil {
		return nil, err
	}
	if s != nil {
		d, err := t.cache.get(s.Schema, t.derive)
		if err != nil {
			return nil, err
		}
		if d.same {
			t.op.set(r, sharedRow(ctx, r, s, d.schema)) // renames only
		} else {
			t.op.set(r, d.apply(ctx, r, s))
		}
		return r, nil
	}
	if len(t.include) > 0 {
		out := make(map[string]any, len(t.include))
		for k, fv := range m {
			if t.keep(k) {
				out[t.renamed(k)] = fv
			}
		}
		made(ctx, r, out)
		t.op.set(r, out)
		return r, nil
	}
	// Cloning and editing is cheaper than building a map.
	out := editable(ctx, r, m)
	for _, k := range t.excludeList {
		delete(out, k)
	}
	if len(t.renames) > 0 {
		// All taken out first, then put back: a rename may target
		// another's old name.
		type move struct {
			to string
			v  any
		}
		var buf [8]move
		moved := buf[:0]
		for _, rn := range t.renameList {
			if v, ok := out[rn[0]]; ok {
				delete(out, rn[0])
				moved = append(moved, move{rn[1], v})
			}
		}
		for _, mv := range moved {
			out[mv.to] = mv.v
		}
	}
	t.op.set(r, out)
	return r, nil
}

// keep is Kafka's ReplaceField.filter: not excluded, and included when
// include is set.
func (t *replaceField) keep(name string) bool {
	return !t.exclude[name] && (len(t.include) == 0 || t.include[name])
}

// derive is Kafka's makeUpdatedSchema: the kept fields in the input's
// order, renamed in place; two fields of one name are an error.
func (t *replaceField) derive(in *connect.Schema) (*reshape, error) {
	var fields []connect.StructField
	var from []int
	for i, f := range in.Fields {
		if t.keep(f.Name) {
			fields = append(fields, connect.StructField{Name: t.renamed(f.Name), Schema: f.Schema})
			from = append(from, i)
		}
	}
	return newReshape(in, fields, from)
}

func (t *replaceField) renamed(k string) string {
	if to, ok := t.renames[k]; ok {
		return to
	}
	return k
}

func (*replaceField) Close() error { return nil }

// valueToKey is Kafka's ValueToKey.
type valueToKey struct {
	fields []string
	env    envelopes
	cache  schemaCache[*connect.Schema, *connect.Schema]
}

var valueToKeySpec = connect.ConfigSpec{
	{Name: keyFields, Type: connect.FieldList, Required: true, Validate: nonEmptyList,
		Description: "Field names on the record value to extract as the record key."},
	replaceNullField,
}

func (*valueToKey) Spec() connect.Spec {
	return connect.Spec{Name: kafkaPkg + "ValueToKey", Config: valueToKeySpec,
		Description: "Replace the record key with a new key formed from a subset of fields in the record value."}
}

func (t *valueToKey) Configure(cfg connect.Config) error {
	cfg, errs := configure(valueToKeySpec, cfg)
	t.fields = cfg.List(keyFields)
	return errs.Err()
}

func (t *valueToKey) Apply(ctx context.Context, r *connect.Record) (*connect.Record, error) {
	s, m, err := requireRow(onValue.get(r, &t.env), "copying fields from value to key")
	if err != nil {
		return nil, err
	}
	if s != nil {
		ks, err := t.cache.get(s.Schema, t.derive)
		if err != nil {
			return nil, err
		}
		key := &connect.Struct{Schema: ks, Values: make([]any, len(t.fields))}
		for i, f := range t.fields {
			key.Values[i] = s.Values[s.Schema.FieldIndex(f)]
		}
		madeStruct(ctx, r, key)
		r.Key = key
		return r, nil
	}
	key := make(map[string]any, len(t.fields))
	for _, f := range t.fields {
		key[f] = m[f]
	}
	made(ctx, r, key)
	r.Key = key
	return r, nil
}

// derive is Kafka's key schema: an unnamed struct of the fields, with
// their schemas in the value; a field the value lacks is an error.
func (t *valueToKey) derive(in *connect.Schema) (*connect.Schema, error) {
	fields := make([]connect.StructField, len(t.fields))
	for i, f := range t.fields {
		j := in.FieldIndex(f)
		if j < 0 {
			return nil, fmt.Errorf("field does not exist: %s", f)
		}
		fields[i] = connect.StructField{Name: f, Schema: in.Fields[j].Schema}
	}
	return structLike(&connect.Schema{}, fields)
}

func (*valueToKey) Close() error { return nil }

// extractField is Kafka's ExtractField$Key / $Value, with
// field.syntax.version V2's dotted paths.
type extractField struct {
	op   operand
	path []string
	env  envelopes
}

var extractFieldSpec = connect.ConfigSpec{
	{Name: keyField, Required: true, Description: "Field name to extract (a dotted path with field.syntax.version=V2)."},
	{Name: "field.syntax.version", Default: "V1", Validate: func(v string) error {
		if !strings.EqualFold(v, "V1") && !strings.EqualFold(v, "V2") {
			return fmt.Errorf("must be V1 or V2, got %q", v)
		}
		return nil
	}, Description: "V1: the field is a top-level name. V2: dots separate nested names; backticks quote a name holding dots."},
	replaceNullField,
}

func (t *extractField) Spec() connect.Spec {
	return connect.Spec{Name: kafkaPkg + "ExtractField" + t.op.suffix(), Config: extractFieldSpec,
		Description: "Extract the specified field from a map and make it the whole key or value; null passes through."}
}

func (t *extractField) Configure(cfg connect.Config) error {
	cfg, errs := configure(extractFieldSpec, cfg)
	if len(errs.Fields) > 0 {
		return errs
	}
	field := cfg.Get(keyField)
	if strings.EqualFold(cfg.Get("field.syntax.version"), "V2") {
		path, err := parseFieldPath(field)
		if err != nil {
			errs.Add(keyField, "%v", err)
			return errs
		}
		t.path = path
	} else {
		t.path = []string{field}
	}
	return nil
}

func (t *extractField) Apply(_ context.Context, r *connect.Record) (*connect.Record, error) {
	v := t.op.get(r, &t.env)
	if v == nil {
		return r, nil
	}
	s, m, err := requireRow(v, "field extraction")
	if err != nil {
		return nil, err
	}
	if s != nil {
		out, err := t.fromStruct(s)
		if err != nil {
			return nil, err
		}
		t.op.set(r, out)
		return r, nil
	}
	var out any
	for i, step := range t.path {
		out = m[step]
		if i == len(t.path)-1 {
			break
		}
		next, ok := out.(map[string]any)
		if !ok {
			out = nil
			break
		}
		m = next
	}
	t.op.set(r, out)
	return r, nil
}

// fromStruct walks the path through nested rows, as Kafka's
// SingleFieldPath does with a schema: a name the schema lacks, or a step
// through a field that is not a struct, is an unknown field; a null row on
// the way gives null.
func (t *extractField) fromStruct(s *connect.Struct) (any, error) {
	var out any
	for i, step := range t.path {
		j := s.Schema.FieldIndex(step)
		if j < 0 {
			return nil, fmt.Errorf("unknown field: %s", strings.Join(t.path[:i+1], "."))
		}
		out = s.Values[j]
		if i == len(t.path)-1 {
			break
		}
		if s.Schema.Fields[j].Schema.Type != connect.TypeStruct {
			return nil, fmt.Errorf("unknown field: %s (%s is not a struct)", strings.Join(t.path, "."), step)
		}
		next, ok := out.(*connect.Struct)
		if !ok || next == nil {
			return nil, nil
		}
		if err := checkRow(next); err != nil {
			return nil, fmt.Errorf("field %s: %w", step, err)
		}
		s = next
	}
	return out, nil
}

func (*extractField) Close() error { return nil }

// parseFieldPath splits a field.syntax.version=V2 path, as Kafka's
// SingleFieldPath does: dots separate names; a name in backticks may hold
// dots; a backtick inside one is escaped with a backslash when it is
// followed by a dot.
func parseFieldPath(path string) ([]string, error) {
	var steps []string
	idx := 0
	for idx < len(path) {
		if path[idx] != '`' {
			dot := strings.IndexByte(path[idx:], '.')
			if dot < 0 {
				steps = append(steps, path[idx:])
				break
			}
			steps = append(steps, path[idx:idx+dot])
			idx += dot + 1
			continue
		}
		open := idx
		idx++
		start := idx
		var field strings.Builder
		for {
			next := strings.IndexByte(path[idx:], '`')
			if next < 0 {
				return nil, fmt.Errorf("incomplete backtick pair in path [%s], consider adding a backslash before backtick at position %d to escape it", path, open)
			}
			idx += next
			escaped := path[idx-1] == '\\'
			if idx >= len(path)-1 {
				if escaped {
					return nil, fmt.Errorf("incomplete backtick pair in path [%s], consider adding a backslash before backtick at position %d to escape it", path, open)
				}
				field.WriteString(path[start:idx])
				steps = append(steps, field.String())
				idx++
				break
			}
			if path[idx+1] != '.' {
				idx++
				continue
			}
			if escaped {
				field.WriteString(path[start : idx-1])
				field.WriteByte('`')
				idx++
				start = idx
				continue
			}
			field.WriteString(path[start:idx])
			steps = append(steps, field.String())
			idx += 2
			break
		}
	}
	if path != "" && path[len(path)-1] == '.' {
		steps = append(steps, "")
	}
	return steps, nil
}

// hoistField is Kafka's HoistField$Key / $Value.
type hoistField struct {
	op    operand
	field string
	env   envelopes
	cache schemaCache[*connect.Schema, *connect.Schema]
}

var hoistFieldSpec = connect.ConfigSpec{
	{Name: keyField, Required: true, Description: "Field name for the single field of the resulting map."},
}

func (t *hoistField) Spec() connect.Spec {
	return connect.Spec{Name: kafkaPkg + "HoistField" + t.op.suffix(), Config: hoistFieldSpec,
		Description: "Wrap the whole key or value in a map with a single field."}
}

func (t *hoistField) Configure(cfg connect.Config) error {
	cfg, errs := configure(hoistFieldSpec, cfg)
	t.field = cfg.Get(keyField)
	return errs.Err()
}

func (t *hoistField) Apply(ctx context.Context, r *connect.Record) (*connect.Record, error) {
	v := t.op.get(r, &t.env)
	if s, ok := v.(*connect.Struct); ok && s != nil {
		// Kafka's schema path: an unnamed struct of one field. Other
		// values carry no schema here, so they take the schemaless path.
		hs, _ := t.cache.get(s.Schema, t.derive)
		out := &connect.Struct{Schema: hs, Values: []any{s}}
		madeStruct(ctx, r, out)
		t.op.set(r, out)
		return r, nil
	}
	out := map[string]any{t.field: v}
	made(ctx, r, out)
	t.op.set(r, out)
	return r, nil
}

func (t *hoistField) derive(in *connect.Schema) (*connect.Schema, error) {
	return connect.NewStructSchema("", false, connect.StructField{Name: t.field, Schema: in}), nil
}

func (*hoistField) Close() error { return nil }

// filter is Kafka's Filter: it drops every record it is applied to.
type filter struct{}

func (filter) Spec() connect.Spec {
	return connect.Spec{Name: kafkaPkg + "Filter",
		Description: "Drops all records, filtering them from subsequent transformations in the chain; use it with a predicate."}
}
func (filter) Configure(connect.Config) error                                  { return nil }
func (filter) Apply(context.Context, *connect.Record) (*connect.Record, error) { return nil, nil }
func (filter) Close() error                                                    { return nil }
