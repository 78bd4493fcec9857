// Package converter turns connect.Records into connect.Messages and back.
//
// JSON is the default converter. Bytes passes raw bytes through and String
// carries text. All three are stateless, safe for concurrent use, and share
// the header conventions below, so a message written by one can be read by
// another (a Bytes reader sees a JSON value as its bytes).
//
// # Messages
//
// Message.Topic is Record.Topic. Record.Position is not carried: it belongs
// to the source side of the pipeline. Record.Headers are copied into a new
// map on Encode (the record's map is never changed); headers whose names the
// converters own (below) are dropped from the copy and written by the
// converter itself. Decode removes the owned headers it consumed and returns
// the rest as Record.Headers, nil when none are left.
//
// Owned headers:
//
//	connect.timestamp      Record.Timestamp in Unix nanoseconds, decimal;
//	                       absent for the zero time
//	connect.key.format     "bytes" or "string" when the key is written raw
//	connect.value.format   "bytes" or "string" when the value is written raw
//	connect.key.types      where []byte and time.Time sit in a JSON key
//	connect.value.types    where []byte and time.Time sit in a JSON value
//	connect.op             the operation of a change event
//	connect.key.schema     "envelope" when the key is in Kafka Connect's schema envelope
//	connect.value.schema   "envelope" when the value is in Kafka Connect's schema envelope
//
// Decoded timestamps are in the local time zone, as time.Unix returns them.
// A timestamp outside the years 1678 to 2262 (the range of Unix nanoseconds
// in an int64) is an encode error.
//
// # Keys
//
// A nil key is written as no key bytes. A []byte key is written as is with
// connect.key.format=bytes, a string key as its bytes with
// connect.key.format=string: transports hash key bytes to pick a queue, and
// these keys hash as themselves. Any other key is written as JSON, exactly as
// a value is, with connect.key.types when needed. JSON object members are
// written in sorted order, so equal keys always give equal bytes.
//
// # Values
//
// A []byte value is written as is with connect.value.format=bytes, a string
// value with connect.value.format=string, and a nil value as no bytes (a
// tombstone). Anything else is written as one JSON document.
//
// # Change events
//
// A record with a Change is written as Debezium's envelope,
//
//	{"before":{...},"after":{...},"source":{...},"op":"u","ts_ms":1700000000000}
//
// where before, after and source are null when nil, op is the operation and
// ts_ms is Record.Timestamp in Unix milliseconds (left out for the zero
// time). An event with a processing time (Change.At) gets Debezium 3's
// whole envelope instead:
//
//	{"before":...,"after":...,"source":...,"transaction":null,"op":"u","ts_ms":...,"ts_us":...,"ts_ns":...}
//
// with ts_ms, ts_us and ts_ns the processing time, and transaction
// Debezium's block ({"id":...,"total_order":...,"data_collection_order":...},
// schema name event.block) when Change.Transaction is set (an event with
// a block but no processing time gets the block alone). The header
// connect.op=<op> marks the message as a change event: Decode rebuilds
// Record.Change (Op, Before, After, Source, Transaction, and At from ts_ns
// or ts_us) and leaves Value nil. Messages without the header are plain values, whatever their shape.
// A record with both Value and Change, or with an unknown Op, is an encode
// error.
//
// # JSON values
//
// The JSON converter writes nil, bool, string, every int, uint and float
// kind, json.Number, []any, map[string]any, []string, map[string]string,
// []map[string]any, []byte and time.Time itself, and decodes into the
// generic types: map[string]any, []any, string, bool, nil and numbers. A
// typed row (*connect.Struct) is an object with its members in the schema's
// order; without the schema envelope (below) it decodes as a map.
//
// Numbers: integers decode as int64, or as uint64 above math.MaxInt64 (so
// an unsigned BIGINT's maximum, 18446744073709551615, round-trips); integers
// beyond uint64, and floats beyond float64, decode as json.Number. Floats are
// always written with a '.' or an exponent (1.0 is "1.0"), so they decode as
// float64 again; a float32 is written with its shortest decimal form and
// decodes as that float64. NaN and infinities are an encode error naming
// where the value sits. A json.Number is written as the number it holds and
// decodes by the rules above.
//
// Strings are escaped as encoding/json escapes them (without its HTML
// escaping); invalid UTF-8 is written as U+FFFD, one per bad byte, as
// encoding/json does. Member names that become equal that way are written
// once, with the value of the name last in byte order. Decoding likewise
// turns invalid UTF-8 and unpaired surrogate escapes into U+FFFD, and of
// repeated member names keeps the last.
//
// Values of any other type are written with encoding/json.Marshal and decode
// generically: a struct comes back as a map[string]any, its []byte and
// time.Time fields as plain strings, its whole floats as integers. That path
// is lossy and slower; prefer the types above. Values encoding/json cannot
// write (channels, functions, NaN) and nesting deeper than 10000 levels
// (which is how cycles of maps and slices end) are encode errors, never
// panics.
//
// # Bytes and times inside JSON
//
// JSON has no bytes or times, so a []byte is written as a base64 string
// (standard encoding, padded) and a time.Time as an RFC 3339 string with
// nanoseconds, as encoding/json writes them: any JSON consumer can read them.
// To bring them back, the converter lists where they are in
// connect.value.types (connect.key.types for the key), a comma-separated list
// of pointer=kind entries, kind being bytes or time:
//
//	connect.value.types: /after/data=bytes,/after/updated=time,/tags/0=bytes
//
// The pointer is an RFC 6901 JSON pointer into the document ("" is the whole
// document): in each member name '~' is written "~0" and '/' "~1". Then, so
// that the list splits unambiguously, '%', ',', '=' and ASCII control
// characters in each pointer are percent-encoded as %XX with upper-case hex
// ("%25", "%2C", "%3D"). The header is absent when there is nothing to list.
// Decode converts the named strings back; a named path that is missing, not a
// string or not valid base64 or RFC 3339 is a decode error.
//
// # Schemas: Kafka Connect's envelope
//
// With schemas enabled (WithKeySchemas, WithValueSchemas; Kafka's
// key.converter.schemas.enable and value.converter.schemas.enable) the JSON
// converter writes a key or value as Kafka's JsonConverter does:
//
//	{"schema": {"type":"struct","fields":[...],"optional":false,"name":"..."}, "payload": {...}}
//
// with Kafka's type names (boolean, int8, int16, int32, int64, float,
// double, string, bytes, array, map, struct), "optional", "name",
// "version", "doc", "parameters", struct "fields" each with its "field"
// name, array "items", map "keys" and "values", members in the order
// Kafka writes them (testdata/kafka holds golden files). The message
// carries connect.key.schema or connect.value.schema=envelope.
//
// A typed row (*connect.Struct) is written with its schema; the payload is
// the row in schema order, each value of its field's Go type (checked: a
// value of another type, or a null in a non-optional field, is an encode
// error naming the field). A change event with typed rows is written with
// Debezium's envelope schema: a struct named "<row name without
// .Value>.Envelope" of before and after (the row schema, made optional as
// Debezium's are), source (the source row's schema; an optional empty
// struct when the event has none), op (string) and ts_ms (optional int64);
// the payload is Debezium's envelope as above.
//
// Logical types are written as follows. Where the payload is what Kafka or
// Debezium write for the type, their name is used; where it is this
// project's own form (the Go values of connect.Type, which the envelope does
// not change), the name is io.openmessaging.connect.* and the parameters
// carry what the type needs, so that nothing is lost:
//
//	connect.Type       Kafka type   name                                parameters               payload
//	Bool               boolean                                                                   true
//	Int8 ... Int64     int8 ... int64                                                            12
//	Uint64             int64        io.openmessaging.connect.Uint64                              18446744073709551615 (beyond Kafka's int64 above 2^63-1)
//	Float32, Float64   float, double                                                             1.5
//	Decimal            string       io.openmessaging.connect.Decimal    scale, connect.decimal.precision  "-12.50"
//	Date               string       io.openmessaging.connect.Date                                "2024-02-29T00:00:00Z"
//	Time               string       io.openmessaging.connect.Time       fraction                 "-838:59:59.000000"
//	Timestamp          string       io.openmessaging.connect.Timestamp  fraction                 "2024-01-02T03:04:05.123Z" (DATETIME: a wall clock)
//	Timestamp (Zoned)  string       io.debezium.time.ZonedTimestamp v1  fraction                 "1970-01-01T00:00:01.000001Z"
//	Year               int32        io.debezium.time.Year v1                                     2155
//	String             string                                           charset (when set)       "text"
//	Bytes              bytes                                                                     "AQID" (base64)
//	JSON               string       io.debezium.data.Json v1                                     "{\"a\":1}"
//	Enum               string       io.debezium.data.Enum v1            allowed (members, when one holds a ',')  "medium"
//	Set                string       io.debezium.data.EnumSet v1         allowed (members, likewise)              "r,x"
//	Bit (Width 1)      boolean      io.openmessaging.connect.Bits       length                   true
//	Bit                int64        io.openmessaging.connect.Bits       length                   165
//	Array              array (items)                                                             [...]
//	Map                map (keys, values)                                                        {...}
//	Struct             struct (fields)  Schema.Name                                              {...}
//
// A Date or Timestamp value may also be the server's text of a zero or
// invalid date ("0000-00-00", "2024-00-10 00:00:00", see
// connect.IsDateText): it is written as that text and read back as it.
//
// "v1" is Debezium's "version":1 of those schemas. fraction is the digits
// of the fraction of a second; allowed is Debezium's comma-joined members;
// members is a JSON array of them. Debezium's io.debezium.data.Bits is not
// used: its payload is bytes, ours an integer. Schema.Doc is "doc";
// Schema.Name of a logical type, whose Kafka name is the logical name, is
// the parameter io.openmessaging.connect.name. Map keys are written as
// JSON object names whatever their schema (Kafka writes maps with
// non-string keys as arrays of pairs); a map without a Key schema has
// string keys.
//
// Values without a schema are written as Kafka writes schemaless data: a
// string, []byte, bool, signed integer, float32 or float64 with the one
// Kafka schema its Go type names (string, bytes, boolean, int64, float,
// double: Kafka's quickstart writes {"schema":{"type":"string",
// "optional":false},"payload":"foo"}), anything else (maps, arrays,
// times, unsigned integers, change events with untyped rows) with
// "schema": null and the payload as without schemas, its []byte and
// time.Time listed in the types header relative to the payload. No struct
// schema is inferred from a map: one map cannot tell the type of a null
// member or of an empty array, and a schema guessed per record would
// change from record to record under a consumer that expects one per
// table.
//
// Decode reads an envelope when the schema header says so, and, with
// schemas enabled, any document that is an object of exactly "schema" and
// "payload" (Kafka's, from producers that write no headers); other
// documents are plain JSON then (Kafka fails on them). A converter without
// schemas reads an envelope only when the header marks it, so a sink reads
// what a source wrote whatever the sink's schemas setting. The schema comes
// back as a *connect.Schema equal to the written one (Schema.Equal; rows of
// a change event come back optional, as written), a struct payload as a
// *connect.Struct, other payloads as the Go values of their type; a
// "schema": null payload decodes as plain JSON. Schemas are cached by
// their text (WithSchemaCacheSize, Kafka's schemas.cache.size, 1000 by
// default), so the rows of one table share one *connect.Schema.
//
// A schema of a literal type named as one of Kafka's or Debezium's own
// semantic types (the rows of Debezium's value modes: int32
// io.debezium.time.Date, int64 io.debezium.time.MicroTimestamp, string
// io.debezium.time.ZonedTimestamp, bytes org.apache.kafka.connect.data.Decimal
// with Schema.Scale and Schema.Precision, bytes io.debezium.data.Bits with
// Schema.Width, ...) is written with their "version":1 and parameters, and
// read back as that literal type and name with those fields set: a
// ZonedTimestamp without this package's fraction parameter is Debezium's
// string, not a Timestamp. Other names keep their Kafka type and name;
// their parameters are dropped.
//
// # Connector settings
//
// FromConfig builds a connector's converter from Kafka Connect's settings
// key.converter, value.converter and header.converter with their
// sub-settings:
//
//	class (Kafka's, the Kafka aliases, RocketMQ Connect's)     sub-settings
//	org.apache.kafka.connect.json.JsonConverter                 schemas.enable (default true, as in Kafka),
//	  JsonConverter, Json,                                      schemas.cache.size (default 1000),
//	  org.apache.rocketmq.connect.runtime.converter.record.json.JsonConverter,
//	  org.apache.rocketmq.connect.runtime.converter.JsonConverter,
//	  io.openmessaging.connect.runtime.converter.JsonConverter  replace.null.with.default (accepted: schemas here carry no defaults)
//	org.apache.kafka.connect.storage.StringConverter            converter.encoding (UTF-8 only)
//	  StringConverter, String,
//	  org.apache.rocketmq.connect.runtime.converter.record.StringConverter
//	org.apache.kafka.connect.converters.ByteArrayConverter      none
//	  ByteArrayConverter, ByteArray,
//	  org.apache.rocketmq.connect.runtime.converter.record.ByteArrayConverter
//	org.apache.kafka.connect.storage.SimpleHeaderConverter      none (header.converter only)
//	  SimpleHeaderConverter, SimpleHeader
//
// header.converter takes SimpleHeaderConverter or StringConverter: headers
// are strings here, written as they are, so it changes nothing. An unknown
// class, a sub-setting its class lacks, a bad value, JsonConverter's
// decimal.format (decimals are exact strings here) and a sub-setting
// without its class in the same config are field errors. Keys go through
// the key converter; values, change events, timestamps and headers through
// the value converter. Two parts of one kind make one converter (JSON with
// schemas per part); two kinds make a Pair, which encodes and decodes the
// key and the rest separately. A part not set is the worker's converter.
//
// # Bytes and String
//
// Bytes accepts a []byte or nil value and a []byte, string or nil key;
// String accepts a string, []byte, fmt.Stringer or nil for both. Both refuse
// change events and write the format and timestamp headers as JSON does.
// Bytes decodes values as []byte, String as string; for both an empty key or
// value without a format header decodes as nil. They leave connect.op and the
// types and schema headers, which only JSON interprets, in the decoded
// Record.Headers.
// Raw []byte keys and values are shared between record and message, never
// copied, by all three converters.
//
// # Errors
//
// Encode errors read "converter: encode key|value of topic T: ..." and name
// the JSON pointer of the offending value; decode errors read
// "converter: decode key|value of topic T: ..." (malformed JSON, truncated
// input, an unknown header value). Neither panics on any input.
package converter
