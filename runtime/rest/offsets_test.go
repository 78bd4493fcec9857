package rest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/filestream"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/runtime/rest"
)

// Offsets in Kafka Connect's shapes for a connector implementing
// connect.KafkaOffsets. Kafka's reference ("PATCH
// /connectors/(string:name)/offsets") alters a FileStreamSource with
//
//	{"offsets": [{"partition": {"filename": "test.txt"}, "offset": {"position": 30}}]}
func TestRESTKafkaOffsets(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "in.txt")
	if err := os.WriteFile(file, []byte("one\ntwo\nthree\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rt := runtime.New(runtime.WithPlugin("FileStreamSource", func() connect.Connector { return filestream.NewSource() }))
	if err := rt.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rt.Stop(ctx)
	})
	h := rest.NewHandler(rt)
	do := func(method, path, body string) (int, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, strings.TrimSpace(rec.Body.String())
	}
	if code, body := do("POST", "/connectors", `{"name":"src","initial_state":"STOPPED","config":{"connector.class":"FileStreamSource","file":"`+file+`","topic":"t"}}`); code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	kafka := `{"offsets":[{"partition":{"filename":"` + file + `"},"offset":{"position":4}}]}`
	if code, body := do("PATCH", "/connectors/src/offsets", kafka); code != http.StatusOK {
		t.Fatalf("PATCH in Kafka's shape: %d %s", code, body)
	}
	if code, body := do("GET", "/connectors/src/offsets", ""); code != http.StatusOK || body != kafka {
		t.Errorf("GET: %d %s, want %s", code, body, kafka)
	}
	ps, err := rt.Offsets(context.Background(), "src")
	if err != nil || len(ps) != 1 || ps[0].Partition != "file:"+file || string(ps[0].Offset) != `{"pos":4}` {
		t.Errorf("stored %v %v", ps, err)
	}
	for _, bad := range []string{
		`{"offsets":[{"partition":{"filename":""},"offset":{"position":4}}]}`,
		`{"offsets":[{"partition":{"filename":"f","x":1},"offset":{"position":4}}]}`,
		`{"offsets":[{"partition":{"filename":"f"},"offset":{"position":-1}}]}`,
		`{"offsets":[{"partition":{"filename":"f"},"offset":{"pos":4}}]}`,
		`{"offsets":[{"partition":{"filename":"f"},"offset":4}]}`,
	} {
		if code, body := do("PATCH", "/connectors/src/offsets", bad); code != http.StatusBadRequest {
			t.Errorf("PATCH %s: %d %s, want 400", bad, code, body)
		}
	}
	// A null offset deletes; the generic shape still works.
	if code, body := do("PATCH", "/connectors/src/offsets", `{"offsets":[{"partition":{"filename":"`+file+`"},"offset":null}]}`); code != http.StatusOK {
		t.Fatalf("PATCH null: %d %s", code, body)
	}
	if code, body := do("GET", "/connectors/src/offsets", ""); body != `{"offsets":[]}` {
		t.Errorf("GET after delete: %d %s", code, body)
	}
	if code, body := do("PATCH", "/connectors/src/offsets", `{"offsets":[{"partition":{"partition":"file:`+file+`"},"offset":{"pos":2}}]}`); code != http.StatusOK {
		t.Errorf("PATCH generic: %d %s", code, body)
	}
	if _, body := do("GET", "/connectors/src/offsets", ""); !strings.Contains(body, `{"position":2}`) {
		t.Errorf("GET after generic PATCH: %s", body)
	}
}
