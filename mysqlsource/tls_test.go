package mysqlsource_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	mysqlserver "github.com/go-mysql-org/go-mysql/server"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/testenv"
	"github.com/openmessaging/connect-go/mysqlsource"
)

// The test MariaDB offers TLS (not requiring it) with a certificate for IP
// 127.0.0.1 and DNS localhost, signed by the CA of MYSQL_TLS_CA. Each test
// reads as a user of its own made with REQUIRE SSL: the server refuses
// that user a connection in clear, so a snapshot row read proves the query
// connection was encrypted, and a row inserted later and read from the
// binlog proves the replication connection was.

// tlsUser creates a TLS-only user with every privilege.
func (d *testDB) tlsUser() (user, password string) {
	d.t.Helper()
	return testenv.TLSUser(d.t, func(stmts ...string) error {
		c := d.connect()
		defer c.Close()
		for _, q := range stmts {
			if _, err := c.Execute(q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	}, "*.*")
}

// tlsConfig returns d's config as a new TLS-only user, with kv applied.
func (d *testDB) tlsConfig(kv ...string) (cfg connect.Config, password string) {
	user, password := d.tlsUser()
	return d.config(append([]string{"user", user, "password", password}, kv...)...), password
}

// readsOverTLS checks that a run of cfg reads the row of d's table t in its
// snapshot, then a row inserted after it from the binlog.
func readsOverTLS(t *testing.T, d *testDB, cfg connect.Config) {
	t.Helper()
	d.exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))", "INSERT INTO t VALUES (1, 'snapshot')")
	r := startRun(t, cfg, nil)
	r.pollUntil(30*time.Second, "the snapshot row", hasRecord("t", func(rec *connect.Record) bool {
		return rec.Change.Op == connect.OpRead && fmt.Sprint(keyID(rec)) == "1"
	}))
	d.exec("INSERT INTO t VALUES (2, 'binlog')")
	r.pollUntil(30*time.Second, "the row from the binlog", hasRecord("t", func(rec *connect.Record) bool {
		return rec.Change.Op == connect.OpCreate && fmt.Sprint(keyID(rec)) == "2"
	}))
}

// startErr starts the connector and a task of cfg and returns the error of
// the task's Start.
func startErr(t *testing.T, cfg connect.Config) error {
	t.Helper()
	c := mysqlsource.New()
	cfg = c.Spec().Config.Apply(cfg)
	if err := c.Validate(context.Background(), cfg); err != nil {
		t.Fatalf("config: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Start(ctx, nil, cfg); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	task := c.NewTask()
	defer task.Stop(context.Background())
	return task.Start(ctx, newTaskContext(), cfg)
}

func checkConnectError(t *testing.T, err error, cfg connect.Config, password, want string, fatal bool) {
	t.Helper()
	testenv.CheckConnectError(t, err, net.JoinHostPort(cfg["host"], cfg["port"]), password, want, fatal)
}

// TestTLSModes reads over TLS in each mode that encrypts, against the
// names the certificate holds (IP 127.0.0.1, DNS localhost).
func TestTLSModes(t *testing.T) {
	ca := testenv.MySQLTLSCA(t)
	for _, tc := range []struct {
		name string
		kv   []string
	}{
		{"verify_identity by IP", []string{"host", "127.0.0.1", "tls.mode", "verify_identity", "tls.ca", ca}},
		{"verify_identity by name", []string{"host", "localhost", "tls.mode", "verify_identity", "tls.ca", ca}},
		{"verify_identity with tls.server.name", []string{"host", "127.0.0.1", "tls.mode", "verify_identity", "tls.ca", ca, "tls.server.name", "localhost"}},
		{"verify_ca", []string{"tls.mode", "verify_ca", "tls.ca", ca}},
		{"required", []string{"tls.mode", "required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDB(t)
			cfg, _ := d.tlsConfig(tc.kv...)
			readsOverTLS(t, d, cfg)
		})
	}
}

// TestTLSRefused checks the errors of sessions the server or the
// connector refuses: they name the server and the cause, never the
// password.
func TestTLSRefused(t *testing.T) {
	ca := testenv.MySQLTLSCA(t)
	unrelated := testenv.UnrelatedCA(t)
	for _, tc := range []struct {
		name  string
		kv    []string
		want  string
		fatal bool
	}{
		// the user must use TLS
		{"disabled", nil, "Access denied", true},
		{"verify_identity with an unrelated CA", []string{"tls.mode", "verify_identity", "tls.ca", unrelated}, "certificate signed by unknown authority", true},
		{"verify_ca with an unrelated CA", []string{"tls.mode", "verify_ca", "tls.ca", unrelated}, "certificate signed by unknown authority", true},
		{"verify_identity with the system's roots", []string{"tls.mode", "verify_identity"}, "certificate signed by unknown authority", true},
		{"verify_identity of another name", []string{"tls.mode", "verify_identity", "tls.ca", ca, "tls.server.name", "db.example"},
			"certificate is valid for localhost, not db.example", true},
		{"a bad password over TLS", []string{"tls.mode", "verify_identity", "tls.ca", ca, "password", "wrong-password-1234"}, "Access denied", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := newTestDB(t).tlsConfig(tc.kv...)
			checkConnectError(t, startErr(t, cfg), cfg, cfg["password"], tc.want, tc.fatal)
		})
	}
}

// TestTLSOnServerWithoutIt checks that tls.mode=required fails, saying so,
// against a server that does not offer TLS: a stand-in that sends the
// handshake of one (no CLIENT_SSL), as the test MariaDB offers TLS.
func TestTLSOnServerWithoutIt(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := mysqlserver.NewServer("10.11.0-MariaDB", mysql.DEFAULT_COLLATION_ID, mysql.AUTH_NATIVE_PASSWORD, nil, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			// Sends the handshake, then fails to read an answer: the
			// client hangs up.
			srv.NewCustomizedConn(c, mysqlserver.NewInMemoryAuthenticationHandler(), mysqlserver.EmptyHandler{})
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	const password = "wrong-password-1234"
	cfg := connect.Config{"host": host, "port": port, "user": "u", "password": password, "server.id": "99", "tls.mode": "required"}
	checkConnectError(t, startErr(t, cfg), cfg, password, "does not support TLS", false)
}
