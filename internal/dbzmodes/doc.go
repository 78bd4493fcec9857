// Package dbzmodes maps typed rows from connect-go's lossless encodings
// (the Go values listed beside connect's Type constants) to the value and
// schema modes of Debezium's MySQL connector, with Debezium's setting
// names, so that a consumer written for Debezium reads the rows unchanged.
//
// It is internal while its API settles; mysqlsource is its first user.
//
// # Settings
//
// One switch, value.encoding, picks the defaults of all the others:
// connect_go (nothing changes: the lossless encodings) or debezium
// (Debezium's defaults for everything). Each setting can then be set on its
// own:
//
//	setting                        connect_go default   debezium default
//	time.precision.mode            connect_go           adaptive_time_microseconds
//	decimal.handling.mode          connect_go           precise
//	bigint.unsigned.handling.mode  connect_go           long
//	binary.handling.mode           bytes                bytes
//	bit.handling.mode              number               bytes
//	unsafe.integer.handling.mode   number               number
//
// The first four are Debezium's settings, with its values plus connect_go;
// bit.handling.mode (Debezium always uses bytes) and
// unsafe.integer.handling.mode are connect-go's own. Parse reads them from
// a connect.Config and reports every bad value as a field of a
// *connect.ConfigError; Spec gives the fields for a connector's spec.
//
// # Values
//
// The literal type, schema name and Go value each mode gives; the JSON is
// what Kafka's JsonConverter (and connect-go's) writes for it:
//
//	DATE       connect_go  date time.Time (zero and invalid dates: the server's text)
//	           adaptive_time_microseconds, connect
//	                       int32 io.debezium.time.Date / Kafka Date: int64 days since the epoch
//	           isostring   string io.debezium.time.IsoDate "2017-09-15Z"
//	DATETIME(n) connect_go timestamp time.Time
//	           adaptive    n <= 3: int64 io.debezium.time.Timestamp, ms;
//	                       n <= 6: int64 io.debezium.time.MicroTimestamp, µs
//	           connect     int64 Kafka Timestamp, ms
//	           isostring   string io.debezium.time.IsoTimestamp "2019-07-09T02:28:57.123456Z"
//	TIMESTAMP(n) every Debezium mode: string io.debezium.time.ZonedTimestamp in
//	           UTC with exactly n fraction digits ("2018-06-20T13:37:03.500Z")
//	TIME(n)    connect_go  string "[-]HH:MM:SS[.f]", any range
//	           adaptive    int64 io.debezium.time.MicroTime, µs, any range
//	                       (-838:59:59 is -3020399000000)
//	           connect     int32 Kafka Time, ms of the day
//	           isostring   string io.debezium.time.IsoTime "04:05:11.789Z"
//	DECIMAL    connect_go  string, exact, with the column's scale
//	           precise     bytes Kafka Decimal (scale, connect.decimal.precision):
//	                       []byte, the unscaled value in two's complement,
//	                       big-endian, fewest bytes (Java's BigInteger.toByteArray);
//	                       JSON: base64 ("BOI=" for 12.50 of scale 2)
//	           double      float64
//	           string      string (the exact text)
//	BIGINT UNSIGNED connect_go int64, uint64 above math.MaxInt64
//	           long        int64; above math.MaxInt64 negative, as Debezium's
//	           precise     Kafka Decimal(20,0) bytes
//	BIT(n>1)   number      int64 (uint64 above math.MaxInt64)
//	           bytes       bytes io.debezium.data.Bits (length): []byte of
//	                       (n+7)/8 bytes, little-endian
//	BINARY, BLOB bytes     []byte (JSON: base64)
//	           base64, base64-url-safe (padded, as Java's), hex (lower case): string
//
// ENUM (io.debezium.data.Enum, allowed), SET (io.debezium.data.EnumSet),
// JSON (io.debezium.data.Json), YEAR (io.debezium.time.Year) and the other
// integer and floating types are Debezium's already and stay as they are.
// With value.encoding=debezium, BIT(1) becomes a plain boolean and strings
// lose their charset, as Debezium's schemas have neither.
//
// TIME values outside 00:00:00 to 23:59:59.999999 (MySQL allows -838:59:59
// to 838:59:59) cannot be carried by connect or isostring: Debezium turns
// them into null or 0; Map returns an error wrapping ErrUnrepresentable that
// names the field instead.
//
// Zero and invalid dates (0000-00-00, 2024-00-10) come from a source as
// the server's text (a string in a date or timestamp field, see
// connect.IsDateText; nil is taken alike). In every Debezium mode they
// become what Debezium makes of them: null when the field is optional, the
// epoch (0, "1970-01-01Z", "1970-01-01T00:00:00Z") when it is not. So the
// input schema must say whether the column is NULL or NOT NULL. In
// connect_go mode values and schemas pass unchanged: the text stays, and
// a NOT NULL date column's field stays required.
//
// Debezium's two-digit-year adjustment (enable.time.adjuster, on by
// default in Debezium, which turns YEAR 0 into 2000 and the date 0069-01-01
// into 2069-01-01) is not applied: years stay as stored.
//
// unsafe.integer.handling.mode=string writes integers beyond ±2^53 (from
// BIGINT, BIGINT UNSIGNED under connect_go or long, BIT(n>53) as numbers)
// as decimal text, for JSON readers that parse numbers as doubles; smaller
// values of the same field stay numbers, so use it without schemas only.
//
// # Schemas
//
// A Mapper derives a row schema's output schema once and remembers it by
// pointer (bounded); rows are then mapped field by field with a plan made
// for the schema, in place (MapInPlace) or into a new row (Map). The
// output fields use the literal type (connect.TypeInt32, TypeInt64,
// TypeString, TypeBytes, ...) with Debezium's or Kafka's schema name in
// Schema.Name; Decimal's scale and precision are in Schema.Scale and
// Schema.Precision, Bits' length in Schema.Width. KafkaForm gives the
// version and parameters Kafka Connect's schema JSON holds for them.
package dbzmodes
