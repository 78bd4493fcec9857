package mysqlsource_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/mysqlsource"
)

func validate(cfg connect.Config) error {
	c := mysqlsource.New()
	spec := c.Spec().Config
	if err := spec.Validate(cfg); err != nil {
		return err
	}
	return c.Validate(context.Background(), spec.Apply(cfg))
}

func fieldErrors(err error) map[string]string {
	var ce *connect.ConfigError
	if !errors.As(err, &ce) {
		return nil
	}
	out := map[string]string{}
	for _, f := range ce.Fields {
		out[f.Field] = f.Reason
	}
	return out
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	pem := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(pem, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := connect.Config{"host": "db.example", "user": "u"}
	for _, tc := range []struct {
		name  string
		set   connect.Config
		field string
		want  string
	}{
		{"missing host", connect.Config{"host": ""}, "host", "required"},
		{"host with port", connect.Config{"host": "db:3306"}, "host", "must not include a port"},
		{"port range", connect.Config{"port": "70000"}, "port", "from 1 to 65535"},
		{"port type", connect.Config{"mysqlPort": "x"}, "port", "integer"},
		{"server id zero", connect.Config{"server.id": "0"}, "server.id", "from 1"},
		{"snapshot mode", connect.Config{"snapshot.mode": "always"}, "snapshot.mode", "must be one of"},
		{"bad regexp", connect.Config{"table.include": "db.(x"}, "table.include", "bad pattern"},
		{"bad db regexp", connect.Config{"database.exclude": "[a"}, "database.exclude", "bad pattern"},
		{"bad whitelist json", connect.Config{"whiteDataBase": "{nope"}, "database.include", "JSON"},
		{"ops", connect.Config{"skipped.operations": "c,x"}, "skipped.operations", "\"x\""},
		{"timeouts", connect.Config{"heartbeat.period": "30s", "read.timeout": "10s"}, "read.timeout", "must exceed heartbeat.period"},
		{"schema changes flag", connect.Config{"include.schema.changes": "sometimes"}, "include.schema.changes", "true or false"},
		{"schema changes topic", connect.Config{"schema.changes.topic": "a b"}, "schema.changes.topic", "spaces"},
		{"transaction metadata flag", connect.Config{"provide.transaction.metadata": "2"}, "provide.transaction.metadata", "true or false"},
		{"transaction topic", connect.Config{"topic.transaction": "tx topic"}, "topic.transaction", "spaces"},
		{"tls file set while disabled", connect.Config{"tls.server.name": "x"}, "tls.server.name", "tls.mode is disabled"},
		{"tls ca missing file", connect.Config{"tls.mode": "verify_ca", "tls.ca": filepath.Join(dir, "none.pem")}, "tls.ca", "cannot read"},
		{"tls ca not pem", connect.Config{"tls.mode": "verify_ca", "tls.ca": pem}, "tls.ca", "no PEM"},
		{"tls verify_ca needs ca", connect.Config{"tls.mode": "verify_ca"}, "tls.ca", "required"},
		{"tls cert without key", connect.Config{"tls.mode": "required", "tls.cert": pem}, "tls.cert", "go together"},
		{"fetch size", connect.Config{"snapshot.fetch.size": "0"}, "snapshot.fetch.size", ">= 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := connect.Config{}
			for k, v := range base {
				cfg[k] = v
			}
			for k, v := range tc.set {
				cfg[k] = v
			}
			reason, ok := fieldErrors(validate(cfg))[tc.field]
			if !ok || !strings.Contains(reason, tc.want) {
				t.Errorf("validate: field %s reason %q, want it to contain %q (all: %v)", tc.field, reason, tc.want, validate(cfg))
			}
		})
	}
}

func TestConfigSeedKeys(t *testing.T) {
	cfg := connect.Config{
		"mysqlAddr": "127.0.0.1", "mysqlPort": "3307", "mysqlUsername": "root", "mysqlPassword": "s3cret-password",
		"whiteDataBase": "shop", "whiteTable": "orders,customers",
	}
	if err := validate(cfg); err != nil {
		t.Fatal(err)
	}
	applied := mysqlsource.New().Spec().Config.Apply(cfg)
	for k, v := range map[string]string{"host": "127.0.0.1", "port": "3307", "user": "root", "password": "s3cret-password",
		"database.include": "shop", "table.include": "orders,customers"} {
		if applied[k] != v {
			t.Errorf("%s = %q, want %q", k, applied[k], v)
		}
	}
	masked := mysqlsource.New().Spec().Config.Mask(cfg)
	if masked["mysqlPassword"] != connect.Masked {
		t.Errorf("the password is not masked: %v", masked)
	}
	// The seed's JSON form of whiteDataBase.
	if err := validate(connect.Config{"host": "h", "user": "u", "whiteDataBase": `{"shop":{"orders":{"NUM":"5"}}}`}); err != nil {
		t.Errorf("JSON whiteDataBase: %v", err)
	}
}

// TestConnectionErrors checks that failures to connect name the server and
// the cause, never the password.
func TestConnectionErrors(t *testing.T) {
	srv := needServer(t)
	const password = "wrong-password-1234"
	for _, tc := range []struct {
		name  string
		cfg   connect.Config
		want  string
		fatal bool
	}{
		{"bad password", connect.Config{"password": password}, "Access denied", true},
		{"no server", connect.Config{"port": "1", "password": password}, "refused", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := connect.Config{"host": srv.host, "port": srv.port, "user": srv.user, "server.id": "99"}
			for k, v := range tc.cfg {
				cfg[k] = v
			}
			c := mysqlsource.New()
			cfg = c.Spec().Config.Apply(cfg)
			if err := c.Start(context.Background(), nil, cfg); err != nil {
				t.Fatal(err)
			}
			task := c.NewTask()
			defer task.Stop(context.Background())
			err := task.Start(context.Background(), newTaskContext(), cfg)
			if err == nil {
				t.Fatal("task started")
			}
			msg := err.Error()
			t.Log(msg)
			addr := cfg["host"] + ":" + cfg["port"]
			if !strings.Contains(msg, addr) || !strings.Contains(strings.ToUpper(msg), strings.ToUpper(tc.want)) {
				t.Errorf("error %q should name %s and say %q", msg, addr, tc.want)
			}
			if strings.Contains(msg, password) {
				t.Errorf("error %q shows the password", msg)
			}
			if tc.fatal != errors.Is(err, connect.ErrFatal) {
				t.Errorf("error %q: fatal %v, want %v", msg, errors.Is(err, connect.ErrFatal), tc.fatal)
			}
		})
	}
}
