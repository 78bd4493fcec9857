package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/runtime/rest"
)

// testSecret is the password of every SecretSource in the REST tests. No
// response body and no log line of the REST handler may ever contain it.
const testSecret = "s3cr3t-Pa55w0rd!"

// secretSource is a source plugin with a secret field that leaks its
// password everywhere it can: into task configs under another key, task
// progress and the error that fails its start (fail=true).
type secretSource struct{}

var secretSpec = connect.Spec{
	Name:    "SecretSource",
	Version: "1.2.3",
	Config: connect.ConfigSpec{
		{Name: "host", Required: true, Description: "Server to log in to."},
		{Name: "password", Secret: true, Required: true, Aliases: []string{"passwd"}, Description: "Password.",
			Validate: func(v string) error {
				if strings.HasPrefix(v, "weak-") {
					return fmt.Errorf("password %q is too weak", v)
				}
				return nil
			}},
		{Name: "port", Type: connect.FieldInt, Default: "3306"},
		{Name: "mode", Allowed: []string{"fast", "safe"}, Default: "fast"},
		{Name: "fail", Type: connect.FieldBool},
	},
}

func (secretSource) Spec() connect.Spec { return secretSpec }

func (s *secretSource) Start(_ context.Context, _ connect.ConnectorContext, cfg connect.Config) error {
	if cfg.Bool("fail") {
		return fmt.Errorf("cannot log in to %s with password %s", cfg["host"], cfg["password"])
	}
	return nil
}

func (s *secretSource) TaskConfigs(int) ([]connect.Config, error) {
	return []connect.Config{{"dsn": "root:" + testSecret + "@tcp(db:3306)/", "secret.copy": testSecret}}, nil
}

func (secretSource) Stop(context.Context) error                      { return nil }
func (secretSource) NewTask() connect.SourceTask                     { return &idleTask{} }
func (*secretSource) Validate(context.Context, connect.Config) error { return nil }

// idleTask produces nothing until it is stopped.
type idleTask struct{}

func (*idleTask) Start(_ context.Context, tc connect.SourceTaskContext, _ connect.Config) error {
	tc.SetProgress(map[string]any{"login": "root:" + testSecret, "rows": 1})
	return nil
}

func (*idleTask) Poll(ctx context.Context) ([]*connect.Record, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (*idleTask) Stop(context.Context) error { return nil }

// api is a started runtime and its REST handler, called through
// httptest.NewRecorder: no sockets, no goroutines left behind.
type api struct {
	t     testing.TB
	rt    *runtime.Runtime
	h     http.Handler
	token string
	logs  *connecttest.LogBuffer
	// guard fails the test when a response holds testSecret.
	guard bool
}

const sliceRecords = 5

func newAPI(t testing.TB, hopts ...rest.Option) *api {
	t.Helper()
	a := &api{t: t, logs: &connecttest.LogBuffer{}, guard: true}
	recs := make([]*connect.Record, sliceRecords)
	for i := range recs {
		recs[i] = &connect.Record{Key: "k", Value: fmt.Sprint("v", i)}
	}
	coll := connecttest.NewCollector()
	a.rt = runtime.New(
		runtime.WithPlugin("SecretSource", func() connect.Connector { return &secretSource{} }),
		runtime.WithPlugin("SliceSource", func() connect.Connector { return connecttest.NewSliceSource(recs...) }),
		runtime.WithPlugin("CollectorSink", func() connect.Connector { return coll.Connector() }),
		runtime.WithLogger(slog.New(slog.NewJSONHandler(a.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		runtime.WithRestartBackoff(time.Hour, time.Hour), // a failed start stays FAILED during a test
		runtime.WithOffsetFlushInterval(10*time.Millisecond),
		runtime.WithWorkerID("w1"),
	)
	if err := a.rt.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.rt.Stop(ctx); err != nil {
			t.Errorf("stop runtime: %v", err)
		}
		a.checkLogs()
	})
	a.h = rest.NewHandler(a.rt, hopts...)
	return a
}

// checkLogs fails the test when a log line of the REST handler holds the
// secret.
func (a *api) checkLogs() {
	for line := range strings.SplitSeq(a.logs.String(), "\n") {
		if strings.Contains(line, `"component":"rest"`) && strings.Contains(line, testSecret) {
			a.t.Errorf("REST log line holds the secret: %s", line)
		}
	}
}

type resp struct {
	code int
	hdr  http.Header
	body []byte
}

func (r resp) String() string { return fmt.Sprintf("%d %s", r.code, r.body) }

// do sends a request. A non-empty body is sent as application/json unless
// hdrs (name, value pairs) say otherwise.
func (a *api) do(method, path, body string, hdrs ...string) resp {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	for i := 0; i+1 < len(hdrs); i += 2 {
		if hdrs[i+1] == "" {
			req.Header.Del(hdrs[i])
		} else {
			req.Header.Set(hdrs[i], hdrs[i+1])
		}
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	r := resp{code: rec.Code, hdr: rec.Header(), body: rec.Body.Bytes()}
	if a.guard && bytes.Contains(r.body, []byte(testSecret)) {
		a.t.Errorf("%s %s: response holds the secret: %s", method, path, r.body)
	}
	if len(r.body) > 0 && !json.Valid(r.body) {
		a.t.Errorf("%s %s: response body is not JSON: %q", method, path, r.body)
	}
	return r
}

// want sends a request and checks the status; it decodes the body into out
// when given.
func (a *api) want(code int, method, path, body string, out any) resp {
	a.t.Helper()
	r := a.do(method, path, body)
	if r.code != code {
		a.t.Fatalf("%s %s: got %s, want status %d", method, path, r, code)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			a.t.Fatalf("%s %s: decode %s: %v", method, path, r.body, err)
		}
	}
	return r
}

type apiError struct {
	ErrorCode int                  `json:"error_code"`
	Message   string               `json:"message"`
	Fields    []connect.FieldError `json:"fields"`
}

// wantError checks that a request fails with code and a JSON error body
// carrying that code; it returns the body.
func (a *api) wantError(code int, method, path, body string, hdrs ...string) apiError {
	a.t.Helper()
	r := a.do(method, path, body, hdrs...)
	var e apiError
	if r.code != code {
		a.t.Fatalf("%s %s: got %s, want status %d", method, path, r, code)
	}
	if err := json.Unmarshal(r.body, &e); err != nil || e.ErrorCode != code || e.Message == "" {
		a.t.Fatalf("%s %s: error body %s (decode: %v), want error_code %d and a message", method, path, r.body, err, code)
	}
	if ct := r.hdr.Get("Content-Type"); ct != "application/json" {
		a.t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return e
}

// eventuallyState waits for the connector's status to reach state.
func (a *api) eventuallyState(name string, state connect.State) {
	a.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := a.rt.ConnectorStatus(name)
		if err == nil && st.State == state {
			return
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("connector %s: state %s (err %v), want %s", name, st.State, err, state)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func secretConfig(extra ...string) string {
	m := map[string]string{"connector.class": "SecretSource", "host": "db", "password": testSecret, "topic": "t"}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// eventually polls cond until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
