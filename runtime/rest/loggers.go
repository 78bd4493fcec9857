package rest

import (
	"net/http"
	"strings"

	"github.com/openmessaging/connect-go/loglevels"
)

// WithLogLevels serves Kafka Connect's /admin/loggers on lv: GET lists
// the loggers with a level of their own, GET /admin/loggers/{name} shows
// one's level, PUT /admin/loggers/{name} {"level": "DEBUG"} sets it on the
// logger and the known loggers below it and lists them. Build the
// runtime's logger on lv.Handler(). Default: none (404).
func WithLogLevels(lv *loglevels.Levels) Option {
	return optionFunc(func(c *handlerConfig) {
		if lv != nil {
			c.logLevels = lv
		}
	})
}

// loggerLevel is Kafka Connect's shape of one logger's level; last_modified
// is Unix milliseconds, null while never set.
type loggerLevel struct {
	Level        string `json:"level"`
	LastModified *int64 `json:"last_modified"`
}

func levelOf(l loglevels.Logger) loggerLevel {
	out := loggerLevel{Level: loglevels.LevelName(l.Level)}
	if !l.LastModified.IsZero() {
		ms := l.LastModified.UnixMilli()
		out.LastModified = &ms
	}
	return out
}

func (h *restHandler) loggerRoutes() {
	if h.cfg.logLevels == nil {
		return
	}
	for _, p := range []string{"/admin/loggers", "/admin/loggers/{$}"} {
		h.mux.HandleFunc("GET "+p, h.listLoggers)
	}
	h.mux.HandleFunc("GET /admin/loggers/{logger}", h.getLogger)
	h.mux.HandleFunc("PUT /admin/loggers/{logger}", h.setLogger)
}

// GET /admin/loggers
func (h *restHandler) listLoggers(w http.ResponseWriter, _ *http.Request) {
	out := map[string]loggerLevel{}
	for _, l := range h.cfg.logLevels.Explicit() {
		out[l.Name] = levelOf(l)
	}
	writeJSON(w, http.StatusOK, out)
}

// GET /admin/loggers/{logger}
func (h *restHandler) getLogger(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("logger")
	l, ok := h.cfg.logLevels.Get(name)
	if !ok {
		h.fail(w, r, errorf(http.StatusNotFound, "Logger %s not found.", name), nil)
		return
	}
	writeJSON(w, http.StatusOK, levelOf(l))
}

// PUT /admin/loggers/{logger}?scope=worker {"level": "DEBUG"}: 200 with
// the names of the loggers set. Kafka Connect's scope=cluster (every
// worker) is not supported.
func (h *restHandler) setLogger(w http.ResponseWriter, r *http.Request) {
	if strings.EqualFold(r.URL.Query().Get("scope"), "cluster") {
		h.fail(w, r, errorf(http.StatusBadRequest, "scope=cluster is not supported: set the level on each worker (scope=worker)"), nil)
		return
	}
	b, err := h.readBody(w, r)
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	var req struct {
		Level *string `json:"level"`
	}
	if err := decodeStrict(b, &req); err != nil {
		h.fail(w, r, err, nil)
		return
	}
	if req.Level == nil {
		h.fail(w, r, errorf(http.StatusBadRequest, "Desired 'level' parameter was not specified in request."), nil)
		return
	}
	level, err := loglevels.ParseLevel(*req.Level)
	if err != nil {
		h.fail(w, r, errorf(http.StatusNotFound, "invalid log level '%s'", *req.Level), nil)
		return
	}
	writeJSON(w, http.StatusOK, h.cfg.logLevels.Set(r.PathValue("logger"), level))
}
