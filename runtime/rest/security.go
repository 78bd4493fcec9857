package rest

import (
	"crypto/sha256"
	"crypto/subtle"
	"mime"
	"net/http"
	"strings"
)

// Authentication and cross-site request protection.
//
// The API changes state on behalf of whoever reaches it. Two things stand
// between it and a web page open in an operator's browser: cross-origin
// browser requests that change state are refused (403), whether or not
// credentials are configured, and, when configured, every request but GET
// /health carries a bearer token or HTTP Basic credentials.

// WithBasicAuth makes every route but GET /health accept the HTTP Basic
// credentials user and password ("Authorization: Basic ..."), as the Kafka
// Connect clients in the wild send them; other requests get 401. With
// WithAuthToken too, either credential is enough. Both are compared in
// constant time. Default: no Basic authentication (an empty user keeps it
// off).
func WithBasicAuth(user, password string) Option {
	return optionFunc(func(c *handlerConfig) {
		if user != "" {
			c.basic = &basicCreds{user: sha256.Sum256([]byte(user)), password: sha256.Sum256([]byte(password))}
		}
	})
}

type basicCreds struct {
	user, password [sha256.Size]byte
}

// authRequired reports whether requests must carry credentials.
func (c *handlerConfig) authRequired() bool { return c.tokenHash != nil || c.basic != nil }

// authorized reports whether r carries the bearer token or the Basic
// credentials configured.
func (h *restHandler) authorized(r *http.Request) bool {
	if h.cfg.tokenHash != nil {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			got := sha256.Sum256([]byte(strings.TrimSpace(token)))
			return subtle.ConstantTimeCompare(got[:], h.cfg.tokenHash[:]) == 1
		}
	}
	if b := h.cfg.basic; b != nil {
		if user, password, ok := r.BasicAuth(); ok {
			u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(password))
			// Both compared, whichever fails first.
			return subtle.ConstantTimeCompare(u[:], b.user[:])&subtle.ConstantTimeCompare(p[:], b.password[:]) == 1
		}
	}
	return false
}

// challenge sets the WWW-Authenticate headers of a 401.
func (h *restHandler) challenge(hdr http.Header) {
	if h.cfg.tokenHash != nil {
		hdr.Add("WWW-Authenticate", `Bearer realm="connect"`)
	}
	if h.cfg.basic != nil {
		hdr.Add("WWW-Authenticate", `Basic realm="connect", charset="UTF-8"`)
	}
}

// crossOrigin returns an error for a cross-origin browser request that
// changes state: unsafe methods, and the seed's create form, GET
// /connectors/{name}?config=, checked as if it were a POST. Requests
// without Sec-Fetch-Site and Origin (curl, Kafka Connect clients) pass, as
// with http.CrossOriginProtection, whose rules these are.
func (h *restHandler) crossOrigin(r *http.Request) error {
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && isSeedCreate(r) {
		r2 := *r
		r2.Method = http.MethodPost
		return h.cop.Check(&r2)
	}
	return h.cop.Check(r)
}

// isSeedCreate reports whether r is GET /connectors/{name}?config=, with or
// without a trailing slash.
func isSeedCreate(r *http.Request) bool {
	if !r.URL.Query().Has("config") {
		return false
	}
	// The escaped path: a name may hold an escaped slash (a%2Fb).
	rest, ok := strings.CutPrefix(strings.TrimRight(r.URL.EscapedPath(), "/"), "/connectors/")
	return ok && rest != "" && !strings.Contains(rest, "/")
}

// checkSeedStop refuses a seed stop (which deletes the connector) sent with
// a body a browser form could send: the body must be empty, or declared
// application/json. A form cannot send application/json without a CORS
// preflight, which this API never grants.
func checkSeedStop(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		if r.ContentLength != 0 {
			return errorf(http.StatusUnsupportedMediaType, "POST /connectors/{name}/stop deletes the connector: send no body, or an application/json one")
		}
		return nil
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return errorf(http.StatusUnsupportedMediaType,
			"POST /connectors/{name}/stop deletes the connector: send no body, or an application/json one, got Content-Type %q", ct)
	}
	return nil
}
