package connect_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

func accountSchema() *connect.Schema {
	return connect.NewStructSchema("shop.accounts.Value", true,
		connect.StructField{Name: "id", Schema: &connect.Schema{Type: connect.TypeInt64}},
		connect.StructField{Name: "balance", Schema: &connect.Schema{Type: connect.TypeDecimal, Precision: 10, Scale: 2, Optional: true}},
		connect.StructField{Name: "opened", Schema: &connect.Schema{Type: connect.TypeTimestamp, Fraction: 6}},
		connect.StructField{Name: "tags", Schema: &connect.Schema{Type: connect.TypeArray, Elem: &connect.Schema{Type: connect.TypeString}}},
	)
}

func TestSchemaEqualAndString(t *testing.T) {
	a, b := accountSchema(), accountSchema()
	if !a.Equal(b) || !b.Equal(a) {
		t.Fatalf("two builds of one schema differ: %s / %s", a, b)
	}
	want := "optional struct shop.accounts.Value{id int64, balance optional decimal(10,2), opened timestamp(6), tags array<string>}"
	if got := a.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	for name, change := range map[string]func(s *connect.Schema){
		"scale": func(s *connect.Schema) {
			s.Fields[1].Schema = &connect.Schema{Type: connect.TypeDecimal, Precision: 10, Scale: 3, Optional: true}
		},
		"optional": func(s *connect.Schema) { s.Optional = false },
		"order":    func(s *connect.Schema) { s.Fields[0], s.Fields[1] = s.Fields[1], s.Fields[0] },
		"elem": func(s *connect.Schema) {
			s.Fields[3].Schema = &connect.Schema{Type: connect.TypeArray, Elem: &connect.Schema{Type: connect.TypeBytes}}
		},
		"zoned": func(s *connect.Schema) {
			s.Fields[2].Schema = &connect.Schema{Type: connect.TypeTimestamp, Fraction: 6, Zoned: true}
		},
	} {
		c := accountSchema()
		change(c)
		if a.Equal(c) {
			t.Errorf("a schema with another %s compares equal", name)
		}
	}
	if a.Equal(nil) || (*connect.Schema)(nil).Equal(a) || !(*connect.Schema)(nil).Equal(nil) {
		t.Error("Equal with nil")
	}
}

func TestStructAccessAndValidate(t *testing.T) {
	s := accountSchema()
	opened := time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)
	r := connect.NewStruct(s, int64(7), "12.50", opened, []any{"a", "b"})
	if v, ok := r.Get("balance"); !ok || v != "12.50" {
		t.Errorf("Get(balance) = %v, %v", v, ok)
	}
	if _, ok := r.Get("missing"); ok {
		t.Error("Get of a missing field reports ok")
	}
	if s.FieldIndex("tags") != 3 || s.FieldIndex("nope") != -1 {
		t.Errorf("FieldIndex: tags %d, nope %d", s.FieldIndex("tags"), s.FieldIndex("nope"))
	}
	if err := r.Validate(); err != nil {
		t.Errorf("Validate of a good row: %v", err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"id":7,"balance":"12.50","opened":"2024-01-02T03:04:05.000006Z","tags":["a","b"]}`; string(b) != want {
		t.Errorf("MarshalJSON = %s, want %s (the schema's order)", b, want)
	}
	for _, bad := range []struct {
		row  *connect.Struct
		want string
	}{
		{connect.NewStruct(s, "7", "12.50", opened, []any{}), "id: string is not a value of type int64"},
		{connect.NewStruct(s, int64(7), nil, nil, []any{}), "opened: null in a non-optional timestamp"},
		{connect.NewStruct(s, int64(7), nil, opened, []any{"a", 1}), "tags[1]: int is not a value of type string"},
		{&connect.Struct{Schema: s, Values: []any{int64(1)}}, "1 values for 4 fields"},
	} {
		err := bad.row.Validate()
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Validate(%v) = %v, want %q", bad.row.Values, err, bad.want)
		}
	}
}

func TestLookupAndAsMapReadBothKindsOfRows(t *testing.T) {
	typed := connect.NewStruct(accountSchema(), int64(7), nil, time.Time{}, []any{})
	untyped := map[string]any{"id": int64(7)}
	for _, row := range []any{typed, untyped} {
		if v, ok := connect.Lookup(row, "id"); !ok || v != int64(7) {
			t.Errorf("Lookup(%T, id) = %v, %v", row, v, ok)
		}
		m, ok := connect.AsMap(row)
		if !ok || m["id"] != int64(7) {
			t.Errorf("AsMap(%T) = %v, %v", row, m, ok)
		}
		if !connect.IsRow(row) {
			t.Errorf("IsRow(%T) = false", row)
		}
	}
	for _, absent := range []any{nil, map[string]any(nil), (*connect.Struct)(nil)} {
		if connect.IsRow(absent) {
			t.Errorf("IsRow(%#v) = true for an absent row", absent)
		}
		if m, ok := connect.AsMap(absent); !ok || m != nil {
			t.Errorf("AsMap(%#v) = %v, %v; want nil, true", absent, m, ok)
		}
	}
	if _, ok := connect.AsMap("text"); ok {
		t.Error("AsMap of a string reports a row")
	}
	c := connect.CloneRow(typed).(*connect.Struct)
	c.Values[0] = int64(8)
	if typed.Values[0] != int64(7) || c.Schema != typed.Schema {
		t.Error("CloneRow shares values or copies the schema")
	}
}

func TestNewStructSchemaRefusesDuplicateFields(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), `two fields named "id"`) {
			t.Errorf("recover() = %v", r)
		}
	}()
	connect.NewStructSchema("x", false,
		connect.StructField{Name: "id", Schema: &connect.Schema{Type: connect.TypeInt64}},
		connect.StructField{Name: "id", Schema: &connect.Schema{Type: connect.TypeString}})
}

func TestParseType(t *testing.T) {
	for ty := connect.TypeBool; ty <= connect.TypeStruct; ty++ {
		if got, ok := connect.ParseType(ty.String()); !ok || got != ty {
			t.Errorf("ParseType(%q) = %v, %v", ty.String(), got, ok)
		}
	}
	if _, ok := connect.ParseType("invalid"); ok {
		t.Error("ParseType(invalid) ok")
	}
}

// Zero and invalid dates travel as the server's text; anything else in a
// date field is still an error.
func TestDateTextInDateFields(t *testing.T) {
	s := connect.NewStructSchema("t", false,
		connect.StructField{Name: "d", Schema: &connect.Schema{Type: connect.TypeDate}},
		connect.StructField{Name: "ts", Schema: &connect.Schema{Type: connect.TypeTimestamp, Fraction: 6}},
	)
	for _, ok := range [][2]string{{"0000-00-00", "0000-00-00 00:00:00"}, {"2024-00-10", "2024-02-31 12:00:00.123456"}} {
		if err := connect.NewStruct(s, ok[0], ok[1]).Validate(); err != nil {
			t.Errorf("%q, %q: %v", ok[0], ok[1], err)
		}
	}
	for _, bad := range []string{"", "2024-1-10", "2024-01-10T00:00:00Z", "2024-01-10 00:00", "2024-01-10 00:00:00.", "yesterday"} {
		if err := connect.NewStruct(s, bad, "0000-00-00 00:00:00").Validate(); err == nil {
			t.Errorf("date %q: valid, want an error", bad)
		}
	}
}
