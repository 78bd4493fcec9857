package check

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestValidators(t *testing.T) {
	host := Host("host", "port")
	for _, c := range []struct {
		name string
		fn   func(string) error
		v    string
		want string // "" when the value is good
	}{
		{"host", host, "db.example.com", ""},
		{"host ip", host, "127.0.0.1", ""},
		{"host with port", host, "db:3307", "set host to db and port to 3307"},
		{"host with space", host, "a b", "host name or IP address"},
		{"range low", IntRange(1, 10), "1", ""},
		{"range high", IntRange(1, 10), "10", ""},
		{"range above", IntRange(1, 10), "11", "from 1 to 10"},
		{"range text", IntRange(1, 10), "x", "from 1 to 10"},
		{"duration", PositiveDuration, "10s", ""},
		{"duration zero", PositiveDuration, "0s", "positive duration"},
		{"duration bad", PositiveDuration, "10", "positive duration"},
	} {
		err := c.fn(c.v)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %q refused: %v", c.name, c.v, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %q gave %v, want an error containing %q", c.name, c.v, err, c.want)
		}
	}
}

func TestIsCertificateError(t *testing.T) {
	wrapped := fmt.Errorf("connect: %w", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}})
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{wrapped, true},
		{x509.HostnameError{Host: "db.example"}, true},
		{x509.CertificateInvalidError{Reason: x509.Expired}, true},
		{errors.New("connection refused"), false},
		{nil, false},
	} {
		if got := IsCertificateError(tc.err); got != tc.want {
			t.Errorf("IsCertificateError(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
