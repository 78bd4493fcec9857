package runtime_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/runtime"
)

// Connectors saved in a connector store come back, with their target
// states, when a new runtime starts on it; deleted ones do not.
func TestConnectorStoreRestoresConnectors(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "connectors.json")
	plugins := func() []runtime.Option {
		return []runtime.Option{
			runtime.WithConnectorStore(runtime.NewFileConnectorStore(path)),
			runtime.WithPlugin("collect", func() connect.Connector { return connecttest.NewCollector().Connector() }),
		}
	}
	rt1 := runtime.New(plugins()...)
	if err := rt1.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b", "c"} {
		create(t, rt1, name, connect.Config{"connector.class": "collect", "topics": name})
	}
	if err := rt1.PauseConnector(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := rt1.PutConnectorConfig(ctx, "a", connect.Config{"connector.class": "collect", "topics": "a2"}); err != nil {
		t.Fatal(err)
	}
	if err := rt1.DeleteConnector(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if err := rt1.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("store file: %v %v", fi, err)
	}

	rt2 := startRuntime(t, plugins()...)
	if got := strings.Join(rt2.Connectors(), ","); got != "a,b" {
		t.Fatalf("restored %s, want a,b", got)
	}
	if cfg, _ := rt2.ConnectorConfig("a"); cfg["topics"] != "a2" {
		t.Fatalf("a restored with %v", cfg)
	}
	eventually(t, 5*time.Second, "b restored paused", func() bool {
		st, _ := rt2.ConnectorStatus("b")
		return st.State == connect.StatePaused
	})
}

func TestCorruptConnectorStoreFailsStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "connectors.json")
	if err := os.WriteFile(path, []byte(`{"version":1,"connectors":[`), 0o600); err != nil {
		t.Fatal(err)
	}
	rt := runtime.New(runtime.WithConnectorStore(runtime.NewFileConnectorStore(path)))
	err := rt.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("start on a corrupt store: %v", err)
	}
}
