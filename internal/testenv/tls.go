package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
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
