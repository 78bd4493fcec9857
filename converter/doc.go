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
// time). The header connect.op=<op> marks the message as a change event:
// Decode rebuilds Record.Change (Op, Before, After, Source) and leaves Value
// nil. Messages without the header are plain values, whatever their shape.
// A record with both Value and Change, or with an unknown Op, is an encode
// error.
//
// # JSON values
//
// The JSON converter writes nil, bool, string, every int, uint and float
// kind, json.Number, []any, map[string]any, []string, map[string]string,
// []map[string]any, []byte and time.Time itself, and decodes into the
// generic types: map[string]any, []any, string, bool, nil and numbers.
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
// # Bytes and String
//
// Bytes accepts a []byte or nil value and a []byte, string or nil key;
// String accepts a string, []byte, fmt.Stringer or nil for both. Both refuse
// change events and write the format and timestamp headers as JSON does.
// Bytes decodes values as []byte, String as string; for both an empty key or
// value without a format header decodes as nil. They leave connect.op and the
// types headers, which only JSON interprets, in the decoded Record.Headers.
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
