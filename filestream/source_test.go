package filestream_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/filestream"
	"github.com/openmessaging/connect-go/offset"
)

// startSource starts a source task on path with stored positions from store.
func startSource(t *testing.T, path string, store connect.OffsetStore, extra connect.Config) (connect.SourceTask, error) {
	t.Helper()
	ctx := context.Background()
	conn := filestream.NewSource()
	cfg := connect.Config{"file": path, "topic": "lines", "poll.interval": "5ms"}
	for k, v := range extra {
		cfg[k] = v
	}
	if err := conn.Spec().Config.Validate(cfg); err != nil {
		t.Fatal(err)
	}
	if err := conn.Start(ctx, connecttest.NewConnectorContext(), conn.Spec().Config.Apply(cfg)); err != nil {
		t.Fatal(err)
	}
	cfgs, err := conn.TaskConfigs(3)
	if err != nil || len(cfgs) != 1 {
		t.Fatalf("TaskConfigs(3) = %d configs, %v; want 1", len(cfgs), err)
	}
	task := conn.NewTask()
	t.Cleanup(func() { task.Stop(ctx) })
	return task, task.Start(ctx, connecttest.NewSourceTaskContext("files", 0, store), cfgs[0])
}

func mustStartSource(t *testing.T, path string, store connect.OffsetStore, extra connect.Config) connect.SourceTask {
	t.Helper()
	task, err := startSource(t, path, store, extra)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func poll(t *testing.T, task connect.SourceTask, wait time.Duration) ([]*connect.Record, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	return task.Poll(ctx)
}

func mustPoll(t *testing.T, task connect.SourceTask, wait time.Duration) []*connect.Record {
	t.Helper()
	recs, err := poll(t, task, wait)
	if err != nil {
		t.Fatalf("Poll: %v", err)
	}
	return recs
}

func describe(t *testing.T, recs []*connect.Record) string {
	t.Helper()
	var b strings.Builder
	for _, r := range recs {
		var off struct{ Pos int64 }
		if err := r.Position.Decode(&off); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s@%d ", r.Value, off.Pos)
	}
	return strings.TrimSpace(b.String())
}

func newFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSourceRecords(t *testing.T) {
	path := newFile(t, "one\ntwo\r\n\nthree\n")
	recs := mustPoll(t, mustStartSource(t, path, nil, nil), time.Second)
	if got, want := describe(t, recs), "one@4 two@9 @10 three@16"; got != want {
		t.Fatalf("records = %q, want %q", got, want)
	}
	abs, _ := filepath.Abs(path)
	r := recs[0]
	if r.Topic != "lines" || r.Key != abs || r.Position.Partition != "file:"+abs {
		t.Fatalf("record = topic %q key %v partition %q; want lines, %s, file:%s", r.Topic, r.Key, r.Position.Partition, abs, abs)
	}
}

func TestSourceResumesFromStoredPosition(t *testing.T) {
	path := newFile(t, "a\nb\nc\n")
	store := offset.NewMemory()
	task := mustStartSource(t, path, store, nil)
	recs := mustPoll(t, task, time.Second)
	if len(recs) != 3 {
		t.Fatalf("first run polled %d records, want 3", len(recs))
	}
	// Commit b (not c), stop, write more, restart.
	if err := store.Put(context.Background(), "files", recs[1].Position); err != nil {
		t.Fatal(err)
	}
	task.Stop(context.Background())
	appendFile(t, path, "d\n")

	again := mustStartSource(t, path, store, nil)
	if got, want := describe(t, mustPoll(t, again, time.Second)), "c@6 d@8"; got != want {
		t.Fatalf("after restart: %q, want %q", got, want)
	}
}

func TestSourceWaitsForTheEndOfALine(t *testing.T) {
	path := newFile(t, "done\npart")
	task := mustStartSource(t, path, nil, nil)
	if got := describe(t, mustPoll(t, task, time.Second)); got != "done@5" {
		t.Fatalf("first Poll = %q, want only the complete line", got)
	}
	if recs := mustPoll(t, task, 50*time.Millisecond); len(recs) != 0 {
		t.Fatalf("Poll emitted an unterminated line: %q", describe(t, recs))
	}
	appendFile(t, path, "ial")
	if recs := mustPoll(t, task, 50*time.Millisecond); len(recs) != 0 {
		t.Fatalf("Poll emitted an unterminated line: %q", describe(t, recs))
	}
	appendFile(t, path, " line\nnext\n")
	if got, want := describe(t, mustPoll(t, task, time.Second)), "partial line@18 next@23"; got != want {
		t.Fatalf("after the newline: %q, want %q", got, want)
	}

	// A restart in the middle of a line re-reads it from its start.
	store := offset.NewMemory()
	store.Put(context.Background(), "files", connect.NewPosition("file:"+mustAbs(t, path), map[string]int{"pos": 5}))
	appendFile(t, path, "half")
	again := mustStartSource(t, path, store, connect.Config{"batch.size": "1"})
	if got := describe(t, mustPoll(t, again, time.Second)); got != "partial line@18" {
		t.Fatalf("after restart at 5: %q, want the whole line (batch.size 1)", got)
	}
}

func TestSourceTailsTheFile(t *testing.T) {
	path := newFile(t, "")
	task := mustStartSource(t, path, nil, nil)
	wrote := make(chan error, 1)
	go func() {
		time.Sleep(20 * time.Millisecond)
		wrote <- os.WriteFile(path, []byte("late\n"), 0o644)
	}()
	got := describe(t, mustPoll(t, task, 5*time.Second))
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	if got != "late@5" {
		t.Fatalf("Poll = %q, want the line appended while it waited", got)
	}
	start := time.Now()
	if recs := mustPoll(t, task, 30*time.Millisecond); len(recs) != 0 {
		t.Fatalf("Poll at the end = %d records", len(recs))
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Poll took %v to notice its ctx was done", d)
	}
}

func TestSourceMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.txt")
	_, err := startSource(t, path, nil, nil)
	if err == nil || !strings.Contains(err.Error(), path) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Start on a missing file = %v, want a not-exist error naming %s", err, path)
	}
}

func TestSourceTruncatedFile(t *testing.T) {
	path := newFile(t, "aaaa\nbbbb\n")
	store := offset.NewMemory()
	task := mustStartSource(t, path, store, nil)
	recs := mustPoll(t, task, time.Second)
	store.Put(context.Background(), "files", recs[len(recs)-1].Position)

	if err := os.Truncate(path, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := poll(t, task, time.Second); !errors.Is(err, connect.ErrFatal) || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("Poll on a truncated file = %v, want a fatal error saying so", err)
	}
	if _, err := startSource(t, path, store, nil); !errors.Is(err, connect.ErrFatal) {
		t.Fatalf("Start past the end of a truncated file = %v, want a fatal error", err)
	}
}

func TestSourceBatchSize(t *testing.T) {
	path := newFile(t, strings.Repeat("x\n", 5))
	task := mustStartSource(t, path, nil, connect.Config{"batch.size": "2"})
	for _, want := range []int{2, 2, 1} {
		if recs := mustPoll(t, task, time.Second); len(recs) != want {
			t.Fatalf("Poll returned %d records, want %d", len(recs), want)
		}
	}
}

func mustAbs(t *testing.T, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
