package runtime_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/offset"
	"github.com/openmessaging/connect-go/runtime"
)

// With the runtime's own in-memory transport, a graceful stop lets sinks
// consume what sources published before the broker goes away: every record
// at or before a committed source position reached the sink.
func TestGracefulStopDrainsOwnTransport(t *testing.T) {
	store := offset.NewMemory()
	col := connecttest.NewCollector()
	rt := runtime.New(runtime.WithOffsetStore(store),
		runtime.WithPlugin("gen", func() connect.Connector { return connecttest.NewGenerator(seqRecord("drain", 50), 0) }),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }))
	if err := rt.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "drain", "tasks.max": "2"})
	create(t, rt, "src", connect.Config{"connector.class": "gen", "batch.size": "500"})
	waitCollected(t, col, 20000, 20*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := rt.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	ps, err := store.List(context.Background(), "src")
	if err != nil || len(ps) != 1 {
		t.Fatalf("stored positions: %v %v", ps, err)
	}
	var last int64
	if err := ps[0].Decode(&last); err != nil {
		t.Fatal(err)
	}
	seen := make(map[int64]bool)
	for _, r := range col.Records() {
		seen[r.Value.(map[string]any)["i"].(int64)] = true
	}
	for i := int64(0); i <= last; i++ {
		if !seen[i] {
			t.Fatalf("record %d is at or before the committed position %d but never reached the sink (%d collected)", i, last, len(seen))
		}
	}
}

// secretSink is a sink plugin with a secret setting whose Start fails
// quoting it, as careless connectors do.
type secretSink struct{ connect.SinkConnector }

func (s secretSink) Spec() connect.Spec {
	sp := s.SinkConnector.Spec()
	sp.Config = append(sp.Config, connect.Field{Name: "password", Secret: true, Description: "Password."})
	return sp
}

func (s secretSink) Start(ctx context.Context, cc connect.ConnectorContext, cfg connect.Config) error {
	return errors.New("login as admin with password " + cfg["password"] + " refused")
}

func TestSecretsNeverInStatusOrLogs(t *testing.T) {
	var logs connecttest.LogBuffer
	rt := startRuntime(t, runtime.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		runtime.WithPlugin("secret", func() connect.Connector { return secretSink{connecttest.NewCollector().Connector()} }))
	create(t, rt, "s", connect.Config{"connector.class": "secret", "topics": "x", "password": "hunter22"})
	var st connect.ConnectorStatus
	eventually(t, 5*time.Second, "connector failed twice", func() bool {
		st, _ = rt.ConnectorStatus("s")
		return st.State == connect.StateFailed && strings.Count(logs.String(), "connector failed") >= 2
	})
	if strings.Contains(st.Trace, "hunter22") || !strings.Contains(st.Trace, connect.Masked) {
		t.Fatalf("trace %q", st.Trace)
	}
	if strings.Contains(logs.String(), "hunter22") {
		t.Fatalf("password in logs:\n%s", logs.String())
	}
}
