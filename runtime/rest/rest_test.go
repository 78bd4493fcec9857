package rest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/runtime/rest"
)

type connectorInfo struct {
	Name   string         `json:"name"`
	Config connect.Config `json:"config"`
	Tasks  []struct {
		Connector string `json:"connector"`
		Task      int    `json:"task"`
	} `json:"tasks"`
	Type string `json:"type"`
}

type statusInfo struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	Connector struct {
		State    connect.State `json:"state"`
		WorkerID string        `json:"worker_id"`
		Trace    string        `json:"trace"`
	} `json:"connector"`
	Tasks []struct {
		ID       int            `json:"id"`
		State    connect.State  `json:"state"`
		WorkerID string         `json:"worker_id"`
		Progress map[string]any `json:"progress"`
	} `json:"tasks"`
}

func TestRESTServerInfoAndHealth(t *testing.T) {
	a := newAPI(t)
	var info map[string]string
	a.want(http.StatusOK, "GET", "/", "", &info)
	if info["version"] == "" || info["worker_id"] != "w1" || info["kafka_cluster_id"] == "" {
		t.Errorf("GET /: %v", info)
	}
	var health map[string]string
	a.want(http.StatusOK, "GET", "/health", "", &health)
	if health["status"] != "healthy" {
		t.Errorf("GET /health: %v", health)
	}

	// Before Start and after Stop the worker is not healthy.
	rt := runtime.New()
	h := rest.NewHandler(rt)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/health", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "starting") {
		t.Errorf("health before start: %d %s", rec.Code, rec.Body)
	}
	if err := rt.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := rt.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/health", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("health after stop: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/connectors/x/status", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("status after stop: %d %s", rec.Code, rec.Body)
	}
}

func TestRESTCreateAndRead(t *testing.T) {
	a := newAPI(t)
	var names []string
	a.want(http.StatusOK, "GET", "/connectors", "", &names)
	if names == nil || len(names) != 0 {
		t.Fatalf("GET /connectors on an empty worker: %v, want []", names)
	}

	var info connectorInfo
	r := a.want(http.StatusCreated, "POST", "/connectors", `{"name":"db","config":`+secretConfig("tasks.max", "1")+`}`, &info)
	if loc := r.hdr.Get("Location"); loc != "/connectors/db" {
		t.Errorf("Location %q", loc)
	}
	if info.Name != "db" || info.Type != "source" || info.Config["name"] != "db" || info.Config["password"] != connect.Masked {
		t.Errorf("created: %+v", info)
	}
	a.eventuallyState("db", connect.StateRunning)

	a.want(http.StatusOK, "GET", "/connectors", "", &names)
	if !slices.Equal(names, []string{"db"}) {
		t.Errorf("GET /connectors: %v", names)
	}
	a.want(http.StatusOK, "GET", "/connectors/db", "", &info)
	if len(info.Tasks) != 1 || info.Tasks[0].Connector != "db" || info.Tasks[0].Task != 0 {
		t.Errorf("GET /connectors/db: %+v", info)
	}
	var cfg connect.Config
	a.want(http.StatusOK, "GET", "/connectors/db/config", "", &cfg)
	if cfg["host"] != "db" || cfg["password"] != connect.Masked || cfg["connector.class"] != "SecretSource" || cfg["name"] != "db" {
		t.Errorf("GET config: %v", cfg)
	}

	var st statusInfo
	a.want(http.StatusOK, "GET", "/connectors/db/status", "", &st)
	if st.Name != "db" || st.Type != "source" || st.Connector.State != connect.StateRunning || st.Connector.WorkerID != "w1" ||
		len(st.Tasks) != 1 || st.Tasks[0].ID != 0 || st.Tasks[0].WorkerID != "w1" {
		t.Errorf("GET status: %+v", st)
	}

	var tasks []struct {
		ID struct {
			Connector string `json:"connector"`
			Task      int    `json:"task"`
		} `json:"id"`
		Config connect.Config `json:"config"`
	}
	a.want(http.StatusOK, "GET", "/connectors/db/tasks", "", &tasks)
	if len(tasks) != 1 || tasks[0].ID.Connector != "db" || tasks[0].Config["dsn"] != "root:"+connect.Masked+"@tcp(db:3306)/" ||
		tasks[0].Config["secret.copy"] != connect.Masked {
		t.Errorf("GET tasks: %+v", tasks)
	}
	var ts map[string]any
	eventually(t, 5*time.Second, "task running", func() bool {
		a.want(http.StatusOK, "GET", "/connectors/db/tasks/0/status", "", &ts)
		return ts["state"] == string(connect.StateRunning)
	})
	if ts["id"] != 0.0 || ts["worker_id"] != "w1" {
		t.Errorf("GET task status: %v", ts)
	}

	// expand
	var exp map[string]struct {
		Status *statusInfo    `json:"status"`
		Info   *connectorInfo `json:"info"`
	}
	a.want(http.StatusOK, "GET", "/connectors?expand=status", "", &exp)
	if e := exp["db"]; e.Status == nil || e.Info != nil || e.Status.Connector.State != connect.StateRunning {
		t.Errorf("expand=status: %+v", exp)
	}
	exp = nil
	a.want(http.StatusOK, "GET", "/connectors?expand=info", "", &exp)
	if e := exp["db"]; e.Status != nil || e.Info == nil || e.Info.Config["password"] != connect.Masked {
		t.Errorf("expand=info: %+v", exp)
	}
	exp = nil
	a.want(http.StatusOK, "GET", "/connectors/?expand=info&expand=status", "", &exp)
	if e := exp["db"]; e.Status == nil || e.Info == nil {
		t.Errorf("expand both: %+v", exp)
	}

	// The name may come from the config alone.
	a.want(http.StatusCreated, "POST", "/connectors", `{"config":`+secretConfig("name", "db2")+`}`, &info)
	if info.Name != "db2" {
		t.Errorf("name from the config: %+v", info)
	}
	a.wantError(http.StatusBadRequest, "POST", "/connectors", `{"name":"db3","config":`+secretConfig("name", "other")+`}`)
	a.want(http.StatusNoContent, "DELETE", "/connectors/db2", "", nil)

	// A second create of the same name conflicts.
	a.wantError(http.StatusConflict, "POST", "/connectors", `{"name":"db","config":`+secretConfig()+`}`)

	// Delete.
	r = a.do("DELETE", "/connectors/db", "")
	if r.code != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("DELETE: %s", r)
	}
	a.wantError(http.StatusNotFound, "GET", "/connectors/db", "")
	a.wantError(http.StatusNotFound, "DELETE", "/connectors/db", "")
}

func TestRESTPutAndPatchConfig(t *testing.T) {
	a := newAPI(t)
	var info connectorInfo
	a.want(http.StatusCreated, "PUT", "/connectors/db/config", secretConfig(), &info)
	if info.Name != "db" || info.Config["password"] != connect.Masked {
		t.Errorf("PUT create: %+v", info)
	}
	a.want(http.StatusOK, "PUT", "/connectors/db/config", secretConfig("host", "db2"), &info)
	if info.Config["host"] != "db2" {
		t.Errorf("PUT update: %+v", info)
	}
	a.wantError(http.StatusBadRequest, "PUT", "/connectors/db/config", secretConfig("name", "other"))

	// GET the config and PUT it back: the masked secret keeps its value.
	var cfg connect.Config
	a.want(http.StatusOK, "GET", "/connectors/db/config", "", &cfg)
	cfg["mode"] = "safe"
	b, _ := json.Marshal(cfg)
	a.want(http.StatusOK, "PUT", "/connectors/db/config", string(b), nil)
	raw, err := a.rt.ConnectorConfig("db")
	if err != nil || raw["password"] != testSecret || raw["mode"] != "safe" {
		t.Fatalf("after round trip: %v %v", raw, err)
	}

	// PATCH merges; null removes a key.
	a.want(http.StatusOK, "PATCH", "/connectors/db/config", `{"port": 3307, "mode": null, "password": "[hidden]"}`, &info)
	raw, _ = a.rt.ConnectorConfig("db")
	if raw["port"] != "3307" || raw["host"] != "db2" || raw["password"] != testSecret {
		t.Errorf("after PATCH: %v", raw)
	}
	if _, ok := raw["mode"]; ok {
		t.Errorf("PATCH with null kept the key: %v", raw)
	}
	if info.Config["port"] != "3307" {
		t.Errorf("PATCH answer: %+v", info)
	}
	a.wantError(http.StatusBadRequest, "PATCH", "/connectors/db/config", `{"port": "x"}`)
	a.wantError(http.StatusBadRequest, "PATCH", "/connectors/db/config", `{"name": "other"}`)
	a.wantError(http.StatusNotFound, "PATCH", "/connectors/nope/config", `{"port": 1}`)
	// Values may be numbers and booleans; they are stored as their JSON text.
	a.want(http.StatusOK, "PATCH", "/connectors/db/config", `{"port": 3308, "fail": false}`, nil)
	if raw, _ = a.rt.ConnectorConfig("db"); raw["port"] != "3308" || raw["fail"] != "false" {
		t.Errorf("numbers: %v", raw)
	}
}

func TestRESTInvalidConfigNamesEveryField(t *testing.T) {
	a := newAPI(t)
	body := `{"name":"db","config":{"connector.class":"SecretSource","port":"abc","mode":"slow","tasks.max":"0"}}`
	e := a.wantError(http.StatusBadRequest, "POST", "/connectors", body)
	var got []string
	for _, f := range e.Fields {
		got = append(got, f.Field)
		if !strings.Contains(e.Message, f.Field) {
			t.Errorf("message does not name %s: %s", f.Field, e.Message)
		}
	}
	sort.Strings(got)
	want := []string{"host", "mode", "password", "port", "tasks.max"}
	if !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v (%s)", got, want, e.Message)
	}
	// The same through PUT and the seed's create.
	e = a.wantError(http.StatusBadRequest, "PUT", "/connectors/db/config", `{"connector.class":"SecretSource"}`)
	if len(e.Fields) != 2 {
		t.Errorf("PUT: %+v", e)
	}
	a.wantError(http.StatusBadRequest, "POST", "/connectors/db", `{"connector.class":"Nope"}`)
	// A secret quoted by a validation error is masked.
	e = a.wantError(http.StatusBadRequest, "POST", "/connectors", `{"name":"db","config":`+secretConfig("password", "weak-"+testSecret)+`}`)
	if len(e.Fields) != 1 || e.Fields[0].Field != "password" || !strings.Contains(e.Fields[0].Reason, connect.Masked) {
		t.Errorf("weak password: %+v", e)
	}
	if len(a.rt.Connectors()) != 0 {
		t.Errorf("invalid configs created connectors: %v", a.rt.Connectors())
	}
}

func TestRESTMalformedBodies(t *testing.T) {
	a := newAPI(t)
	a.want(http.StatusCreated, "PUT", "/connectors/db/config", secretConfig(), nil)
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/connectors", `{"name":"x","config":`},
		{"POST", "/connectors", `[]`},
		{"POST", "/connectors", `{"config":{"a":"b"}}`},
		{"POST", "/connectors", `{"name":"x"}`},
		{"POST", "/connectors", `{"name":"x","config":null}`},
		{"POST", "/connectors", `{"name":"","config":{}}`},
		{"POST", "/connectors", `{"name":"a\u0001b","config":{}}`},
		{"POST", "/connectors", `{"name":7,"config":{}}`},
		{"POST", "/connectors", `{"name":"x","config":{"a":"b"}} trailing`},
		{"POST", "/connectors", `{"name":"x","config":` + secretConfig() + `,"initial_state":"FAILED"}`},
		{"PUT", "/connectors/x/config", `"just a string"`},
		{"PUT", "/connectors/x/config", `null`},
		{"PUT", "/connectors/x/config", `{"a":{"nested":1}}`},
		{"PUT", "/connectors/x/config", `{"a":[1]}`},
		{"PUT", "/connectors/x/config", `{"a":null}`},
		{"PUT", "/connectors/x/config", `{"":"v"}`},
		{"PUT", "/connectors/x/config", `{"a":"b"}{"c":"d"}`},
		{"PUT", "/connectors/x/config", "   "},
		{"PATCH", "/connectors/db/config", `{"a":`},
		{"PATCH", "/connectors/db/offsets", `{"offsets":`},
		{"PUT", "/connector-plugins/SecretSource/config/validate", `{`},
		{"POST", "/connectors/x", `{"a":{}}`},
		{"GET", "/connectors/x?config=%7B", ""},
		{"GET", "/connectors/x?config=", ""},
		{"POST", "/connectors/db/restart?includeTasks=maybe", ""},
	} {
		a.wantError(http.StatusBadRequest, tc.method, tc.path, tc.body)
	}
	// A bad value names its key.
	e := a.wantError(http.StatusBadRequest, "PUT", "/connectors/x/config", `{"a":{"b":1},"c":[],"d":"ok"}`)
	if len(e.Fields) != 2 || e.Fields[0].Field != "a" || e.Fields[1].Field != "c" {
		t.Errorf("bad values: %+v", e)
	}
}

func TestRESTContentTypeAndSize(t *testing.T) {
	a := newAPI(t)
	a.want(http.StatusCreated, "PUT", "/connectors/db/config", secretConfig(), nil)
	for _, tc := range []struct{ method, path string }{
		{"POST", "/connectors"},
		{"PUT", "/connectors/db/config"},
		{"PATCH", "/connectors/db/config"},
		{"POST", "/connectors/db"},
		{"PATCH", "/connectors/db/offsets"},
		{"PUT", "/connector-plugins/SecretSource/config/validate"},
	} {
		a.wantError(http.StatusUnsupportedMediaType, tc.method, tc.path, `{}`, "Content-Type", "text/plain")
		a.wantError(http.StatusUnsupportedMediaType, tc.method, tc.path, `{}`, "Content-Type", "")
		a.wantError(http.StatusUnsupportedMediaType, tc.method, tc.path, `{}`, "Content-Type", "application/x-www-form-urlencoded")
	}
	// Parameters of the media type are fine.
	a.want(http.StatusOK, "PUT", "/connectors/db/config", secretConfig(), nil)
	r := a.do("PATCH", "/connectors/db/config", `{"port":1}`, "Content-Type", "application/json; charset=utf-8")
	if r.code != http.StatusOK {
		t.Errorf("charset parameter: %s", r)
	}

	big := `{"name":"big","config":{"connector.class":"SecretSource","x":"` + strings.Repeat("a", rest.DefaultMaxBodyBytes) + `"}}`
	a.wantError(http.StatusRequestEntityTooLarge, "POST", "/connectors", big)
	a.wantError(http.StatusRequestEntityTooLarge, "GET", "/connectors/big?config="+strings.Repeat("a", rest.DefaultMaxBodyBytes+1), "")

	small := newAPI(t, rest.WithMaxBodyBytes(64))
	small.wantError(http.StatusRequestEntityTooLarge, "PUT", "/connectors/db/config", secretConfig("x", strings.Repeat("b", 64)))
}

func TestRESTNotFound(t *testing.T) {
	a := newAPI(t)
	a.want(http.StatusCreated, "PUT", "/connectors/db/config", secretConfig(), nil)
	a.eventuallyState("db", connect.StateRunning)
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/connectors/nope", ""},
		{"DELETE", "/connectors/nope", ""},
		{"GET", "/connectors/nope/config", ""},
		{"GET", "/connectors/nope/status", ""},
		{"GET", "/connectors/nope/tasks", ""},
		{"GET", "/connectors/nope/tasks/0/status", ""},
		{"POST", "/connectors/nope/restart", ""},
		{"POST", "/connectors/nope/tasks/0/restart", ""},
		{"POST", "/connectors/nope/tasks/x/restart", ""},
		{"PUT", "/connectors/nope/pause", ""},
		{"PUT", "/connectors/nope/resume", ""},
		{"PUT", "/connectors/nope/stop", ""},
		{"POST", "/connectors/nope/stop", ""},
		{"GET", "/connectors/nope/offsets", ""},
		{"PATCH", "/connectors/nope/offsets", `{"offsets":[]}`},
		{"DELETE", "/connectors/nope/offsets", ""},
		{"GET", "/connectors/db/tasks/1/status", ""},
		{"GET", "/connectors/db/tasks/-1/status", ""},
		{"GET", "/connectors/db/tasks/x/status", ""},
		{"POST", "/connectors/db/tasks/7/restart", ""},
		{"POST", "/connectors/db/tasks/x/restart", ""},
		{"GET", "/connector-plugins/Nope/config", ""},
		{"PUT", "/connector-plugins/Nope/config/validate", `{}`},
		{"GET", "/no/such/route", ""},
		{"GET", "/connectors/db/nothing", ""},
	} {
		a.wantError(http.StatusNotFound, tc.method, tc.path, tc.body)
	}
	r := a.do("DELETE", "/connector-plugins", "")
	if r.code != http.StatusMethodNotAllowed || r.hdr.Get("Allow") == "" {
		t.Errorf("wrong method: %s %v", r, r.hdr)
	}
	a.wantError(http.StatusMethodNotAllowed, "PUT", "/connectors/db/restart", "")
}

func TestRESTLifecycle(t *testing.T) {
	a := newAPI(t)
	a.want(http.StatusCreated, "PUT", "/connectors/db/config", secretConfig(), nil)
	a.eventuallyState("db", connect.StateRunning)

	for _, tc := range []struct {
		path  string
		state connect.State
	}{
		{"/connectors/db/pause", connect.StatePaused},
		{"/connectors/db/resume", connect.StateRunning},
		{"/connectors/db/stop", connect.StateStopped},
		{"/connectors/db/resume", connect.StateRunning},
	} {
		r := a.do("PUT", tc.path, "")
		want := http.StatusAccepted
		if strings.HasSuffix(tc.path, "/stop") {
			want = http.StatusNoContent // Kafka Connect's stop is 204
		}
		if r.code != want {
			t.Fatalf("PUT %s: %s", tc.path, r)
		}
		a.eventuallyState("db", tc.state)
	}

	r := a.do("POST", "/connectors/db/restart", "")
	if r.code != http.StatusNoContent {
		t.Fatalf("restart: %s", r)
	}
	var st statusInfo
	a.want(http.StatusAccepted, "POST", "/connectors/db/restart?includeTasks=true&onlyFailed=false", "", &st)
	if st.Name != "db" {
		t.Errorf("restart with tasks: %+v", st)
	}
	a.want(http.StatusAccepted, "POST", "/connectors/db/restart?onlyFailed=true", "", &st)
	a.eventuallyState("db", connect.StateRunning)
	r = a.do("POST", "/connectors/db/tasks/0/restart", "")
	if r.code != http.StatusNoContent {
		t.Fatalf("task restart: %s", r)
	}

	// A STOPPED connector restarts into STOPPED, as in Kafka Connect.
	a.want(http.StatusNoContent, "PUT", "/connectors/db/stop", "", nil)
	a.want(http.StatusNoContent, "POST", "/connectors/db/restart", "", nil)
	a.want(http.StatusAccepted, "POST", "/connectors/db/restart?includeTasks=true", "", &st)
	a.eventuallyState("db", connect.StateStopped)
}

func TestRESTFailedTraceIsMasked(t *testing.T) {
	a := newAPI(t)
	a.want(http.StatusCreated, "PUT", "/connectors/db/config", secretConfig("fail", "true"), nil)
	a.eventuallyState("db", connect.StateFailed)
	var st statusInfo
	a.want(http.StatusOK, "GET", "/connectors/db/status", "", &st)
	if st.Connector.State != connect.StateFailed || !strings.Contains(st.Connector.Trace, "with password "+connect.Masked) {
		t.Errorf("failed status: %+v", st)
	}
	a.want(http.StatusOK, "GET", "/connectors?expand=status&expand=info", "", nil)
}

func TestRESTTaskProgressIsMasked(t *testing.T) {
	a := newAPI(t)
	a.want(http.StatusCreated, "PUT", "/connectors/db/config", secretConfig(), nil)
	var st statusInfo
	eventually(t, 5*time.Second, "progress", func() bool {
		a.want(http.StatusOK, "GET", "/connectors/db/status", "", &st)
		return len(st.Tasks) == 1 && st.Tasks[0].Progress != nil
	})
	if got := st.Tasks[0].Progress["login"]; got != "root:"+connect.Masked {
		t.Errorf("progress: %v", st.Tasks[0].Progress)
	}
}

func TestRESTSecretNeverInAnyResponse(t *testing.T) {
	a := newAPI(t)
	// Every endpoint, with a connector holding the secret; a.do fails the
	// test if any body holds it.
	a.want(http.StatusCreated, "POST", "/connectors", `{"name":"db","config":`+secretConfig()+`}`, nil)
	a.want(http.StatusCreated, "POST", "/connectors/seed", secretConfig(), nil)
	a.want(http.StatusCreated, "GET", "/connectors/q?config="+strings.ReplaceAll(secretConfig("passwd", testSecret), "!", "%21"), "", nil)
	a.eventuallyState("db", connect.StateRunning)
	for _, p := range []string{
		"/", "/health", "/getClusterInfo", "/connectors", "/connectors?expand=info&expand=status",
		"/connectors/db", "/connectors/db/config", "/connectors/db/status", "/connectors/db/tasks",
		"/connectors/db/tasks/0/status", "/connectors/db/offsets", "/connectors/q/config",
		"/connector-plugins", "/connector-plugins/SecretSource/config",
	} {
		a.want(http.StatusOK, "GET", p, "", nil)
	}
	a.want(http.StatusOK, "PUT", "/connectors/db/config", secretConfig("port", "1"), nil)
	a.want(http.StatusOK, "PATCH", "/connectors/db/config", `{"password":"`+testSecret+`"}`, nil)
	a.want(http.StatusOK, "PUT", "/connector-plugins/SecretSource/config/validate", secretConfig(), nil)
	a.want(http.StatusOK, "PUT", "/connector-plugins/SecretSource/config/validate", secretConfig("password", "weak-"+testSecret, "port", "weak-"+testSecret), nil)
	a.wantError(http.StatusBadRequest, "PUT", "/connector-plugins/SecretSource/config/validate", secretConfig("connector.class", testSecret))
	a.wantError(http.StatusConflict, "POST", "/connectors", `{"name":"db","config":`+secretConfig()+`}`)
	a.want(http.StatusAccepted, "POST", "/connectors/db/restart?includeTasks=true", "", nil)
	a.want(http.StatusNoContent, "PUT", "/connectors/db/stop", "", nil)
	a.want(http.StatusOK, "PATCH", "/connectors/db/offsets", `{"offsets":[{"partition":{"partition":"p"},"offset":{"pos":1}}]}`, nil)
	a.want(http.StatusOK, "GET", "/connectors/db/offsets", "", nil)
	a.want(http.StatusOK, "DELETE", "/connectors/db/offsets", "", nil)
	a.want(http.StatusOK, "POST", "/connectors/seed/stop", "", nil)
	a.do("DELETE", "/connectors/db", "")

	// The stored secret is intact: masking is only on the way out.
	raw, err := a.rt.ConnectorConfig("q")
	if err != nil || raw["password"] != testSecret {
		t.Errorf("stored config: %v %v", raw, err)
	}
}

func TestRESTValidate(t *testing.T) {
	a := newAPI(t)
	type infos struct {
		Name       string   `json:"name"`
		ErrorCount int      `json:"error_count"`
		Groups     []string `json:"groups"`
		Configs    []struct {
			Definition struct {
				Name         string  `json:"name"`
				Type         string  `json:"type"`
				Required     bool    `json:"required"`
				DefaultValue *string `json:"default_value"`
			} `json:"definition"`
			Value struct {
				Name              string   `json:"name"`
				Value             *string  `json:"value"`
				RecommendedValues []string `json:"recommended_values"`
				Errors            []string `json:"errors"`
			} `json:"value"`
		} `json:"configs"`
	}
	var ok infos
	a.want(http.StatusOK, "PUT", "/connector-plugins/SecretSource/config/validate", secretConfig("name", "v"), &ok)
	if ok.Name != "SecretSource" || ok.ErrorCount != 0 || len(ok.Configs) < len(secretSpec.Config) {
		t.Fatalf("valid: %+v", ok)
	}
	byName := map[string]int{}
	for i, c := range ok.Configs {
		byName[c.Definition.Name] = i
	}
	pw := ok.Configs[byName["password"]]
	if pw.Definition.Type != "PASSWORD" || pw.Value.Value == nil || *pw.Value.Value != connect.Masked {
		t.Errorf("password entry: %+v", pw)
	}
	if m := ok.Configs[byName["mode"]]; !slices.Equal(m.Value.RecommendedValues, []string{"fast", "safe"}) || *m.Value.Value != "fast" {
		t.Errorf("mode entry: %+v", m)
	}
	if _, has := byName["tasks.max"]; !has {
		t.Errorf("runtime settings missing: %v", byName)
	}

	var bad infos
	a.want(http.StatusOK, "PUT", "/connector-plugins/SecretSource/config/validate", `{"port":"x","mode":"slow"}`, &bad)
	errs := map[string][]string{}
	for _, c := range bad.Configs {
		if len(c.Value.Errors) > 0 {
			errs[c.Value.Name] = c.Value.Errors
		}
	}
	// As Kafka Connect's, validation reports the missing name.
	if bad.ErrorCount != 5 || len(errs) != 5 || errs["host"] == nil || errs["password"] == nil || errs["port"] == nil || errs["mode"] == nil || errs["name"] == nil {
		t.Errorf("invalid: count %d, errors %v", bad.ErrorCount, errs)
	}
	// connector.class must match the plugin when given.
	a.wantError(http.StatusBadRequest, "PUT", "/connector-plugins/SecretSource/config/validate", `{"connector.class":"SliceSource"}`)
	// A sink's topics are checked too.
	a.want(http.StatusOK, "PUT", "/connector-plugins/CollectorSink/config/validate", `{"name":"s"}`, &bad)
	if bad.ErrorCount != 1 {
		t.Errorf("sink without topics: %+v", bad)
	}
}

func TestRESTPlugins(t *testing.T) {
	a := newAPI(t)
	var plugins []map[string]string
	a.want(http.StatusOK, "GET", "/connector-plugins", "", &plugins)
	want := []map[string]string{
		{"class": "CollectorSink", "type": "sink", "version": "test"},
		{"class": "SecretSource", "type": "source", "version": "1.2.3"},
		{"class": "SliceSource", "type": "source", "version": "test"},
	}
	if fmt.Sprint(plugins) != fmt.Sprint(want) {
		t.Errorf("plugins %v, want %v", plugins, want)
	}
	var defs []struct {
		Name         string  `json:"name"`
		Type         string  `json:"type"`
		Required     bool    `json:"required"`
		DefaultValue *string `json:"default_value"`
		Group        string  `json:"group"`
		Order        int     `json:"order"`
	}
	a.want(http.StatusOK, "GET", "/connector-plugins/SecretSource/config", "", &defs)
	if len(defs) != len(secretSpec.Config)+len(runtime.Settings()) {
		t.Fatalf("defs: %+v", defs)
	}
	if d := defs[0]; d.Name != "host" || !d.Required || d.Type != "STRING" || d.DefaultValue != nil || d.Group != "Connector" || d.Order != 1 {
		t.Errorf("host: %+v", d)
	}
	if d := defs[2]; d.Name != "port" || d.Type != "INT" || d.DefaultValue == nil || *d.DefaultValue != "3306" {
		t.Errorf("port: %+v", d)
	}
	if d := defs[len(secretSpec.Config)]; d.Name != "connector.class" || d.Group != "Common" {
		t.Errorf("settings: %+v", d)
	}
}

func TestRESTOffsets(t *testing.T) {
	a := newAPI(t)
	// Positions commit once the records were consumed.
	a.want(http.StatusCreated, "PUT", "/connectors/sink/config", `{"connector.class":"CollectorSink","topics":"t"}`, nil)
	a.want(http.StatusCreated, "PUT", "/connectors/src/config", `{"connector.class":"SliceSource","topic":"t"}`, nil)
	type offsets struct {
		Offsets []struct {
			Partition map[string]string `json:"partition"`
			Offset    json.RawMessage   `json:"offset"`
		} `json:"offsets"`
	}
	var got offsets
	eventually(t, 5*time.Second, "offset committed", func() bool {
		a.want(http.StatusOK, "GET", "/connectors/src/offsets", "", &got)
		return len(got.Offsets) == 1 && string(got.Offsets[0].Offset) == fmt.Sprint(sliceRecords-1)
	})
	if p := got.Offsets[0].Partition; len(p) != 1 || p["partition"] != "slice" {
		t.Errorf("partition %v", p)
	}

	// Altering or resetting needs STOPPED: 400 otherwise, as in Kafka Connect.
	alter := `{"offsets":[{"partition":{"partition":"slice"},"offset":1},{"partition":"other","offset":{"pos":7}}]}`
	a.wantError(http.StatusBadRequest, "PATCH", "/connectors/src/offsets", alter)
	a.wantError(http.StatusBadRequest, "DELETE", "/connectors/src/offsets", "")

	a.want(http.StatusNoContent, "PUT", "/connectors/src/stop", "", nil)
	a.eventuallyState("src", connect.StateStopped)
	var msg map[string]string
	a.want(http.StatusOK, "PATCH", "/connectors/src/offsets", alter, &msg)
	if !strings.Contains(msg["message"], "altered") {
		t.Errorf("PATCH answer %v", msg)
	}
	a.want(http.StatusOK, "GET", "/connectors/src/offsets", "", &got)
	if len(got.Offsets) != 2 || got.Offsets[0].Partition["partition"] != "other" || string(got.Offsets[0].Offset) != `{"pos":7}` ||
		string(got.Offsets[1].Offset) != "1" {
		t.Errorf("after PATCH: %+v", got)
	}
	// A null offset deletes the partition.
	a.want(http.StatusOK, "PATCH", "/connectors/src/offsets", `{"offsets":[{"partition":{"partition":"other"},"offset":null}]}`, nil)
	a.want(http.StatusOK, "GET", "/connectors/src/offsets", "", &got)
	if len(got.Offsets) != 1 || got.Offsets[0].Partition["partition"] != "slice" {
		t.Errorf("after delete: %+v", got)
	}
	for _, body := range []string{
		`{}`, `{"offsets":null}`, `{"offsets":[]}`, `{"offsets":{}}`,
		`{"offsets":[{"partition":{},"offset":1}]}`,
		`{"offsets":[{"partition":{"partition":""},"offset":1}]}`,
		`{"offsets":[{"partition":{"partition":"a","x":"y"},"offset":1}]}`,
		`{"offsets":[{"partition":{"partition":1},"offset":1}]}`,
		`{"offsets":[{"partition":"","offset":1}]}`,
		`{"offsets":[{"partition":null,"offset":1}]}`,
		`{"offsets":[{"partition":"a"}]}`,
		`{"offsets":[{"partition":"a","offset":1},{"partition":"a","offset":2}]}`,
		`{"offsets":[1]}`,
	} {
		a.wantError(http.StatusBadRequest, "PATCH", "/connectors/src/offsets", body)
	}
	a.want(http.StatusOK, "DELETE", "/connectors/src/offsets", "", &msg)
	if !strings.Contains(msg["message"], "reset") {
		t.Errorf("DELETE answer %v", msg)
	}
	a.want(http.StatusOK, "GET", "/connectors/src/offsets", "", &got)
	if len(got.Offsets) != 0 {
		t.Errorf("after reset: %+v", got)
	}
}

func TestRESTSeedAPI(t *testing.T) {
	a := newAPI(t)
	var info connectorInfo
	a.want(http.StatusCreated, "POST", "/connectors/seed", secretConfig(), &info)
	if info.Name != "seed" || info.Config["password"] != connect.Masked {
		t.Errorf("seed create: %+v", info)
	}
	a.eventuallyState("seed", connect.StateRunning)
	// Posting again replaces the config, and starts a stopped connector.
	a.want(http.StatusNoContent, "PUT", "/connectors/seed/stop", "", nil)
	a.eventuallyState("seed", connect.StateStopped)
	a.want(http.StatusOK, "POST", "/connectors/seed", secretConfig("host", "db2"), &info)
	if info.Config["host"] != "db2" {
		t.Errorf("seed update: %+v", info)
	}
	a.eventuallyState("seed", connect.StateRunning)

	// GET with ?config= creates, for compatibility.
	q := "/connectors/q?config=" + strings.NewReplacer("{", "%7B", "}", "%7D", `"`, "%22", "!", "%21").Replace(secretConfig())
	a.want(http.StatusCreated, "GET", q, "", &info)
	if info.Name != "q" {
		t.Errorf("GET ?config=: %+v", info)
	}
	var cfg connect.Config
	a.want(http.StatusOK, "GET", "/connectors/q/config", "", &cfg)
	if cfg["host"] != "db" {
		t.Errorf("config: %v", cfg)
	}
	var st statusInfo
	a.want(http.StatusOK, "GET", "/connectors/q/status", "", &st)

	var cluster struct {
		Status int              `json:"status"`
		Body   map[string]int64 `json:"body"`
	}
	a.want(http.StatusOK, "GET", "/getClusterInfo", "", &cluster)
	if hb, ok := cluster.Body["w1"]; cluster.Status != 200 || len(cluster.Body) != 1 || !ok || time.Since(time.UnixMilli(hb)) > time.Minute {
		t.Errorf("cluster info: %+v", cluster)
	}

	// The seed's stop deletes the connector, as RocketMQ Connect's does.
	var msg map[string]string
	a.want(http.StatusOK, "POST", "/connectors/q/stop", "", &msg)
	if !strings.Contains(msg["message"], "deleted") {
		t.Errorf("stop answer: %v", msg)
	}
	a.wantError(http.StatusNotFound, "GET", "/connectors/q", "")
}

func TestRESTClusterInfoFromOption(t *testing.T) {
	hb := time.UnixMilli(1700000000000)
	a := newAPI(t, rest.WithWorkers(func(context.Context) []rest.WorkerInfo {
		return []rest.WorkerInfo{{ID: "a", LastHeartbeat: hb}, {ID: "b", LastHeartbeat: hb}}
	}))
	r := a.want(http.StatusOK, "GET", "/getClusterInfo", "", nil)
	if got := strings.TrimSpace(string(r.body)); got != `{"status":200,"body":{"a":1700000000000,"b":1700000000000}}` {
		t.Errorf("cluster info %s", got)
	}
}

func TestRESTAuth(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "{}") })
	a := newAPI(t, rest.WithAuthToken("t0ken"), rest.WithRoute("GET /metrics", metrics))
	for _, hdr := range []string{"", "Bearer wrong", "Bearer", "Basic dDBrZW4=", "t0ken", "Bearer t0ken2"} {
		for _, p := range []string{"/", "/connectors", "/connector-plugins", "/no/such/route", "/metrics", "/getClusterInfo"} {
			e := a.wantError(http.StatusUnauthorized, "GET", p, "", "Authorization", hdr)
			_ = e
		}
	}
	r := a.do("GET", "/connectors", "")
	if r.code != http.StatusUnauthorized || !strings.HasPrefix(r.hdr.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("401 without WWW-Authenticate: %s %v", r, r.hdr)
	}
	a.wantError(http.StatusUnauthorized, "POST", "/connectors", `{"name":"x","config":`+secretConfig()+`}`)
	if len(a.rt.Connectors()) != 0 {
		t.Fatal("unauthenticated create went through")
	}
	// /health is open.
	a.want(http.StatusOK, "GET", "/health", "", nil)
	if r := a.do("HEAD", "/health", ""); r.code != http.StatusOK {
		t.Errorf("HEAD /health: %s", r)
	}
	a.wantError(http.StatusUnauthorized, "POST", "/health", "")
	a.token = "t0ken"
	a.want(http.StatusOK, "GET", "/connectors", "", nil)
	a.want(http.StatusOK, "GET", "/metrics", "", nil)
	r = a.do("GET", "/connectors", "", "Authorization", "bearer t0ken")
	if r.code != http.StatusOK {
		t.Errorf("lower-case scheme: %s", r)
	}
	a.wantError(http.StatusNotFound, "GET", "/no/such/route", "")
}

// TestRESTOverHTTP goes through a real server: names needing escapes,
// chunked bodies and the size limit on a streamed body.
func TestRESTOverHTTP(t *testing.T) {
	a := newAPI(t)
	srv := httptest.NewServer(a.h)
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() {
		client.CloseIdleConnections()
		srv.Close()
	})
	send := func(method, path string, body io.Reader) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if strings.Contains(string(b), testSecret) {
			t.Errorf("%s %s: response holds the secret", method, path)
		}
		return res.StatusCode, string(b)
	}
	code, body := send("PUT", "/connectors/a%2Fb%20c/config", strings.NewReader(secretConfig()))
	if code != http.StatusCreated || !strings.Contains(body, `"name":"a/b c"`) {
		t.Fatalf("PUT escaped name: %d %s", code, body)
	}
	if code, body = send("GET", "/connectors/a%2Fb%20c/status", nil); code != http.StatusOK {
		t.Fatalf("GET escaped name: %d %s", code, body)
	}
	// A chunked body over the limit.
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte(`{"connector.class":"SecretSource","x":"`))
		for range rest.DefaultMaxBodyBytes / 1024 {
			if _, err := pw.Write([]byte(strings.Repeat("z", 1024))); err != nil {
				break
			}
		}
		pw.Write([]byte(`"}`))
		pw.Close()
	}()
	if code, body = send("PUT", "/connectors/big/config", pr); code != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked big body: %d %s", code, body)
	}
	pr.Close()
	if code, body = send("GET", "//connectors", nil); code != http.StatusMovedPermanently && code != http.StatusOK {
		t.Errorf("unclean path: %d %s", code, body)
	}
}

func TestRESTPanicIsA500(t *testing.T) {
	boom := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom " + testSecret) })
	a := newAPI(t, rest.WithRoute("GET /boom", boom))
	a.want(http.StatusCreated, "PUT", "/connectors/db/config", secretConfig(), nil)
	a.wantError(http.StatusInternalServerError, "GET", "/boom", "")
}
