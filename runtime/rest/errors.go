package rest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/redact"
	"github.com/openmessaging/connect-go/runtime"
)

// errorBody is Kafka Connect's error entity, plus the bad fields of an
// invalid config.
type errorBody struct {
	ErrorCode int                  `json:"error_code"`
	Message   string               `json:"message"`
	Fields    []connect.FieldError `json:"fields,omitempty"`
}

// httpError is an error the handler decided the status of.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func errorf(code int, format string, args ...any) error {
	return &httpError{code: code, msg: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own response types are marshalled: a failure is a bug.
		code = http.StatusInternalServerError
		b, _ = json.Marshal(errorBody{ErrorCode: code, Message: "encode response: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n')) //nolint:errcheck // the client went away
}

func writeError(w http.ResponseWriter, code int, msg string, fields []connect.FieldError) {
	writeJSON(w, code, errorBody{ErrorCode: code, Message: msg, Fields: fields})
}

// fail answers err with its status: 400 for invalid configs (every bad
// field named) and malformed requests, 404 for unknown connectors, tasks and
// plugins, 409 for conflicts, 503 once the runtime stopped, 500 otherwise.
// Every text is passed through red, so that no secret of the request or of
// the connector is echoed.
func (h *restHandler) fail(w http.ResponseWriter, r *http.Request, err error, red *redact.Redactor) {
	var (
		he   *httpError
		ce   *connect.ConfigError
		mbe  *http.MaxBytesError
		code int
		msg  string
	)
	var fields []connect.FieldError
	switch {
	case errors.As(err, &he):
		code, msg = he.code, he.msg
	case errors.As(err, &mbe):
		code, msg = http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", mbe.Limit)
	case errors.As(err, &ce):
		code = http.StatusBadRequest
		fields = make([]connect.FieldError, len(ce.Fields))
		lines := make([]string, len(ce.Fields))
		for i, f := range ce.Fields {
			fields[i] = connect.FieldError{Field: f.Field, Reason: red.Text(f.Reason)}
			lines[i] = fields[i].Error()
		}
		msg = fmt.Sprintf("Connector configuration is invalid and contains the following %d error(s):\n%s",
			len(fields), strings.Join(lines, "\n"))
	case errors.Is(err, connect.ErrNotFound):
		code, msg = http.StatusNotFound, err.Error()
	case errors.Is(err, connect.ErrAlreadyExists), errors.Is(err, connect.ErrConflict):
		code, msg = http.StatusConflict, err.Error()
	case errors.Is(err, connect.ErrClosed), errors.Is(err, runtime.ErrUnavailable), errors.Is(err, runtime.ErrNotStarted):
		code, msg = http.StatusServiceUnavailable, err.Error()
	default:
		code, msg = http.StatusInternalServerError, err.Error()
		if hs := h.rt.Health().Status; hs == runtime.HealthStarting || hs == runtime.HealthStopping {
			code = http.StatusServiceUnavailable
		}
	}
	msg = red.Text(msg)
	if code >= 500 {
		h.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", code, "error", msg)
	}
	writeError(w, code, msg, fields)
}
