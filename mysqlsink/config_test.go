package mysqlsink_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/mysqlsink"
)

func TestConfigErrors(t *testing.T) {
	base := connect.Config{"host": "db.example", "user": "u", "password": "pw", "database": "d"}
	with := func(kv ...string) connect.Config {
		c := connect.Config{}
		for k, v := range base {
			c[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "-" {
				delete(c, kv[i])
			} else {
				c[kv[i]] = kv[i+1]
			}
		}
		return c
	}
	for _, tc := range []struct {
		name  string
		cfg   connect.Config
		field string
	}{
		{"bad insert mode", with("insert.mode", "merge"), "insert.mode"},
		{"bad delivery", with("delivery", "twice"), "delivery"},
		{"bad pk mode", with("primary.key.mode", "guess"), "primary.key.mode"},
		{"upsert without key", with("primary.key.mode", "none"), "insert.mode"},
		{"record_value without fields", with("primary.key.mode", "record_value"), "primary.key.fields"},
		{"kafka with two fields", with("primary.key.mode", "kafka", "delete.enabled", "false", "primary.key.fields", "a,b"), "primary.key.fields"},
		{"host with port", with("host", "db:3306"), "host"},
		{"no host", with("host", "-"), "host"},
		{"no database", with("database", "-"), "database"},
		{"url and host", with("connection.url", "jdbc:mysql://h:3306/d"), "host"},
		{"url with password", with("host", "-", "connection.url", "jdbc:mysql://u:secret@h/d"), "connection.url"},
		{"url with params", with("host", "-", "connection.url", "jdbc:mysql://h/d?useSSL=false"), "connection.url"},
		{"bad template", with("table.name.format", "${nope}"), "table.name.format"},
		{"two dots", with("table.name.format", "a.b.${topic}"), "table.name.format"},
		{"batch size", with("batch.size", "0"), "batch.size"},
		{"not an int", with("batch.size", "many"), "batch.size"},
		{"unsupported debezium", with("hibernate.c3p0.max_size", "5"), "hibernate.c3p0.max_size"},
		{"unsupported kafka", with("fields.whitelist", "a"), "fields.whitelist"},
		{"evolution conflict", with("schema.evolution", "none", "auto.evolve", "true"), "schema.evolution"},
		{"tls ca without tls", with("tls.ca", "/etc/hostname"), "tls.ca"},
		{"bad offsets table", with("offsets.table", "a.b.c"), "offsets.table"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mysqlsink.New()
			err := c.Spec().Config.Validate(tc.cfg)
			if err == nil {
				err = c.Validate(context.Background(), c.Spec().Config.Apply(tc.cfg))
			}
			var ce *connect.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *connect.ConfigError", err)
			}
			found := false
			for _, f := range ce.Fields {
				found = found || f.Field == tc.field
			}
			if !found {
				t.Fatalf("err = %v, want field %s", err, tc.field)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
	// Kafka's and Debezium's names are aliases.
	c := mysqlsink.NewDebezium()
	cfg := connect.Config{"connection.url": "jdbc:mysql://db.example:3307/d", "connection.username": "u", "connection.password": "p",
		"schema.evolution": "basic", "pk.mode": "record_key", "insert.mode": "upsert"}
	if err := c.Validate(context.Background(), c.Spec().Config.Apply(cfg)); err != nil {
		t.Fatalf("Debezium config: %v", err)
	}
}

// A connection error names the host and the cause, never the password.
func TestConnectErrorHidesPassword(t *testing.T) {
	srv := needServer(t)
	c := mysqlsink.New()
	cfg := c.Spec().Config.Apply(connect.Config{"host": srv.host, "port": srv.port, "user": srv.user,
		"password": "wrong-password-x", "database": "d"})
	err := c.NewTask().Start(context.Background(), connecttest.NewSinkTaskContext("x", 0), cfg)
	if err == nil || !strings.Contains(err.Error(), srv.host) || strings.Contains(err.Error(), "wrong-password-x") {
		t.Fatalf("start with a wrong password: %v; want an error naming %s without the password", err, srv.host)
	}
	if connect.IsRetriable(err) {
		t.Errorf("access denied is retriable: %v", err)
	}
	cfg["host"], cfg["port"] = "127.0.0.1", "1"
	err = c.NewTask().Start(context.Background(), connecttest.NewSinkTaskContext("x", 0), cfg)
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") || !connect.IsRetriable(err) {
		t.Fatalf("start against a closed port: %v; want a retriable error naming 127.0.0.1:1", err)
	}
}

// A password that is also a word of the error text (the test server's is
// "connect") is masked without losing the cause: a refused connection
// stays retriable.
func TestConnectErrorPasswordInText(t *testing.T) {
	c := mysqlsink.New()
	cfg := c.Spec().Config.Apply(connect.Config{"host": "127.0.0.1", "port": "1", "user": "u", "password": "connect", "database": "d"})
	err := c.NewTask().Start(context.Background(), connecttest.NewSinkTaskContext("x", 0), cfg)
	var ne *net.OpError
	if err == nil || !connect.IsRetriable(err) || !errors.As(err, &ne) || strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("start against a closed port: %v (retriable %v); want a retriable network error without the password", err, connect.IsRetriable(err))
	}
}
