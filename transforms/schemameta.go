package transforms

import (
	"context"
	"errors"
	"fmt"

	connect "github.com/openmessaging/connect-go"
)

// setSchemaMetadata is Kafka's SetSchemaMetadata$Key / $Value: it renames
// the schema of a typed key or value. connect.Schema has no version, so
// schema.version is refused rather than ignored.
type setSchemaMetadata struct {
	op    operand
	name  string
	env   envelopes
	cache schemaCache[*connect.Schema, *connect.Schema]
}

var setSchemaMetadataSpec = connect.ConfigSpec{
	{Name: "schema.name", Required: true, Description: "Schema name to set."},
	{Name: "schema.version", Type: connect.FieldInt,
		Description: "Kafka's schema version: not supported, records' schemas carry no version (setting it is an error)."},
	replaceNullField,
}

func (t *setSchemaMetadata) Spec() connect.Spec {
	return connect.Spec{Name: kafkaPkg + "SetSchemaMetadata" + t.op.suffix(), Config: setSchemaMetadataSpec,
		Description: "Set the schema name of a typed key or value (a *connect.Struct)."}
}

func (t *setSchemaMetadata) Configure(cfg connect.Config) error {
	applied, errs := configure(setSchemaMetadataSpec, cfg)
	if _, set := cfg["schema.version"]; set {
		errs.Add("schema.version", "records' schemas carry no version: only schema.name can be set")
	}
	t.name = applied.Get("schema.name")
	return errs.Err()
}

// Apply renames the schema of a *connect.Struct; a null key or value
// passes; anything else has no schema, which Kafka refuses too. On a change
// event whose rows are typed, the envelope is renamed: as it stays a
// change event, the name is not kept (unwrap it first).
func (t *setSchemaMetadata) Apply(ctx context.Context, r *connect.Record) (*connect.Record, error) {
	v := t.op.get(r, &t.env)
	if v == nil {
		return r, nil
	}
	s, ok := v.(*connect.Struct)
	if !ok || s == nil {
		return nil, fmt.Errorf("schema required for [updating schema metadata]: the %s is a %s without one", t.what(), typeOf(v))
	}
	if s.Schema == nil {
		return nil, errors.New("schema required for [updating schema metadata]: the row has none")
	}
	renamed, _ := t.cache.get(s.Schema, func(in *connect.Schema) (*connect.Schema, error) {
		return renamedSchema(in, t.name), nil
	})
	t.op.set(r, sharedRow(ctx, r, s, renamed))
	return r, nil
}

func (t *setSchemaMetadata) what() string {
	if t.op == onKey {
		return "key"
	}
	return "value"
}

func (*setSchemaMetadata) Close() error { return nil }
