package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// send posts body as application/json and returns the status, failing on
// any 5xx and on a response that is not JSON.
func (a *api) sendFuzz(t *testing.T, method, path string, body []byte) (int, []byte) {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s %s %q: status %d: %s", method, path, body, rec.Code, rec.Body)
	}
	if rec.Body.Len() > 0 && !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("%s %s %q: body is not JSON: %q", method, path, body, rec.Body)
	}
	return rec.Code, rec.Body.Bytes()
}

// FuzzConnectorConfigBody sends arbitrary config bodies to the endpoints
// taking one (validate, PUT and PATCH config, the seed's create): never a
// panic or a 5xx; a body that is an object of strings forming a valid
// config is accepted.
func FuzzConnectorConfigBody(f *testing.F) {
	for _, s := range []string{
		secretConfig(),
		secretConfig("port", "3307", "mode", "safe"),
		`{"connector.class":"SecretSource","host":"h","password":"p","port":12,"fail":false}`,
		`{"connector.class":"SliceSource","topic":"t","tasks.max":"1"}`,
		`{"connector.class":"CollectorSink","topics":"a,b"}`,
		`{"connector.class":"Nope"}`,
		`{"port":null}`,
		`{"a":{"b":1}}`,
		`{"":""}`,
		`[]`, `null`, `"x"`, `{`, `{}`, `{} {}`, "",
		`{"name":"other","connector.class":"SliceSource","topic":"t"}`,
		`{"connector.class":"SecretSource","host":"h","password":"[hidden]"}`,
		`{"connector.class":"SecretSource","tasks.max":"-1","errors.tolerance":"some"}`,
	} {
		f.Add([]byte(s))
	}
	a := newAPI(f)
	a.guard = false
	f.Fuzz(func(t *testing.T, body []byte) {
		a.sendFuzz(t, "PUT", "/connector-plugins/SecretSource/config/validate", body)
		code, resp := a.sendFuzz(t, "PUT", "/connectors/fz/config", body)
		var cfg connect.Config
		if json.Unmarshal(body, &cfg) == nil && cfg != nil && validBody(body) {
			if n, ok := cfg["name"]; !ok || n == "fz" {
				cfg["name"] = "fz"
				if a.rt.Validate(context.Background(), cfg) == nil && code != http.StatusOK && code != http.StatusCreated {
					t.Fatalf("valid config %q: status %d: %s", body, code, resp)
				}
			}
		}
		a.sendFuzz(t, "PATCH", "/connectors/fz/config", body)
		a.sendFuzz(t, "POST", "/connectors/fz2", body)
	})
}

// validBody reports whether b is exactly one JSON object with non-blank
// keys and string values (what the handler accepts before validation).
func validBody(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	var m map[string]any
	if dec.Decode(&m) != nil || dec.More() {
		return false
	}
	if _, err := dec.Token(); err == nil {
		return false
	}
	for k, v := range m {
		if _, ok := v.(string); !ok || len(bytes.TrimSpace([]byte(k))) == 0 {
			return false
		}
	}
	return true
}

// FuzzOffsetsBody sends arbitrary bodies to PATCH /connectors/{name}/offsets
// of a STOPPED connector: never a panic or a 5xx, and an accepted body's
// positions read back from GET.
func FuzzOffsetsBody(f *testing.F) {
	for _, s := range []string{
		`{"offsets":[{"partition":{"partition":"slice"},"offset":3}]}`,
		`{"offsets":[{"partition":{"partition":"file:/x"},"offset":{"pos":4096}}]}`,
		`{"offsets":[{"partition":"p","offset":"s"},{"partition":"q","offset":null}]}`,
		`{"offsets":[{"partition":{"partition":"p"},"offset":[1,{"a":null}]}]}`,
		`{"offsets":[{"partition":{"filename":"x"},"offset":{"position":1}}]}`,
		`{"offsets":[]}`, `{"offsets":null}`, `{}`, `[]`, `{`, `null`, "",
		`{"offsets":[{"partition":"","offset":1}]}`,
		`{"offsets":[{"partition":"a","offset":1},{"partition":"a","offset":2}]}`,
	} {
		f.Add([]byte(s))
	}
	a := newAPI(f)
	a.guard = false
	if err := a.rt.CreateConnector(context.Background(), "off", connect.Config{"connector.class": "SliceSource", "topic": "t"}); err != nil {
		f.Fatal(err)
	}
	if err := a.rt.StopConnector(context.Background(), "off"); err != nil {
		f.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for st, _ := a.rt.ConnectorStatus("off"); st.State != connect.StateStopped; st, _ = a.rt.ConnectorStatus("off") {
		if time.Now().After(deadline) {
			f.Fatalf("connector not stopped: %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		code, _ := a.sendFuzz(t, "PATCH", "/connectors/off/offsets", body)
		if code != http.StatusOK {
			return
		}
		var req struct {
			Offsets []struct {
				Partition json.RawMessage `json:"partition"`
				Offset    json.RawMessage `json:"offset"`
			} `json:"offsets"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			t.Fatalf("accepted %q, which is not an offsets body: %v", body, err)
		}
		stored, err := a.rt.Offsets(context.Background(), "off")
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]json.RawMessage{}
		for _, p := range stored {
			have[p.Partition] = p.Offset
		}
		for _, e := range req.Offsets {
			var part string
			if json.Unmarshal(e.Partition, &part) != nil {
				var obj map[string]string
				if err := json.Unmarshal(e.Partition, &obj); err != nil {
					t.Fatalf("accepted partition %s: %v", e.Partition, err)
				}
				part = obj["partition"]
			}
			got, ok := have[part]
			if string(bytes.TrimSpace(e.Offset)) == "null" {
				// Deleted, unless a later entry set it again (rejected as a
				// duplicate, so never).
				if ok {
					t.Fatalf("%q: partition %q still has offset %s", body, part, got)
				}
				continue
			}
			var want, gotv any
			if !ok || json.Unmarshal(e.Offset, &want) != nil || json.Unmarshal(got, &gotv) != nil || !jsonEqual(want, gotv) {
				t.Fatalf("%q: partition %q reads back %s (present %v)", body, part, got, ok)
			}
		}
	})
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
