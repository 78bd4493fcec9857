package dbzmodes

import (
	"fmt"
	"strconv"

	connect "github.com/openmessaging/connect-go"
)

// Schema names of the Kafka Connect and Debezium semantic types the
// mapped schemas carry (Schema.Name on a schema of the literal type).
const (
	NameDate           = "io.debezium.time.Date"           // int32: days since the epoch
	NameMicroTime      = "io.debezium.time.MicroTime"      // int64: µs (of the day, or any TIME)
	NameTimestamp      = "io.debezium.time.Timestamp"      // int64: ms since the epoch, no zone
	NameMicroTimestamp = "io.debezium.time.MicroTimestamp" // int64: µs since the epoch, no zone
	NameNanoTimestamp  = "io.debezium.time.NanoTimestamp"  // int64: ns since the epoch, no zone
	NameZonedTimestamp = "io.debezium.time.ZonedTimestamp" // string: ISO-8601 with offset
	NameIsoDate        = "io.debezium.time.IsoDate"        // string: "2017-09-15Z"
	NameIsoTime        = "io.debezium.time.IsoTime"        // string: "04:05:11.789Z"
	NameIsoTimestamp   = "io.debezium.time.IsoTimestamp"   // string: "2019-07-09T02:28:57.123456Z"
	NameBits           = "io.debezium.data.Bits"           // bytes, little-endian; parameter length

	NameKafkaDate      = "org.apache.kafka.connect.data.Date"      // int32: days since the epoch
	NameKafkaTime      = "org.apache.kafka.connect.data.Time"      // int32: ms of the day
	NameKafkaTimestamp = "org.apache.kafka.connect.data.Timestamp" // int64: ms since the epoch
	NameKafkaDecimal   = "org.apache.kafka.connect.data.Decimal"   // bytes: unscaled two's complement, big-endian; parameters scale, connect.decimal.precision
)

// Schema parameter names.
const (
	ParamScale     = "scale"
	ParamPrecision = "connect.decimal.precision"
	ParamLength    = "length"
)

// KafkaForm returns what Kafka Connect's schema JSON holds for s beyond its
// type, name and optionality, when s is one of the semantic types above:
// the schema version (Debezium's and Kafka's are all 1) and the parameters
// in the order Debezium writes them (Decimal's scale and precision come
// from Schema.Scale and Schema.Precision, Bits' length from Schema.Width).
// ok is false for any other schema, which the converter writes as it
// always does.
//
// It is what a converter writing schemas needs for the schemas a Mapper
// makes: connect.Schema has no parameters of its own.
func KafkaForm(s *connect.Schema) (version int, params [][2]string, ok bool) {
	if s == nil {
		return 0, nil, false
	}
	switch s.Name {
	case NameKafkaDecimal:
		if s.Type != connect.TypeBytes {
			return 0, nil, false
		}
		return 1, [][2]string{{ParamScale, strconv.Itoa(s.Scale)}, {ParamPrecision, strconv.Itoa(s.Precision)}}, true
	case NameBits:
		if s.Type != connect.TypeBytes {
			return 0, nil, false
		}
		return 1, [][2]string{{ParamLength, strconv.Itoa(s.Width)}}, true
	case NameDate, NameKafkaDate, NameKafkaTime:
		return 1, nil, s.Type == connect.TypeInt32
	case NameMicroTime, NameTimestamp, NameMicroTimestamp, NameNanoTimestamp, NameKafkaTimestamp:
		return 1, nil, s.Type == connect.TypeInt64
	case NameZonedTimestamp, NameIsoDate, NameIsoTime, NameIsoTimestamp:
		return 1, nil, s.Type == connect.TypeString
	}
	return 0, nil, false
}

// SetParameters is KafkaForm's inverse for a schema read back from Kafka
// Connect's schema JSON: for Decimal and Bits (by s.Name and s.Type) it
// sets Scale and Precision, or Width, from params, and reports whether s is
// one of them. A missing or malformed parameter is an error.
func SetParameters(s *connect.Schema, params map[string]string) (bool, error) {
	if s == nil || s.Type != connect.TypeBytes {
		return false, nil
	}
	count := func(key string) (int, error) {
		v, ok := params[key]
		if !ok {
			return 0, fmt.Errorf("dbzmodes: schema %s has no parameter %q", s.Name, key)
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("dbzmodes: schema %s: parameter %s=%q is not a count", s.Name, key, v)
		}
		return n, nil
	}
	var err error
	switch s.Name {
	case NameKafkaDecimal:
		if s.Scale, err = count(ParamScale); err != nil {
			return true, err
		}
		if _, ok := params[ParamPrecision]; ok { // Kafka's own Decimal has none
			s.Precision, err = count(ParamPrecision)
		}
		return true, err
	case NameBits:
		s.Width, err = count(ParamLength)
		return true, err
	}
	return false, nil
}
