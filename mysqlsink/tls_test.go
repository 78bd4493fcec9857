package mysqlsink_test

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/internal/testenv"
	"github.com/openmessaging/connect-go/mysqlsink"
)

// The test MariaDB offers TLS (not requiring it) with a certificate for IP
// 127.0.0.1 and DNS localhost, signed by the CA of MYSQL_TLS_CA. Each test
// writes as a user of its own made with REQUIRE SSL: the server refuses
// that user a connection in clear, so rows written prove the sink's
// session was encrypted.

// tlsUser creates a TLS-only user with every privilege on d's database.
func (d *testDB) tlsUser() (user, password string) {
	d.t.Helper()
	ctx := context.Background()
	return testenv.TLSUser(d.t, func(stmts ...string) error {
		return retry(func() error {
			c, err := d.db.Conn(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			for _, q := range stmts {
				if _, err := c.ExecContext(ctx, q); err != nil {
					return fmt.Errorf("%s: %w", q, err)
				}
			}
			return nil
		})
	}, "`"+d.name+"`.*")
}

// tlsConfig returns d's config as the TLS-only user, with kv applied.
func (d *testDB) tlsConfig(kv ...string) (cfg connect.Config, password string) {
	user, password := d.tlsUser()
	return d.config(append([]string{"user", user, "password", password, "table.name.format", "items"}, kv...)...), password
}

// startErr starts a task of cfg and returns the error of Start (the task
// stopped when it started).
func startErr(t *testing.T, cfg connect.Config) error {
	t.Helper()
	c := mysqlsink.New()
	cfg = c.Spec().Config.Apply(cfg)
	if err := c.Validate(context.Background(), cfg); err != nil {
		t.Fatalf("config: %v", err)
	}
	task := c.NewTask()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := task.Start(ctx, connecttest.NewSinkTaskContext("tls", 0), cfg)
	if err == nil {
		task.Stop(context.Background())
	}
	return err
}

// writeItems writes two rows through a task of cfg and checks that the
// table holds them.
func writeItems(t *testing.T, d *testDB, cfg connect.Config) {
	t.Helper()
	task := startTask(t, "tls", cfg)
	task.write(origins("t", 0, 0,
		&connect.Record{Key: row("id", int64(1)), Value: row("id", int64(1), "name", "one")},
		&connect.Record{Key: row("id", int64(2)), Value: row("id", int64(2), "name", "two")},
	)...)
	got := d.rows("SELECT id, name FROM items ORDER BY id")
	if want := [][]string{{"1", "one"}, {"2", "two"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("rows = %v, want %v", got, want)
	}
}

// checkConnectError checks err with testenv.CheckConnectError: a
// certificate that fails verification is a setting to fix, so the task
// fails at once (fatal) rather than retrying.
func checkConnectError(t *testing.T, err error, cfg connect.Config, password, want string) {
	t.Helper()
	testenv.CheckConnectError(t, err, net.JoinHostPort(cfg["host"], cfg["port"]), password, want, strings.Contains(want, "certificate"))
}

// TestTLSVerifyIdentity writes over a session verified against the test
// CA, and fails, saying why, without TLS.
func TestTLSVerifyIdentity(t *testing.T) {
	ca := testenv.MySQLTLSCA(t)
	d := newTestDB(t)
	d.exec("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40))")
	cfg, password := d.tlsConfig("tls.mode", "verify_identity", "tls.ca", ca)
	writeItems(t, d, cfg)

	plain := connect.Config{}
	for k, v := range cfg {
		plain[k] = v
	}
	plain["tls.mode"], plain["tls.ca"] = "disabled", ""
	checkConnectError(t, startErr(t, plain), plain, password, "Access denied for user '"+cfg["user"]+"'")
}

// TestTLSUnrelatedCA checks that verify_identity refuses the server's
// certificate when tls.ca is a CA that did not sign it.
func TestTLSUnrelatedCA(t *testing.T) {
	testenv.MySQLTLSCA(t)
	d := newTestDB(t)
	cfg, password := d.tlsConfig("tls.mode", "verify_identity", "tls.ca", testenv.UnrelatedCA(t))
	checkConnectError(t, startErr(t, cfg), cfg, password, "certificate signed by unknown authority")
}

// TestTLSRequired writes over an encrypted session without verifying the
// certificate: neither tls.ca nor the system's roots know the test CA.
func TestTLSRequired(t *testing.T) {
	testenv.MySQLTLSCA(t)
	d := newTestDB(t)
	d.exec("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40))")
	cfg, _ := d.tlsConfig("tls.mode", "required")
	writeItems(t, d, cfg)
}

// TestTLSVerifyIdentityHostNames checks verify_identity against the names
// the certificate holds: the IP address 127.0.0.1 (an IP subjectAltName)
// and the DNS name localhost; and that the system's roots, without tls.ca,
// do not know the test CA.
func TestTLSVerifyIdentityHostNames(t *testing.T) {
	ca := testenv.MySQLTLSCA(t)
	for _, host := range []string{"127.0.0.1", "localhost"} {
		t.Run(host, func(t *testing.T) {
			d := newTestDB(t)
			d.exec("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40))")
			cfg, _ := d.tlsConfig("host", host, "tls.mode", "verify_identity", "tls.ca", ca)
			writeItems(t, d, cfg)
		})
	}
	t.Run("system roots", func(t *testing.T) {
		d := newTestDB(t)
		cfg, password := d.tlsConfig("host", "127.0.0.1", "tls.mode", "verify_identity")
		checkConnectError(t, startErr(t, cfg), cfg, password, "certificate signed by unknown authority")
	})
}
