package connecttest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/offset"
)

// startSourceTask starts conn's single task with the given config and store.
func startSourceTask(t *testing.T, conn connect.SourceConnector, cfg connect.Config, store connect.OffsetStore) connect.SourceTask {
	t.Helper()
	ctx := context.Background()
	if err := conn.Start(ctx, NewConnectorContext(), conn.Spec().Config.Apply(cfg)); err != nil {
		t.Fatal(err)
	}
	cfgs, err := conn.TaskConfigs(4)
	if err != nil || len(cfgs) != 1 {
		t.Fatalf("TaskConfigs(4) = %d configs, %v; want 1", len(cfgs), err)
	}
	task := conn.NewTask()
	if err := task.Start(ctx, NewSourceTaskContext("test", 0, store), cfgs[0]); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { task.Stop(ctx); conn.Stop(ctx) })
	return task
}

func pollOnce(t *testing.T, task connect.SourceTask) []*connect.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	recs, err := task.Poll(ctx)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Poll: %v", err)
	}
	return recs
}

func offsets(t *testing.T, recs []*connect.Record) string {
	t.Helper()
	out := ""
	for _, r := range recs {
		out += fmt.Sprintf("%v@%s:%s ", r.Value, r.Position.Partition, r.Position.Offset)
	}
	return out
}

func TestSliceSourceReplaysAndResumes(t *testing.T) {
	in := recordsOf("a", "b", "c", "d", "e")
	store := offset.NewMemory()
	task := startSourceTask(t, NewSliceSource(in...), connect.Config{"batch.size": "2"}, store)

	if got := offsets(t, pollOnce(t, task)); got != "a@slice:0 b@slice:1 " {
		t.Fatalf("first Poll = %s", got)
	}
	second := pollOnce(t, task)
	if got := offsets(t, second); got != "c@slice:2 d@slice:3 " {
		t.Fatalf("second Poll = %s", got)
	}
	if !in[2].Position.IsZero() {
		t.Fatal("the source changed the caller's record")
	}
	// Commit d; a new task resumes after it.
	store.Put(context.Background(), "test", second[1].Position)
	again := startSourceTask(t, NewSliceSource(in...), nil, store)
	if got := offsets(t, pollOnce(t, again)); got != "e@slice:4 " {
		t.Fatalf("Poll after resuming = %s, want only e", got)
	}
	start := time.Now()
	if recs := pollOnce(t, again); len(recs) != 0 {
		t.Fatalf("Poll past the end = %d records", len(recs))
	}
	if time.Since(start) < 40*time.Millisecond {
		t.Fatal("Poll past the end returned before its ctx was done; it should wait")
	}
}

func TestGenerator(t *testing.T) {
	gen := NewGenerator(func(i int64) *connect.Record {
		return &connect.Record{Key: i, Value: i * i, Position: connect.NewPosition("ignored", 0)}
	}, 3)
	task := startSourceTask(t, gen, nil, nil)
	if got := offsets(t, pollOnce(t, task)); got != "0@generator:0 1@generator:1 4@generator:2 " {
		t.Fatalf("Poll = %s", got)
	}
	if recs := pollOnce(t, task); len(recs) != 0 {
		t.Fatalf("Poll past the limit = %d records", len(recs))
	}
}

func TestGeneratorUnlimitedResumes(t *testing.T) {
	store := offset.NewMemory()
	store.Put(context.Background(), "test", connect.NewPosition(GeneratorPartition, 999))
	task := startSourceTask(t, NewGenerator(nil, 0), connect.Config{"batch.size": "3"}, store)
	for range 2 {
		pollOnce(t, task)
	}
	if got := offsets(t, pollOnce(t, task)); got != "1006@generator:1006 1007@generator:1007 1008@generator:1008 " {
		t.Fatalf("third Poll = %s", got)
	}
}

func TestSourcesRejectBadConfig(t *testing.T) {
	conn := NewGenerator(nil, 0)
	ctx := context.Background()
	conn.Start(ctx, NewConnectorContext(), connect.Config{"batch.size": "0"})
	cfgs, _ := conn.TaskConfigs(1)
	task := conn.NewTask()
	err := task.Start(ctx, NewSourceTaskContext("test", 0, nil), cfgs[0])
	task.Stop(ctx)
	if !errors.Is(err, connect.ErrInvalidConfig) {
		t.Fatalf("Start with batch.size=0 = %v, want ErrInvalidConfig", err)
	}
	if _, err := conn.TaskConfigs(0); err == nil {
		t.Fatal("TaskConfigs(0) succeeded")
	}
}

func TestTaskContexts(t *testing.T) {
	store := offset.NewMemory()
	ctx := context.Background()
	store.Put(ctx, "conn", connect.NewPosition("p", 7))
	sc := NewSourceTaskContext("conn", 3, store)
	p, ok, err := sc.Offset(ctx, "p")
	if err != nil || !ok || string(p.Offset) != "7" {
		t.Fatalf("Offset = %v, %v, %v; want 7 from the store", p, ok, err)
	}
	if _, ok, _ := NewSourceTaskContext("other", 3, store).Offset(ctx, "p"); ok {
		t.Fatal("Offset read another connector's position")
	}
	if sc.Connector() != "conn" || sc.TaskID() != 3 || sc.Store() != store || sc.Logger() == nil {
		t.Fatal("source task context does not report what it was made with")
	}
	in := map[string]any{"rows": 10}
	sc.SetProgress(in)
	in["rows"] = 20
	if sc.Progress()["rows"] != 10 {
		t.Fatalf("Progress = %v: SetProgress must copy", sc.Progress())
	}
	k := NewSinkTaskContext("sink", 1)
	k.SetProgress(map[string]any{"n": 1})
	if k.Connector() != "sink" || k.TaskID() != 1 || k.Progress()["n"] != 1 || k.Logger() == nil {
		t.Fatal("sink task context does not report what it was made with")
	}
	cc := NewConnectorContext()
	cc.RequestTaskReconfiguration()
	cc.RequestTaskReconfiguration()
	if cc.Reconfigurations() != 2 {
		t.Fatalf("Reconfigurations = %d, want 2", cc.Reconfigurations())
	}
}
