package rocketmq_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/filestream"
	"github.com/openmessaging/connect-go/runtime"
)

// startRuntime starts a runtime on tr with plugins; it stops when t ends.
func startRuntime(t *testing.T, tr connect.MessageTransport, opts ...runtime.Option) *runtime.Runtime {
	t.Helper()
	rt := runtime.New(append([]runtime.Option{
		runtime.WithTransport(tr),
		runtime.WithLogger(testLogger(t)),
		runtime.WithRestartBackoff(200*time.Millisecond, 5*time.Second),
		runtime.WithOffsetFlushInterval(200 * time.Millisecond),
	}, opts...)...)
	// The runtime runs until its Start ctx is done.
	if err := rt.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := rt.Stop(ctx); err != nil {
			t.Errorf("stop runtime: %v", err)
		}
	})
	return rt
}

func createConnector(t *testing.T, rt *runtime.Runtime, name string, cfg connect.Config) {
	t.Helper()
	if err := rt.CreateConnector(context.Background(), name, cfg); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
}

// orderCheck follows one sequence per key: a record may come again, but
// never before every earlier record of its key came (first deliveries are
// in order); duplicates are counted.
type orderCheck struct {
	next       map[string]int64
	distinct   int
	duplicates int
	violations []string
}

func newOrderCheck() *orderCheck { return &orderCheck{next: map[string]int64{}} }

func (c *orderCheck) add(key string, seq int64) {
	switch n := c.next[key]; {
	case seq == n:
		c.next[key]++
		c.distinct++
	case seq < n:
		c.duplicates++
	default:
		if len(c.violations) < 10 {
			c.violations = append(c.violations, fmt.Sprintf("key %s: record %d arrived before %d", key, seq, n))
		}
	}
}

// 100k lines of a file go through RocketMQ into another file: every line
// arrives, in file order (the source keys every line with the file's path,
// so they share a queue).
func TestFileStreamPipeline(t *testing.T) {
	const lines = 100_000
	tr := open(t)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := range lines {
		fmt.Fprintf(w, "%07d the quick brown fox jumps over the lazy dog\n", i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	topic := uniqueName("lines")
	if err := tr.CreateTopic(context.Background(), topic, 4); err != nil {
		t.Fatal(err)
	}
	rt := startRuntime(t, tr,
		runtime.WithPlugin("file-source", func() connect.Connector { return filestream.NewSource() }),
		runtime.WithPlugin("file-sink", func() connect.Connector { return filestream.NewSink() }))
	began := time.Now()
	createConnector(t, rt, "sink", connect.Config{"connector.class": "file-sink", "file": out, "topics": topic})
	createConnector(t, rt, "source", connect.Config{"connector.class": "file-source", "file": in, "topic": topic})

	check := newOrderCheck()
	deadline := time.Now().Add(3 * time.Minute)
	var got []string
	for {
		got = readLines(t, out)
		if len(got) >= lines {
			check = newOrderCheck()
			for _, l := range got {
				seq, err := strconv.ParseInt(l[:7], 10, 64)
				if err != nil {
					t.Fatalf("foreign line %q", l)
				}
				check.add("file", seq)
			}
			if check.distinct == lines {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d lines in the output after 3 minutes, %d distinct, want %d", len(got), check.distinct, lines)
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(began)
	for _, v := range check.violations {
		t.Error(v)
	}
	t.Logf("%d lines in %v (%.0f lines/s), %d duplicates", lines, took.Round(time.Millisecond), lines/took.Seconds(), check.duplicates)
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[:i] // only complete lines
	} else {
		return nil
	}
	return strings.Split(s, "\n")
}

// keyedRecords makes generator record i of topic: one of keys keys, and a
// per-key sequence number. pace, when set, is called before each record.
func keyedRecords(topic string, keys int64, pace func()) func(i int64) *connect.Record {
	return func(i int64) *connect.Record {
		if pace != nil {
			pace()
		}
		k := "k" + strconv.FormatInt(i%keys, 10)
		return &connect.Record{
			Topic: topic,
			Key:   k,
			Value: map[string]any{"i": i, "key": k, "seq": i / keys, "payload": "abcdefghijklmnopqrstuvwxyz0123456789"},
		}
	}
}

// checkCollected waits until every one of total records was collected and
// checks the per-key order.
func checkCollected(t *testing.T, col *connecttest.Collector, total int, timeout time.Duration) *orderCheck {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		check := newOrderCheck()
		for _, r := range col.Records() {
			v := r.Value.(map[string]any)
			check.add(v["key"].(string), v["seq"].(int64))
		}
		if len(check.violations) > 0 {
			for _, v := range check.violations {
				t.Error(v)
			}
			t.FailNow()
		}
		if check.distinct == total {
			return check
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %d of %d records collected (%d with duplicates)", timeout, check.distinct, total, col.Len())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Many keys, four queues, two sink tasks: every record arrives and every
// key's records arrive in order.
func TestManyKeysTwoSinkTasks(t *testing.T) {
	const total, keys = 100_000, 1000
	tr := open(t)
	topic := uniqueName("keyed")
	if err := tr.CreateTopic(context.Background(), topic, 4); err != nil {
		t.Fatal(err)
	}
	col := connecttest.NewCollector()
	rt := startRuntime(t, tr,
		runtime.WithPlugin("gen", func() connect.Connector { return connecttest.NewGenerator(keyedRecords(topic, keys, nil), total) }),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }))
	began := time.Now()
	createConnector(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": topic, "tasks.max": "2"})
	createConnector(t, rt, "source", connect.Config{"connector.class": "gen", "batch.size": "500"})
	check := checkCollected(t, col, total, 3*time.Minute)
	took := time.Since(began)
	t.Logf("%d records of %d keys in %v (%.0f records/s), %d duplicates", total, keys, took.Round(time.Millisecond),
		total/took.Seconds(), check.duplicates)
}

// A sink whose first Flush fails gets those records again.
func TestSinkFlushFailureRedelivers(t *testing.T) {
	const total = 2000
	tr := open(t)
	topic := uniqueName("flushfail")
	if err := tr.CreateTopic(context.Background(), topic, 4); err != nil {
		t.Fatal(err)
	}
	col := connecttest.NewCollector()
	col.FailFlush(1, connect.Retriable(fmt.Errorf("disk full")))
	lost := &flushWatch{}
	rt := startRuntime(t, tr,
		runtime.WithPlugin("gen", func() connect.Connector { return connecttest.NewGenerator(keyedRecords(topic, 10, nil), total) }),
		runtime.WithPlugin("collect", func() connect.Connector { return lost.wrap(col.Connector()) }))
	createConnector(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": topic})
	createConnector(t, rt, "source", connect.Config{"connector.class": "gen", "batch.size": "100"})
	check := checkCollected(t, col, total, time.Minute)
	failed := lost.failedRecords()
	if len(failed) == 0 {
		t.Fatal("no Flush failed")
	}
	collected := map[int64]bool{}
	for _, r := range col.Records() {
		collected[r.Value.(map[string]any)["i"].(int64)] = true
	}
	for _, i := range failed {
		if !collected[i] {
			t.Errorf("record %d, put before the failed Flush, never came again", i)
		}
	}
	t.Logf("%d records put before the failed flush came again; %d records collected, %d duplicates",
		len(failed), total, check.duplicates)
}

// flushWatch wraps a sink and remembers the records put before a Flush that
// failed.
type flushWatch struct {
	mu     sync.Mutex
	failed []int64
}

func (w *flushWatch) wrap(c connect.SinkConnector) connect.SinkConnector { return watchedSink{c, w} }

func (w *flushWatch) failedRecords() []int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.failed)
}

type watchedSink struct {
	connect.SinkConnector
	w *flushWatch
}

func (s watchedSink) NewTask() connect.SinkTask {
	return &watchedTask{SinkTask: s.SinkConnector.NewTask(), w: s.w}
}

type watchedTask struct {
	connect.SinkTask
	w       *flushWatch
	pending []int64
}

func (t *watchedTask) Put(ctx context.Context, rs []*connect.Record) error {
	err := t.SinkTask.Put(ctx, rs)
	if err == nil {
		for _, r := range rs {
			t.pending = append(t.pending, r.Value.(map[string]any)["i"].(int64))
		}
	}
	return err
}

func (t *watchedTask) Flush(ctx context.Context) error {
	err := t.SinkTask.Flush(ctx)
	if err != nil {
		t.w.mu.Lock()
		t.w.failed = append(t.w.failed, t.pending...)
		t.w.mu.Unlock()
	}
	t.pending = nil
	return err
}

// pacer returns a function that lets about perSecond calls through per
// second.
func pacer(perSecond int) func() {
	var n atomic.Int64
	start := time.Now()
	return func() {
		i := n.Add(1)
		if d := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(perSecond))); d > 0 {
			time.Sleep(d)
		}
	}
}
