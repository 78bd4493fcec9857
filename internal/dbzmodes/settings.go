package dbzmodes

import (
	"strings"

	connect "github.com/openmessaging/connect-go"
)

// Setting names: Debezium's where Debezium has the setting, this project's
// otherwise.
const (
	KeyEncoding       = "value.encoding"
	KeyTimePrecision  = "time.precision.mode"
	KeyDecimal        = "decimal.handling.mode"
	KeyBigintUnsigned = "bigint.unsigned.handling.mode"
	KeyBinary         = "binary.handling.mode"
	KeyBits           = "bit.handling.mode"
	KeyUnsafeIntegers = "unsafe.integer.handling.mode"
)

// Encoding is the switch that picks the defaults of every other setting.
type Encoding string

const (
	// EncodingConnectGo is connect-go's lossless encoding: every value
	// as the source gives it (see the Type constants of package connect).
	EncodingConnectGo Encoding = "connect_go"
	// EncodingDebezium is Debezium's defaults for every setting, and
	// Debezium's schemas for the types no setting governs.
	EncodingDebezium Encoding = "debezium"
)

// Lossless is the value of every mode setting that keeps connect-go's
// encoding of its types.
const Lossless = "connect_go"

// TimeMode is time.precision.mode.
type TimeMode string

// Time precision modes: Debezium's and connect-go's.
const (
	TimeConnectGo  TimeMode = Lossless
	TimeAdaptiveUs TimeMode = "adaptive_time_microseconds" // Debezium's default
	TimeConnect    TimeMode = "connect"
	TimeIsoString  TimeMode = "isostring"
)

// DecimalMode is decimal.handling.mode.
type DecimalMode string

// Decimal handling modes.
const (
	DecimalConnectGo DecimalMode = Lossless
	DecimalPrecise   DecimalMode = "precise" // Debezium's default
	DecimalDouble    DecimalMode = "double"
	DecimalString    DecimalMode = "string"
)

// BigintMode is bigint.unsigned.handling.mode.
type BigintMode string

// BIGINT UNSIGNED handling modes.
const (
	BigintConnectGo BigintMode = Lossless
	BigintLong      BigintMode = "long" // Debezium's default
	BigintPrecise   BigintMode = "precise"
)

// BinaryMode is binary.handling.mode.
type BinaryMode string

// Binary handling modes. Debezium's bytes is connect-go's encoding too.
const (
	BinaryBytes         BinaryMode = "bytes" // the default
	BinaryBase64        BinaryMode = "base64"
	BinaryBase64URLSafe BinaryMode = "base64-url-safe"
	BinaryHex           BinaryMode = "hex"
)

// BitsMode is bit.handling.mode: BIT(n) with n > 1.
type BitsMode string

// Bit handling modes.
const (
	BitsNumber BitsMode = "number" // connect-go's: int64, uint64 above math.MaxInt64
	BitsBytes  BitsMode = "bytes"  // Debezium's io.debezium.data.Bits
)

// UnsafeIntMode is unsafe.integer.handling.mode.
type UnsafeIntMode string

// Unsafe integer handling modes.
const (
	UnsafeNumber UnsafeIntMode = "number" // the default
	UnsafeString UnsafeIntMode = "string"
)

// Settings are the parsed value and schema modes. The zero value is not
// valid; use Parse or Defaults.
type Settings struct {
	Encoding       Encoding
	Time           TimeMode
	Decimal        DecimalMode
	BigintUnsigned BigintMode
	Binary         BinaryMode
	Bits           BitsMode
	UnsafeIntegers UnsafeIntMode
}

// Defaults returns the settings an encoding selects.
func Defaults(e Encoding) Settings {
	if e == EncodingDebezium {
		return Settings{
			Encoding:       e,
			Time:           TimeAdaptiveUs,
			Decimal:        DecimalPrecise,
			BigintUnsigned: BigintLong,
			Binary:         BinaryBytes,
			Bits:           BitsBytes,
			UnsafeIntegers: UnsafeNumber,
		}
	}
	return Settings{
		Encoding:       EncodingConnectGo,
		Time:           TimeConnectGo,
		Decimal:        DecimalConnectGo,
		BigintUnsigned: BigintConnectGo,
		Binary:         BinaryBytes,
		Bits:           BitsNumber,
		UnsafeIntegers: UnsafeNumber,
	}
}

// Identity reports whether s changes no value and no schema: a source can
// then leave its rows as they are and skip the Mapper altogether.
func (s Settings) Identity() bool {
	return s == Defaults(EncodingConnectGo)
}

var (
	encodings      = []string{string(EncodingConnectGo), string(EncodingDebezium)}
	timeModes      = []string{string(TimeAdaptiveUs), string(TimeConnect), string(TimeIsoString), string(TimeConnectGo)}
	decimalModes   = []string{string(DecimalPrecise), string(DecimalDouble), string(DecimalString), string(DecimalConnectGo)}
	bigintModes    = []string{string(BigintLong), string(BigintPrecise), string(BigintConnectGo)}
	binaryModes    = []string{string(BinaryBytes), string(BinaryBase64), string(BinaryBase64URLSafe), string(BinaryHex)}
	bitsModes      = []string{string(BitsBytes), string(BitsNumber)}
	unsafeIntModes = []string{string(UnsafeNumber), string(UnsafeString)}
)

// Spec returns the settings' fields, to be added to a connector's spec.
// defaultEncoding is the connector's default for value.encoding. The other
// fields have no Default, because theirs depends on value.encoding: Parse
// fills it in.
func Spec(defaultEncoding Encoding) connect.ConfigSpec {
	return connect.ConfigSpec{
		{Name: KeyEncoding, Default: string(defaultEncoding), Allowed: encodings,
			Description: "Value and schema encoding whose defaults the other encoding settings take: connect_go (lossless: exact decimals, DATE/DATETIME/TIMESTAMP as ISO text, TIME as text, any range) or debezium (Debezium's MySQL connector defaults: adaptive_time_microseconds, precise, long, bytes, Bits)"},
		{Name: KeyTimePrecision, Allowed: timeModes,
			Description: "DATE, TIME, DATETIME as Debezium's time.precision.mode: adaptive_time_microseconds (days, µs TIME, ms or µs DATETIME by fraction digits), connect (Kafka's Date, Time, Timestamp in ms; TIME outside 00:00:00-23:59:59.999 is an error), isostring (ISO-8601 text in UTC; TIME outside one day is an error), or connect_go (lossless text, negative and over-24 h TIME included). Default: adaptive_time_microseconds with value.encoding=debezium, else connect_go"},
		{Name: KeyDecimal, Allowed: decimalModes,
			Description: "DECIMAL and NUMERIC as Debezium's decimal.handling.mode: precise (Kafka's Decimal: unscaled two's-complement bytes, base64 in JSON), double, string, or connect_go (exact text with the column's scale). Default: precise with value.encoding=debezium, else connect_go"},
		{Name: KeyBigintUnsigned, Allowed: bigintModes,
			Description: "BIGINT UNSIGNED as Debezium's bigint.unsigned.handling.mode: long (int64; values above 2^63-1 come out negative, as Debezium's), precise (Kafka's Decimal with scale 0), or connect_go (exact: a number, above 2^63-1 too). Default: long with value.encoding=debezium, else connect_go"},
		{Name: KeyBinary, Allowed: binaryModes,
			Description: "BINARY, VARBINARY and BLOB as Debezium's binary.handling.mode: bytes (base64 in JSON), base64, base64-url-safe or hex text. Default: bytes"},
		{Name: KeyBits, Allowed: bitsModes,
			Description: "BIT(n), n > 1: bytes (Debezium's io.debezium.data.Bits, little-endian) or number. Default: bytes with value.encoding=debezium, else number"},
		{Name: KeyUnsafeIntegers, Allowed: unsafeIntModes,
			Description: "Integer values beyond ±2^53, which JSON parsers that read numbers as doubles round: number (as they are) or string (as decimal text; smaller values stay numbers, so the field's schema no longer describes them: for schemaless JSON only). Default: number"},
	}
}

// Parse reads the settings from cfg: value.encoding (defaultEncoding when
// absent) picks the defaults of the others, which cfg may override. Every
// bad value is a field of the returned *connect.ConfigError.
func Parse(cfg connect.Config, defaultEncoding Encoding) (Settings, error) {
	errs := &connect.ConfigError{}
	get := func(key string, allowed []string) (string, bool) {
		v, ok := cfg[key]
		v = strings.TrimSpace(v)
		if !ok || v == "" {
			return "", false
		}
		for _, a := range allowed {
			if v == a { // exact, as the spec's Allowed check
				return a, true
			}
		}
		errs.Add(key, "must be one of %s, got %q", strings.Join(allowed, ", "), v)
		return "", false
	}
	enc := defaultEncoding
	if enc != EncodingDebezium {
		enc = EncodingConnectGo
	}
	if v, ok := get(KeyEncoding, encodings); ok {
		enc = Encoding(v)
	}
	s := Defaults(enc)
	if v, ok := get(KeyTimePrecision, timeModes); ok {
		s.Time = TimeMode(v)
	}
	if v, ok := get(KeyDecimal, decimalModes); ok {
		s.Decimal = DecimalMode(v)
	}
	if v, ok := get(KeyBigintUnsigned, bigintModes); ok {
		s.BigintUnsigned = BigintMode(v)
	}
	if v, ok := get(KeyBinary, binaryModes); ok {
		s.Binary = BinaryMode(v)
	}
	if v, ok := get(KeyBits, bitsModes); ok {
		s.Bits = BitsMode(v)
	}
	if v, ok := get(KeyUnsafeIntegers, unsafeIntModes); ok {
		s.UnsafeIntegers = UnsafeIntMode(v)
	}
	if err := errs.Err(); err != nil {
		return Settings{}, err
	}
	return s, nil
}
