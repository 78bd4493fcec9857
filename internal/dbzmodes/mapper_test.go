package dbzmodes

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// Where the expectations come from. Debezium's MySQL connector
// documentation lives in debezium/debezium under
// documentation/modules/ROOT/partials/modules/all-connectors/: the data
// type mappings in shared-mariadb-mysql.adoc (published as
// https://debezium.io/documentation/reference/stable/connectors/mysql.html#mysql-data-types),
// the settings in ref-mariadb-mysql-rqd-connector-cfg-props.adoc.
const (
	// "Basic types": BIT(1) BOOLEAN; BIT(>1) BYTES io.debezium.data.Bits,
	// "The length schema parameter contains an integer that represents
	// the number of bits. The byte[] contains the bits in little-endian
	// form and is sized to contain the specified number of bits ...
	// numBytes = n/8 + (n%8== 0 ? 0 : 1)"; TINYINT INT8, TINYINT
	// UNSIGNED INT16, SMALLINT INT16, MEDIUMINT INT32, INT INT32, BIGINT
	// INT64, REAL FLOAT32, DOUBLE FLOAT64, CHAR/VARCHAR/TEXT STRING,
	// BINARY/VARBINARY/BLOB "BYTES or STRING ... based on the
	// binary.handling.mode"; JSON STRING io.debezium.data.Json; ENUM
	// STRING io.debezium.data.Enum with "allowed"; SET STRING
	// io.debezium.data.EnumSet; YEAR INT32 io.debezium.time.Year;
	// TIMESTAMP STRING io.debezium.time.ZonedTimestamp "In ISO 8601
	// format with microsecond precision".
	docBasic = "Debezium MySQL docs, Data type mappings, Basic types"
	// "Temporal types": the adaptive_time_microseconds, connect and
	// isostring tables; "DATETIME with a value of 2018-06-20 06:37:03
	// becomes 1529476623000", "TIMESTAMP with a value of 2018-06-20
	// 06:37:03 becomes 2018-06-20T13:37:03Z" (server at UTC-7); IsoDate
	// "2017-09-15Z", IsoTime "04:05:11.789Z", IsoTimestamp
	// "2019-07-09T02:28:57.123456Z"; "The MySQL connector represents
	// zero-values as null values when the column definition allows null
	// values, or as the epoch day when the column does not allow null
	// values."; connect: "Values in only the range of 00:00:00.000 to
	// 23:59:59.999 can be handled".
	docTemporal = "Debezium MySQL docs, Data type mappings, Temporal types"
	// "Decimal types": precise BYTES org.apache.kafka.connect.data.Decimal
	// with "scale"; double FLOAT64; string STRING. Kafka's JsonConverter
	// writes a Decimal as base64 of BigInteger.toByteArray (decimal.format
	// BASE64, its default); Debezium adds connect.decimal.precision
	// (SpecialValueDecimal.builder).
	docDecimal = "Debezium MySQL docs, Data type mappings, Decimal types"
	// bigint.unsigned.handling.mode: long "values that exceed that size
	// ... the connector emits the column value as a negative number";
	// precise "org.apache.kafka.connect.data.Decimal".
	docBigint = "Debezium MySQL docs, Connector properties, bigint.unsigned.handling.mode"
	// binary.handling.mode: bytes "byte array", base64 "base64-encoded
	// String", base64-url-safe "base64-url-safe-encoded String", hex
	// "hex-encoded (base16) String".
	docBinary = "Debezium MySQL docs, Connector properties, binary.handling.mode"
	// Not Debezium's: connect-go's lossless encodings (package connect,
	// the Type constants).
	docConnectGo = "connect-go lossless encoding"
)

var (
	lossless = Defaults(EncodingConnectGo)
	dbz      = Defaults(EncodingDebezium)
)

func with(s Settings, f func(*Settings)) Settings {
	f(&s)
	return s
}

var (
	dbzConnect   = with(dbz, func(s *Settings) { s.Time = TimeConnect })
	dbzIso       = with(dbz, func(s *Settings) { s.Time = TimeIsoString })
	dbzDouble    = with(dbz, func(s *Settings) { s.Decimal = DecimalDouble })
	dbzString    = with(dbz, func(s *Settings) { s.Decimal = DecimalString })
	dbzPrecise   = with(dbz, func(s *Settings) { s.BigintUnsigned = BigintPrecise })
	dbzBase64    = with(dbz, func(s *Settings) { s.Binary = BinaryBase64 })
	dbzBase64URL = with(dbz, func(s *Settings) { s.Binary = BinaryBase64URLSafe })
	dbzHex       = with(dbz, func(s *Settings) { s.Binary = BinaryHex })
	dbzBitsNum   = with(dbz, func(s *Settings) { s.Bits = BitsNumber })
	unsafeStr    = with(lossless, func(s *Settings) { s.UnsafeIntegers = UnsafeString })
	dbzUnsafeStr = with(dbz, func(s *Settings) { s.UnsafeIntegers = UnsafeString })
)

func ts(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
	return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
}

func date(y int, mo time.Month, d int) time.Time { return ts(y, mo, d, 0, 0, 0, 0) }

type typeCase struct {
	doc      string
	mode     Settings
	in       connect.Schema // the field's input schema
	v        any
	typ      connect.Type // the output field's literal type
	name     string       // and its schema name
	params   string       // KafkaForm's parameters, fmt'ed; "" for none
	json     string       // the JSON text of the mapped value
	optional bool         // the output field's optionality, when it differs from the input's
}

var (
	sDate       = connect.Schema{Type: connect.TypeDate}
	sDateNull   = connect.Schema{Type: connect.TypeDate, Optional: true}
	sDT0        = connect.Schema{Type: connect.TypeTimestamp}
	sDT3        = connect.Schema{Type: connect.TypeTimestamp, Fraction: 3}
	sDT6        = connect.Schema{Type: connect.TypeTimestamp, Fraction: 6}
	sDT6Null    = connect.Schema{Type: connect.TypeTimestamp, Fraction: 6, Optional: true}
	sTS0        = connect.Schema{Type: connect.TypeTimestamp, Zoned: true}
	sTS3        = connect.Schema{Type: connect.TypeTimestamp, Fraction: 3, Zoned: true}
	sTS6        = connect.Schema{Type: connect.TypeTimestamp, Fraction: 6, Zoned: true}
	sTime0      = connect.Schema{Type: connect.TypeTime}
	sTime3      = connect.Schema{Type: connect.TypeTime, Fraction: 3}
	sTime6      = connect.Schema{Type: connect.TypeTime, Fraction: 6}
	sDec102     = connect.Schema{Type: connect.TypeDecimal, Precision: 10, Scale: 2}
	sDec6530    = connect.Schema{Type: connect.TypeDecimal, Precision: 65, Scale: 30}
	sDec650     = connect.Schema{Type: connect.TypeDecimal, Precision: 65, Scale: 0}
	sUint64     = connect.Schema{Type: connect.TypeUint64}
	sInt64      = connect.Schema{Type: connect.TypeInt64}
	sBit1       = connect.Schema{Type: connect.TypeBit, Width: 1}
	sBit10      = connect.Schema{Type: connect.TypeBit, Width: 10}
	sBit64      = connect.Schema{Type: connect.TypeBit, Width: 64}
	sBytes      = connect.Schema{Type: connect.TypeBytes}
	sLatin1     = connect.Schema{Type: connect.TypeString, Charset: "latin1"}
	sUTF8       = connect.Schema{Type: connect.TypeString}
	sYear       = connect.Schema{Type: connect.TypeYear}
	sJSON       = connect.Schema{Type: connect.TypeJSON}
	sEnum       = connect.Schema{Type: connect.TypeEnum, Members: []string{"S", "M", "L"}}
	sSet        = connect.Schema{Type: connect.TypeSet, Members: []string{"a", "b", "c"}}
	sInt8       = connect.Schema{Type: connect.TypeInt8}
	sInt16      = connect.Schema{Type: connect.TypeInt16}
	sInt32      = connect.Schema{Type: connect.TypeInt32}
	sFloat32    = connect.Schema{Type: connect.TypeFloat32}
	sFloat64    = connect.Schema{Type: connect.TypeFloat64}
	sBool       = connect.Schema{Type: connect.TypeBool}
	dt6Max      = ts(9999, 12, 31, 23, 59, 59, 999999000)
	tsDocSample = ts(2018, 6, 20, 13, 37, 3, 0)
)

var typeCases = []typeCase{
	// DATE
	{doc: docConnectGo, mode: lossless, in: sDate, v: date(2017, 9, 15), typ: connect.TypeDate, json: `"2017-09-15T00:00:00Z"`},
	{doc: docTemporal, mode: dbz, in: sDate, v: date(2017, 9, 15), typ: connect.TypeInt32, name: NameDate, json: `17424`},
	{doc: docTemporal, mode: dbz, in: sDate, v: date(1000, 1, 1), typ: connect.TypeInt32, name: NameDate, json: `-354285`},
	{doc: docTemporal, mode: dbz, in: sDate, v: date(9999, 12, 31), typ: connect.TypeInt32, name: NameDate, json: `2932896`},
	{doc: docTemporal, mode: dbzConnect, in: sDate, v: date(2017, 9, 15), typ: connect.TypeInt32, name: NameKafkaDate, json: `17424`},
	{doc: docTemporal, mode: dbzIso, in: sDate, v: date(2017, 9, 15), typ: connect.TypeString, name: NameIsoDate, json: `"2017-09-15Z"`},
	{doc: docTemporal, mode: dbzIso, in: sDate, v: date(1, 2, 3), typ: connect.TypeString, name: NameIsoDate, json: `"0001-02-03Z"`},
	// Zero and invalid dates: nil or the server's text.
	{doc: docTemporal, mode: dbz, in: sDate, v: nil, typ: connect.TypeInt32, name: NameDate, json: `0`},
	{doc: docTemporal, mode: dbz, in: sDate, v: "2024-00-10", typ: connect.TypeInt32, name: NameDate, json: `0`},
	{doc: docTemporal, mode: dbz, in: sDateNull, v: "0000-00-00", typ: connect.TypeInt32, name: NameDate, json: `null`},
	{doc: docTemporal, mode: dbzConnect, in: sDate, v: nil, typ: connect.TypeInt32, name: NameKafkaDate, json: `0`},
	{doc: docTemporal, mode: dbzIso, in: sDate, v: nil, typ: connect.TypeString, name: NameIsoDate, json: `"1970-01-01Z"`},
	{doc: docTemporal, mode: dbzIso, in: sDateNull, v: nil, typ: connect.TypeString, name: NameIsoDate, json: `null`},
	// connect_go: the server's text, in a field that stays required.
	{doc: docConnectGo, mode: lossless, in: sDateNull, v: nil, typ: connect.TypeDate, json: `null`},
	{doc: docConnectGo, mode: lossless, in: sDate, v: "2024-00-10", typ: connect.TypeDate, json: `"2024-00-10"`},
	{doc: docConnectGo, mode: lossless, in: sDT6, v: "0000-00-00 00:00:00.000000", typ: connect.TypeTimestamp, json: `"0000-00-00 00:00:00.000000"`},

	// DATETIME
	{doc: docConnectGo, mode: lossless, in: sDT6, v: dt6Max, typ: connect.TypeTimestamp, json: `"9999-12-31T23:59:59.999999Z"`},
	{doc: docTemporal, mode: dbz, in: sDT0, v: ts(2018, 6, 20, 6, 37, 3, 0), typ: connect.TypeInt64, name: NameTimestamp, json: `1529476623000`},
	{doc: docTemporal, mode: dbz, in: sDT3, v: ts(1000, 1, 1, 0, 0, 0, 500e6), typ: connect.TypeInt64, name: NameTimestamp, json: `-30610223999500`},
	{doc: docTemporal, mode: dbz, in: sDT6, v: dt6Max, typ: connect.TypeInt64, name: NameMicroTimestamp, json: `253402300799999999`},
	{doc: docTemporal, mode: dbz, in: connect.Schema{Type: connect.TypeTimestamp, Fraction: 4}, v: ts(1970, 1, 1, 0, 0, 1, 0), typ: connect.TypeInt64, name: NameMicroTimestamp, json: `1000000`},
	{doc: docTemporal, mode: dbz, in: sDT6, v: nil, typ: connect.TypeInt64, name: NameMicroTimestamp, json: `0`},
	{doc: docTemporal, mode: dbz, in: sDT6Null, v: "2024-00-10 00:00:00.000000", typ: connect.TypeInt64, name: NameMicroTimestamp, json: `null`},
	{doc: docTemporal, mode: dbzConnect, in: sDT6, v: dt6Max, typ: connect.TypeInt64, name: NameKafkaTimestamp, json: `253402300799999`},
	{doc: docTemporal, mode: dbzIso, in: sDT6, v: ts(2019, 7, 9, 2, 28, 57, 123456000), typ: connect.TypeString, name: NameIsoTimestamp, json: `"2019-07-09T02:28:57.123456Z"`},
	{doc: docTemporal, mode: dbzIso, in: sDT6, v: ts(2019, 7, 9, 2, 28, 57, 120000000), typ: connect.TypeString, name: NameIsoTimestamp, json: `"2019-07-09T02:28:57.12Z"`},
	{doc: docTemporal, mode: dbzIso, in: sDT0, v: ts(2019, 7, 9, 2, 28, 0, 0), typ: connect.TypeString, name: NameIsoTimestamp, json: `"2019-07-09T02:28:00Z"`},
	{doc: docTemporal, mode: dbzIso, in: sDT0, v: nil, typ: connect.TypeString, name: NameIsoTimestamp, json: `"1970-01-01T00:00:00Z"`},

	// TIMESTAMP: ZonedTimestamp in every Debezium mode, the column's fraction digits.
	{doc: docConnectGo, mode: lossless, in: sTS6, v: tsDocSample, typ: connect.TypeTimestamp, json: `"2018-06-20T13:37:03Z"`},
	{doc: docBasic, mode: dbz, in: sTS0, v: tsDocSample, typ: connect.TypeString, name: NameZonedTimestamp, json: `"2018-06-20T13:37:03Z"`},
	{doc: docBasic, mode: dbzConnect, in: sTS0, v: tsDocSample, typ: connect.TypeString, name: NameZonedTimestamp, json: `"2018-06-20T13:37:03Z"`},
	{doc: docBasic, mode: dbzIso, in: sTS0, v: tsDocSample, typ: connect.TypeString, name: NameZonedTimestamp, json: `"2018-06-20T13:37:03Z"`},
	{doc: docBasic, mode: dbz, in: sTS3, v: ts(2018, 6, 20, 13, 37, 3, 500e6), typ: connect.TypeString, name: NameZonedTimestamp, json: `"2018-06-20T13:37:03.500Z"`},
	{doc: docBasic, mode: dbz, in: sTS6, v: tsDocSample, typ: connect.TypeString, name: NameZonedTimestamp, json: `"2018-06-20T13:37:03.000000Z"`},
	{doc: docBasic, mode: dbz, in: sTS6, v: ts(2038, 1, 19, 3, 14, 7, 999999000), typ: connect.TypeString, name: NameZonedTimestamp, json: `"2038-01-19T03:14:07.999999Z"`},
	{doc: docTemporal, mode: dbz, in: sTS0, v: nil, typ: connect.TypeString, name: NameZonedTimestamp, json: `"1970-01-01T00:00:00Z"`},

	// TIME
	{doc: docConnectGo, mode: lossless, in: sTime0, v: "-838:59:59", typ: connect.TypeTime, json: `"-838:59:59"`},
	{doc: docTemporal, mode: dbz, in: sTime0, v: "12:34:56", typ: connect.TypeInt64, name: NameMicroTime, json: `45296000000`},
	{doc: docTemporal, mode: dbz, in: sTime6, v: "04:05:11.789000", typ: connect.TypeInt64, name: NameMicroTime, json: `14711789000`},
	// Beyond the documented range, exact as Debezium's code
	// (BinlogValueConverters.convertDurationToMicroseconds) gives it.
	{doc: docTemporal, mode: dbz, in: sTime0, v: "-838:59:59", typ: connect.TypeInt64, name: NameMicroTime, json: `-3020399000000`},
	{doc: docTemporal, mode: dbz, in: sTime6, v: "838:59:59.000000", typ: connect.TypeInt64, name: NameMicroTime, json: `3020399000000`},
	{doc: docTemporal, mode: dbz, in: sTime6, v: "-00:00:00.000001", typ: connect.TypeInt64, name: NameMicroTime, json: `-1`},
	{doc: docTemporal, mode: dbzConnect, in: sTime3, v: "04:05:11.789", typ: connect.TypeInt32, name: NameKafkaTime, json: `14711789`},
	{doc: docTemporal, mode: dbzConnect, in: sTime6, v: "23:59:59.999999", typ: connect.TypeInt32, name: NameKafkaTime, json: `86399999`},
	{doc: docTemporal, mode: dbzIso, in: sTime3, v: "04:05:11.789", typ: connect.TypeString, name: NameIsoTime, json: `"04:05:11.789Z"`},
	{doc: docTemporal, mode: dbzIso, in: sTime0, v: "00:00:00", typ: connect.TypeString, name: NameIsoTime, json: `"00:00:00Z"`},

	// DECIMAL
	{doc: docConnectGo, mode: lossless, in: sDec102, v: "-12.50", typ: connect.TypeDecimal, json: `"-12.50"`},
	{doc: docDecimal, mode: dbz, in: sDec102, v: "12.50", typ: connect.TypeBytes, name: NameKafkaDecimal, params: "[[scale 2] [connect.decimal.precision 10]]", json: `"BOI="`},
	{doc: docDecimal, mode: dbz, in: sDec102, v: "-12.50", typ: connect.TypeBytes, name: NameKafkaDecimal, params: "[[scale 2] [connect.decimal.precision 10]]", json: `"+x4="`},
	{doc: docDecimal, mode: dbz, in: sDec102, v: "0.00", typ: connect.TypeBytes, name: NameKafkaDecimal, params: "[[scale 2] [connect.decimal.precision 10]]", json: `"AA=="`},
	{doc: docDecimal, mode: dbz, in: sDec102, v: "1.28", typ: connect.TypeBytes, name: NameKafkaDecimal, params: "[[scale 2] [connect.decimal.precision 10]]", json: `"AIA="`},
	{doc: docDecimal, mode: dbz, in: sDec102, v: "-1.29", typ: connect.TypeBytes, name: NameKafkaDecimal, params: "[[scale 2] [connect.decimal.precision 10]]", json: `"/38="`},
	{doc: docDecimal, mode: dbz, in: sDec6530, v: "-99999999999999999999999999999999999.999999999999999999999999999999", typ: connect.TypeBytes, name: NameKafkaDecimal, params: "[[scale 30] [connect.decimal.precision 65]]", json: `"/wzp2OOAPG91dBC5sca6EIXayfYAAAAAAAAAAQ=="`},
	{doc: docDecimal, mode: dbz, in: sDec650, v: "12345678901234567890123456789012345678901234567890123456789012345", typ: connect.TypeBytes, name: NameKafkaDecimal, params: "[[scale 0] [connect.decimal.precision 65]]", json: `"HgK8HpeFi9xsuVBY80JUf/dgXMwCvHTx4t95"`},
	{doc: docDecimal, mode: dbzDouble, in: sDec102, v: "-12.50", typ: connect.TypeFloat64, json: `-12.5`},
	{doc: docDecimal, mode: dbzDouble, in: sDec6530, v: "-99999999999999999999999999999999999.999999999999999999999999999999", typ: connect.TypeFloat64, json: `-1e+35`},
	{doc: docDecimal, mode: dbzString, in: sDec6530, v: "-99999999999999999999999999999999999.999999999999999999999999999999", typ: connect.TypeString, json: `"-99999999999999999999999999999999999.999999999999999999999999999999"`},
	{doc: docDecimal, mode: dbzString, in: sDec102, v: "0.50", typ: connect.TypeString, json: `"0.50"`},

	// BIGINT UNSIGNED
	{doc: docConnectGo, mode: lossless, in: sUint64, v: uint64(18446744073709551615), typ: connect.TypeUint64, json: `18446744073709551615`},
	{doc: docBigint, mode: dbz, in: sUint64, v: uint64(18446744073709551615), typ: connect.TypeInt64, json: `-1`},
	{doc: docBigint, mode: dbz, in: sUint64, v: int64(42), typ: connect.TypeInt64, json: `42`},
	{doc: docBigint, mode: dbzPrecise, in: sUint64, v: uint64(18446744073709551615), typ: connect.TypeBytes, name: NameKafkaDecimal, params: "[[scale 0] [connect.decimal.precision 20]]", json: `"AP//////////"`},
	{doc: docBigint, mode: dbzPrecise, in: sUint64, v: int64(127), typ: connect.TypeBytes, name: NameKafkaDecimal, params: "[[scale 0] [connect.decimal.precision 20]]", json: `"fw=="`},
	// unsafe.integer.handling.mode=string (connect-go's): beyond ±2^53 as text.
	{doc: docConnectGo, mode: unsafeStr, in: sUint64, v: uint64(18446744073709551615), typ: connect.TypeUint64, json: `"18446744073709551615"`},
	{doc: docConnectGo, mode: unsafeStr, in: sInt64, v: int64(1 << 53), typ: connect.TypeInt64, json: `9007199254740992`},
	{doc: docConnectGo, mode: unsafeStr, in: sInt64, v: int64(1<<53 + 1), typ: connect.TypeInt64, json: `"9007199254740993"`},
	{doc: docConnectGo, mode: unsafeStr, in: sInt64, v: int64(-1<<53 - 1), typ: connect.TypeInt64, json: `"-9007199254740993"`},
	{doc: docConnectGo, mode: dbzUnsafeStr, in: sUint64, v: uint64(18446744073709551615), typ: connect.TypeInt64, json: `-1`},
	{doc: docConnectGo, mode: dbzUnsafeStr, in: sUint64, v: uint64(1<<63 + 1), typ: connect.TypeInt64, json: `"-9223372036854775807"`},

	// BIT
	{doc: docBasic, mode: dbz, in: sBit1, v: true, typ: connect.TypeBool, json: `true`},
	{doc: docConnectGo, mode: lossless, in: sBit1, v: true, typ: connect.TypeBit, json: `true`},
	{doc: docBasic, mode: dbz, in: sBit10, v: int64(513), typ: connect.TypeBytes, name: NameBits, params: "[[length 10]]", json: `"AQI="`},
	{doc: docBasic, mode: dbz, in: sBit64, v: uint64(18446744073709551615), typ: connect.TypeBytes, name: NameBits, params: "[[length 64]]", json: `"//////////8="`},
	{doc: docConnectGo, mode: lossless, in: sBit64, v: uint64(18446744073709551615), typ: connect.TypeBit, json: `18446744073709551615`},
	{doc: docConnectGo, mode: dbzBitsNum, in: sBit10, v: int64(513), typ: connect.TypeBit, json: `513`},
	{doc: docConnectGo, mode: unsafeStr, in: sBit64, v: uint64(18446744073709551615), typ: connect.TypeBit, json: `"18446744073709551615"`},

	// BINARY, VARBINARY, BLOB
	{doc: docBinary, mode: lossless, in: sBytes, v: []byte{0, 0xff, 0xfe}, typ: connect.TypeBytes, json: `"AP/+"`},
	{doc: docBinary, mode: dbz, in: sBytes, v: []byte{0, 0xff, 0xfe}, typ: connect.TypeBytes, json: `"AP/+"`},
	{doc: docBinary, mode: dbzBase64, in: sBytes, v: []byte{0xfb, 0xff}, typ: connect.TypeString, json: `"+/8="`},
	{doc: docBinary, mode: dbzBase64URL, in: sBytes, v: []byte{0xfb, 0xff}, typ: connect.TypeString, json: `"-_8="`},
	{doc: docBinary, mode: dbzHex, in: sBytes, v: []byte{0, 0xff, 0xfe}, typ: connect.TypeString, json: `"00fffe"`},
	{doc: docBinary, mode: dbzHex, in: sBytes, v: []byte{}, typ: connect.TypeString, json: `""`},

	// Strings: Debezium's schema has no charset; values are UTF-8 alike.
	{doc: docBasic, mode: dbz, in: sLatin1, v: "café", typ: connect.TypeString, json: `"café"`},
	{doc: docConnectGo, mode: lossless, in: sLatin1, v: "café", typ: connect.TypeString, json: `"café"`},
	{doc: docBasic, mode: dbz, in: sUTF8, v: "😀", typ: connect.TypeString, json: `"😀"`},

	// Types that are Debezium's already.
	{doc: docBasic, mode: dbz, in: sYear, v: int64(0), typ: connect.TypeYear, json: `0`},
	{doc: docBasic, mode: dbz, in: sYear, v: int64(2155), typ: connect.TypeYear, json: `2155`},
	{doc: docBasic, mode: dbz, in: sJSON, v: `{"a": [1, 2]}`, typ: connect.TypeJSON, json: `"{\"a\": [1, 2]}"`},
	{doc: docBasic, mode: dbz, in: sEnum, v: "M", typ: connect.TypeEnum, json: `"M"`},
	{doc: docBasic, mode: dbz, in: sSet, v: "a,c", typ: connect.TypeSet, json: `"a,c"`},
	{doc: docBasic, mode: dbz, in: sInt8, v: int64(-128), typ: connect.TypeInt8, json: `-128`},
	{doc: docBasic, mode: dbz, in: sInt16, v: int64(255), typ: connect.TypeInt16, json: `255`},
	{doc: docBasic, mode: dbz, in: sInt32, v: int64(16777215), typ: connect.TypeInt32, json: `16777215`},
	{doc: docBasic, mode: dbz, in: sInt64, v: int64(-9223372036854775808), typ: connect.TypeInt64, json: `-9223372036854775808`},
	{doc: docBasic, mode: dbz, in: sFloat32, v: 3.1415927, typ: connect.TypeFloat32, json: `3.1415927`},
	{doc: docBasic, mode: dbz, in: sFloat64, v: 2.5e-300, typ: connect.TypeFloat64, json: `2.5e-300`},
	{doc: docBasic, mode: dbz, in: sBool, v: false, typ: connect.TypeBool, json: `false`},
}

// TestTypes maps each logical type's value in each mode and checks the
// output field's schema and the JSON text of its value against the
// documentation named by the case's doc.
func TestTypes(t *testing.T) {
	for i, tc := range typeCases {
		t.Run(fmt.Sprintf("%d_%s_%s", i, tc.in.Type, tc.json), func(t *testing.T) {
			in := tc.in
			row := connect.NewStruct(connect.NewStructSchema("srv.db.t.Value", true,
				connect.StructField{Name: "id", Schema: &connect.Schema{Type: connect.TypeInt32}},
				connect.StructField{Name: "c", Schema: &in}), int64(1), tc.v)
			m := NewMapper(tc.mode, 0)
			out, err := m.Map(row)
			if err != nil {
				t.Fatalf("%s: %v", tc.doc, err)
			}
			f := out.Schema.Fields[1].Schema
			if f.Type != tc.typ || f.Name != tc.name {
				t.Errorf("%s: schema %s %q, want %s %q", tc.doc, f.Type, f.Name, tc.typ, tc.name)
			}
			if wantOpt := in.Optional || tc.optional; f.Optional != wantOpt {
				t.Errorf("%s: optional %v, want %v", tc.doc, f.Optional, wantOpt)
			}
			_, params, _ := KafkaForm(f)
			if got := fmt.Sprint(params); (tc.params == "" && params != nil) || (tc.params != "" && got != tc.params) {
				t.Errorf("%s: parameters %s, want %s", tc.doc, got, tc.params)
			}
			b, err := json.Marshal(out.Values[1])
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.json {
				t.Errorf("%s: JSON %s, want %s", tc.doc, b, tc.json)
			}
			if row.Values[1] != nil && fmt.Sprint(row.Values[1]) != fmt.Sprint(tc.v) {
				t.Errorf("Map changed its input: %v", row.Values[1])
			}
			_, isText := tc.v.(string)
			dateText := isText && (in.Type == connect.TypeDate || in.Type == connect.TypeTimestamp)
			if err := out.Validate(); err != nil && !(tc.mode.UnsafeIntegers == UnsafeString) && !(dateText && tc.mode.Time == TimeConnectGo) {
				t.Errorf("mapped row does not fit its schema: %v", err)
			}
			// The same through MapInPlace.
			row2 := connect.NewStruct(row.Schema, int64(1), tc.v)
			if err := m.MapInPlace(row2); err != nil {
				t.Fatal(err)
			}
			if row2.Schema != out.Schema {
				t.Errorf("MapInPlace gave another schema")
			}
			if b2, _ := json.Marshal(row2.Values[1]); string(b2) != tc.json {
				t.Errorf("MapInPlace: JSON %s, want %s", b2, tc.json)
			}
		})
	}
}

// TestTimeOutOfRange: connect and isostring cannot carry TIME outside one
// day ("Values in only the range of 00:00:00.000 to 23:59:59.999 can be
// handled", docTemporal); Map says so, naming the field.
func TestTimeOutOfRange(t *testing.T) {
	for _, mode := range []Settings{dbzConnect, dbzIso} {
		for _, v := range []string{"-838:59:59", "24:00:00", "838:59:59.000000", "-00:00:01"} {
			row := connect.NewStruct(connect.NewStructSchema("t", false,
				connect.StructField{Name: "dur", Schema: &connect.Schema{Type: connect.TypeTime}}), v)
			_, err := NewMapper(mode, 0).Map(row)
			if !errors.Is(err, ErrUnrepresentable) {
				t.Fatalf("%s %s: error %v, want ErrUnrepresentable", mode.Time, v, err)
			}
			if want := "field dur"; !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), v) {
				t.Errorf("error %q names neither the field nor the value", err)
			}
		}
	}
}

// TestBadValues: values that are not of connect-go's encodings are errors,
// not silently passed on.
func TestBadValues(t *testing.T) {
	cases := []struct {
		mode Settings
		s    connect.Schema
		v    any
	}{
		{dbz, sTime0, "12:34"},
		{dbz, sTime0, "ab:cd:ef"},
		{dbz, sTime0, int64(5)},
		{dbz, sDate, int64(5)},
		{dbz, sDate, ""},
		{dbz, sDec102, "1.234"},
		{dbz, sDec102, "x"},
		{dbz, sDec102, 1.5},
		{dbzDouble, sDec102, "x"},
		{dbz, sBit10, "x"},
		{dbzHex, sBytes, "x"},
		{dbzPrecise, sUint64, "1"},
	}
	for _, c := range cases {
		s := c.s
		row := connect.NewStruct(connect.NewStructSchema("t", false, connect.StructField{Name: "c", Schema: &s}), c.v)
		if _, err := NewMapper(c.mode, 0).Map(row); err == nil {
			t.Errorf("%s %v: no error", s.Type, c.v)
		}
	}
}

// TestSchemaCache: one output schema per input schema, rows of an
// unchanged schema are shared, and the cache stays bounded.
func TestSchemaCache(t *testing.T) {
	m := NewMapper(dbz, 2)
	mk := func() *connect.Schema {
		return connect.NewStructSchema("t", false,
			connect.StructField{Name: "d", Schema: &connect.Schema{Type: connect.TypeDate}})
	}
	a, b, c := mk(), mk(), mk()
	oa, _ := m.Schema(a)
	if oa2, _ := m.Schema(a); oa2 != oa {
		t.Fatal("the same input schema gave two output schemas")
	}
	ob, _ := m.Schema(b)
	if ob == oa || !ob.Equal(oa) {
		t.Fatal("equal input schemas must give equal, separate output schemas")
	}
	m.Schema(c)
	if len(m.plan) > 2 {
		t.Fatalf("cache holds %d schemas, bound 2", len(m.plan))
	}
	if oa3, _ := m.Schema(a); !oa3.Equal(oa) {
		t.Fatal("a forgotten schema came back different")
	}

	// A schema needing no change is returned as it is, and so are rows.
	plain := connect.NewStructSchema("p", false, connect.StructField{Name: "n", Schema: &connect.Schema{Type: connect.TypeInt32}})
	if o, _ := m.Schema(plain); o != plain {
		t.Fatal("an unchanged schema was copied")
	}
	row := connect.NewStruct(plain, int64(1))
	out, _ := m.Map(row)
	if &out.Values[0] != &row.Values[0] {
		t.Fatal("an unchanged row's values were copied")
	}
}

// TestNested: struct fields are mapped too; Map copies them, MapInPlace
// does not.
func TestNested(t *testing.T) {
	inner := connect.NewStructSchema("inner", true, connect.StructField{Name: "d", Schema: &connect.Schema{Type: connect.TypeDate}})
	outer := connect.NewStructSchema("outer", false, connect.StructField{Name: "x", Schema: inner})
	in := connect.NewStruct(inner, date(1970, 1, 2))
	row := connect.NewStruct(outer, in)
	out, err := NewMapper(dbz, 0).Map(row)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(out); string(b) != `{"x":{"d":1}}` {
		t.Fatalf("got %s", b)
	}
	if in.Schema != inner || in.Values[0] != date(1970, 1, 2) {
		t.Fatal("Map changed a nested input row")
	}
	if err := out.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestAllocs pins the allocations of mapping a row of the common types.
func TestAllocs(t *testing.T) {
	s := connect.NewStructSchema("t", false,
		connect.StructField{Name: "id", Schema: &connect.Schema{Type: connect.TypeInt64}},
		connect.StructField{Name: "name", Schema: &connect.Schema{Type: connect.TypeString}},
		connect.StructField{Name: "d", Schema: &connect.Schema{Type: connect.TypeDate}},
		connect.StructField{Name: "at", Schema: &connect.Schema{Type: connect.TypeTimestamp, Fraction: 6}},
		connect.StructField{Name: "price", Schema: &connect.Schema{Type: connect.TypeDecimal, Precision: 10, Scale: 2}},
	)
	vals := []any{int64(7), "x", date(2024, 5, 6), ts(2024, 5, 6, 7, 8, 9, 123456000), "12.50"}
	m := NewMapper(dbz, 0)
	row := &connect.Struct{Values: make([]any, len(vals))}
	allocs := testing.AllocsPerRun(100, func() {
		row.Schema = s
		copy(row.Values, vals)
		if err := m.MapInPlace(row); err != nil {
			t.Fatal(err)
		}
	})
	// days and µs boxed (2), the decimal's bytes and their box (2).
	if allocs > 4 {
		t.Errorf("MapInPlace: %v allocations per row, want <= 4", allocs)
	}
	m = NewMapper(lossless, 0)
	ident := connect.NewStructSchema("i", false, connect.StructField{Name: "id", Schema: &connect.Schema{Type: connect.TypeInt64}})
	r := connect.NewStruct(ident, int64(1))
	if a := testing.AllocsPerRun(100, func() { r.Schema = ident; _ = m.MapInPlace(r) }); a != 0 {
		t.Errorf("an unchanged row: %v allocations, want 0", a)
	}
}
