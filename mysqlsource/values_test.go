package mysqlsource

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"

	connect "github.com/openmessaging/connect-go"
)

func TestParseTemporal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want any
	}{
		{"2024-02-29", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"2023-02-29", nil}, // ALLOW_INVALID_DATES
		{"0000-00-00", nil},
		{"2024-00-10", nil},
		{"2024-01-00 10:00:00", nil},
		{"1000-01-01 00:00:00", time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"1969-07-20 20:17:40.5", time.Date(1969, 7, 20, 20, 17, 40, 500000000, time.UTC)},
		{"9999-12-31 23:59:59.999999", time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)},
		{"0000-00-00 00:00:00.000000", nil},
	} {
		if got := parseDateTime(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseDateTime(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestDateText: zero and invalid dates become the text the server prints
// for the column, with its fraction digits, whether the binlog reader
// (the column's digits) or the snapshot's binary protocol (none or six)
// gave them; valid dates stay times; text that is no date is an error.
func TestDateText(t *testing.T) {
	for _, tc := range []struct {
		kind kind
		fsp  int
		in   string
		want any
	}{
		{kindDate, 0, "0000-00-00", "0000-00-00"},
		{kindDate, 0, "2024-00-10", "2024-00-10"},
		{kindDate, 0, "2023-02-30", "2023-02-30"},
		{kindDate, 0, "2024-02-29", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{kindDateTime, 0, "0000-00-00 00:00:00", "0000-00-00 00:00:00"},
		{kindDateTime, 3, "0000-00-00 00:00:00", "0000-00-00 00:00:00.000"},           // snapshot, binary protocol of length 0
		{kindDateTime, 3, "0000-00-00 00:00:00.000", "0000-00-00 00:00:00.000"},       // binlog
		{kindDateTime, 6, "2024-00-10 12:34:56.000000", "2024-00-10 12:34:56.000000"}, // both
		{kindDateTime, 2, "2023-02-30 01:02:03.450000", "2023-02-30 01:02:03.45"},     // snapshot, length 11
		{kindDateTime, 0, "2023-02-30 00:00:00", "2023-02-30 00:00:00"},
		{kindTimestamp, 6, "0000-00-00 00:00:00", "0000-00-00 00:00:00.000000"},
		{kindTimestamp, 0, "2018-06-20 13:37:03", time.Date(2018, 6, 20, 13, 37, 3, 0, time.UTC)},
	} {
		c := column{name: "c", kind: tc.kind, fsp: tc.fsp}
		got, err := c.date(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s(%d) %q: %#v, %v; want %#v", tc.kind, tc.fsp, tc.in, got, err, tc.want)
		}
		if s, ok := got.(string); ok && !connect.IsDateText(s) {
			t.Errorf("%q is not connect.IsDateText", s)
		}
	}
	for _, bad := range []string{"", "yesterday", "2024-1-1"} {
		c := column{name: "c", kind: kindDateTime}
		if v, err := c.date(bad); err == nil {
			t.Errorf("%q: %#v, want an error", bad, v)
		}
	}
}

func TestFormatTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		fsp  int
		want string
	}{
		{"12:34:56", 0, "12:34:56"},
		{"12:34:56", 3, "12:34:56.000"},
		{"-838:59:59.000000", 0, "-838:59:59"},
		{"12:34:56.5", 6, "12:34:56.500000"},
		{"12:34:56.789000", 3, "12:34:56.789"},
		{"-00:00:01.25", 2, "-00:00:01.25"},
	} {
		if got := formatTime(tc.in, tc.fsp); got != tc.want {
			t.Errorf("formatTime(%q, %d) = %q, want %q", tc.in, tc.fsp, got, tc.want)
		}
	}
}

func TestFromBinlog(t *testing.T) {
	for _, tc := range []struct {
		col  column
		in   any
		want any
	}{
		{column{kind: kindInt}, int8(-1), int64(-1)},
		{column{kind: kindInt}, uint32(math.MaxUint32), int64(math.MaxUint32)},
		{column{kind: kindInt}, uint64(math.MaxUint64), uint64(math.MaxUint64)},
		{column{kind: kindInt}, uint64(5), int64(5)},
		{column{kind: kindFloat}, float32(0.1), 0.1},
		{column{kind: kindDouble}, 0.1, 0.1},
		{column{kind: kindBytes, padLen: 4}, "a", []byte("a\x00\x00\x00")},
		{column{kind: kindBytes}, "", []byte{}},
		{column{kind: kindEnum, members: []string{"x", "y"}}, int64(2), "y"},
		{column{kind: kindEnum, members: []string{"x", "y"}}, int64(0), ""},
		{column{kind: kindSet, members: []string{"a", "b", "c"}}, int64(5), "a,c"},
		{column{kind: kindSet, members: []string{"a"}}, int64(0), ""},
		{column{kind: kindBit, bits: 1}, int64(1), true},
		{column{kind: kindBit, bits: 64}, int64(-1), uint64(math.MaxUint64)},
		{column{kind: kindString, dec: charsetEncoding("latin1")}, "caf\xe9", "café"},
		{column{kind: kindString, dec: charsetEncoding("latin1")}, "plain", "plain"},
		{column{kind: kindString, dec: charsetEncoding("ucs2")}, "\x00A", "A"},
		{column{kind: kindTimestamp}, time.Unix(0, 1000).In(time.FixedZone("x", 3600)), time.Unix(0, 1000).UTC()},
		{column{kind: kindTimestamp}, "0000-00-00 00:00:00", "0000-00-00 00:00:00"},
		{column{kind: kindDate}, "2024-01-02", time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		{column{kind: kindTime, fsp: 2}, "10:00:00", "10:00:00.00"},
		{column{kind: kindInt}, nil, nil},
	} {
		got, err := tc.col.fromBinlog(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s fromBinlog(%#v) = %#v, %v; want %#v", tc.col.kind, tc.in, got, err, tc.want)
		}
	}
	if _, err := (&column{name: "c", kind: kindInt}).fromBinlog("x"); err == nil {
		t.Error("a string for an int column was accepted")
	}
}

func TestFromSnapshot(t *testing.T) {
	for _, tc := range []struct {
		col  column
		in   mysql.FieldValue
		want any
	}{
		{column{kind: kindInt}, mysql.NewFieldValue(mysql.FieldValueTypeUnsigned, math.MaxUint64, nil), uint64(math.MaxUint64)},
		{column{kind: kindInt}, mysql.NewFieldValue(mysql.FieldValueTypeSigned, uint64(1<<63), nil), int64(math.MinInt64)},
		{column{kind: kindFloat}, mysql.NewFieldValue(mysql.FieldValueTypeFloat, math.Float64bits(float64(float32(0.1))), nil), 0.1},
		{column{kind: kindBit, bits: 10}, mysql.NewFieldValue(mysql.FieldValueTypeString, 0, []byte{2, 1}), int64(513)},
		{column{kind: kindBytes}, mysql.NewFieldValue(mysql.FieldValueTypeString, 0, nil), []byte{}},
		{column{kind: kindDateTime}, mysql.NewFieldValue(mysql.FieldValueTypeString, 0, []byte("0000-00-00 00:00:00")), "0000-00-00 00:00:00"},
		{column{kind: kindTime, fsp: 3}, mysql.NewFieldValue(mysql.FieldValueTypeString, 0, []byte("-12:00:00.500000")), "-12:00:00.500"},
		{column{kind: kindYear}, mysql.NewFieldValue(mysql.FieldValueTypeUnsigned, 2155, nil), int64(2155)},
		{column{kind: kindInt}, mysql.NewFieldValue(mysql.FieldValueTypeNull, 0, nil), nil},
	} {
		got, err := tc.col.fromSnapshot(&tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s fromSnapshot(%v) = %#v, %v; want %#v", tc.col.kind, tc.in.Value(), got, err, tc.want)
		}
	}
}

func TestParseMembers(t *testing.T) {
	got := parseMembers(`enum('a','it''s','c,d','')`)
	want := []string{"a", "it's", "c,d", ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseMembers = %q, want %q", got, want)
	}
}

func TestKeyJSON(t *testing.T) {
	for _, fv := range []mysql.FieldValue{
		mysql.NewFieldValue(mysql.FieldValueTypeSigned, uint64(1<<63), nil),
		mysql.NewFieldValue(mysql.FieldValueTypeUnsigned, math.MaxUint64, nil),
		mysql.NewFieldValue(mysql.FieldValueTypeFloat, math.Float64bits(0.1), nil),
		mysql.NewFieldValue(mysql.FieldValueTypeString, 0, []byte("héllo")),
		mysql.NewFieldValue(mysql.FieldValueTypeString, 0, []byte{0xff, 0}),
	} {
		arg, err := keyArg(keyJSON(&fv))
		want := fv.Value()
		if b, ok := want.([]byte); ok && fv.Type == mysql.FieldValueTypeString && string(b) == "héllo" {
			want = "héllo"
		}
		if err != nil || !reflect.DeepEqual(arg, want) {
			t.Errorf("keyArg(keyJSON(%v)) = %#v, %v; want %#v", fv.Value(), arg, err, want)
		}
	}
}

func TestFilter(t *testing.T) {
	f, err := newFilter(connect.Config{
		KeyDatabaseInclude: "shop,crm_.*",
		KeyTableInclude:    `orders,shop\.cust.*,crm_eu\..*`,
		KeyTableExclude:    "orders_archive,crm_eu.secret",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		db, table string
		want      bool
	}{
		{"shop", "orders", true},
		{"shop", "customers", true},
		{"shop", "orders_archive", false},
		{"shop", "items", false},
		{"crm_us", "orders", true},
		{"crm_eu", "contacts", true},
		{"crm_eu", "secret", false},
		{"other", "orders", false},
		{"mysql", "user", false},
	} {
		if got := f.include(tc.db, tc.table); got != tc.want {
			t.Errorf("include(%s.%s) = %v, want %v", tc.db, tc.table, got, tc.want)
		}
	}
	dbs, tables, err := parseWhiteList(`{"shop":{"orders":{"NUM":"5"}},"crm":{}}`)
	if err != nil || !reflect.DeepEqual(dbs, []string{"crm", "shop"}) || !reflect.DeepEqual(tables, []string{`crm\..*`, `shop\.orders`}) {
		t.Errorf("parseWhiteList: %v %v %v", dbs, tables, err)
	}
}

func TestDefaultServerID(t *testing.T) {
	a, b := defaultServerID("orders", 0), defaultServerID("orders", 1)
	if a == b || a < 1<<30 || a != defaultServerID("orders", 0) {
		t.Errorf("defaultServerID: %d, %d", a, b)
	}
}
