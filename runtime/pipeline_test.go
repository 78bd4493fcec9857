package runtime_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/offset"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
)

// A pipeline crashed midway (no drain, no offset flush) and started again on
// the same offset store and transport delivers every record at least once.
func TestCrashAndResumeLosesNothing(t *testing.T) {
	const total = 20000
	broker := memory.New()
	defer broker.Close()
	store := offset.NewMemory()
	col := connecttest.NewCollector()
	plugins := []runtime.Option{
		runtime.WithTransport(broker),
		runtime.WithOffsetStore(store),
		runtime.WithPlugin("gen", func() connect.Connector { return connecttest.NewGenerator(seqRecord("crash", 100), total) }),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }),
	}
	sinkCfg := connect.Config{"connector.class": "collect", "topics": "crash", "tasks.max": "2"}
	srcCfg := connect.Config{"connector.class": "gen", "batch.size": "50"}

	rt1 := runtime.New(append(plugins, runtime.WithOffsetFlushInterval(5*time.Millisecond))...)
	if err := rt1.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	create(t, rt1, "sink", sinkCfg)
	create(t, rt1, "source", srcCfg)
	waitCollected(t, col, total/3, 20*time.Second)
	rt1.Crash()
	crashedAt := col.Len()
	stored, err := store.List(context.Background(), "source")
	if err != nil || len(stored) != 1 {
		t.Fatalf("stored offsets after crash: %v, %v", stored, err)
	}

	rt2 := startRuntime(t, plugins...)
	create(t, rt2, "sink", sinkCfg)
	create(t, rt2, "source", srcCfg)

	deadline := time.Now().Add(30 * time.Second)
	for {
		seen := map[int64]int{}
		for _, r := range col.Records() {
			seen[r.Value.(map[string]any)["i"].(int64)]++
		}
		if len(seen) == total {
			dups := 0
			for _, n := range seen {
				dups += n - 1
			}
			t.Logf("crash after %d collected records; stored position %s; %d records delivered, %d duplicates (%.2f%%)",
				crashedAt, stored[0].Offset, col.Len(), dups, 100*float64(dups)/total)
			return
		}
		if time.Now().After(deadline) {
			missing := []int64{}
			for i := int64(0); i < total && len(missing) < 10; i++ {
				if seen[i] == 0 {
					missing = append(missing, i)
				}
			}
			t.Fatalf("after restart %d of %d distinct records arrived; first missing: %v", len(seen), total, missing)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// With 4 queues and 2 sink tasks, every key's records arrive in order.
func TestPerKeyOrderAcrossSinkTasks(t *testing.T) {
	const total, keys = 100_000, 1000
	broker := memory.New(memory.WithDefaultQueues(4))
	defer broker.Close()
	col := connecttest.NewCollector()
	rt := startRuntime(t,
		runtime.WithTransport(broker),
		runtime.WithPlugin("gen", func() connect.Connector { return connecttest.NewGenerator(seqRecord("ordered", keys), total) }),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }),
	)
	if err := broker.CreateTopic(context.Background(), "ordered", 4); err != nil {
		t.Fatal(err)
	}
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "ordered", "tasks.max": "2"})
	eventually(t, 5*time.Second, "2 running sink tasks", allTasks(rt, "sink", 2, connect.StateRunning))
	create(t, rt, "source", connect.Config{"connector.class": "gen", "batch.size": "500"})
	waitCollected(t, col, total, 60*time.Second)

	next := make(map[string]int64, keys)
	for _, r := range col.Records() {
		v := r.Value.(map[string]any)
		k, seq := v["key"].(string), v["seq"].(int64)
		if seq != next[k] {
			t.Fatalf("key %s: got seq %d, want %d (out of order or duplicated)", k, seq, next[k])
		}
		next[k]++
	}
	if len(next) != keys {
		t.Fatalf("saw %d keys, want %d", len(next), keys)
	}
	for k, n := range next {
		if n != total/keys {
			t.Fatalf("key %s: %d records, want %d", k, n, total/keys)
		}
	}
}

// A sink whose Flush fails gets the same records again, and nothing is
// acknowledged before a successful flush.
func TestSinkFlushFailureRedelivers(t *testing.T) {
	const total = 500
	col := connecttest.NewCollector()
	col.FailFlush(2, connect.Retriable(fmt.Errorf("disk busy")))
	rt := startRuntime(t,
		runtime.WithPlugin("gen", func() connect.Connector { return connecttest.NewGenerator(seqRecord("flaky", 10), total) }),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }),
	)
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "flaky"})
	create(t, rt, "source", connect.Config{"connector.class": "gen"})
	waitCollected(t, col, total, 20*time.Second)
	seen := map[int64]bool{}
	for _, r := range col.Records() {
		seen[r.Value.(map[string]any)["i"].(int64)] = true
	}
	if len(seen) != total {
		t.Fatalf("%d distinct records, want %d", len(seen), total)
	}
	st, _ := rt.ConnectorStatus("sink")
	if st.Tasks[0].Restarts != 0 {
		t.Fatalf("retriable flush failures restarted the task: %+v", st.Tasks[0])
	}
}

// A non-retriable Put failure fails the task, which restarts with backoff and
// then receives the records again.
func TestFailedTaskRestartsWithBackoff(t *testing.T) {
	const total = 200
	col := connecttest.NewCollector()
	col.FailPut(3, fmt.Errorf("target rejected the write"))
	rt := startRuntime(t,
		runtime.WithPlugin("gen", func() connect.Connector { return connecttest.NewGenerator(seqRecord("fail", 10), total) }),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }),
	)
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "fail"})
	create(t, rt, "source", connect.Config{"connector.class": "gen"})
	waitCollected(t, col, total, 20*time.Second)
	st, err := rt.ConnectorStatus("sink")
	if err != nil {
		t.Fatal(err)
	}
	task := st.Tasks[0]
	if task.Restarts != 3 || task.State != connect.StateRunning {
		t.Fatalf("task status %+v, want RUNNING after 3 restarts", task)
	}
}
