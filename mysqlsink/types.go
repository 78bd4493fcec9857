package mysqlsink

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// column is one column of a target table, from information_schema.
type column struct {
	name     string
	dataType string // DATA_TYPE, lower case: int, varchar, datetime, ...
	unsigned bool
	fsp      int // DATETIME_PRECISION
	scale    int // NUMERIC_SCALE
}

// Names of Debezium's and Kafka's logical types a schema may carry when its
// records come from Debezium (or Kafka's JSON converter) with schemas: they
// say what an integer or bytes value means.
const (
	dbzDate           = "io.debezium.time.Date"
	dbzTime           = "io.debezium.time.Time"
	dbzMicroTime      = "io.debezium.time.MicroTime"
	dbzNanoTime       = "io.debezium.time.NanoTime"
	dbzTimestamp      = "io.debezium.time.Timestamp"
	dbzMicroTimestamp = "io.debezium.time.MicroTimestamp"
	dbzNanoTimestamp  = "io.debezium.time.NanoTimestamp"
	dbzZonedTimestamp = "io.debezium.time.ZonedTimestamp"
	dbzJSON           = "io.debezium.data.Json"
	dbzBits           = "io.debezium.data.Bits"
	kafkaDecimal      = "org.apache.kafka.connect.data.Decimal"
	kafkaDate         = "org.apache.kafka.connect.data.Date"
	kafkaTime         = "org.apache.kafka.connect.data.Time"
	kafkaTimestamp    = "org.apache.kafka.connect.data.Timestamp"
)

const (
	dateLayout     = "2006-01-02"
	datetimeLayout = "2006-01-02 15:04:05.999999"
)

// columnType returns the MySQL column type that holds the values of s
// exactly. key is true for primary key columns, which cannot be TEXT or
// BLOB.
func columnType(s *connect.Schema, key bool) (string, error) {
	if t, ok := namedColumnType(s); ok {
		return t, nil
	}
	switch s.Type {
	case connect.TypeBool:
		return "BOOLEAN", nil
	case connect.TypeInt8:
		return "TINYINT", nil
	case connect.TypeInt16:
		return "SMALLINT", nil
	case connect.TypeInt32:
		return "INT", nil
	case connect.TypeInt64:
		return "BIGINT", nil
	case connect.TypeUint64:
		return "BIGINT UNSIGNED", nil
	case connect.TypeFloat32:
		return "FLOAT", nil
	case connect.TypeFloat64:
		return "DOUBLE", nil
	case connect.TypeDecimal:
		p, sc := s.Precision, s.Scale
		if p <= 0 {
			p = 65
		}
		if p > 65 || sc < 0 || sc > 38 || sc > p {
			return "", fmt.Errorf("decimal(%d,%d) does not fit MySQL's DECIMAL (precision up to 65, scale up to 38)", s.Precision, s.Scale)
		}
		return fmt.Sprintf("DECIMAL(%d,%d)", p, sc), nil
	case connect.TypeDate:
		return "DATE", nil
	case connect.TypeTime:
		return fmt.Sprintf("TIME(%d)", min(s.Fraction, 6)), nil
	case connect.TypeTimestamp:
		if s.Zoned {
			// NULL: without it a first TIMESTAMP column gets MySQL's
			// automatic initialisation and update.
			return fmt.Sprintf("TIMESTAMP(%d) NULL", min(s.Fraction, 6)), nil
		}
		return fmt.Sprintf("DATETIME(%d)", min(s.Fraction, 6)), nil
	case connect.TypeYear:
		return "YEAR", nil
	case connect.TypeString:
		t := "LONGTEXT"
		if key {
			t = "VARCHAR(255)"
		}
		if cs := s.Charset; cs != "" && identRe.MatchString(cs) && cs != "binary" {
			t += " CHARACTER SET " + cs
		}
		return t, nil
	case connect.TypeBytes:
		if key {
			return "VARBINARY(255)", nil
		}
		return "LONGBLOB", nil
	case connect.TypeJSON, connect.TypeArray, connect.TypeMap, connect.TypeStruct:
		if key {
			return "", fmt.Errorf("a %s cannot be a primary key column", s.Type)
		}
		return "JSON", nil
	case connect.TypeEnum, connect.TypeSet:
		if len(s.Members) == 0 {
			return "", fmt.Errorf("%s without members", s.Type)
		}
		q := make([]string, len(s.Members))
		for i, m := range s.Members {
			q[i] = quoteString(m)
		}
		return strings.ToUpper(s.Type.String()) + "(" + strings.Join(q, ",") + ")", nil
	case connect.TypeBit:
		w := s.Width
		if w < 1 || w > 64 {
			return "", fmt.Errorf("bit(%d): MySQL's BIT holds 1 to 64 bits", w)
		}
		return fmt.Sprintf("BIT(%d)", w), nil
	}
	return "", fmt.Errorf("no MySQL column type for %s", s.Type)
}

// namedColumnType returns the column type of Kafka's and Debezium's
// semantic types, whose Kafka type (an integer, a string, bytes) says less
// than their name.
func namedColumnType(s *connect.Schema) (string, bool) {
	switch s.Type {
	case connect.TypeInt32, connect.TypeInt64, connect.TypeString, connect.TypeBytes:
	default:
		return "", false // this project's logical types say it all
	}
	switch s.Name {
	case dbzDate, kafkaDate:
		return "DATE", true
	case dbzTime, kafkaTime:
		return "TIME(3)", true
	case dbzMicroTime, dbzNanoTime:
		return "TIME(6)", true
	case dbzTimestamp, kafkaTimestamp:
		return "DATETIME(3)", true
	case dbzMicroTimestamp, dbzNanoTimestamp:
		return "DATETIME(6)", true
	case dbzZonedTimestamp:
		return "TIMESTAMP(6) NULL", true
	case dbzJSON:
		return "JSON", true
	case kafkaDecimal:
		p := s.Precision
		if p <= 0 || p > 65 {
			p = 65
		}
		if s.Scale < 0 || s.Scale > 38 || s.Scale > p {
			return "", false
		}
		return fmt.Sprintf("DECIMAL(%d,%d)", p, s.Scale), true
	case dbzBits:
		if s.Width >= 1 && s.Width <= 64 {
			return fmt.Sprintf("BIT(%d)", s.Width), true
		}
	}
	return "", false
}

// quoteString quotes s as a SQL string literal.
func quoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s) + "'"
}

// quoteName quotes an identifier.
func quoteName(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}

// toColumn converts v, whose schema is fs (nil for untyped values), to what
// the driver writes into column c: the exact value for typed records, and
// for untyped ones the value read as the column's type (Debezium's integer
// encodings of dates and times included).
func toColumn(v any, fs *connect.Schema, c *column) (any, error) {
	if v == nil {
		return nil, nil
	}
	name := ""
	if fs != nil {
		name = fs.Name
	}
	switch c.dataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
		return toInteger(v)
	case "bit":
		switch x := v.(type) {
		case bool:
			if x {
				return uint64(1), nil
			}
			return uint64(0), nil
		case []byte:
			// Kafka's and Debezium's Bits: little-endian bytes.
			var u uint64
			for i := len(x) - 1; i >= 0; i-- {
				u = u<<8 | uint64(x[i])
			}
			return u, nil
		}
		n, err := toInteger(v)
		if i, ok := n.(int64); ok && err == nil {
			return uint64(i), nil
		}
		return n, err
	case "decimal", "numeric":
		switch x := v.(type) {
		case string:
			return v, nil
		case json.Number:
			return string(x), nil
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64), nil
		case float32:
			return strconv.FormatFloat(float64(x), 'f', -1, 32), nil
		case []byte:
			// Kafka's Decimal: the unscaled value, big-endian two's complement.
			n := new(big.Int).SetBytes(x)
			if len(x) > 0 && x[0]&0x80 != 0 {
				n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(x))))
			}
			return scaled(n, c.scale), nil
		}
		return toInteger(v)
	case "float", "double", "real":
		switch x := v.(type) {
		case float64, string:
			return v, nil
		case float32:
			return float64(x), nil
		case json.Number:
			return string(x), nil
		}
		return toInteger(v)
	case "date":
		switch x := v.(type) {
		case time.Time:
			return x.UTC().Format(dateLayout), nil
		case string:
			return dateString(x), nil
		}
		n, err := integer(v)
		if err != nil {
			return nil, err
		}
		return time.Unix(n*86400, 0).UTC().Format(dateLayout), nil
	case "datetime", "timestamp":
		switch x := v.(type) {
		case time.Time:
			if y := x.UTC().Year(); y >= 1000 && y <= 9999 {
				// The driver writes it in UTC (its Loc) without a string
				// of ours.
				if x.Nanosecond()%1000 == 0 {
					return v, nil
				}
				return x.Truncate(time.Microsecond), nil
			}
			return x.UTC().Format(datetimeLayout), nil
		case string:
			return datetimeString(x), nil
		}
		n, err := integer(v)
		if err != nil {
			return nil, err
		}
		var t time.Time
		switch {
		case name == dbzMicroTimestamp || name == "" && c.fsp > 3:
			t = time.UnixMicro(n)
		case name == dbzNanoTimestamp:
			t = time.Unix(0, n)
		default: // io.debezium.time.Timestamp, Kafka's Timestamp: milliseconds
			t = time.UnixMilli(n)
		}
		return t.UTC().Format(datetimeLayout), nil
	case "time":
		switch x := v.(type) {
		case string:
			return v, nil
		case time.Duration:
			return timeString(x), nil
		case time.Time:
			return x.UTC().Format("15:04:05.999999"), nil
		}
		n, err := integer(v)
		if err != nil {
			return nil, err
		}
		switch name {
		case dbzTime, kafkaTime:
			return timeString(time.Duration(n) * time.Millisecond), nil
		case dbzNanoTime:
			return timeString(time.Duration(n)), nil
		}
		return timeString(time.Duration(n) * time.Microsecond), nil // MicroTime, Debezium's default
	case "year":
		return toInteger(v)
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		switch x := v.(type) {
		case []byte:
			return v, nil
		case string:
			return []byte(x), nil
		}
		return textOf(v)
	}
	return textOf(v)
}

// scaled writes the unscaled value n with scale digits after the point.
func scaled(n *big.Int, scale int) string {
	digits := new(big.Int).Abs(n).String()
	if scale <= 0 {
		return n.String()
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	s := digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	if n.Sign() < 0 {
		s = "-" + s
	}
	return s
}

// textOf returns v as text for character, enum, set and JSON columns:
// rows, arrays and maps as JSON.
func textOf(v any) (any, error) {
	switch x := v.(type) {
	case string, []byte, bool, int64, uint64, float64, int, int32, uint32, int16, uint16, int8, uint8:
		return v, nil // as it is: boxing a string or slice again would allocate
	case float32:
		return float64(x), nil
	case json.Number:
		return string(x), nil
	case time.Time:
		return x.UTC().Format(datetimeLayout), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("write %T as JSON: %w", v, err)
	}
	return string(b), nil
}

// toInteger returns an integer value as int64 or uint64, a numeric string
// as it is (the server converts it, strict mode rejects garbage).
func toInteger(v any) (any, error) {
	switch x := v.(type) {
	case int64, uint64:
		return v, nil // as it is: boxing x again would allocate
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case uint32:
		return uint64(x), nil
	case uint16:
		return uint64(x), nil
	case uint8:
		return uint64(x), nil
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return int64(x), nil
		}
		return nil, fmt.Errorf("%v is not an integer", x)
	case string:
		return x, nil
	case json.Number:
		return string(x), nil
	}
	return nil, fmt.Errorf("%T is not a number", v)
}

// integer returns v as an int64 (a Debezium date or time encoding).
func integer(v any) (int64, error) {
	n, err := toInteger(v)
	if err != nil {
		return 0, err
	}
	switch x := n.(type) {
	case int64:
		return x, nil
	case string:
		return strconv.ParseInt(x, 10, 64)
	}
	return 0, fmt.Errorf("%v is out of range", v)
}

// timeString formats a duration as TIME: [-]HH:MM:SS[.ffffff].
func timeString(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	us := d / time.Microsecond
	s := fmt.Sprintf("%s%02d:%02d:%02d", sign, us/3600e6, us/60e6%60, us/1e6%60)
	if f := us % 1e6; f != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%06d", f), "0")
	}
	return s
}

// datetimeString reads an ISO 8601 instant (Debezium's ZonedTimestamp,
// RFC 3339) as UTC; anything else goes to the server as it is.
func datetimeString(s string) string {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC().Format(datetimeLayout)
	}
	return s
}

// dateString reads an ISO 8601 date with a zone (Debezium's ZonedDate) as
// its date; anything else goes to the server as it is.
func dateString(s string) string {
	if len(s) > 10 && s[4] == '-' && s[7] == '-' {
		if _, err := time.Parse(dateLayout, s[:10]); err == nil && strings.IndexAny(s[10:], "Z+-") == 0 {
			return s[:10]
		}
	}
	return s
}
