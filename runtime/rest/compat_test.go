package rest_test

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/loglevels"
	"github.com/openmessaging/connect-go/runtime/rest"
)

// Compatibility with Kafka Connect's REST API. The shapes and status codes
// the tests expect are those of Kafka Connect's REST reference,
// https://kafka.apache.org/documentation/#connect_rest, quoted where used.

// Settings are never ignored silently: a Kafka setting the runtime does not
// implement is a 400 naming it (Kafka answers an invalid config with 400 and
// "Connector configuration is invalid and contains the following N
// error(s)"), and validation is as strict as Kafka's.
func TestRESTCompatSettingsNeverIgnored(t *testing.T) {
	a := newAPI(t)
	for _, tc := range []struct {
		cfg   string
		field string
	}{
		{secretConfig("value.converter", "io.confluent.connect.avro.AvroConverter"), "value.converter"},
		{secretConfig("key.converter.schemas.enable", "false"), "key.converter.schemas.enable"},
		{secretConfig("header.converter", "x"), "header.converter"},
		{secretConfig("predicates", "p"), "predicates"},
		{secretConfig("tasks.max", ""), "tasks.max"},
		{secretConfig("tasks.max", "2147483648"), "tasks.max"},
		{secretConfig("port", ""), "port"},
		{secretConfig("errors.retry.timeout", "-5"), "errors.retry.timeout"},
	} {
		e := a.wantError(http.StatusBadRequest, "PUT", "/connectors/c/config", tc.cfg)
		if len(e.Fields) != 1 || e.Fields[0].Field != tc.field {
			t.Errorf("%s: fields %+v, want %s", tc.cfg, e.Fields, tc.field)
		}
	}
	// Kafka's units: milliseconds, -1 retries forever.
	a.want(http.StatusCreated, "PUT", "/connectors/c/config",
		secretConfig("errors.retry.timeout", "-1", "errors.retry.delay.max.ms", "60000"), nil)

	// Validation lists every setting once and counts each error once.
	type infos struct {
		ErrorCount int `json:"error_count"`
		Configs    []struct {
			Value struct {
				Name   string   `json:"name"`
				Errors []string `json:"errors"`
			} `json:"value"`
		} `json:"configs"`
	}
	for _, plugin := range []string{"SecretSource", "SliceSource", "CollectorSink"} {
		var got infos
		a.want(http.StatusOK, "PUT", "/connector-plugins/"+plugin+"/config/validate", `{"topic":"","tasks.max":"0"}`, &got)
		seen := map[string]bool{}
		n := 0
		for _, c := range got.Configs {
			if seen[c.Value.Name] {
				t.Errorf("%s: %s listed twice", plugin, c.Value.Name)
			}
			seen[c.Value.Name] = true
			n += len(c.Value.Errors)
		}
		if n != got.ErrorCount || !seen["name"] {
			t.Errorf("%s: error_count %d, %d errors listed; name listed: %v", plugin, got.ErrorCount, n, seen["name"])
		}
	}
}

// Status codes and shapes of Kafka Connect's reference: PUT .../stop is
// "204 No Content"; a STOPPED connector has no tasks ("GET
// /connectors/(string:name)/tasks" lists [] and the connector info's
// "tasks" is empty); connector and task statuses carry "version" (Kafka
// 4.x); POST /connectors trims the name; a trailing slash addresses the
// same resource.
func TestRESTCompatStatusCodesAndShapes(t *testing.T) {
	a := newAPI(t)
	var info connectorInfo
	a.want(http.StatusCreated, "POST", "/connectors", `{"name":"  db \t","config":`+secretConfig()+`}`, &info)
	if info.Name != "db" || info.Config["name"] != "db" {
		t.Fatalf("name not trimmed: %+v", info)
	}
	a.eventuallyState("db", connect.StateRunning)

	var st struct {
		Connector struct {
			State   connect.State `json:"state"`
			Version string        `json:"version"`
		} `json:"connector"`
		Tasks []struct {
			Version string `json:"version"`
		} `json:"tasks"`
	}
	a.want(http.StatusOK, "GET", "/connectors/db/status/", "", &st)
	if st.Connector.Version != secretSpec.Version || len(st.Tasks) != 1 || st.Tasks[0].Version != secretSpec.Version {
		t.Errorf("status versions: %+v", st)
	}
	for _, p := range []string{"/connectors/db/", "/connectors/db/config/", "/connectors/db/tasks/", "/connectors/", "/connector-plugins/"} {
		a.want(http.StatusOK, "GET", p, "", nil)
	}
	a.wantError(http.StatusNotFound, "GET", "/connectors/nope/", "")

	a.want(http.StatusNoContent, "PUT", "/connectors/db/stop/", "", nil)
	a.eventuallyState("db", connect.StateStopped)
	r := a.want(http.StatusOK, "GET", "/connectors/db/tasks", "", nil)
	if got := strings.TrimSpace(string(r.body)); got != "[]" {
		t.Errorf("tasks of a STOPPED connector: %s", got)
	}
	a.want(http.StatusOK, "GET", "/connectors/db", "", &info)
	if len(info.Tasks) != 0 {
		t.Errorf("info of a STOPPED connector: %+v", info)
	}
	// Restarting a STOPPED connector leaves it STOPPED: 204, or 202 with
	// the status.
	a.want(http.StatusNoContent, "POST", "/connectors/db/restart", "", nil)
	a.want(http.StatusAccepted, "POST", "/connectors/db/restart?includeTasks=true&onlyFailed=false", "", &st)
	if st.Connector.State != connect.StateStopped {
		t.Errorf("after restart: %+v", st)
	}
}

// The seed's runtime keys are translated or rejected, never ignored:
// connector-class is connector.class; source-record-converter may name the
// seed's JSON converter; oms-driver-url must name the worker's own
// RocketMQ. Object values (the seed's whiteDataBase) are kept as JSON text.
func TestRESTSeedKeys(t *testing.T) {
	seed := func(extra string) string {
		return `{"connector-class":"SecretSource","host":"db","password":"` + testSecret + `","topic":"t"` + extra + `}`
	}
	a := newAPI(t, rest.WithRocketMQNameServers("127.0.0.1:9876"))
	var info connectorInfo
	a.want(http.StatusCreated, "POST", "/connectors/s", seed(`,"oms-driver-url":"oms:rocketmq://localhost:9876/default:default",`+
		`"source-record-converter":"io.openmessaging.connect.runtime.converter.JsonConverter","mode":"fast","white":{"db":{"t":{"A":"1"}}}`), &info)
	if info.Config["connector.class"] != "SecretSource" || info.Config["white"] != `{"db":{"t":{"A":"1"}}}` {
		t.Errorf("seed config: %+v", info.Config)
	}
	for _, k := range []string{"connector-class", "oms-driver-url", "source-record-converter"} {
		if _, ok := info.Config[k]; ok {
			t.Errorf("%s kept: %+v", k, info.Config)
		}
	}
	for body, field := range map[string]string{
		seed(`,"oms-driver-url":"oms:rocketmq://other:9876/default:default"`):       "oms-driver-url",
		seed(`,"oms-driver-url":"http://x"`):                                        "oms-driver-url",
		seed(`,"source-record-converter":"io.openmessaging.connect.AvroConverter"`): "source-record-converter",
		seed(`,"connector.class":"SliceSource"`):                                    "connector-class",
	} {
		e := a.wantError(http.StatusBadRequest, "POST", "/connectors/s2", body)
		if len(e.Fields) != 1 || e.Fields[0].Field != field {
			t.Errorf("%s: %+v, want field %s", body, e, field)
		}
	}
	// Objects only on the seed's endpoints.
	a.wantError(http.StatusBadRequest, "PUT", "/connectors/s3/config", secretConfig()[:len(secretConfig())-1]+`,"white":{}}`)

	// A worker on the in-memory transport has no RocketMQ to name.
	b := newAPI(t)
	e := b.wantError(http.StatusBadRequest, "POST", "/connectors/s", seed(`,"oms-driver-url":"oms:rocketmq://localhost:9876/default:default"`))
	if len(e.Fields) != 1 || !strings.Contains(e.Fields[0].Reason, "in-memory") {
		t.Errorf("in-memory worker: %+v", e)
	}
}

// Safe by default: a cross-origin browser request that changes state is 403
// (the rules of http.CrossOriginProtection), the seed's state-changing GET
// ?config= included; same-origin and non-browser requests work.
func TestRESTCrossOrigin(t *testing.T) {
	a := newAPI(t)
	a.want(http.StatusCreated, "PUT", "/connectors/c/config", secretConfig(), nil)
	crossSite := [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "https://evil.example"},
	}
	for _, hdr := range crossSite {
		for _, tc := range []struct{ method, path, body string }{
			{"POST", "/connectors", `{"name":"x","config":` + secretConfig() + `}`},
			{"PUT", "/connectors/x/config", secretConfig()},
			{"PUT", "/connectors/c/pause", ""},
			{"DELETE", "/connectors/c", ""},
			{"POST", "/connectors/c/stop", ""},
			{"GET", "/connectors/x?config=" + url.QueryEscape(secretConfig()), ""},
			{"GET", "/connectors/x/?config=" + url.QueryEscape(secretConfig()), ""},
			{"GET", "/connectors/a%2Fb?config=" + url.QueryEscape(secretConfig()), ""},
		} {
			a.wantError(http.StatusForbidden, tc.method, tc.path, tc.body, hdr...)
		}
		// Reading is not changing: allowed.
		a.want(http.StatusOK, "GET", "/connectors/c", "", nil)
	}
	if got := a.rt.Connectors(); len(got) != 1 || got[0] != "c" {
		t.Fatalf("connectors %v after cross-site requests, want [c]", got)
	}
	// Same origin (the API's own page) and non-browser clients work.
	a.want(http.StatusCreated, "GET", "/connectors/x?config="+url.QueryEscape(secretConfig()), "", nil)
	r := a.do("PUT", "/connectors/c/pause", "", "Sec-Fetch-Site", "same-origin")
	if r.code != http.StatusAccepted {
		t.Errorf("same-origin pause: %s", r)
	}
	r = a.do("PUT", "/connectors/c/resume", "", "Origin", "http://example.com") // httptest's Host
	if r.code != http.StatusAccepted {
		t.Errorf("same-host Origin resume: %s", r)
	}
}

// The seed's POST /connectors/{name}/stop deletes: never with a body a
// browser form could send.
func TestRESTSeedStopNeedsJSON(t *testing.T) {
	a := newAPI(t)
	for _, n := range []string{"a", "b", "c"} {
		a.want(http.StatusCreated, "PUT", "/connectors/"+n+"/config", secretConfig(), nil)
	}
	for _, ct := range []string{"application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"} {
		a.wantError(http.StatusUnsupportedMediaType, "POST", "/connectors/a/stop", "x=1", "Content-Type", ct)
	}
	if _, err := a.rt.ConnectorConfig("a"); err != nil {
		t.Fatalf("a form-encoded seed stop deleted the connector: %v", err)
	}
	a.want(http.StatusOK, "POST", "/connectors/a/stop", "", nil)
	a.want(http.StatusOK, "POST", "/connectors/b/stop", "{}", nil)
	if got := a.rt.Connectors(); len(got) != 1 || got[0] != "c" {
		t.Errorf("connectors %v, want [c]", got)
	}
}

// Kafka Connect clients speak HTTP Basic (Kafka's BasicAuthSecurityRestExtension).
func TestRESTBasicAuth(t *testing.T) {
	a := newAPI(t, rest.WithBasicAuth("admin", "pa:ss"), rest.WithAuthToken("t0ken"))
	basic := func(u, p string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p))
	}
	for _, hdr := range []string{"", basic("admin", "wrong"), basic("Admin", "pa:ss"), basic("admin", "pa:s"), "Bearer nope"} {
		r := a.do("GET", "/connectors", "", "Authorization", hdr)
		if r.code != http.StatusUnauthorized || !slices.Contains(r.hdr.Values("WWW-Authenticate"), `Basic realm="connect", charset="UTF-8"`) {
			t.Errorf("Authorization %q: %s %v", hdr, r, r.hdr)
		}
	}
	for _, hdr := range []string{basic("admin", "pa:ss"), "Bearer t0ken"} {
		if r := a.do("GET", "/connectors", "", "Authorization", hdr); r.code != http.StatusOK {
			t.Errorf("Authorization %q: %s", hdr, r)
		}
	}
}

// Kafka Connect's POST /connectors takes "initial_state": RUNNING, PAUSED
// or STOPPED (KIP-980; "the initial state of the connector").
func TestRESTCreateInitialState(t *testing.T) {
	a := newAPI(t)
	for _, tc := range []struct {
		initial string
		want    connect.State
	}{
		{"STOPPED", connect.StateStopped},
		{"paused", connect.StatePaused},
		{"RUNNING", connect.StateRunning},
	} {
		name := "c-" + strings.ToLower(tc.initial)
		var info connectorInfo
		a.want(http.StatusCreated, "POST", "/connectors",
			`{"name":"`+name+`","config":`+secretConfig()+`,"initial_state":"`+tc.initial+`"}`, &info)
		a.eventuallyState(name, tc.want)
		if tc.want == connect.StateStopped && len(info.Tasks) != 0 {
			t.Errorf("%s: tasks %v, want none", name, info.Tasks)
		}
	}
	a.wantError(http.StatusBadRequest, "POST", "/connectors", `{"name":"x","config":`+secretConfig()+`,"initial_state":"FAILED"}`)
}

// Kafka Connect's /admin/loggers (reference: "GET /admin/loggers", "PUT
// /admin/loggers/(string:name)": the body {"level": "DEBUG"}, the answer the
// list of loggers modified; each logger {"level", "last_modified"}).
func TestRESTAdminLoggers(t *testing.T) {
	var buf bytes.Buffer
	lv := loglevels.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: loglevels.LevelTrace}), slog.LevelInfo)
	connLog := slog.New(lv.Handler()).With("worker", "w1").With("connector", "orders")
	a := newAPI(t, rest.WithLogLevels(lv))

	var all map[string]struct {
		Level        string `json:"level"`
		LastModified *int64 `json:"last_modified"`
	}
	a.want(http.StatusOK, "GET", "/admin/loggers", "", &all)
	if len(all) != 1 || all["root"].Level != "INFO" || all["root"].LastModified != nil {
		t.Fatalf("loggers %+v, want root at INFO", all)
	}
	var changed []string
	a.want(http.StatusOK, "PUT", "/admin/loggers/connector", `{"level":"debug"}`, &changed)
	if !slices.Equal(changed, []string{"connector", "connector.orders"}) {
		t.Errorf("PUT connector changed %v", changed)
	}
	connLog.Debug("now visible")
	if !strings.Contains(buf.String(), "now visible") {
		t.Error("the connector's DEBUG line was dropped")
	}
	var one struct {
		Level        string `json:"level"`
		LastModified *int64 `json:"last_modified"`
	}
	a.want(http.StatusOK, "GET", "/admin/loggers/connector.orders", "", &one)
	if one.Level != "DEBUG" || one.LastModified == nil {
		t.Errorf("connector.orders %+v", one)
	}
	a.want(http.StatusOK, "GET", "/admin/loggers/", "", &all)
	if len(all) != 3 {
		t.Errorf("loggers after PUT %+v", all)
	}
	a.wantError(http.StatusNotFound, "GET", "/admin/loggers/no.such", "")
	a.wantError(http.StatusNotFound, "PUT", "/admin/loggers/root", `{"level":"LOUD"}`)
	a.wantError(http.StatusBadRequest, "PUT", "/admin/loggers/root", `{}`)
	a.wantError(http.StatusBadRequest, "PUT", "/admin/loggers/root?scope=cluster", `{"level":"INFO"}`)
	a.wantError(http.StatusForbidden, "PUT", "/admin/loggers/root", `{"level":"OFF"}`, "Sec-Fetch-Site", "cross-site")

	// Without WithLogLevels there is no such resource.
	newAPI(t).wantError(http.StatusNotFound, "GET", "/admin/loggers", "")
}

// Kafka Connect's active topics: GET /connectors/{name}/topics shows the
// topics a connector used, PUT .../topics/reset (202) empties them
// (https://kafka.apache.org/documentation/#connect_rest).
func TestRESTActiveTopics(t *testing.T) {
	a := newAPI(t)
	a.want(http.StatusCreated, "PUT", "/connectors/src/config", `{"connector.class":"SliceSource","topic":"active"}`, nil)
	var got map[string]map[string][]string
	eventually(t, 10*time.Second, "active topic listed", func() bool {
		a.want(http.StatusOK, "GET", "/connectors/src/topics", "", &got)
		return len(got["src"]["topics"]) == 1 && got["src"]["topics"][0] == "active"
	})
	a.want(http.StatusAccepted, "PUT", "/connectors/src/topics/reset", "", nil)
	a.want(http.StatusOK, "GET", "/connectors/src/topics", "", &got)
	if ts, ok := got["src"]; !ok || len(ts["topics"]) != 0 {
		t.Fatalf("after reset: %v", got)
	}
	a.wantError(http.StatusNotFound, "GET", "/connectors/nope/topics", "")
}
