package mysqlsource_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/converter"
	"github.com/openmessaging/connect-go/internal/dbzmodes"
)

// The modes table has a column of each MySQL type (spatial ones aside,
// see "Type mapping"), NOT NULL and nullable dates, the TIMESTAMP
// fraction digits 0, 3 and 6, and the boundary values of issue 14. The
// column x is added FIRST by an ALTER TABLE, so that table order is not
// the order of creation.
const modesTable = `CREATE TABLE modes (
	id INT PRIMARY KEY,
	d DATE NOT NULL, dn DATE NULL,
	dt DATETIME NOT NULL, dt3 DATETIME(3) NULL, dt6 DATETIME(6) NULL,
	ts TIMESTAMP(6) NULL DEFAULT NULL, ts0 TIMESTAMP NULL DEFAULT NULL,
	tm TIME NULL, tm6 TIME(6) NULL,
	dec1 DECIMAL(10,2), dec2 DECIMAL(65,30),
	bi BIGINT, biu BIGINT UNSIGNED,
	b1 BIT(1), b10 BIT(10), b64 BIT(64),
	vb VARBINARY(10),
	lat VARCHAR(10) CHARACTER SET latin1, emo VARCHAR(10),
	y YEAR, e ENUM('S','M','L'), st SET('a','b','c'),
	ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED,
	fl FLOAT, db DOUBLE, ch CHAR(3), tx TEXT, bn BINARY(3), bl BLOB, j JSON,
	ts3 TIMESTAMP(3) NULL DEFAULT NULL,
	dt6z DATETIME(6) NOT NULL, tsz TIMESTAMP(6) NOT NULL DEFAULT '0000-00-00 00:00:00'
)`

const modesAlter = "ALTER TABLE modes ADD COLUMN x SMALLINT NULL FIRST"

// modesOrder is the table's column order.
var modesOrder = strings.Fields(`x id d dn dt dt3 dt6 ts ts0 tm tm6 dec1 dec2 bi biu b1 b10 b64 vb lat emo y e st
	ti tiu si mi i iu fl db ch tx bn bl j ts3 dt6z tsz`)

// modesRows are rows 1 and 2: boundaries, then zero and invalid dates
// (under sql_mode ALLOW_INVALID_DATES) with NULLs.
var modesRows = []string{
	`'2017-09-15', '1000-01-01', '2018-06-20 06:37:03', '2018-06-20 06:37:03.5', '9999-12-31 23:59:59.999999',
	'2038-01-19 03:14:07.999999', '2018-06-20 13:37:03', '04:05:11', '23:59:59.999999',
	-12.50, '-99999999999999999999999999999999999.999999999999999999999999999999',
	-9223372036854775808, 18446744073709551615,
	1, b'1000000001', x'FFFFFFFFFFFFFFFF', x'00fffe', 'café', '😀', 0, 'M', 'a,c',
	-128, 255, -32768, 16777215, -2147483648, 4294967295,
	3.1415927, 2.718281828459045, 'ab', 'long text 🚀', x'00ff', x'fbff', '{"a": [1, "x"]}',
	'2018-06-20 13:37:03.5', '2018-06-20 06:37:03', '2018-06-20 13:37:03'`,
	`'0000-00-00', '2024-00-10', '0000-00-00 00:00:00', '2024-02-30 00:00:00', NULL,
	NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	NULL, '0000-00-00 00:00:00', '0000-00-00 00:00:00'`,
}

const modesColumns = `id, d, dn, dt, dt3, dt6, ts, ts0, tm, tm6, dec1, dec2, bi, biu, b1, b10, b64, vb, lat, emo, y, e, st,
	ti, tiu, si, mi, i, iu, fl, db, ch, tx, bn, bl, j, ts3, dt6z, tsz`

// A mode of the test: the settings, and the JSON text the JSON converter
// writes for each column of rows 1 and 2 (null: null). The expectations
// come from Debezium's MySQL (and MariaDB) connector documentation
// (debezium/debezium, documentation/modules/ROOT/partials/modules/
// all-connectors/shared-mariadb-mysql.adoc: "Data type mappings", its
// sections "Basic types", "Temporal types", "Decimal types"; the settings
// in ref-mariadb-mysql-rqd-connector-cfg-props.adoc), as cited at each
// case; internal/dbzmodes' unit tests quote the passages.
type modeCase struct {
	name string
	cfg  []string
	want map[string][2]string // column: JSON of row 1, of row 2
}

// modesCommon are the columns every mode writes alike: "Basic types" maps
// TINYINT to INT8, TINYINT UNSIGNED and SMALLINT to INT16, MEDIUMINT
// (UNSIGNED) and INT to INT32, INT UNSIGNED and BIGINT to INT64, FLOAT to
// FLOAT32, DOUBLE to FLOAT64, CHAR, VARCHAR and TEXT to STRING (UTF-8),
// JSON to io.debezium.data.Json's string (MariaDB's JSON is a LONGTEXT,
// see "Type mapping": its text as written), ENUM to io.debezium.data.Enum,
// SET to io.debezium.data.EnumSet, YEAR to io.debezium.time.Year (0 stays
// 0: enable.time.adjuster is off); and a NULL is null everywhere.
var modesCommon = map[string][2]string{
	"x": {`null`, `null`}, "lat": {`"café"`, `null`}, "emo": {`"😀"`, `null`},
	"y": {`0`, `null`}, "e": {`"M"`, `null`}, "st": {`"a,c"`, `null`},
	"ti": {`-128`, `null`}, "tiu": {`255`, `null`}, "si": {`-32768`, `null`}, "mi": {`16777215`, `null`},
	"i": {`-2147483648`, `null`}, "iu": {`4294967295`, `null`}, "fl": {`3.1415927`, `null`},
	"db": {`2.718281828459045`, `null`}, "ch": {`"ab"`, `null`}, "tx": {`"long text 🚀"`, `null`},
	"j": {`"{\"a\": [1, \"x\"]}"`, `null`}, "bi": {`-9223372036854775808`, `null`},
}

// with returns modesCommon with the columns of want, which take
// precedence.
func with(base map[string][2]string, want map[string][2]string) map[string][2]string {
	out := maps.Clone(modesCommon)
	maps.Copy(out, base)
	maps.Copy(out, want)
	return out
}

// debeziumDefaults are Debezium's defaults (value.encoding=debezium):
// adaptive_time_microseconds ("Temporal types": DATE as days, DATETIME(0-3)
// ms, (4-6) µs, TIME µs; zero dates "as null values when the column
// definition allows null values, or as the epoch day when the column does
// not"), TIMESTAMP as ZonedTimestamp ("Basic types": ISO 8601 in UTC, the
// column's fsp digits; the epoch "1970-01-01T00:00:00Z" for a zero one,
// Debezium's JdbcValueConverters fallback), precise decimals ("Decimal
// types": Kafka's Decimal, base64 of the unscaled two's-complement bytes),
// long BIGINT UNSIGNED (bigint.unsigned.handling.mode: "long ... values
// greater than 2^63 ... as a negative number"), BIT(n) as
// io.debezium.data.Bits little-endian bytes and BIT(1) boolean ("Basic
// types"), binary as bytes (binary.handling.mode default: base64 in JSON).
var debeziumDefaults = with(nil, map[string][2]string{
	"d": {`17424`, `0`}, "dn": {`-354285`, `null`},
	"dt": {`1529476623000`, `0`}, "dt3": {`1529476623500`, `null`},
	"dt6": {`253402300799999999`, `null`}, "ts": {`"2038-01-19T03:14:07.999999Z"`, `null`},
	"ts0": {`"2018-06-20T13:37:03Z"`, `null`}, "tm": {`14711000000`, `null`}, "tm6": {`86399999999`, `null`},
	"dec1": {`"+x4="`, `null`}, "dec2": {`"/wzp2OOAPG91dBC5sca6EIXayfYAAAAAAAAAAQ=="`, `null`},
	"biu": {`-1`, `null`},
	"b1":  {`true`, `null`}, "b10": {`"AQI="`, `null`}, "b64": {`"//////////8="`, `null`},
	"vb": {`"AP/+"`, `null`}, "bn": {`"AP8A"`, `null`}, "bl": {`"+/8="`, `null`},
	"ts3":  {`"2018-06-20T13:37:03.500Z"`, `null`},
	"dt6z": {`1529476623000000`, `0`}, "tsz": {`"2018-06-20T13:37:03.000000Z"`, `"1970-01-01T00:00:00Z"`},
})

var modeCases = []modeCase{
	{
		// connect-go's lossless encodings (see "Type mapping" in the
		// package doc; not Debezium's): dates as RFC 3339, zero and
		// invalid dates as the server's own text, TIME as text,
		// DECIMAL as exact text, BIGINT UNSIGNED and BIT(n) as exact
		// numbers.
		name: "connect_go",
		cfg:  nil,
		want: with(nil, map[string][2]string{
			"d": {`"2017-09-15T00:00:00Z"`, `"0000-00-00"`}, "dn": {`"1000-01-01T00:00:00Z"`, `"2024-00-10"`},
			"dt": {`"2018-06-20T06:37:03Z"`, `"0000-00-00 00:00:00"`}, "dt3": {`"2018-06-20T06:37:03.5Z"`, `"2024-02-30 00:00:00.000"`},
			"dt6": {`"9999-12-31T23:59:59.999999Z"`, `null`}, "ts": {`"2038-01-19T03:14:07.999999Z"`, `null`},
			"ts0": {`"2018-06-20T13:37:03Z"`, `null`}, "tm": {`"04:05:11"`, `null`}, "tm6": {`"23:59:59.999999"`, `null`},
			"dec1": {`"-12.50"`, `null`}, "dec2": {`"-99999999999999999999999999999999999.999999999999999999999999999999"`, `null`},
			"biu": {`18446744073709551615`, `null`},
			"b1":  {`true`, `null`}, "b10": {`513`, `null`}, "b64": {`18446744073709551615`, `null`},
			"vb": {`"AP/+"`, `null`}, "bn": {`"AP8A"`, `null`}, "bl": {`"+/8="`, `null`},
			// The JSON converter writes a time.Time as RFC 3339 (trailing
			// zeros dropped); the schema's fraction says the digits.
			"ts3":  {`"2018-06-20T13:37:03.5Z"`, `null`},
			"dt6z": {`"2018-06-20T06:37:03Z"`, `"0000-00-00 00:00:00.000000"`},
			"tsz":  {`"2018-06-20T13:37:03Z"`, `"0000-00-00 00:00:00.000000"`},
		}),
	},
	{name: "debezium", cfg: []string{"value.encoding", "debezium"}, want: debeziumDefaults},
	{
		// binary.handling.mode=base64-url-safe: "a base64-url-safe-encoded
		// String" ("Basic types", BINARY, VARBINARY, BLOB), padded as
		// Java's Base64.getUrlEncoder.
		name: "debezium base64-url-safe",
		cfg:  []string{"value.encoding", "debezium", "binary.handling.mode", "base64-url-safe"},
		want: with(debeziumDefaults, map[string][2]string{
			"vb": {`"AP_-"`, `null`}, "bn": {`"AP8A"`, `null`}, "bl": {`"-_8="`, `null`},
		}),
	},
	{
		// time.precision.mode=connect ("Temporal types": Kafka Connect's
		// Date, Time and Timestamp, ms; TIMESTAMP stays ZonedTimestamp),
		// decimal.handling.mode=double ("Decimal types": FLOAT64),
		// bigint.unsigned.handling.mode=precise (Decimal(20,0) bytes),
		// binary.handling.mode=base64 ("a base64-encoded String").
		name: "debezium connect double precise base64",
		cfg: []string{"value.encoding", "debezium", "time.precision.mode", "connect", "decimal.handling.mode", "double",
			"bigint.unsigned.handling.mode", "precise", "binary.handling.mode", "base64"},
		want: with(debeziumDefaults, map[string][2]string{
			"dt6": {`253402300799999`, `null`}, "tm": {`14711000`, `null`}, "tm6": {`86399999`, `null`},
			"dec1": {`-12.5`, `null`}, "dec2": {`-1e+35`, `null`},
			"biu":  {`"AP//////////"`, `null`},
			"dt6z": {`1529476623000`, `0`},
		}),
	},
	{
		// time.precision.mode=isostring (IsoDate "2017-09-15Z", IsoTime,
		// IsoTimestamp; zero dates the epoch's text), decimal string
		// ("Decimal types": the exact text), binary hex ("a hex-encoded
		// String", lower case), BIT as numbers (connect-go's
		// bit.handling.mode=number), BIGINT and BIGINT UNSIGNED beyond
		// 2^53 as text (connect-go's unsafe.integer.handling.mode).
		name: "debezium isostring string hex",
		cfg: []string{"value.encoding", "debezium", "time.precision.mode", "isostring", "decimal.handling.mode", "string",
			"binary.handling.mode", "hex", "bit.handling.mode", "number", "bigint.unsigned.handling.mode", "connect_go",
			"unsafe.integer.handling.mode", "string"},
		want: with(debeziumDefaults, map[string][2]string{
			"d": {`"2017-09-15Z"`, `"1970-01-01Z"`}, "dn": {`"1000-01-01Z"`, `null`},
			"dt": {`"2018-06-20T06:37:03Z"`, `"1970-01-01T00:00:00Z"`}, "dt3": {`"2018-06-20T06:37:03.5Z"`, `null`},
			"dt6": {`"9999-12-31T23:59:59.999999Z"`, `null`},
			"tm":  {`"04:05:11Z"`, `null`}, "tm6": {`"23:59:59.999999Z"`, `null`},
			"dec1": {`"-12.50"`, `null`}, "dec2": {`"-99999999999999999999999999999999999.999999999999999999999999999999"`, `null`},
			"bi": {`"-9223372036854775808"`, `null`}, "biu": {`"18446744073709551615"`, `null`},
			"b10": {`513`, `null`}, "b64": {`"18446744073709551615"`, `null`},
			"vb": {`"00fffe"`, `null`}, "bn": {`"00ff00"`, `null`}, "bl": {`"fbff"`, `null`},
			"dt6z": {`"2018-06-20T06:37:03Z"`, `"1970-01-01T00:00:00Z"`},
		}),
	},
}

// afterJSON returns the after image of rec as the JSON converter writes it
// (without schemas): its members in order, and their text by name.
func afterJSON(t *testing.T, rec *connect.Record) (order []string, vals map[string]string) {
	t.Helper()
	m, err := converter.NewJSON().Encode(rec)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		After json.RawMessage `json:"after"`
	}
	if err := json.Unmarshal(m.Value, &env); err != nil {
		t.Fatal(err)
	}
	order = strings.Fields(keysOf(t, env.After))
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(env.After, &raw); err != nil {
		t.Fatal(err)
	}
	vals = make(map[string]string, len(raw))
	for k, v := range raw {
		vals[k] = string(v)
	}
	return order, vals
}

// TestModes reads the modes table in every mode, from the snapshot and
// from the binlog, and checks the JSON text the JSON converter writes for
// every column, the columns in table order, and that both sides give the
// same schemas and values.
func TestModes(t *testing.T) {
	for _, mc := range modeCases {
		t.Run(strings.ReplaceAll(mc.name, " ", "_"), func(t *testing.T) {
			db := newTestDB(t)
			db.exec("SET SESSION sql_mode = 'ALLOW_INVALID_DATES'", "SET time_zone = '+00:00'", modesTable, modesAlter)
			for i, vals := range modesRows {
				db.exec(fmt.Sprintf("INSERT INTO modes (%s) VALUES (%d, %s)", modesColumns, i+1, vals))
			}
			r := startRun(t, db.config(mc.cfg...), nil)
			r.pollUntil(20*time.Second, "the snapshot", func(recs []*connect.Record) bool { return ops(recs)[connect.OpRead] == len(modesRows) })
			for i, vals := range modesRows {
				db.exec(fmt.Sprintf("INSERT INTO modes (%s) VALUES (%d, %s)", modesColumns, i+101, vals))
			}
			r.pollUntil(20*time.Second, "the inserts", func(recs []*connect.Record) bool { return ops(recs)[connect.OpCreate] == len(modesRows) })
			byID := map[int64]*connect.Record{}
			for _, rec := range r.recs {
				byID[keyID(rec).(int64)] = rec
			}
			for i := range modesRows {
				snap, bin := byID[int64(i+1)], byID[int64(i+101)]
				if snap == nil || bin == nil {
					t.Fatalf("row %d: snapshot record %v, binlog record %v", i+1, snap != nil, bin != nil)
				}
				sa, ba := snap.Change.After.(*connect.Struct), bin.Change.After.(*connect.Struct)
				if !sa.Schema.Equal(ba.Schema) {
					t.Errorf("row %d: schemas differ:\nsnapshot %s\nbinlog   %s", i+1, sa.Schema, ba.Schema)
				}
				if sk, bk := snap.Key.(*connect.Struct), bin.Key.(*connect.Struct); !sk.Schema.Equal(bk.Schema) {
					t.Errorf("row %d: key schemas differ: %s, %s", i+1, sk.Schema, bk.Schema)
				}
				for _, side := range []struct {
					name string
					rec  *connect.Record
				}{{"snapshot", snap}, {"binlog", bin}} {
					order, vals := afterJSON(t, side.rec)
					if got, want := strings.Join(order, " "), strings.Join(modesOrder, " "); got != want {
						t.Errorf("row %d, %s: columns %s, want the table's order %s", i+1, side.name, got, want)
					}
					for _, col := range modesOrder {
						if col == "id" {
							continue
						}
						want, ok := mc.want[col]
						if !ok {
							t.Fatalf("no expectation for column %s", col)
						}
						if vals[col] != want[i] {
							t.Errorf("row %d %s, %s: %s, want %s", i+1, col, side.name, vals[col], want[i])
						}
					}
				}
				if mc.name != "debezium isostring string hex" { // text beyond 2^53 does not fit an int64 schema
					for _, row := range []*connect.Struct{sa, ba} {
						if err := row.Validate(); err != nil {
							t.Errorf("row %d: %v", i+1, err)
						}
					}
				}
			}
		})
	}
}

// TestModesTimeRange: TIME -838:59:59 (beyond one day) stays exact under
// adaptive_time_microseconds and connect_go, and is a fatal error naming
// the column under connect and isostring, which cannot carry it (Debezium
// makes it null or 0: "Only positive TIME field values in the range of
// 00:00:00.000000 to 23:59:59.999999 can be captured correctly", "Temporal
// types" of Debezium's MySQL connector documentation; MicroTime's µs are
// exact for any range, so adaptive_time_microseconds keeps the value).
func TestModesTimeRange(t *testing.T) {
	for _, c := range []struct {
		mode, want string
	}{
		{"connect_go", `"-838:59:59"`},
		{"adaptive_time_microseconds", `-3020399000000`},
		{"connect", ""},
		{"isostring", ""},
	} {
		t.Run(c.mode, func(t *testing.T) {
			db := newTestDB(t)
			db.exec("CREATE TABLE times (id INT PRIMARY KEY, tm TIME NOT NULL)", "INSERT INTO times VALUES (1, '-838:59:59')")
			r := startRun(t, db.config("time.precision.mode", c.mode), nil)
			if c.want == "" {
				deadline := time.Now().Add(20 * time.Second)
				for time.Now().Before(deadline) {
					ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
					_, err := r.task.Poll(ctx)
					cancel()
					if err == nil || connect.IsRetriable(err) {
						continue
					}
					if !errors.Is(err, dbzmodes.ErrUnrepresentable) || !strings.Contains(err.Error(), "tm") {
						t.Fatalf("error %v, want ErrUnrepresentable naming the column", err)
					}
					return
				}
				t.Fatal("no error")
			}
			r.pollUntil(20*time.Second, "the snapshot", func(recs []*connect.Record) bool { return ops(recs)[connect.OpRead] == 1 })
			db.exec("INSERT INTO times VALUES (2, '-838:59:59')")
			r.pollUntil(20*time.Second, "the insert", func(recs []*connect.Record) bool { return ops(recs)[connect.OpCreate] == 1 })
			for _, rec := range r.recs {
				v, _ := rec.Change.After.(*connect.Struct).Get("tm")
				if b, _ := json.Marshal(v); string(b) != c.want {
					t.Errorf("id %v: %s, want %s", keyID(rec), b, c.want)
				}
			}
		})
	}
}

// TestModesEnvelope: under Debezium's class (value.encoding=debezium by
// default), the JSON converter with schemas writes the row fields as
// Debezium's change events do: Kafka's literal types with Debezium's and
// Kafka's semantic names, version 1 and their parameters (the field
// schemas as in Debezium's MySQL documentation's examples, e.g.
// {"type":"int32","optional":false,"name":"io.debezium.time.Date","version":1,"field":...}).
func TestModesEnvelope(t *testing.T) {
	db := newTestDB(t)
	db.exec("SET SESSION sql_mode = 'ALLOW_INVALID_DATES'", "SET time_zone = '+00:00'", modesTable, modesAlter)
	db.exec(fmt.Sprintf("INSERT INTO modes (%s) VALUES (1, %s)", modesColumns, modesRows[0]))
	cfg := db.config("value.encoding", "debezium")
	r := startRun(t, cfg, nil)
	r.pollUntil(20*time.Second, "the snapshot", func(recs []*connect.Record) bool { return ops(recs)[connect.OpRead] == 1 })
	m, err := converter.NewJSON(converter.WithValueSchemas(true)).Encode(r.recs[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`{"type":"int32","optional":false,"name":"io.debezium.time.Date","version":1,"field":"d"}`,
		`{"type":"int64","optional":false,"name":"io.debezium.time.Timestamp","version":1,"field":"dt"}`,
		`{"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","version":1,"field":"dt6"}`,
		`{"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","version":1,"field":"ts"}`,
		`{"type":"int64","optional":true,"name":"io.debezium.time.MicroTime","version":1,"field":"tm"}`,
		`{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"10"},"field":"dec1"}`,
		`{"type":"int64","optional":true,"field":"biu"}`,
		`{"type":"boolean","optional":true,"field":"b1"}`,
		`{"type":"bytes","optional":true,"name":"io.debezium.data.Bits","version":1,"parameters":{"length":"10"},"field":"b10"}`,
		`{"type":"string","optional":true,"field":"lat"}`,
		`{"type":"int32","optional":true,"name":"io.debezium.time.Year","version":1,"field":"y"}`,
		debeziumAfter(),
	} {
		if !strings.Contains(string(m.Value), want) {
			t.Errorf("the envelope lacks %s:\n%s", want, m.Value)
		}
	}
}

// debeziumAfter is the after image of row 1 under Debezium's defaults,
// as the JSON converter writes it: its columns in table order.
func debeziumAfter() string {
	var b strings.Builder
	b.WriteString(`"after":{`)
	for i, col := range modesOrder {
		if i > 0 {
			b.WriteByte(',')
		}
		v := `1`
		if col != "id" {
			v = debeziumDefaults[col][0]
		}
		fmt.Fprintf(&b, "%q:%s", col, v)
	}
	b.WriteByte('}')
	return b.String()
}
