package connecttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

func values(rs []*connect.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = fmt.Sprint(r.Value)
	}
	return out
}

func recordsOf(vals ...string) []*connect.Record {
	out := make([]*connect.Record, len(vals))
	for i, v := range vals {
		out[i] = &connect.Record{Value: v}
	}
	return out
}

func startCollectorTask(t *testing.T, c *Collector) connect.SinkTask {
	t.Helper()
	conn := c.Connector()
	ctx := context.Background()
	if err := conn.Start(ctx, NewConnectorContext(), connect.Config{"topics": "t"}); err != nil {
		t.Fatal(err)
	}
	cfgs, err := conn.TaskConfigs(2)
	if err != nil || len(cfgs) != 2 || cfgs[1]["topics"] != "t" {
		t.Fatalf("TaskConfigs(2) = %v, %v; want two copies of the config", cfgs, err)
	}
	task := conn.NewTask()
	if err := task.Start(ctx, NewSinkTaskContext("c", 0), cfgs[0]); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { task.Stop(ctx) })
	return task
}

func TestCollectorCollectsOnFlush(t *testing.T) {
	c := NewCollector()
	a, b := startCollectorTask(t, c), startCollectorTask(t, c)
	ctx := context.Background()
	if err := a.Put(ctx, recordsOf("a1", "a2")); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, recordsOf("b1")); err != nil {
		t.Fatal(err)
	}
	if c.Len() != 0 {
		t.Fatalf("Len = %d before any Flush, want 0", c.Len())
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(values(c.Records())); got != "[b1 a1 a2]" {
		t.Fatalf("Records = %s, want [b1 a1 a2] (flush order)", got)
	}
}

func TestCollectorCopiesRecords(t *testing.T) {
	c := NewCollector()
	task := startCollectorTask(t, c)
	ctx := context.Background()
	r := &connect.Record{Value: "v", Headers: connect.Headers{"h": "1"}}
	task.Put(ctx, []*connect.Record{r})
	r.Headers["h"] = "changed"
	task.Flush(ctx)
	if got := c.Records()[0].Headers.Get("h"); got != "1" {
		t.Fatalf("header = %q: the collector kept the caller's record", got)
	}
}

func TestCollectorFailFlushDiscardsPending(t *testing.T) {
	c := NewCollector()
	task := startCollectorTask(t, c)
	ctx := context.Background()
	boom := errors.New("boom")
	c.FailFlush(1, boom)
	task.Put(ctx, recordsOf("lost"))
	if err := task.Flush(ctx); !errors.Is(err, boom) {
		t.Fatalf("first Flush = %v, want boom", err)
	}
	task.Put(ctx, recordsOf("kept"))
	if err := task.Flush(ctx); err != nil {
		t.Fatalf("second Flush = %v, want success", err)
	}
	if got := fmt.Sprint(values(c.Records())); got != "[kept]" {
		t.Fatalf("Records = %s, want [kept]", got)
	}
}

func TestCollectorFailPut(t *testing.T) {
	c := NewCollector()
	task := startCollectorTask(t, c)
	ctx := context.Background()

	c.FailPut(-1, connect.Retriable(errors.New("busy")))
	for range 3 {
		if err := task.Put(ctx, recordsOf("x")); !connect.IsRetriable(err) {
			t.Fatalf("Put = %v, want the retriable error", err)
		}
	}
	c.FailPut(0, nil)
	c.FailPut(1, nil)
	if err := task.Put(ctx, recordsOf("y")); !errors.Is(err, ErrInjected) {
		t.Fatalf("Put = %v, want ErrInjected", err)
	}
	c.FailPut(1, &connect.BatchError{Failed: []connect.RecordError{{Index: 1, Err: errors.New("bad")}}})
	if err := task.Put(ctx, recordsOf("p0", "p1", "p2")); err == nil {
		t.Fatal("Put with an injected BatchError succeeded")
	}
	if err := task.Put(ctx, recordsOf("z")); err != nil {
		t.Fatalf("Put after the failures ran out: %v", err)
	}
	task.Flush(ctx)
	if got := fmt.Sprint(values(c.Records())); got != "[p0 p2 z]" {
		t.Fatalf("Records = %s, want [p0 p2 z]", got)
	}
}

func TestCollectorStopDiscardsPending(t *testing.T) {
	c := NewCollector()
	task := startCollectorTask(t, c)
	ctx := context.Background()
	task.Put(ctx, recordsOf("unflushed"))
	task.Stop(ctx)
	if err := task.Flush(ctx); !errors.Is(err, connect.ErrClosed) {
		t.Fatalf("Flush after Stop = %v, want ErrClosed", err)
	}
	if err := task.Put(ctx, recordsOf("late")); !errors.Is(err, connect.ErrClosed) {
		t.Fatalf("Put after Stop = %v, want ErrClosed", err)
	}
	if c.Len() != 0 {
		t.Fatalf("Len = %d, want 0", c.Len())
	}
}

func TestCollectorWaitFor(t *testing.T) {
	c := NewCollector()
	task := startCollectorTask(t, c)
	ctx := context.Background()

	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := c.WaitFor(short, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitFor on an empty collector = %v, want DeadlineExceeded", err)
	}

	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 5 {
			task.Put(ctx, recordsOf(fmt.Sprint(i)))
			task.Flush(ctx)
		}
	})
	long, cancel2 := context.WithTimeout(ctx, 10*time.Second)
	defer cancel2()
	if err := c.WaitFor(long, 5); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if c.Len() != 5 {
		t.Fatalf("Len = %d, want 5", c.Len())
	}
}
