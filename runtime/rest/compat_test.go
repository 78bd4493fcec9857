package rest_test

import (
	"net/http"
	"strings"
	"testing"

	connect "github.com/openmessaging/connect-go"
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
		{secretConfig("value.converter", "org.apache.kafka.connect.json.JsonConverter"), "value.converter"},
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
