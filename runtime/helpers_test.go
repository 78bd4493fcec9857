package runtime_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/runtime"
)

// seqRecord makes generator record i: key "k<i mod keys>", value carrying
// the key and a per-key sequence number.
func seqRecord(topic string, keys int64) func(i int64) *connect.Record {
	return func(i int64) *connect.Record {
		k := fmt.Sprintf("k%d", i%keys)
		return &connect.Record{
			Topic: topic,
			Key:   k,
			Value: map[string]any{"i": i, "key": k, "seq": i / keys, "payload": "abcdefghijklmnopqrstuvwxyz"},
		}
	}
}

func startRuntime(t *testing.T, opts ...runtime.Option) *runtime.Runtime {
	t.Helper()
	rt := runtime.New(append([]runtime.Option{runtime.WithRestartBackoff(20*time.Millisecond, 200*time.Millisecond),
		runtime.WithOffsetFlushInterval(20 * time.Millisecond)}, opts...)...)
	if err := rt.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := rt.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return rt
}

func create(t *testing.T, rt *runtime.Runtime, name string, cfg connect.Config) {
	t.Helper()
	if err := rt.CreateConnector(context.Background(), name, cfg); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
}

func waitCollected(t *testing.T, c *connecttest.Collector, n int, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := c.WaitFor(ctx, n); err != nil {
		t.Fatalf("collected %d of %d records: %v", c.Len(), n, err)
	}
}

// eventually polls cond until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func taskStates(rt *runtime.Runtime, name string) []connect.TaskStatus {
	st, err := rt.ConnectorStatus(name)
	if err != nil {
		return nil
	}
	return st.Tasks
}

func allTasks(rt *runtime.Runtime, name string, n int, state connect.State) func() bool {
	return func() bool {
		ts := taskStates(rt, name)
		if len(ts) != n {
			return false
		}
		for _, s := range ts {
			if s.State != state {
				return false
			}
		}
		return true
	}
}
