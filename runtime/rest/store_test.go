package rest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/runtime/rest"
)

// Over HTTP, a config change the connector store cannot persist is a 503
// naming the reason; a degraded worker's /health says why.
func TestRESTUnpersistableChangeIs503(t *testing.T) {
	cs := &failingConnectorStore{ConnectorStore: runtime.NewFileConnectorStore(t.TempDir() + "/connectors.json")}
	col := connecttest.NewCollector()
	rt := runtime.New(runtime.WithConnectorStore(cs),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }))
	if err := rt.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer rt.Stop(context.Background())
	cs.fail.Store(true)
	h := rest.NewHandler(rt)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("PUT", "/connectors/s/config", strings.NewReader(`{"connector.class":"collect","topics":"a"}`))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "read-only file system") {
		t.Fatalf("PUT config with a failing store: %d %s, want 503 with the reason", rec.Code, rec.Body)
	}
	if names := rt.Connectors(); len(names) != 0 {
		t.Fatalf("connector created although not persisted: %v", names)
	}
}

// failingConnectorStore fails every write while fail is set.
type failingConnectorStore struct {
	runtime.ConnectorStore
	fail atomic.Bool
}

func (f *failingConnectorStore) Save(ctx context.Context, c runtime.StoredConnector) error {
	if f.fail.Load() {
		return errors.New("write connectors.json: read-only file system")
	}
	return f.ConnectorStore.Save(ctx, c)
}
