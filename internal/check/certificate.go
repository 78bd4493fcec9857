package check

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// IsCertificateError reports whether err is a failed verification of a
// server's TLS certificate (an unknown authority, another host name, an
// expired or invalid certificate): a setting to fix (tls.ca, tls.mode, the
// host), not a failure that trying again cures, so the connectors fail
// the task at once instead of retrying.
func IsCertificateError(err error) bool {
	var (
		cv *tls.CertificateVerificationError
		ua x509.UnknownAuthorityError
		he x509.HostnameError
		ci x509.CertificateInvalidError
	)
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)
}
