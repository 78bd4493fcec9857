package runtime_test

import (
	"context"
	"errors"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
)

// A connector created PAUSED or STOPPED never moves data before it is
// resumed (Kafka Connect's initial_state).
func TestCreateConnectorInitialState(t *testing.T) {
	ctx := context.Background()
	col := connecttest.NewCollector()
	rt := startRuntime(t,
		runtime.WithPlugin("gen", func() connect.Connector { return connecttest.NewGenerator(seqRecord("init", 10), 0) }),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }),
	)
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "init"})
	src := connect.Config{"connector.class": "gen", "batch.size": "10"}
	if err := rt.CreateConnectorWith(ctx, "stopped", src, runtime.CreateOptions{InitialState: connect.StateStopped}); err != nil {
		t.Fatal(err)
	}
	if err := rt.CreateConnectorWith(ctx, "paused", src, runtime.CreateOptions{InitialState: connect.StatePaused}); err != nil {
		t.Fatal(err)
	}
	if st, _ := rt.ConnectorStatus("stopped"); st.State != connect.StateStopped || len(st.Tasks) != 0 {
		t.Fatalf("created STOPPED: %+v", st)
	}
	eventually(t, 5*time.Second, "paused tasks", allTasks(rt, "paused", 1, connect.StatePaused))
	time.Sleep(100 * time.Millisecond)
	if n := col.Len(); n != 0 {
		t.Fatalf("%d records from connectors created PAUSED and STOPPED", n)
	}
	// STOPPED from the start: offsets can be set before the first run.
	if err := rt.AlterOffsets(ctx, "stopped", []connect.Position{{Partition: "gen", Offset: []byte("5")}}); err != nil {
		t.Errorf("alter offsets of a connector created STOPPED: %v", err)
	}
	if err := rt.ResumeConnector(ctx, "paused"); err != nil {
		t.Fatal(err)
	}
	waitCollected(t, col, 100, 10*time.Second)

	var ce *connect.ConfigError
	err := rt.CreateConnectorWith(ctx, "bad", src, runtime.CreateOptions{InitialState: connect.StateFailed})
	if !errors.As(err, &ce) || ce.Fields[0].Field != "initial_state" {
		t.Errorf("initial state FAILED: %v, want a field error on initial_state", err)
	}
	if _, err := rt.ConnectorConfig("bad"); !errors.Is(err, connect.ErrNotFound) {
		t.Errorf("the refused connector exists: %v", err)
	}
}

// In a cluster the initial state travels in the configs record: every
// worker sees the connector STOPPED, none runs it.
func TestClusterCreateConnectorInitialState(t *testing.T) {
	broker := memory.New()
	defer broker.Close()
	col := connecttest.NewCollector()
	var rts []*runtime.Runtime
	for _, id := range []string{"a", "b"} {
		rt := runtime.New(runtime.WithTransport(broker.Client()), runtime.WithWorkerID(id),
			runtime.WithCluster("init"), runtime.WithClusterLease(time.Second),
			runtime.WithShutdownTimeout(5*time.Second),
			runtime.WithPlugin("gen", func() connect.Connector { return connecttest.NewGenerator(seqRecord("init", 10), 0) }),
			runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }))
		if err := rt.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := rt.Stop(ctx); err != nil {
				t.Errorf("stop %s: %v", id, err)
			}
		})
		rts = append(rts, rt)
	}
	ctx := context.Background()
	if err := rts[0].CreateConnector(ctx, "sink", connect.Config{"connector.class": "collect", "topics": "init"}); err != nil {
		t.Fatal(err)
	}
	if err := rts[0].CreateConnectorWith(ctx, "src", connect.Config{"connector.class": "gen", "batch.size": "10"},
		runtime.CreateOptions{InitialState: connect.StateStopped}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "src STOPPED on both workers", func() bool {
		for _, rt := range rts {
			if st, err := rt.ConnectorStatus("src"); err != nil || st.State != connect.StateStopped {
				return false
			}
		}
		return true
	})
	time.Sleep(200 * time.Millisecond)
	if n := col.Len(); n != 0 {
		t.Fatalf("%d records from a connector created STOPPED", n)
	}
	if err := rts[1].ResumeConnector(ctx, "src"); err != nil {
		t.Fatal(err)
	}
	waitCollected(t, col, 100, 20*time.Second)
}
