package connect_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	connect "github.com/openmessaging/connect-go"
)

var testSpec = connect.ConfigSpec{
	{Name: "host", Type: connect.FieldString, Required: true, Description: "server host", Aliases: []string{"mysqlAddr"}},
	{Name: "port", Type: connect.FieldInt, Default: "3306", Description: "server port", Validate: connect.IntAtLeast(1)},
	{Name: "password", Type: connect.FieldString, Secret: true, Required: true, Description: "password"},
	{Name: "tls", Type: connect.FieldBool, Default: "false", Description: "use TLS"},
	{Name: "timeout", Type: connect.FieldDuration, Default: "5s", Description: "dial timeout"},
	{Name: "mode", Type: connect.FieldString, Default: "initial", Allowed: []string{"initial", "never"}, Description: "snapshot mode"},
}

func TestValidateNamesEveryBadField(t *testing.T) {
	err := testSpec.Validate(connect.Config{"port": "abc", "tls": "yes please", "timeout": "5", "mode": "sometimes"})
	if !errors.Is(err, connect.ErrInvalidConfig) {
		t.Fatalf("want ErrInvalidConfig, got %v", err)
	}
	var ce *connect.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("want *ConfigError, got %T", err)
	}
	got := map[string]string{}
	for _, f := range ce.Fields {
		got[f.Field] = f.Reason
	}
	want := map[string]string{
		"host":     "is required",
		"password": "is required",
		"port":     "must be an integer",
		"tls":      "must be true or false",
		"timeout":  "must be a duration",
		"mode":     "must be one of initial, never",
	}
	if len(got) != len(want) {
		t.Fatalf("fields = %v, want %d fields", got, len(want))
	}
	for f, reason := range want {
		if !strings.HasPrefix(got[f], reason) {
			t.Errorf("field %s: reason %q, want prefix %q", f, got[f], reason)
		}
	}
}

func TestValidateAcceptsAliasAndDefaults(t *testing.T) {
	cfg := connect.Config{"mysqlAddr": "db", "password": "pw"}
	if err := testSpec.Validate(cfg); err != nil {
		t.Fatal(err)
	}
	applied := testSpec.Apply(cfg)
	if applied.Get("host") != "db" || applied.Int("port") != 3306 || applied.Bool("tls") || applied.Duration("timeout").Seconds() != 5 {
		t.Fatalf("applied = %v", applied)
	}
	if _, ok := applied["mysqlAddr"]; ok {
		t.Fatal("alias kept after Apply")
	}
	if err := testSpec.Validate(connect.Config{"host": "db", "password": "pw", "port": "0"}); err == nil || !strings.Contains(err.Error(), "port: must be an integer >= 1") {
		t.Fatalf("port 0 accepted: %v", err)
	}
}

func TestMaskHidesSecretsAndValidateNeverEchoesThem(t *testing.T) {
	cfg := connect.Config{"host": "db", "password": "hunter2"}
	if m := testSpec.Mask(cfg); m["password"] != connect.Masked || m["host"] != "db" {
		t.Fatalf("mask = %v", m)
	}
	if cfg["password"] != "hunter2" {
		t.Fatal("Mask changed its input")
	}
	spec := connect.ConfigSpec{{Name: "pw", Secret: true, Allowed: []string{"a"}}}
	err := spec.Validate(connect.Config{"pw": "hunter2"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("secret echoed or accepted: %v", err)
	}
}

func TestRetriableAndFatalMarks(t *testing.T) {
	base := errors.New("boom")
	r := connect.Retriable(fmt.Errorf("send: %w", base))
	if !connect.IsRetriable(r) || !errors.Is(r, base) || r.Error() != "send: boom" {
		t.Fatalf("retriable: %v", r)
	}
	f := connect.Fatal(r)
	if connect.IsRetriable(f) || !errors.Is(f, connect.ErrFatal) {
		t.Fatalf("fatal over retriable should not be retriable: %v", f)
	}
	if connect.Retriable(nil) != nil || connect.Fatal(nil) != nil {
		t.Fatal("nil must stay nil")
	}
}

func TestPositionRoundTrip(t *testing.T) {
	p := connect.NewPosition("file:/tmp/a", map[string]int64{"pos": 42})
	var got struct{ Pos int64 }
	if err := p.Decode(&got); err != nil || got.Pos != 42 {
		t.Fatalf("decode = %v, %v", got, err)
	}
	if p.IsZero() || !(connect.Position{}).IsZero() {
		t.Fatal("IsZero wrong")
	}
}
