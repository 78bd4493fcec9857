package transforms_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// Cases of https://docs.confluent.io/platform/current/connect/transforms/maskfield.html
func TestMaskField(t *testing.T) {
	runCases(t, kafka+"MaskField$Value", []tcase{
		{name: "docs: mask a string", cfg: connect.Config{"fields": "string_field"},
			in: rec("t", m{"integer_field": 22, "string_field": "foo"}), want: rec("t", m{"integer_field": 22, "string_field": ""})},
		{name: "docs: SSNMask", cfg: connect.Config{"fields": "SSN", "replacement": "***-***-****"},
			in: rec("t", m{"SSN": "123-45-6789", "name": "a"}), want: rec("t", m{"SSN": "***-***-****", "name": "a"})},
		{name: "docs: IPMask", cfg: connect.Config{"fields": "IPAddress", "replacement": "xxx.xxx.xxx.xxx"},
			in: rec("t", m{"IPAddress": "10.0.0.1"}), want: rec("t", m{"IPAddress": "xxx.xxx.xxx.xxx"})},
		{name: "docs: PhoneMask on two fields", cfg: connect.Config{"fields": "office,mobile", "replacement": "+0-000-000-0000"},
			in:   rec("t", m{"office": "+1-555-555-0100", "mobile": "+1-555-555-0199"}),
			want: rec("t", m{"office": "+0-000-000-0000", "mobile": "+0-000-000-0000"})},
		{name: "null values of each type", cfg: connect.Config{"fields": "b,i8,i,f32,f,n,tm,l,mp,ls,z"},
			in: rec("t", m{"b": true, "i8": int8(3), "i": int64(7), "f32": float32(1.5), "f": 2.5, "n": json.Number("12.5"),
				"tm": ts, "l": []any{1}, "mp": m{"x": 1}, "ls": []string{"a"}, "z": nil}),
			want: rec("t", m{"b": false, "i8": int8(0), "i": int64(0), "f32": float32(0), "f": 0.0, "n": json.Number("0"),
				"tm": time.Unix(0, 0).UTC(), "l": []any{}, "mp": m{}, "ls": []string{}, "z": nil})},
		{name: "numeric replacement in the field's type", cfg: connect.Config{"fields": "i,f,u", "replacement": "9"},
			in: rec("t", m{"i": int32(1), "f": 1.5, "u": uint16(4)}), want: rec("t", m{"i": int32(9), "f": 9.0, "u": uint16(9)})},
		{name: "absent field stays absent", cfg: connect.Config{"fields": "x"}, in: rec("t", m{"a": 1}), want: rec("t", m{"a": 1})},
		{name: "replacement not a number", cfg: connect.Config{"fields": "i", "replacement": "abc"}, in: rec("t", m{"i": int64(1)}), err: "unable to convert abc"},
		{name: "replacement out of range", cfg: connect.Config{"fields": "i", "replacement": "300"}, in: rec("t", m{"i": int8(1)}), err: "unable to convert 300"},
		{name: "replacement for a boolean", cfg: connect.Config{"fields": "b", "replacement": "x"}, in: rec("t", m{"b": true}), err: "with a custom replacement"},
		{name: "bytes cannot be masked", cfg: connect.Config{"fields": "b"}, in: rec("t", m{"b": []byte("x")}), err: "cannot mask value of type []uint8"},
		{name: "tombstone", cfg: connect.Config{"fields": "a"}, in: rec("t", nil), err: "found: null"},
	})
	runCases(t, kafka+"MaskField$Key", []tcase{
		{name: "key", cfg: connect.Config{"fields": "ssn"}, in: &connect.Record{Key: m{"ssn": "1"}}, want: &connect.Record{Key: m{"ssn": ""}}},
	})
	runConfigErrors(t, kafka+"MaskField$Value", []cfgCase{
		{name: "fields required", cfg: connect.Config{}, field: "fields", err: "required"},
		{name: "empty replacement", cfg: connect.Config{"fields": "a", "replacement": ""}, field: "replacement", err: "must not be empty"},
	})
}

// Cases of https://docs.confluent.io/platform/current/connect/transforms/cast.html
// and Java's conversions.
func TestCast(t *testing.T) {
	runCases(t, kafka+"Cast$Value", []tcase{
		// The page shows "63521704.02"; Kafka writes Double.toString, which
		// is in scientific notation from 10^7 on.
		{name: "docs: cast value to string", cfg: connect.Config{"spec": "string"}, in: rec("t", 63521704.02), want: rec("t", "6.352170402E7")},
		{name: "a float below 10^7 to string", cfg: connect.Config{"spec": "string"}, in: rec("t", 6352170.402), want: rec("t", "6352170.402")},
		{name: "docs: ID:string,score:float64", cfg: connect.Config{"spec": "ID:string,score:float64"},
			in: rec("t", m{"ID": int64(46920), "score": int64(4761)}), want: rec("t", m{"ID": "46920", "score": 4761.0})},
		{name: "integers narrow as Java's byteValue", cfg: connect.Config{"spec": "a:int8,b:int16,c:int32"},
			in: rec("t", m{"a": int64(300), "b": int64(70000), "c": 3.9e10}), want: rec("t", m{"a": int8(44), "b": int16(4464), "c": int32(math.MaxInt32)})},
		{name: "floats truncate", cfg: connect.Config{"spec": "a:int64,b:int8,c:boolean"},
			in: rec("t", m{"a": -2.7, "b": float32(-1.5), "c": 0.5}), want: rec("t", m{"a": int64(-2), "b": int8(-1), "c": false})},
		{name: "booleans", cfg: connect.Config{"spec": "a:int32,b:string,c:float32,d:boolean"},
			in: rec("t", m{"a": true, "b": false, "c": true, "d": "TRUE"}), want: rec("t", m{"a": int32(1), "b": "false", "c": float32(1), "d": true})},
		{name: "strings parse", cfg: connect.Config{"spec": "a:int16,b:float64,c:boolean,d:int64"},
			in: rec("t", m{"a": "-12", "b": " 1e3 ", "c": "yes", "d": "+7"}), want: rec("t", m{"a": int16(-12), "b": 1000.0, "c": false, "d": int64(7)})},
		{name: "Java's float text", cfg: connect.Config{"spec": "a:string,b:string,c:string,d:string,e:string,f:string"},
			in:   rec("t", m{"a": 1.0, "b": 1e7, "c": 0.001, "d": 1.0e-4, "e": float32(0.1), "f": -123456.789}),
			want: rec("t", m{"a": "1.0", "b": "1.0E7", "c": "0.001", "d": "1.0E-4", "e": "0.1", "f": "-123456.789"})},
		{name: "bytes to base64 string", cfg: connect.Config{"spec": "string"}, in: rec("t", []byte("hi")), want: rec("t", "aGk=")},
		{name: "json numbers", cfg: connect.Config{"spec": "a:int32,b:float32"},
			in: rec("t", m{"a": json.Number("5"), "b": json.Number("2.5")}), want: rec("t", m{"a": int32(5), "b": float32(2.5)})},
		{name: "absent field stays absent; null stays null", cfg: connect.Config{"spec": "a:int8,b:int8"},
			in: rec("t", m{"b": nil}), want: rec("t", m{"b": nil})},
		{name: "null value passes", cfg: connect.Config{"spec": "int8"}, in: rec("t", nil), want: rec("t", nil)},
		{name: "string out of range", cfg: connect.Config{"spec": "a:int8"}, in: rec("t", m{"a": "300"}), err: "out of range"},
		{name: "not a number", cfg: connect.Config{"spec": "a:float64"}, in: rec("t", m{"a": "x"}), err: "out of range"},
		{name: "bytes to an integer", cfg: connect.Config{"spec": "a:int32"}, in: rec("t", m{"a": []byte{1}}), err: "binary values only to string"},
		{name: "a map as a whole", cfg: connect.Config{"spec": "string"}, in: rec("t", m{"a": 1}), err: "casting from MAP"},
		{name: "a time", cfg: connect.Config{"spec": "a:int64"}, in: rec("t", m{"a": ts}), err: "time.Time"},
		{name: "unsigned beyond int64", cfg: connect.Config{"spec": "int64"}, in: rec("t", uint64(math.MaxUint64)), err: "beyond int64"},
		{name: "fields of a non-map", cfg: connect.Config{"spec": "a:int8"}, in: rec("t", "x"), err: "found: string"},
	})
	runCases(t, kafka+"Cast$Key", []tcase{
		{name: "key to int32", cfg: connect.Config{"spec": "int32"}, in: &connect.Record{Key: int64(7)}, want: &connect.Record{Key: int32(7)}},
	})
	runConfigErrors(t, kafka+"Cast$Value", []cfgCase{
		{name: "spec required", cfg: connect.Config{}, field: "spec", err: "required"},
		{name: "unknown type", cfg: connect.Config{"spec": "a:int128"}, field: "spec", err: "invalid type found in casting spec: int128"},
		{name: "bytes is no output", cfg: connect.Config{"spec": "a:bytes"}, field: "spec", err: "does not support casting to BYTES"},
		{name: "whole and fields", cfg: connect.Config{"spec": "int8,a:int8"}, field: "spec", err: "single cast"},
		{name: "bad mapping", cfg: connect.Config{"spec": "a:b:c"}, field: "spec", err: "invalid cast mapping"},
	})
}

// Cases of https://docs.confluent.io/platform/current/connect/transforms/timestampconverter.html
// and SimpleDateFormat's parsing.
func TestTimestampConverter(t *testing.T) {
	day := time.Date(2019, 4, 25, 0, 0, 0, 0, time.UTC)
	runCases(t, kafka+"TimestampConverter$Value", []tcase{
		// The page shows "2014-04-25" for 1556204536000, a typo: it is in 2019.
		{name: "docs: unix to yyyy-MM-dd", cfg: connect.Config{"format": "yyyy-MM-dd", "target.type": "string"},
			in: rec("t", int64(1556204536000)), want: rec("t", "2019-04-25")},
		{name: "field to string", cfg: connect.Config{"field": "event_date", "format": "yyyy-MM-dd HH:mm:ss.SSS", "target.type": "string"},
			in: rec("t", m{"event_date": int64(1556204536123), "x": 1}), want: rec("t", m{"event_date": "2019-04-25 15:02:16.123", "x": 1})},
		{name: "string to unix", cfg: connect.Config{"field": "d", "format": "yyyy-MM-dd'T'HH:mm:ssXXX", "target.type": "unix"},
			in: rec("t", m{"d": "2019-04-25T17:02:16+02:00"}), want: rec("t", m{"d": int64(1556204536000)})},
		{name: "string to Timestamp", cfg: connect.Config{"format": "dd/MM/yy HH:mm", "target.type": "Timestamp"},
			in: rec("t", "25/04/19 15:02"), want: rec("t", time.Date(2019, 4, 25, 15, 2, 0, 0, time.UTC))},
		{name: "lenient: month 13 rolls over, trailing text ignored", cfg: connect.Config{"format": "yyyy-MM-dd", "target.type": "Date"},
			in: rec("t", "2019-13-01 and more"), want: rec("t", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))},
		{name: "abutting numbers", cfg: connect.Config{"format": "yyyyMMddHHmm", "target.type": "unix", "unix.precision": "seconds"},
			in: rec("t", "201904251502"), want: rec("t", int64(1556204520))},
		{name: "month and day names, 12-hour clock", cfg: connect.Config{"format": "EEE, d MMM yyyy h:mm a", "target.type": "Timestamp"},
			in: rec("t", "Thu, 25 Apr 2019 3:02 PM"), want: rec("t", time.Date(2019, 4, 25, 15, 2, 0, 0, time.UTC))},
		{name: "Timestamp to Date", cfg: connect.Config{"target.type": "Date"}, in: rec("t", ts), want: rec("t", day)},
		{name: "Timestamp to Time", cfg: connect.Config{"target.type": "Time"},
			in: rec("t", ts), want: rec("t", time.Date(1970, 1, 1, 14, 22, 16, 0, time.UTC))},
		{name: "microseconds in, milliseconds out", cfg: connect.Config{"target.type": "unix", "unix.precision": "microseconds"},
			in: rec("t", int64(1556204536000123)), want: rec("t", int64(1556204536000123))},
		{name: "unix nanoseconds to Timestamp keeps the nanoseconds", cfg: connect.Config{"target.type": "Timestamp", "unix.precision": "nanoseconds"},
			in: rec("t", int64(1556204536000000007)), want: rec("t", time.Unix(0, 1556204536000000007).UTC())},
		{name: "null passes", cfg: connect.Config{"target.type": "unix"}, in: rec("t", nil), want: rec("t", nil)},
		{name: "absent field stays absent", cfg: connect.Config{"field": "d", "target.type": "unix"}, in: rec("t", m{"a": 1}), want: rec("t", m{"a": 1})},
		{name: "unparsable", cfg: connect.Config{"format": "yyyy-MM-dd", "target.type": "unix"}, in: rec("t", "25.04.2019"), err: "does not match pattern (yyyy-MM-dd)"},
		{name: "string without format", cfg: connect.Config{"target.type": "unix"}, in: rec("t", "2019"), err: "format setting is empty"},
		{name: "float", cfg: connect.Config{"target.type": "unix"}, in: rec("t", 1.5), err: "does not support float64"},
		{name: "field of a non-map", cfg: connect.Config{"field": "d", "target.type": "unix"}, in: rec("t", "x"), err: "found: string"},
	})
	runCases(t, kafka+"TimestampConverter$Key", []tcase{
		{name: "key", cfg: connect.Config{"target.type": "unix", "unix.precision": "seconds"}, in: &connect.Record{Key: ts}, want: &connect.Record{Key: ts.Unix()}},
	})
	runConfigErrors(t, kafka+"TimestampConverter$Value", []cfgCase{
		{name: "target.type required", cfg: connect.Config{}, field: "target.type", err: "required"},
		{name: "bad target.type", cfg: connect.Config{"target.type": "date"}, field: "target.type", err: "must be one of"},
		{name: "string needs format", cfg: connect.Config{"target.type": "string"}, field: "format", err: "required when target.type is string"},
		{name: "bad format", cfg: connect.Config{"target.type": "string", "format": "yyyy-ii"}, field: "format", err: "illegal pattern character"},
		{name: "bad precision", cfg: connect.Config{"target.type": "unix", "unix.precision": "days"}, field: "unix.precision", err: "must be one of"},
	})
}
