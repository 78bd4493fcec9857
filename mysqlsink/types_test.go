package mysqlsink_test

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// typeCase is one column: its schema, a typed value, the exact MySQL type
// a source table would have, the SQL literal of the same value there, and
// the text SELECT expr gives for it.
type typeCase struct {
	name    string
	schema  *connect.Schema
	value   any
	ddl     string
	literal string
	expr    string // SELECT expression, %s is the column; default the column
	want    string
}

func typeCases() []typeCase {
	s := func(t connect.Type) *connect.Schema { return &connect.Schema{Type: t, Optional: true} }
	dec := s(connect.TypeDecimal)
	dec.Precision, dec.Scale = 30, 10
	tm := s(connect.TypeTime)
	tm.Fraction = 6
	dt := s(connect.TypeTimestamp)
	dt.Fraction = 6
	ts := s(connect.TypeTimestamp)
	ts.Fraction, ts.Zoned = 3, true
	latin := s(connect.TypeString)
	latin.Charset = "latin1"
	enum := s(connect.TypeEnum)
	enum.Members = []string{"a", "b", "c"}
	set := s(connect.TypeSet)
	set.Members = []string{"x", "y", "z"}
	bit1, bit12, bit64 := s(connect.TypeBit), s(connect.TypeBit), s(connect.TypeBit)
	bit1.Width, bit12.Width, bit64.Width = 1, 12, 64
	return []typeCase{
		{"c_bool", s(connect.TypeBool), true, "BOOLEAN", "TRUE", "", "1"},
		{"c_i8", s(connect.TypeInt8), int64(-128), "TINYINT", "-128", "", "-128"},
		{"c_u8", s(connect.TypeInt16), int64(255), "TINYINT UNSIGNED", "255", "", "255"},
		{"c_i16", s(connect.TypeInt16), int64(-32768), "SMALLINT", "-32768", "", "-32768"},
		{"c_u24", s(connect.TypeInt32), int64(16777215), "MEDIUMINT UNSIGNED", "16777215", "", "16777215"},
		{"c_i32", s(connect.TypeInt32), int64(math.MinInt32), "INT", "-2147483648", "", "-2147483648"},
		{"c_u32", s(connect.TypeInt64), int64(math.MaxUint32), "INT UNSIGNED", "4294967295", "", "4294967295"},
		{"c_i64", s(connect.TypeInt64), int64(math.MinInt64), "BIGINT", "-9223372036854775808", "", "-9223372036854775808"},
		{"c_u64", s(connect.TypeUint64), uint64(math.MaxUint64), "BIGINT UNSIGNED", "18446744073709551615", "", "18446744073709551615"},
		{"c_f32", s(connect.TypeFloat32), 1.1, "FLOAT", "1.1", "", "1.1"},
		{"c_f64", s(connect.TypeFloat64), math.Pi, "DOUBLE", "3.141592653589793", "", "3.141592653589793"},
		{"c_dec", dec, "-12345678901234567890.0123456789", "DECIMAL(30,10)", "-12345678901234567890.0123456789", "", "-12345678901234567890.0123456789"},
		{"c_date", s(connect.TypeDate), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), "DATE", "'2024-02-29'", "", "2024-02-29"},
		{"c_time", tm, "-838:59:58.999999", "TIME(6)", "'-838:59:58.999999'", "", "-838:59:58.999999"},
		{"c_dt", dt, time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), "DATETIME(6)", "'9999-12-31 23:59:59.999999'", "", "9999-12-31 23:59:59.999999"},
		{"c_ts", ts, time.Date(2038, 1, 19, 3, 14, 7, 499000000, time.UTC), "TIMESTAMP(3) NULL", "'2038-01-19 03:14:07.499'", "", "2038-01-19 03:14:07.499"},
		{"c_year", s(connect.TypeYear), int64(2155), "YEAR", "2155", "", "2155"},
		{"c_str", s(connect.TypeString), "héllo ✓ 😀 'q' \\", "VARCHAR(40)", `'héllo ✓ 😀 ''q'' \\'`, "", "héllo ✓ 😀 'q' \\"},
		{"c_char", s(connect.TypeString), "ab", "CHAR(3)", "'ab'", "", "ab"},
		{"c_latin", latin, "café", "TINYTEXT CHARACTER SET latin1", "'café'", "", "café"},
		{"c_bin", s(connect.TypeBytes), []byte{0, 1, 2, 0xff}, "VARBINARY(8)", "x'000102ff'", "HEX(%s)", "000102FF"},
		{"c_blob", s(connect.TypeBytes), []byte("\x00blob\n"), "BLOB", "x'00626c6f620a'", "HEX(%s)", "00626C6F620A"},
		{"c_json", s(connect.TypeJSON), `{"a": [1, 2.5, null]}`, "JSON", `'{"a": [1, 2.5, null]}'`, "", `{"a": [1, 2.5, null]}`},
		{"c_enum", enum, "b", "ENUM('a','b','c')", "'b'", "", "b"},
		{"c_set", set, "x,z", "SET('x','y','z')", "'x,z'", "", "x,z"},
		{"c_bit1", bit1, true, "BIT(1)", "b'1'", "CAST(%s AS UNSIGNED)", "1"},
		{"c_bit12", bit12, int64(0xabc), "BIT(12)", "b'101010111100'", "CAST(%s AS UNSIGNED)", "2748"},
		{"c_bit64", bit64, uint64(math.MaxUint64), "BIT(64)", "x'ffffffffffffffff'", "CAST(%s AS UNSIGNED)", "18446744073709551615"},
		{"c_null", s(connect.TypeString), nil, "VARCHAR(3)", "NULL", "", "NULL"},
	}
}

func typedRow(cases []typeCase, id int64) *connect.Struct {
	fields := []connect.StructField{{Name: "id", Schema: &connect.Schema{Type: connect.TypeInt64}}}
	values := []any{id}
	for _, c := range cases {
		fields = append(fields, connect.StructField{Name: c.name, Schema: c.schema})
		values = append(values, c.value)
	}
	return connect.NewStruct(connect.NewStructSchema("types", false, fields...), values...)
}

func selectList(cases []typeCase) string {
	var cols []string
	for _, c := range cases {
		e := c.name
		if c.expr != "" {
			e = strings.ReplaceAll(c.expr, "%s", c.name)
		}
		cols = append(cols, e)
	}
	return strings.Join(cols, ", ")
}

// A typed row written into a table of the source's exact column types
// equals, column by column and by CHECKSUM TABLE, the same row inserted
// with SQL.
func TestTypeRoundTripExactTable(t *testing.T) {
	db := newTestDB(t)
	compareWithSource(t, db, typeCases(), "INSERT")
	sums := db.rows("CHECKSUM TABLE src, dst")
	if sums[0][1] != sums[1][1] {
		t.Errorf("CHECKSUM TABLE: src %s, dst %s", sums[0][1], sums[1][1])
	}
}

// auto.create makes a table from the schema that holds every value
// exactly.
func TestTypeRoundTripAutoCreate(t *testing.T) {
	db := newTestDB(t)
	cases := typeCases()
	task := startTask(t, "types", db.config("table.name.format", "${topic}", "auto.create", "true"))
	task.write(origins("made", 0, 0, &connect.Record{Key: row("id", int64(7)), Value: typedRow(cases, 7)})...)
	got := db.rows("SELECT " + selectList(cases) + " FROM made")
	for i, c := range cases {
		if got[0][i] != c.want {
			t.Errorf("%s (%s): wrote %q, want %q", c.name, c.schema, got[0][i], c.want)
		}
	}
	pk := db.rows("SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'made' AND INDEX_NAME = 'PRIMARY'")
	if !reflect.DeepEqual(pk, [][]string{{"id"}}) {
		t.Errorf("primary key %v, want id", pk)
	}
}

// auto.evolve adds the columns a new schema version brings; untyped rows
// cannot create tables.
func TestAutoEvolveAndUntypedCreate(t *testing.T) {
	db := newTestDB(t)
	task := startTask(t, "ev", db.config("table.name.format", "${topic}", "auto.create", "true", "auto.evolve", "true"))
	v1 := connect.NewStructSchema("v1", false,
		connect.StructField{Name: "id", Schema: &connect.Schema{Type: connect.TypeInt32}},
		connect.StructField{Name: "a", Schema: &connect.Schema{Type: connect.TypeString}})
	v2 := connect.NewStructSchema("v2", false,
		connect.StructField{Name: "id", Schema: &connect.Schema{Type: connect.TypeInt32}},
		connect.StructField{Name: "a", Schema: &connect.Schema{Type: connect.TypeString}},
		connect.StructField{Name: "b", Schema: &connect.Schema{Type: connect.TypeDecimal, Precision: 6, Scale: 2}})
	task.write(origins("ev", 0, 0,
		&connect.Record{Key: row("id", int64(1)), Value: connect.NewStruct(v1, int64(1), "x")},
		&connect.Record{Key: row("id", int64(2)), Value: connect.NewStruct(v2, int64(2), "y", "1.50")},
		&connect.Record{Key: row("id", int64(3)), Value: row("id", int64(3), "a", "z", "b", 2.5)},
	)...)
	got := db.rows("SELECT id, a, IFNULL(b, 'NULL') FROM ev ORDER BY id")
	want := [][]string{{"1", "x", "NULL"}, {"2", "y", "1.50"}, {"3", "z", "2.50"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	err := task.Put(t.Context(), origins("nope", 0, 0, &connect.Record{Key: row("id", int64(1)), Value: row("id", int64(1))}))
	var be *connect.BatchError
	if !errorsAs(err, &be) || len(be.Failed) != 1 || !strings.Contains(be.Failed[0].Err.Error(), "no schema") || !strings.Contains(be.Failed[0].Err.Error(), "nope") {
		t.Fatalf("untyped row for a missing table: %v, want a record error naming the table and the missing schema", err)
	}
}

// Zero and invalid dates, which a source under a relaxed sql_mode stores
// and passes on as the server's text (connect.IsDateText), are written
// back as they are: the replicated row equals the source's.
func TestZeroAndInvalidDates(t *testing.T) {
	db := newTestDB(t)
	s := func(t connect.Type, fraction int, zoned bool) *connect.Schema {
		return &connect.Schema{Type: t, Fraction: fraction, Zoned: zoned}
	}
	cases := []typeCase{
		{"d_zero", s(connect.TypeDate, 0, false), "0000-00-00", "DATE NOT NULL", "'0000-00-00'", "CAST(%s AS CHAR)", "0000-00-00"},
		{"d_month0", s(connect.TypeDate, 0, false), "2024-00-10", "DATE NOT NULL", "'2024-00-10'", "CAST(%s AS CHAR)", "2024-00-10"},
		{"d_feb30", s(connect.TypeDate, 0, false), "2023-02-30", "DATE NOT NULL", "'2023-02-30'", "CAST(%s AS CHAR)", "2023-02-30"},
		{"dt_zero", s(connect.TypeTimestamp, 6, false), "0000-00-00 00:00:00.000000", "DATETIME(6) NOT NULL", "'0000-00-00 00:00:00'", "CAST(%s AS CHAR)", "0000-00-00 00:00:00.000000"},
		{"dt_feb30", s(connect.TypeTimestamp, 0, false), "2023-02-30 10:00:00", "DATETIME NOT NULL", "'2023-02-30 10:00:00'", "CAST(%s AS CHAR)", "2023-02-30 10:00:00"},
		{"ts_zero", s(connect.TypeTimestamp, 0, true), "0000-00-00 00:00:00", "TIMESTAMP NOT NULL DEFAULT 0", "'0000-00-00 00:00:00'", "CAST(%s AS CHAR)", "0000-00-00 00:00:00"},
	}
	compareWithSource(t, db, cases, "SET STATEMENT sql_mode='ALLOW_INVALID_DATES' FOR INSERT")
}

// compareWithSource makes tables src and dst of the cases' column types,
// inserts the cases' literals into src with insert ("INSERT", or a
// statement prefix ending in it), has the sink write the same row as a
// typed record into dst, and checks that both hold what the cases want.
func compareWithSource(t *testing.T, db *testDB, cases []typeCase, insert string) {
	t.Helper()
	var defs, lits []string
	for _, c := range cases {
		defs = append(defs, c.name+" "+c.ddl)
		lits = append(lits, c.literal)
	}
	ddl := "(id BIGINT PRIMARY KEY, " + strings.Join(defs, ", ") + ")"
	db.exec("CREATE TABLE src "+ddl, "CREATE TABLE dst "+ddl,
		insert+" INTO src VALUES (1, "+strings.Join(lits, ", ")+")")
	if err := typedRow(cases, 1).Validate(); err != nil {
		t.Fatal(err)
	}
	task := startTask(t, "types", db.config("table.name.format", "dst"))
	task.write(origins("types", 0, 0, &connect.Record{Key: row("id", int64(1)), Value: typedRow(cases, 1)})...)
	src := db.rows("SELECT " + selectList(cases) + " FROM src")
	dst := db.rows("SELECT " + selectList(cases) + " FROM dst")
	for i, c := range cases {
		if src[0][i] != c.want {
			t.Errorf("%s: source holds %q, the test expects %q", c.name, src[0][i], c.want)
		}
		if dst[0][i] != src[0][i] {
			t.Errorf("%s (%s): sink wrote %q, source holds %q", c.name, c.ddl, dst[0][i], src[0][i])
		}
	}
}
