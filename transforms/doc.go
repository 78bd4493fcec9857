// Package transforms holds the built-in single message transforms and
// predicates (connect.Transform, connect.Predicate): Kafka Connect's, with
// Kafka's type names and settings, and Debezium's ExtractNewRecordState.
// The runtime registers them by default; runtime.WithTransform and
// runtime.WithPredicate add an application's own (or replace a built-in).
//
// # Configuration
//
// A connector config names its chain as Kafka Connect does:
//
//	transforms=unwrap,route
//	transforms.unwrap.type=io.debezium.transforms.ExtractNewRecordState
//	transforms.unwrap.delete.handling.mode=rewrite
//	transforms.route.type=org.apache.kafka.connect.transforms.RegexRouter
//	transforms.route.regex=dbserver1\.inventory\.(.*)
//	transforms.route.replacement=$1
//	transforms.route.predicate=notHeartbeat
//	transforms.route.negate=true
//	predicates=notHeartbeat
//	predicates.notHeartbeat.type=TopicNameMatches
//	predicates.notHeartbeat.pattern=__debezium-heartbeat.*
//
// A type is named by Kafka's (or Debezium's) class name or by the part
// after its last dot ("RegexRouter", "InsertField$Value"). Source
// connectors apply the chain before conversion, sink connectors after. A
// record a transform fails (an error, or a panic) is retried while the
// error is connect.Retriable, then goes to the dead-letter topic with stage
// TRANSFORMATION, or fails the task, per errors.tolerance. A dropped
// record's source position is committed like any other's.
//
// Validation (runtime.Runtime.Validate, the REST API's validate) reports
// every bad setting as a field error under its full key
// ("transforms.route.regex: invalid regex ..."); a setting a transform
// does not know, and a key under an alias not listed in transforms or
// predicates, is an error too: nothing is accepted and ignored.
//
// # Built-in transforms
//
// Class names below are under org.apache.kafka.connect.transforms. unless
// they start with io.debezium. $Key/$Value variants work on the key or the
// value.
//
//	type (alias)                           settings
//	RegexRouter                            regex, replacement
//	TimestampRouter                        topic.format, timestamp.format
//	InsertField$Key / $Value               topic.field, partition.field, offset.field, timestamp.field,
//	                                       static.field, static.value
//	ReplaceField$Key / $Value              exclude (blacklist), include (whitelist), renames,
//	                                       replace.null.with.default
//	MaskField$Key / $Value                 fields, replacement, replace.null.with.default
//	ValueToKey                             fields, replace.null.with.default
//	ExtractField$Key / $Value              field, field.syntax.version (V1, V2), replace.null.with.default
//	HoistField$Key / $Value                field
//	Cast$Key / $Value                      spec, replace.null.with.default
//	TimestampConverter$Key / $Value        field, target.type, format, unix.precision,
//	                                       replace.null.with.default
//	SetSchemaMetadata$Key / $Value         schema.name, schema.version (refused), replace.null.with.default
//	Filter                                 (none)
//	HeaderFrom$Key / $Value                fields, headers, operation, replace.null.with.default
//	InsertHeader                           header, value.literal
//	DropHeaders                            headers
//	io.debezium.transforms.                drop.tombstones, delete.handling.mode,
//	  ExtractNewRecordState                delete.tombstone.handling.mode, add.fields, add.fields.prefix,
//	                                       add.headers, add.headers.prefix
//
// Predicates, under org.apache.kafka.connect.transforms.predicates.:
//
//	TopicNameMatches                       pattern
//	HasHeaderKey                           name
//	RecordIsTombstone                      (none)
//
// Not built in: Flatten and Kafka's other transforms outside the list
// above, RocketMQ Connect's own transforms, and Debezium's settings other
// than those listed (route.by.field, drop.fields.*; naming one is an
// error).
//
// # Records, and change events
//
// A key or value is a typed row (*connect.Struct, Kafka's Struct with its
// schema), a map[string]any (Kafka's schemaless Map), or another Go value
// (schemaless too: connect.Record holds no schema beside a value). The
// transforms follow Kafka's code path for each; see Typed rows. A change event
// (connect.Record.Change) is, to the $Value transforms, Debezium's
// envelope, as Kafka applies them to a Debezium record's value: a map with
// before, after, source, op and (when the record has a timestamp) ts_ms.
// When the transformed value still has that shape (ReplaceField excluding
// source, say) the record stays a change event; otherwise it becomes a
// plain record whose value is the transformed map (ExtractField$Value with
// field=after gives the row; InsertField$Value gives the envelope with
// one more field, as Kafka writes it). ExtractNewRecordState turns change
// events into rows: the after image for creates, updates and snapshot
// reads; deletes dropped, rewritten (the before image with __deleted) or
// turned into tombstones; tombstones (no value, no change) dropped or kept;
// truncates dropped with the tombstones. Records that are not change events
// pass through it unchanged. RecordIsTombstone holds for records with
// neither a value nor a change event.
//
// # Typed rows
//
// On a *connect.Struct the transforms do what Kafka's do on a Struct: the
// result is a new *connect.Struct whose schema is derived from the
// input's (Kafka's copySchemaBasics: name, optionality and doc kept) with
// fields added at the end (InsertField in Kafka's order: topic,
// partition, offset, timestamp, static; ExtractNewRecordState's
// add.fields, then __deleted), removed (ReplaceField, HeaderFrom with
// move), renamed in place (ReplaceField) or retyped (Cast,
// TimestampConverter), or a new one: ValueToKey's key and HoistField's
// wrapper are unnamed structs, as in Kafka; SetSchemaMetadata renames.
// Fields a transform adds are optional unless Kafka makes them required
// (InsertField's "!" suffix); a cast or converted field keeps its
// optionality; ExtractNewRecordState's added fields are the optional
// forms of the envelope's members (a source field keeps its type).
//
// A derived schema is made once per input schema (the rows of a table
// version share one) and reused from a small cache per transform keyed by
// the input *connect.Schema. Input schemas, and rows the chain does not
// own, are never changed; a renaming ReplaceField or SetSchemaMetadata
// shares the input's values under the new schema.
//
// Kafka's failures on a Struct are kept, where its schemaless path goes
// on: a field a transform adds that the row has, or a rename onto a kept
// name (duplicate field); ValueToKey, ExtractField and HeaderFrom naming a
// field the schema lacks; Cast of a whole row, or of an array, map or
// struct field; TimestampConverter on a field whose type is no timestamp
// (int32, decimal, ...); ExtractNewRecordState adding a source field the
// source block's schema lacks; SetSchemaMetadata on a value without a
// schema (a map). Where the schema says more than a Go value, the typed
// result differs from the untyped one: InsertField's timestamp.field is a
// timestamp (a map gets Unix milliseconds), and a field with no value for
// the record (the partition of a source record, a missing timestamp) is
// null rather than absent; MaskField masks a decimal to zero with the
// scale's digits and a time of day to 00:00:00; Cast reads a decimal as
// a number (Kafka's BigDecimal), a date as days, a timestamp as Unix
// milliseconds and a time of day as milliseconds, and writes dates as
// Kafka's Values.dateFormatFor; TimestampConverter's Time target is
// connect.TypeTime text ("07:08:09.123") with the input's fraction digits.
// Values keep the Go types of the schemaless path (Cast to int8 gives an
// int8 in a TypeInt8 field), which connect.Struct accepts.
//
// A change event whose images and source block are typed is, to the
// $Value transforms, Debezium's envelope as a *connect.Struct: before and
// after (the optional form of the row schema), source, op (a string) and
// ts_ms (an optional int64, null without a timestamp), named
// <prefix>.Envelope after a <prefix>.Value row schema. The rows in it are
// the event's own, with their own schemas. When a transformed envelope
// keeps that shape the record stays a change event (a name SetSchemaMetadata
// gave the envelope is then not kept). A change event with an untyped
// image or source block has the map envelope, as before.
//
// # What differs from Kafka
//
//   - Regular expressions are Go's RE2, not java.util.regex: no
//     backreferences or lookaround (a configuration error names the
//     problem), and '.' excludes only \n. Replacement strings follow Java's
//     ($n, ${name}, \ escapes). Matching is Java's: the whole topic must
//     match (Matcher.matches), and the leftmost match is replaced
//     (replaceFirst).
//   - Date formats are java.text.SimpleDateFormat patterns in UTC and the
//     en_US locale, letters G y Y M L d D E u a H k K h m s S z Z X; w, W
//     and F are a configuration error. Parsing is lenient, as
//     SimpleDateFormat's default: fields roll over, trailing text is
//     ignored.
//   - Timestamps: Kafka's java.util.Date is time.Time (UTC); Date, Time and
//     Timestamp results are time.Time values. TimestampConverter keeps
//     sub-millisecond precision, which Kafka loses, and takes any Go integer
//     (Kafka: Long only) as Unix time. InsertField's timestamp.field is the
//     record's timestamp in Unix milliseconds (Kafka's schemaless Long).
//   - Cast takes any Go integer or float kind and json.Number; an unsigned
//     value above int64 is an error. Results are int8..int64, float32,
//     float64, bool, string; numbers become text as Java's toString writes
//     them (1.0E7).
//   - A field a record lacks stays absent: Kafka's schemaless Cast,
//     MaskField and TimestampConverter add it with null.
//   - MaskField masks []byte as Kafka masks byte[]: an error. It masks any
//     slice or map with an empty one of the same type.
//   - Headers are strings, one value per name: InsertHeader and HeaderFrom
//     replace a header of that name (Kafka adds another); a null field
//     gives no header; HeaderFrom writes numbers as Java does, bytes in
//     base64, times as yyyy-MM-dd'T'HH:mm:ss.SSS'Z', lists and maps as
//     JSON. Header names starting with "connect." belong to the converters
//     and are refused.
//   - InsertField: partition.field is the record's transport queue and
//     offset.field its offset there, for sink records (connect.OriginFrom);
//     source records have neither (partition.field inserts nothing,
//     offset.field fails the record, as in Kafka). static.field without
//     static.value is a configuration error (Kafka inserts nothing).
//     The ! and ? suffixes make the field of a typed row required or
//     optional (the default), as in Kafka; a map has no use for them.
//   - replace.null.with.default is accepted and changes nothing: schemas
//     carry no default values.
//   - SetSchemaMetadata: schemas have no version, so schema.version is a
//     configuration error and schema.name is required. ExtractField,
//     Cast and TimestampConverter of a whole value give a value without a
//     schema (connect.Record has none beside a value), unless it is a row.
//   - ReplaceField accepts Kafka 3's blacklist and whitelist as exclude and
//     include.
//   - ExtractNewRecordState: add.fields reads op, ts_ms, ts_us and ts_ns
//     from the event (the processing time, connect.Change.At; ts_ms falls
//     back to the record's timestamp), id, total_order and
//     data_collection_order from its transaction block, other names from
//     its source block (a field the event lacks is left out). drop.tombstones and delete.handling.mode combined
//     with delete.tombstone.handling.mode are a configuration error
//     (Debezium ignores the older two).
//
// # Performance
//
// Transforms change the maps and rows they are given only through copies,
// unless they know the map or row is theirs: the runtime hands them a
// transforms.Ownership, so that a map or row one built-in made for a
// record (or a record a sink just decoded) is changed in place by the
// next built-in instead of being copied again. With no transforms configured a record
// costs nothing more.
package transforms
