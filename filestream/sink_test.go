package filestream_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/filestream"
)

func startSink(t *testing.T, path string) connect.SinkTask {
	t.Helper()
	ctx := context.Background()
	conn := filestream.NewSink()
	cfg := connect.Config{"file": path}
	if err := conn.Start(ctx, connecttest.NewConnectorContext(), cfg); err != nil {
		t.Fatal(err)
	}
	cfgs, err := conn.TaskConfigs(4)
	if err != nil || len(cfgs) != 1 {
		t.Fatalf("TaskConfigs(4) = %d configs, %v; want 1", len(cfgs), err)
	}
	task := conn.NewTask()
	if err := task.Start(ctx, connecttest.NewSinkTaskContext("out", 0), cfgs[0]); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { task.Stop(ctx) })
	return task
}

func TestSinkWritesEveryLineOnFlush(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	task := startSink(t, path)
	ctx := context.Background()
	err := task.Put(ctx, []*connect.Record{
		{Value: "text"},
		{Value: []byte("bytes")},
		{Value: map[string]any{"n": 1}},
		{},
		{Change: &connect.Change{Op: connect.OpCreate, After: map[string]any{"id": 7}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); len(b) != 0 {
		t.Fatalf("the file holds %q before Flush; Put should buffer", b)
	}
	if err := task.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"text", "bytes", `{"n":1}`, "", `{"op":"c","before":null,"after":{"id":7}}`}
	if got := readLines(t, path); !slices.Equal(got, want) {
		t.Fatalf("file lines:\n%q\nwant\n%q", got, want)
	}
}

func TestSinkReportsUnwritableRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	task := startSink(t, path)
	ctx := context.Background()
	err := task.Put(ctx, []*connect.Record{{Value: "a"}, {Value: make(chan int)}, {Value: "c"}})
	var be *connect.BatchError
	if !errors.As(err, &be) || len(be.Failed) != 1 || be.Failed[0].Index != 1 {
		t.Fatalf("Put = %v, want a BatchError naming record 1", err)
	}
	if err := task.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := readLines(t, path); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("file lines %q, want the records that did not fail", got)
	}
}

func TestSinkAppendsAndDropsUnflushed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	if err := os.WriteFile(path, []byte("existing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first := startSink(t, path)
	first.Put(ctx, []*connect.Record{{Value: "flushed"}})
	if err := first.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	first.Put(ctx, []*connect.Record{{Value: "not flushed"}})
	if err := first.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	second := startSink(t, path)
	second.Put(ctx, []*connect.Record{{Value: "again"}})
	if err := second.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := readLines(t, path), []string{"existing", "flushed", "again"}; !slices.Equal(got, want) {
		t.Fatalf("file lines %q, want %q", got, want)
	}
}

func TestSinkMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "out.txt")
	conn := filestream.NewSink()
	ctx := context.Background()
	conn.Start(ctx, connecttest.NewConnectorContext(), connect.Config{"file": path})
	task := conn.NewTask()
	err := task.Start(ctx, connecttest.NewSinkTaskContext("out", 0), connect.Config{"file": path})
	task.Stop(ctx)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Start = %v, want an error naming %s", err, path)
	}
}
