package runtime_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/runtime"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestPauseResumeStopAndOffsets(t *testing.T) {
	ctx := context.Background()
	col := connecttest.NewCollector()
	rt := startRuntime(t,
		runtime.WithPlugin("gen", func() connect.Connector { return connecttest.NewGenerator(seqRecord("life", 10), 0) }),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }),
	)
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "life"})
	create(t, rt, "src", connect.Config{"connector.class": "gen", "batch.size": "10"})
	waitCollected(t, col, 100, 10*time.Second)

	if err := rt.PauseConnector(ctx, "src"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "paused tasks", allTasks(rt, "src", 1, connect.StatePaused))
	time.Sleep(50 * time.Millisecond) // let an in-flight batch land
	n := col.Len()
	time.Sleep(100 * time.Millisecond)
	if col.Len() != n {
		t.Fatalf("paused source still moved data: %d -> %d", n, col.Len())
	}
	if err := rt.ResumeConnector(ctx, "src"); err != nil {
		t.Fatal(err)
	}
	waitCollected(t, col, n+100, 10*time.Second)

	// Offsets may only be altered while STOPPED.
	if err := rt.ResetOffsets(ctx, "src"); !errors.Is(err, connect.ErrConflict) {
		t.Fatalf("reset while running: %v, want ErrConflict", err)
	}
	if err := rt.StopConnector(ctx, "src"); err != nil {
		t.Fatal(err)
	}
	st, _ := rt.ConnectorStatus("src")
	if st.State != connect.StateStopped || len(st.Tasks) != 0 {
		t.Fatalf("status after stop: %+v", st)
	}
	ps, err := rt.Offsets(ctx, "src")
	if err != nil || len(ps) != 1 {
		t.Fatalf("offsets after graceful stop: %v %v", ps, err)
	}
	var last int64
	if err := ps[0].Decode(&last); err != nil {
		t.Fatal(err)
	}
	// Every published record was committed on graceful stop.
	eventually(t, 5*time.Second, "sink caught up", func() bool {
		max := int64(-1)
		for _, r := range col.Records() {
			max = Max(max, r.Value.(map[string]any)["i"].(int64))
		}
		return max == last
	})
	if err := rt.AlterOffsets(ctx, "src", []connect.Position{connect.NewPosition(connecttest.GeneratorPartition, 1_000_000)}); err != nil {
		t.Fatal(err)
	}
	before := col.Len()
	if err := rt.ResumeConnector(ctx, "src"); err != nil {
		t.Fatal(err)
	}
	waitCollected(t, col, before+10, 10*time.Second)
	lowest := int64(-1)
	for _, r := range col.Records()[before:] {
		if i := r.Value.(map[string]any)["i"].(int64); lowest < 0 || i < lowest {
			lowest = i
		}
	}
	if lowest != 1_000_001 {
		t.Fatalf("after altering the offset to 1000000, the lowest new record is %d", lowest)
	}
}

func Max(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func TestCreateDeleteRestartAndNotFound(t *testing.T) {
	ctx := context.Background()
	col := connecttest.NewCollector()
	rt := startRuntime(t, runtime.WithWorkerID("w1"),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }))
	cfg := connect.Config{"connector.class": "collect", "topics": "x", "tasks.max": "3"}
	create(t, rt, "sink", cfg)
	if err := rt.CreateConnector(ctx, "sink", cfg); !errors.Is(err, connect.ErrAlreadyExists) {
		t.Fatalf("duplicate create: %v", err)
	}
	eventually(t, 5*time.Second, "3 running tasks", allTasks(rt, "sink", 3, connect.StateRunning))
	st, _ := rt.ConnectorStatus("sink")
	if st.Type != connect.TypeSink || st.WorkerID != "w1" || st.State != connect.StateRunning {
		t.Fatalf("status: %+v", st)
	}
	if err := rt.RestartTask(ctx, "sink", 1); err != nil {
		t.Fatal(err)
	}
	if err := rt.RestartTask(ctx, "sink", 7); !errors.Is(err, connect.ErrNotFound) {
		t.Fatalf("restart unknown task: %v", err)
	}
	if err := rt.RestartConnector(ctx, "sink", runtime.RestartOptions{IncludeTasks: true}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "3 running tasks after restart", allTasks(rt, "sink", 3, connect.StateRunning))

	cfg["tasks.max"] = "1"
	created, err := rt.PutConnectorConfig(ctx, "sink", cfg)
	if err != nil || created {
		t.Fatalf("update: created=%v err=%v", created, err)
	}
	eventually(t, 5*time.Second, "1 task after update", allTasks(rt, "sink", 1, connect.StateRunning))
	if got, _ := rt.ConnectorConfig("sink"); got["tasks.max"] != "1" {
		t.Fatalf("config after update: %v", got)
	}
	if err := rt.DeleteConnector(ctx, "sink"); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		rt.DeleteConnector(ctx, "sink"),
		rt.PauseConnector(ctx, "sink"),
		func() error { _, err := rt.ConnectorStatus("sink"); return err }(),
	} {
		if !errors.Is(err, connect.ErrNotFound) {
			t.Fatalf("after delete: %v, want ErrNotFound", err)
		}
	}
}

// A connector whose Start fails is FAILED with the reason and retried.

func TestConnectorStartFailureIsRetried(t *testing.T) {
	var attempts atomic.Int32
	rt := startRuntime(t, runtime.WithPlugin("flaky", func() connect.Connector {
		n := attempts.Add(1)
		return &flakyConnector{SinkConnector: connecttest.NewCollector().Connector(), fail: n < 4}
	}))
	// The first factory call is Validate's; then Start attempts.
	create(t, rt, "c", connect.Config{"connector.class": "flaky", "topics": "t"})
	eventually(t, 10*time.Second, "connector running after retries", func() bool {
		st, _ := rt.ConnectorStatus("c")
		return st.State == connect.StateRunning && len(st.Tasks) == 1
	})
}

type flakyConnector struct {
	connect.SinkConnector
	fail bool
}

func (f *flakyConnector) Start(ctx context.Context, cc connect.ConnectorContext, cfg connect.Config) error {
	if f.fail {
		return errors.New("upstream unreachable")
	}
	return f.SinkConnector.Start(ctx, cc, cfg)
}

func TestMetricsCountRecords(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	col := connecttest.NewCollector()
	rt := startRuntime(t, runtime.WithMeterProvider(mp),
		runtime.WithPlugin("gen", func() connect.Connector { return connecttest.NewGenerator(seqRecord("m", 5), 300) }),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }))
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "m"})
	create(t, rt, "src", connect.Config{"connector.class": "gen"})
	waitCollected(t, col, 300, 10*time.Second)

	want := map[string]int64{"connect.source.records.polled": 300, "messaging.client.sent.messages": 300, "messaging.client.consumed.messages": 300, "connect.sink.records.put": 300}
	eventually(t, 5*time.Second, "metrics", func() bool {
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		hist := false
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				switch d := m.Data.(type) {
				case metricdata.Sum[int64]:
					for _, p := range d.DataPoints {
						got[m.Name] += p.Value
					}
				case metricdata.Histogram[float64]:
					hist = hist || m.Name == "connect.batch.duration"
				}
			}
		}
		for k, v := range want {
			if got[k] != v {
				return false
			}
		}
		return hist
	})
}
