package mysqlsource_test

import (
	"fmt"
	"maps"
	"math"
	"reflect"
	"sort"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/converter"
	"github.com/openmessaging/connect-go/mysqlsource"
)

const typesTable = `CREATE TABLE types (
	id INT PRIMARY KEY,
	ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED,
	mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED,
	bi BIGINT, biu BIGINT UNSIGNED,
	f FLOAT, d DOUBLE, dec1 DECIMAL(10,2), dec2 DECIMAL(65,30),
	dt DATE, dtm DATETIME, dtm6 DATETIME(6), ts TIMESTAMP(6) NULL DEFAULT NULL,
	tm TIME, tm3 TIME(3), y YEAR,
	c CHAR(5), vc VARCHAR(50), tx TEXT, lat VARCHAR(20) CHARACTER SET latin1,
	bn BINARY(4), vb VARBINARY(10), bl BLOB,
	j JSON, e ENUM('small','medium','large'), st SET('a','b','c'),
	b1 BIT(1), b10 BIT(10), b64 BIT(64),
	g BIGINT AS (i * 2) VIRTUAL, gs VARCHAR(60) AS (CONCAT(vc, '!')) STORED,
	n INT NULL
)`

const typesColumns = `id, ti, tiu, si, siu, mi, miu, i, iu, bi, biu, f, d, dec1, dec2, dt, dtm, dtm6, ts, tm, tm3, y,
	c, vc, tx, lat, bn, vb, bl, j, e, st, b1, b10, b64, n`

// typesRows are the values of rows 1 to 3 (id excluded): extremes, zeros
// and NULLs.
var typesRows = []string{
	`-128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295,
	-9223372036854775808, 18446744073709551615,
	3.1415927, 2.718281828459045, -12345678.90, '12345678901234567890123456789012345.123456789012345678901234567890',
	'2024-02-29', '1969-07-20 20:17:40', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999',
	'-838:59:59', '12:34:56.789', 2155,
	'ab', 'héllo 😀 wörld', 'long text 🚀', 'café',
	'ab', x'00ff00', x'deadbeef00',
	'{"a": [1, 2.5, "x"], "b": null}', 'medium', 'a,c',
	1, b'1000000001', x'FFFFFFFFFFFFFFFF', NULL`,
	`0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, -0.5, 0, 0,
	'0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00',
	'00:00:00', '00:00:00', 0,
	'', '', '', '',
	'', '', '',
	'[]', 'bogus', '',
	0, 0, 0, NULL`,
	`NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL,
	NULL, NULL, NULL,
	NULL, NULL, NULL, NULL,
	NULL, NULL, NULL,
	NULL, NULL, NULL,
	NULL, NULL, NULL, NULL`,
}

func utc(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
	return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
}

// typesWant is what rows 1 and 2 must read as (see the type mapping in the
// package documentation).
var typesWant = []map[string]any{
	{
		"ti": int64(-128), "tiu": int64(255), "si": int64(-32768), "siu": int64(65535),
		"mi": int64(-8388608), "miu": int64(16777215), "i": int64(math.MinInt32), "iu": int64(math.MaxUint32),
		"bi": int64(math.MinInt64), "biu": uint64(math.MaxUint64),
		"f": 3.1415927, "d": 2.718281828459045, "dec1": "-12345678.90",
		"dec2": "12345678901234567890123456789012345.123456789012345678901234567890",
		"dt":   utc(2024, 2, 29, 0, 0, 0, 0), "dtm": utc(1969, 7, 20, 20, 17, 40, 0),
		"dtm6": utc(9999, 12, 31, 23, 59, 59, 999999000), "ts": utc(2038, 1, 19, 3, 14, 7, 999999000),
		"tm": "-838:59:59", "tm3": "12:34:56.789", "y": int64(2155),
		"c": "ab", "vc": "héllo 😀 wörld", "tx": "long text 🚀", "lat": "café",
		"bn": []byte("ab\x00\x00"), "vb": []byte{0, 0xff, 0}, "bl": []byte{0xde, 0xad, 0xbe, 0xef, 0},
		"j": `{"a": [1, 2.5, "x"], "b": null}`, "e": "medium", "st": "a,c",
		"b1": true, "b10": int64(513), "b64": uint64(math.MaxUint64),
		"g": int64(2 * math.MinInt32), "gs": "héllo 😀 wörld!", "n": nil,
	},
	{
		"ti": int64(0), "tiu": int64(0), "si": int64(0), "siu": int64(0),
		"mi": int64(0), "miu": int64(0), "i": int64(0), "iu": int64(0),
		"bi": int64(0), "biu": int64(0),
		"f": 0.0, "d": -0.5, "dec1": "0.00", "dec2": "0.000000000000000000000000000000",
		// Zero dates: the server's text, with the column's fraction digits.
		"dt": "0000-00-00", "dtm": "0000-00-00 00:00:00", "dtm6": "0000-00-00 00:00:00.000000", "ts": "0000-00-00 00:00:00.000000",
		"tm": "00:00:00", "tm3": "00:00:00.000", "y": int64(0),
		"c": "", "vc": "", "tx": "", "lat": "",
		"bn": []byte{0, 0, 0, 0}, "vb": []byte{}, "bl": []byte{},
		"j": "[]", "e": "", "st": "",
		"b1": false, "b10": int64(0), "b64": int64(0),
		"g": int64(0), "gs": "!", "n": nil,
	},
}

// typesSchema is the field schema of every column of the types table,
// as Schema.String writes it (see "Schemas" in the package documentation).
// MariaDB's JSON is a LONGTEXT: neither the binlog nor information_schema
// tells it from one, so its schema is a string.
var typesSchema = []struct{ name, schema string }{
	{"id", "int32"},
	{"ti", "optional int8"}, {"tiu", "optional int16"}, {"si", "optional int16"}, {"siu", "optional int32"},
	{"mi", "optional int32"}, {"miu", "optional int32"}, {"i", "optional int32"}, {"iu", "optional int64"},
	{"bi", "optional int64"}, {"biu", "optional uint64"},
	{"f", "optional float32"}, {"d", "optional float64"}, {"dec1", "optional decimal(10,2)"}, {"dec2", "optional decimal(65,30)"},
	{"dt", "optional date"}, {"dtm", "optional timestamp(0)"}, {"dtm6", "optional timestamp(6)"}, {"ts", "optional timestamp(6) zoned"},
	{"tm", "optional time(0)"}, {"tm3", "optional time(3)"}, {"y", "optional year"},
	{"c", "optional string"}, {"vc", "optional string"}, {"tx", "optional string"}, {"lat", "optional string(latin1)"},
	{"bn", "optional bytes"}, {"vb", "optional bytes"}, {"bl", "optional bytes"},
	{"j", "optional string"}, {"e", "optional enum(small,medium,large)"}, {"st", "optional set(a,b,c)"},
	{"b1", "optional bit(1)"}, {"b10", "optional bit(10)"}, {"b64", "optional bit(64)"},
	{"g", "optional int64"}, {"gs", "optional string"},
	{"n", "optional int32"},
}

// checkTypesSchema checks the schemas of a record of the types table.
func checkTypesSchema(t *testing.T, db *testDB, rec *connect.Record) {
	t.Helper()
	after, ok := rec.Change.After.(*connect.Struct)
	if !ok {
		t.Fatalf("after image %T, want *connect.Struct", rec.Change.After)
	}
	prefix := db.name + "." + db.name + ".types"
	if after.Schema.Name != prefix+".Value" || !after.Schema.Optional {
		t.Errorf("row schema %q (optional %v), want %q, optional", after.Schema.Name, after.Schema.Optional, prefix+".Value")
	}
	if len(after.Schema.Fields) != len(typesSchema) {
		t.Fatalf("row schema %s, want %d fields", after.Schema, len(typesSchema))
	}
	for i, want := range typesSchema {
		f := after.Schema.Fields[i]
		if f.Name != want.name || f.Schema.String() != want.schema {
			t.Errorf("field %d: %s %s, want %s %s", i, f.Name, f.Schema, want.name, want.schema)
		}
	}
	if err := after.Validate(); err != nil {
		t.Errorf("row of id %v does not hold its schema's values: %v", keyID(rec), err)
	}
	key, ok := rec.Key.(*connect.Struct)
	if !ok {
		t.Fatalf("key %T, want *connect.Struct", rec.Key)
	}
	if want := connect.NewStructSchema(prefix+".Key", false, after.Schema.Fields[0]); !key.Schema.Equal(want) {
		t.Errorf("key schema %s, want %s", key.Schema, want)
	}
	if err := key.Validate(); err != nil {
		t.Errorf("key: %v", err)
	}
	src, ok := rec.Change.Source.(*connect.Struct)
	if !ok || src.Schema != mysqlsource.SourceSchema("mariadb") {
		t.Fatalf("source block %T, want a *connect.Struct of SourceSchema(mariadb)", rec.Change.Source)
	}
	if err := src.Validate(); err != nil {
		t.Errorf("source block: %v", err)
	}
}

// TestTypes checks every type reads as documented, with the schema
// documented, the same from the snapshot and the binlog, and through the
// JSON converter.
func TestTypes(t *testing.T) {
	db := newTestDB(t)
	db.exec("SET SESSION sql_mode = ''", "SET time_zone = '+00:00'", typesTable)
	for i, vals := range typesRows {
		db.exec(fmt.Sprintf("INSERT INTO types (%s) VALUES (%d, %s)", typesColumns, i+1, vals))
	}
	r := startRun(t, db.config(), nil)
	r.pollUntil(20*time.Second, "the snapshot of 3 rows", func(recs []*connect.Record) bool { return ops(recs)[connect.OpRead] == 3 })
	for i, vals := range typesRows {
		db.exec(fmt.Sprintf("INSERT INTO types (%s) VALUES (%d, %s)", typesColumns, i+101, vals))
	}
	r.pollUntil(20*time.Second, "3 inserted rows", func(recs []*connect.Record) bool { return ops(recs)[connect.OpCreate] == 3 })

	byID := map[int64]*connect.Record{}
	for _, rec := range r.recs {
		byID[keyID(rec).(int64)] = rec
	}
	for i := range typesRows {
		snap, bin := byID[int64(i+1)], byID[int64(i+101)]
		if snap == nil || bin == nil {
			t.Fatalf("row %d: snapshot record %v, binlog record %v", i+1, snap != nil, bin != nil)
		}
		checkTypesSchema(t, db, snap)
		checkTypesSchema(t, db, bin)
		if sa, ba := snap.Change.After.(*connect.Struct), bin.Change.After.(*connect.Struct); !sa.Schema.Equal(ba.Schema) {
			t.Errorf("row %d: the snapshot's schema differs from the binlog's:\n%s\n%s", i+1, sa.Schema, ba.Schema)
		}
		if sk, bk := snap.Key.(*connect.Struct), bin.Key.(*connect.Struct); !sk.Schema.Equal(bk.Schema) {
			t.Errorf("row %d: the snapshot's key schema differs from the binlog's:\n%s\n%s", i+1, sk.Schema, bk.Schema)
		}
		a, b := without(snap.Change.After, "id"), without(bin.Change.After, "id")
		if !reflect.DeepEqual(a, b) {
			t.Errorf("row %d reads differently from the snapshot and the binlog:\n%s", i+1, diff(a, b))
		}
		if i < len(typesWant) {
			if !reflect.DeepEqual(a, typesWant[i]) {
				t.Errorf("row %d from the snapshot, got vs want:\n%s", i+1, diff(a, typesWant[i]))
			}
			if !reflect.DeepEqual(b, typesWant[i]) {
				t.Errorf("row %d from the binlog, got vs want:\n%s", i+1, diff(b, typesWant[i]))
			}
		} else {
			for k, v := range a {
				if v != nil {
					t.Errorf("row %d: %s = %#v, want nil", i+1, k, v)
				}
			}
		}
		for _, rec := range []*connect.Record{snap, bin} {
			checkJSONRoundTrip(t, rec)
		}
	}
}

// checkJSONRoundTrip encodes a record with the JSON converter and decodes it
// again: the change event must come back with the same values.
func checkJSONRoundTrip(t *testing.T, rec *connect.Record) {
	t.Helper()
	c := converter.NewJSON()
	m, err := c.Encode(rec)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	back, err := c.Decode(m)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if back.Change == nil || back.Change.Op != rec.Change.Op {
		t.Fatalf("decoded change %+v, want op %s", back.Change, rec.Change.Op)
	}
	for _, p := range []struct {
		name      string
		got, want map[string]any
	}{
		{"after", asMap(back.Change.After), asMap(rec.Change.After)},
		{"before", asMap(back.Change.Before), asMap(rec.Change.Before)},
		{"source", asMap(back.Change.Source), asMap(rec.Change.Source)},
	} {
		if !reflect.DeepEqual(p.got, p.want) {
			t.Errorf("id %v: %s changed through the JSON converter:\n%s", keyID(rec), p.name, diff(p.got, p.want))
		}
	}
	if !reflect.DeepEqual(asMap(back.Key), asMap(rec.Key)) {
		t.Errorf("key %#v came back as %#v", rec.Key, back.Key)
	}
	if !back.Timestamp.Equal(rec.Timestamp) {
		t.Errorf("timestamp %v came back as %v", rec.Timestamp, back.Timestamp)
	}
	if rec.Change.At.IsZero() || !back.Change.At.Equal(rec.Change.At) {
		t.Errorf("processing time %v came back as %v", rec.Change.At, back.Change.At)
	}
}

func without(row any, keys ...string) map[string]any {
	m, _ := connect.AsMap(row)
	out := maps.Clone(m)
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

func diff(got, want map[string]any) string {
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	var names []string
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	var out string
	for _, k := range names {
		g, gok := got[k]
		w, wok := want[k]
		if gok != wok || !reflect.DeepEqual(g, w) {
			out += fmt.Sprintf("  %s: %#v (%T), want %#v (%T)\n", k, g, g, w, w)
		}
	}
	return out
}

// asMap returns a row as a map, nil for no row.
func asMap(row any) map[string]any {
	m, _ := connect.AsMap(row)
	return m
}
