package rest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/redact"
	"github.com/openmessaging/connect-go/loglevels"
	"github.com/openmessaging/connect-go/runtime"
)

// Option configures the handler returned by NewHandler. Nil arguments are
// ignored, so the default stays.
type Option interface {
	apply(*handlerConfig)
}

type optionFunc func(*handlerConfig)

func (f optionFunc) apply(c *handlerConfig) { f(c) }

// WorkerInfo is one live worker as GET /getClusterInfo reports it.
type WorkerInfo struct {
	ID            string
	LastHeartbeat time.Time
}

type route struct {
	pattern string
	h       http.Handler
}

type handlerConfig struct {
	tokenHash    *[sha256.Size]byte
	basic        *basicCreds
	maxBodyBytes int64
	workers      func(ctx context.Context) []WorkerInfo
	routes       []route
	nameServers  []string
	logLevels    *loglevels.Levels
}

// DefaultMaxBodyBytes is the default limit on a request body (1 MiB); a
// larger body gets 413.
const DefaultMaxBodyBytes = 1 << 20

// WithAuthToken makes every route but GET /health require the header
// "Authorization: Bearer <token>" (or the credentials of WithBasicAuth);
// other requests get 401. The token is compared in constant time. Default: no authentication (the empty token
// keeps it off).
func WithAuthToken(token string) Option {
	return optionFunc(func(c *handlerConfig) {
		if token != "" {
			h := sha256.Sum256([]byte(token))
			c.tokenHash = &h
		}
	})
}

// WithMaxBodyBytes limits request bodies to n bytes; a larger body gets
// 413. Default: DefaultMaxBodyBytes.
func WithMaxBodyBytes(n int64) Option {
	return optionFunc(func(c *handlerConfig) {
		if n > 0 {
			c.maxBodyBytes = n
		}
	})
}

// WithWorkers sets where GET /getClusterInfo learns the live workers of the
// cluster. Default: the runtime's Members (a standalone runtime: itself,
// with the time of the request as its heartbeat).
func WithWorkers(f func(ctx context.Context) []WorkerInfo) Option {
	return optionFunc(func(c *handlerConfig) {
		if f != nil {
			c.workers = f
		}
	})
}

// WithRoute mounts h at pattern (http.ServeMux syntax, "GET /metrics") next
// to the connector API, behind the same authentication. cmd/connectd serves
// Prometheus metrics this way. Default: none.
func WithRoute(pattern string, h http.Handler) Option {
	return optionFunc(func(c *handlerConfig) {
		if pattern != "" && h != nil {
			c.routes = append(c.routes, route{pattern, h})
		}
	})
}

// restHandler serves the REST API of one runtime. It holds no goroutines:
// dropping it is enough.
type restHandler struct {
	rt  *runtime.Runtime
	cfg handlerConfig
	mux *http.ServeMux
	log *slog.Logger
	cop *http.CrossOriginProtection
}

// NewHandler returns the REST API of runtime rt, to mount on any
// http.Server; it starts nothing. It serves Kafka Connect's API (same
// paths, bodies and status codes) and RocketMQ Connect's seed endpoints:
//
//	GET    /                                          version, commit, worker id
//	GET    /health                                    200 once started, 503 before and after (no auth)
//	GET    /getClusterInfo                            seed: live workers and last heartbeats
//	GET    /connectors[?expand=status&expand=info]    names, or name -> {status, info}
//	POST   /connectors                                {"name", "config"[, "initial_state"]} -> 201 (409 if taken)
//	GET    /connectors/{name}[?config={json}]         info; with ?config, the seed's create
//	POST   /connectors/{name}                         seed: create or replace with the body, and run
//	DELETE /connectors/{name}                         204
//	GET    /connectors/{name}/config                  the config, secrets masked
//	PUT    /connectors/{name}/config                  create (201) or replace (200)
//	PATCH  /connectors/{name}/config                  merge; a null value removes the key
//	GET    /connectors/{name}/status                  connector and task states
//	GET    /connectors/{name}/tasks                   task ids and configs
//	GET    /connectors/{name}/tasks/{id}/status       one task's state
//	GET    /connectors/{name}/topics                  {"<name>": {"topics": [...]}}: active topics
//	PUT    /connectors/{name}/topics/reset            202: empties them
//	POST   /connectors/{name}/restart                 ?includeTasks=&onlyFailed=: 204, or 202 with the status
//	POST   /connectors/{name}/tasks/{id}/restart      204
//	PUT    /connectors/{name}/pause|resume            202
//	PUT    /connectors/{name}/stop                    204
//	POST   /connectors/{name}/stop                    seed: stop and delete (offsets are kept); no body or a JSON one
//	GET    /connectors/{name}/offsets                 {"offsets": [{"partition": {...}, "offset": ...}]}
//	PATCH  /connectors/{name}/offsets                 alter (STOPPED only, else 400); a null offset deletes
//	DELETE /connectors/{name}/offsets                 reset (STOPPED only, else 400)
//	GET    /connector-plugins                         class, type, version
//	GET    /connector-plugins/{plugin}/config         the plugin's settings and the runtime's
//	PUT    /connector-plugins/{plugin}/config/validate  per-setting values and errors (Kafka's ConfigInfos)
//	GET    /admin/loggers[/{logger}]                  levels (with WithLogLevels)
//	PUT    /admin/loggers/{logger}                    {"level": "DEBUG"} -> the loggers set
//
// Errors are JSON, {"error_code": N, "message": "..."}: 400 for malformed
// JSON and invalid configs (with "fields" naming every bad setting), 401
// without the credentials of WithAuthToken or WithBasicAuth, 403 for a
// cross-origin browser request that would change state (unsafe methods and
// the seed's GET ?config=; see http.CrossOriginProtection), 404 for unknown connectors, tasks,
// plugins and paths, 405, 409 for conflicts, 413 for bodies over
// WithMaxBodyBytes, 415 for bodies not declared application/json, 503 while
// the runtime is not running, 500 otherwise. Config values in request
// bodies may be strings, numbers or booleans; they are stored as strings.
//
// Secrets never leave: the values of the plugin's secret fields are shown
// as connect.Masked in configs, task configs and validation results, and
// replaced by it wherever else they appear (traces, error messages, task
// progress). A config sent back with a masked secret keeps the stored
// value. Request logs carry the method, path and status only.
//
// Offsets: a connector implementing connect.KafkaOffsets (the built-in
// sources) is shown and altered in its Kafka Connect shapes. For the
// others, a connect.Position's partition is a string, Kafka Connect's an
// object; the API shows the partition as {"partition": "<string>"} and
// accepts that or the bare string back, with the offset the source's JSON.
//
// NewHandler panics if a WithRoute pattern is invalid or conflicts with the
// API's routes, as http.ServeMux does.
func NewHandler(rt *runtime.Runtime, opts ...Option) http.Handler {
	cfg := handlerConfig{maxBodyBytes: DefaultMaxBodyBytes}
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if cfg.workers == nil {
		cfg.workers = func(context.Context) []WorkerInfo {
			var out []WorkerInfo
			for _, m := range rt.Members() {
				out = append(out, WorkerInfo{ID: m.ID, LastHeartbeat: m.LastHeartbeat})
			}
			return out
		}
	}
	h := &restHandler{rt: rt, cfg: cfg, mux: http.NewServeMux(), log: rt.Logger().With("component", "rest"),
		cop: http.NewCrossOriginProtection()}
	h.routes()
	h.loggerRoutes()
	for _, r := range cfg.routes {
		h.mux.Handle(r.pattern, r.h)
	}
	return h
}

func (h *restHandler) routes() {
	m := h.mux
	// Worker.
	m.HandleFunc("GET /{$}", h.serverInfo)
	m.HandleFunc("GET /health", h.health)
	m.HandleFunc("GET /getClusterInfo", h.clusterInfo)

	// Connectors.
	for _, p := range []string{"/connectors", "/connectors/{$}"} {
		m.HandleFunc("GET "+p, h.listConnectors)
		m.HandleFunc("POST "+p, h.createConnector)
	}
	m.HandleFunc("GET /connectors/{name}", h.getConnector) // ?config= is the seed's create form
	m.HandleFunc("POST /connectors/{name}", h.seedCreate)
	m.HandleFunc("DELETE /connectors/{name}", h.deleteConnector)
	m.HandleFunc("GET /connectors/{name}/config", h.getConfig)
	m.HandleFunc("PUT /connectors/{name}/config", h.putConfig)
	m.HandleFunc("PATCH /connectors/{name}/config", h.patchConfig)
	m.HandleFunc("GET /connectors/{name}/status", h.getStatus)
	m.HandleFunc("GET /connectors/{name}/tasks", h.getTasks)
	m.HandleFunc("GET /connectors/{name}/tasks/{id}/status", h.getTaskStatus)
	m.HandleFunc("POST /connectors/{name}/restart", h.restartConnector)
	m.HandleFunc("POST /connectors/{name}/tasks/{id}/restart", h.restartTask)
	m.HandleFunc("PUT /connectors/{name}/pause", h.pause)
	m.HandleFunc("PUT /connectors/{name}/resume", h.resume)
	m.HandleFunc("PUT /connectors/{name}/stop", h.stop)
	m.HandleFunc("POST /connectors/{name}/stop", h.seedStop)
	m.HandleFunc("GET /connectors/{name}/topics", h.getTopics)
	m.HandleFunc("PUT /connectors/{name}/topics/reset", h.resetTopics)

	// Offsets.
	m.HandleFunc("GET /connectors/{name}/offsets", h.getOffsets)
	m.HandleFunc("PATCH /connectors/{name}/offsets", h.alterOffsets)
	m.HandleFunc("DELETE /connectors/{name}/offsets", h.resetOffsets)

	// Plugins.
	for _, p := range []string{"/connector-plugins", "/connector-plugins/{$}"} {
		m.HandleFunc("GET "+p, h.listPlugins)
	}
	m.HandleFunc("GET /connector-plugins/{plugin}/config", h.pluginConfig)
	m.HandleFunc("PUT /connector-plugins/{plugin}/config/validate", h.validate)
}

// ServeHTTP authenticates, routes, turns the mux's own 404 and 405 answers
// into JSON errors, recovers panics as 500 and logs one line per request
// (method, path and status: never a query string or a body, which may hold
// secrets).
func (h *restHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rw := &statusWriter{ResponseWriter: w}
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path,
				"panic", h.allSecrets().Text(fmt.Sprint(p)), "stack", string(debug.Stack()))
			if !rw.wrote {
				writeError(rw, http.StatusInternalServerError, "internal error", nil)
			}
		}
		h.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rw.status, "duration", time.Since(start))
	}()
	hdr := rw.Header()
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	if err := h.crossOrigin(r); err != nil {
		writeError(rw, http.StatusForbidden, "cross-origin request refused: "+err.Error(), nil)
		return
	}
	public := r.URL.Path == "/health" && (r.Method == http.MethodGet || r.Method == http.MethodHead)
	if h.cfg.authRequired() && !public && !h.authorized(r) {
		h.challenge(hdr)
		writeError(rw, http.StatusUnauthorized, "missing or invalid credentials (bearer token or HTTP Basic)", nil)
		return
	}
	if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
		// Kafka Connect (JAX-RS) serves /connectors/{name}/ as
		// /connectors/{name}; clients rely on it.
		r2 := *r
		u := *r.URL
		u.Path = strings.TrimRight(p, "/")
		u.RawPath = strings.TrimRight(u.RawPath, "/")
		if u.Path == "" {
			u.Path = "/"
		}
		r2.URL = &u
		r = &r2
	}
	if _, pattern := h.mux.Handler(r); pattern == "" {
		// Not found, wrong method, or a redirect to a cleaned path: let the
		// mux decide the status and headers, and write a JSON body.
		h.mux.ServeHTTP(&fallbackWriter{w: rw}, r)
		return
	}
	h.mux.ServeHTTP(rw, r)
}

// allSecrets returns a redactor hiding the secrets of every connector, for
// texts that may come from anywhere (a panic).
func (h *restHandler) allSecrets() *redact.Redactor {
	var cfgs []connect.Config
	for _, name := range h.rt.Connectors() {
		if cfg, err := h.rt.ConnectorConfig(name); err == nil {
			cfgs = append(cfgs, cfg)
		}
	}
	return h.redactorFor(cfgs...)
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// fallbackWriter replaces the mux's plain-text error bodies with JSON ones
// and keeps its status and headers (Allow, Location).
type fallbackWriter struct {
	w       http.ResponseWriter
	written bool
}

func (f *fallbackWriter) Header() http.Header { return f.w.Header() }

func (f *fallbackWriter) WriteHeader(code int) {
	if f.written {
		return
	}
	f.written = true
	if code < 400 {
		f.w.WriteHeader(code)
		return
	}
	msg := http.StatusText(code)
	if code == http.StatusMethodNotAllowed {
		msg = "HTTP method not allowed on this path"
	}
	f.w.Header().Del("Content-Length")
	writeError(f.w, code, msg, nil)
}

func (f *fallbackWriter) Write(b []byte) (int, error) {
	if !f.written {
		f.WriteHeader(http.StatusOK)
	}
	return len(b), nil // the mux's own text is dropped
}
