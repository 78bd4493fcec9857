package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// MySQLTLSCA returns the PEM file of the CA that signed the test MariaDB's
// certificate (for IP 127.0.0.1 and DNS localhost), from MYSQL_TLS_CA
// (skipping t, or failing it in CI, when it is not set: a server started
// by an older scripts/services.sh offers no TLS).
func MySQLTLSCA(t testing.TB) string {
	t.Helper()
	return Lookup(t, "MariaDB with TLS", "mysql", "MYSQL_TLS_CA")[0]
}

// UnrelatedCA writes the certificate of a new CA, which signed nothing the
// test services use, to a PEM file in a temporary directory of t and
// returns its path: verifying a server against it must fail.
func UnrelatedCA(t testing.TB) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "connect-go unrelated test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "unrelated-ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TLSUser creates a database user that may only connect over TLS (REQUIRE
// SSL) with every privilege on grantOn (`db`.* or *.*), through exec (which
// runs statements in order in one session of an administrator), dropped
// when t ends; the server
// refuses it a connection in clear, so what it reads or writes proves the
// connection was encrypted. The statements stay out of the binlog that
// other tests read.
func TLSUser(t testing.TB, exec func(stmts ...string) error, grantOn string) (user, password string) {
	t.Helper()
	user = fmt.Sprintf("cgtls_%d_%d", time.Now().UnixNano()%1e6, tlsUsers.Add(1))
	password = "tls-secret-" + user
	run := func(stmts ...string) error {
		return exec(append([]string{"SET SESSION sql_log_bin = 0"}, stmts...)...)
	}
	if err := run(fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY '%s' REQUIRE SSL", user, password),
		fmt.Sprintf("GRANT ALL PRIVILEGES ON %s TO '%s'@'%%'", grantOn, user)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := run(fmt.Sprintf("DROP USER IF EXISTS '%s'@'%%'", user)); err != nil {
			t.Logf("drop user %s: %v", user, err)
		}
	})
	return user, password
}

var tlsUsers atomic.Int64

// CheckConnectError checks that err says it could not connect to addr,
// says want (case-insensitive), does not show password, and is fatal
// (connect.ErrFatal) or not.
func CheckConnectError(t testing.TB, err error, addr, password, want string, fatal bool) {
	t.Helper()
	if err == nil {
		t.Fatal("the task started")
	}
	msg := err.Error()
	t.Log(msg)
	if !strings.Contains(msg, addr) || !strings.Contains(strings.ToLower(msg), strings.ToLower(want)) {
		t.Errorf("error %q should name %s and say %q", msg, addr, want)
	}
	if strings.Contains(msg, password) {
		t.Errorf("error %q shows the password", msg)
	}
	if fatal != errors.Is(err, connect.ErrFatal) {
		t.Errorf("error %q: fatal %v, want %v", msg, errors.Is(err, connect.ErrFatal), fatal)
	}
}
