package dbzmodes

import (
	"errors"
	"slices"
	"testing"

	connect "github.com/openmessaging/connect-go"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name string
		cfg  connect.Config
		def  Encoding
		want Settings
	}{
		{"empty, connect-go's default", nil, EncodingConnectGo, lossless},
		{"empty, debezium's default", nil, EncodingDebezium, dbz},
		{"switch", connect.Config{KeyEncoding: "debezium"}, EncodingConnectGo, dbz},
		{"switch back", connect.Config{KeyEncoding: "connect_go"}, EncodingDebezium, lossless},
		{"override under debezium", connect.Config{KeyEncoding: "debezium", KeyTimePrecision: "connect", KeyDecimal: "string"},
			EncodingConnectGo, with(dbz, func(s *Settings) { s.Time, s.Decimal = TimeConnect, DecimalString })},
		{"one setting under connect_go", connect.Config{KeyDecimal: "double"}, EncodingConnectGo,
			with(lossless, func(s *Settings) { s.Decimal = DecimalDouble })},
		{"every setting", connect.Config{KeyTimePrecision: "isostring", KeyDecimal: "precise", KeyBigintUnsigned: "precise",
			KeyBinary: "base64-url-safe", KeyBits: "bytes", KeyUnsafeIntegers: "string"}, EncodingConnectGo,
			Settings{EncodingConnectGo, TimeIsoString, DecimalPrecise, BigintPrecise, BinaryBase64URLSafe, BitsBytes, UnsafeString}},
		{"blank is absent", connect.Config{KeyTimePrecision: " "}, EncodingDebezium, dbz},
	}
	for _, c := range cases {
		got, err := Parse(c.cfg, c.def)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
	if !lossless.Identity() || dbz.Identity() || with(lossless, func(s *Settings) { s.Binary = BinaryHex }).Identity() {
		t.Error("Identity is wrong")
	}
}

func TestParseErrors(t *testing.T) {
	cfg := connect.Config{
		KeyEncoding:       "kafka",
		KeyTimePrecision:  "adaptive", // Debezium's deprecated mode: not offered
		KeyDecimal:        "PRECISE",
		KeyBigintUnsigned: "string",
		KeyBinary:         "base32",
		KeyBits:           "bool",
		KeyUnsafeIntegers: "text",
	}
	_, err := Parse(cfg, EncodingConnectGo)
	var ce *connect.ConfigError
	if !errors.As(err, &ce) || !errors.Is(err, connect.ErrInvalidConfig) {
		t.Fatalf("error %v is not a *connect.ConfigError", err)
	}
	var fields []string
	for _, f := range ce.Fields {
		fields = append(fields, f.Field)
	}
	slices.Sort(fields)
	want := []string{KeyBigintUnsigned, KeyBinary, KeyBits, KeyDecimal, KeyTimePrecision, KeyEncoding, KeyUnsafeIntegers}
	slices.Sort(want)
	if !slices.Equal(fields, want) {
		t.Fatalf("field errors for %v, want %v", fields, want)
	}
	// The spec fragment rejects the same values, and accepts Parse's.
	spec := Spec(EncodingConnectGo)
	if err := spec.Validate(cfg); !errors.As(err, &ce) || len(ce.Fields) != len(want) {
		t.Fatalf("spec.Validate: %v", err)
	}
	good := connect.Config{KeyEncoding: "debezium", KeyTimePrecision: "connect_go", KeyDecimal: "double",
		KeyBigintUnsigned: "long", KeyBinary: "hex", KeyBits: "number", KeyUnsafeIntegers: "string"}
	if err := spec.Validate(good); err != nil {
		t.Fatalf("spec.Validate of good values: %v", err)
	}
	if _, err := Parse(good, EncodingConnectGo); err != nil {
		t.Fatal(err)
	}
	if got := spec.Apply(nil)[KeyEncoding]; got != "connect_go" {
		t.Fatalf("spec default of %s: %q", KeyEncoding, got)
	}
	for _, f := range spec {
		if f.Description == "" || len(f.Allowed) == 0 {
			t.Errorf("spec field %s lacks a description or allowed values", f.Name)
		}
	}
}

// TestKafkaForm: the versions and parameters Debezium's and Kafka's
// builders give (io.debezium.time.*.builder() and Kafka's
// Date/Time/Timestamp/Decimal.builder() all set version 1).
func TestKafkaForm(t *testing.T) {
	cases := []struct {
		s      connect.Schema
		params string
		ok     bool
	}{
		{connect.Schema{Type: connect.TypeBytes, Name: NameKafkaDecimal, Precision: 65, Scale: 30}, "[[scale 30] [connect.decimal.precision 65]]", true},
		{connect.Schema{Type: connect.TypeBytes, Name: NameBits, Width: 64}, "[[length 64]]", true},
		{connect.Schema{Type: connect.TypeInt32, Name: NameDate}, "[]", true},
		{connect.Schema{Type: connect.TypeInt32, Name: NameKafkaTime}, "[]", true},
		{connect.Schema{Type: connect.TypeInt64, Name: NameMicroTimestamp}, "[]", true},
		{connect.Schema{Type: connect.TypeString, Name: NameZonedTimestamp}, "[]", true},
		{connect.Schema{Type: connect.TypeString, Name: NameDate}, "[]", false},
		{connect.Schema{Type: connect.TypeString, Name: "x.Value"}, "[]", false},
	}
	for _, c := range cases {
		v, p, ok := KafkaForm(&c.s)
		if ok != c.ok || (ok && v != 1) {
			t.Errorf("%s %s: version %d ok %v", c.s.Type, c.s.Name, v, ok)
		}
		if ok && fmtParams(p) != c.params {
			t.Errorf("%s: parameters %v, want %s", c.s.Name, p, c.params)
		}
	}
}

func fmtParams(p [][2]string) string {
	if p == nil {
		return "[]"
	}
	s := "["
	for i, kv := range p {
		if i > 0 {
			s += " "
		}
		s += "[" + kv[0] + " " + kv[1] + "]"
	}
	return s + "]"
}

// TestSetParameters: KafkaForm's parameters read back give the schema
// again.
func TestSetParameters(t *testing.T) {
	for _, want := range []connect.Schema{
		{Type: connect.TypeBytes, Name: NameKafkaDecimal, Precision: 65, Scale: 30},
		{Type: connect.TypeBytes, Name: NameBits, Width: 64},
	} {
		_, params, _ := KafkaForm(&want)
		m := map[string]string{}
		for _, p := range params {
			m[p[0]] = p[1]
		}
		got := connect.Schema{Type: want.Type, Name: want.Name}
		if ok, err := SetParameters(&got, m); !ok || err != nil || !got.Equal(&want) {
			t.Errorf("%s: %v %v %s", want.Name, ok, err, got.String())
		}
		if _, err := SetParameters(&connect.Schema{Type: want.Type, Name: want.Name}, map[string]string{}); err == nil {
			t.Errorf("%s without parameters: no error", want.Name)
		}
	}
	if ok, _ := SetParameters(&connect.Schema{Type: connect.TypeInt32, Name: NameDate}, nil); ok {
		t.Error("a Date has no parameters to set")
	}
}
