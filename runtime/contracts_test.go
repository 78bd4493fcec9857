package runtime_test

// Regression tests for the runtime's contracts under stop, restart and
// failure: each failed before the fix it guards.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/offset"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
)

// funcSource is a source plugin whose tasks poll with poll(n), n counting
// the task's polls from 0; a nil batch with a nil error makes it wait.
type funcSource struct {
	spec  connect.Spec
	start func(ctx context.Context) error // connector Start; nil: succeed
	stop  func(ctx context.Context) error // connector Stop; nil: succeed
	poll  func(ctx context.Context, n int) ([]*connect.Record, error)
}

func (s *funcSource) Spec() connect.Spec { return s.spec }
func (s *funcSource) Start(ctx context.Context, _ connect.ConnectorContext, _ connect.Config) error {
	if s.start != nil {
		return s.start(ctx)
	}
	return nil
}
func (s *funcSource) TaskConfigs(int) ([]connect.Config, error) { return []connect.Config{{}}, nil }
func (s *funcSource) Stop(ctx context.Context) error {
	if s.stop != nil {
		return s.stop(ctx)
	}
	return nil
}
func (s *funcSource) NewTask() connect.SourceTask { return &funcSourceTask{s: s} }

type funcSourceTask struct {
	s *funcSource
	n int
}

func (t *funcSourceTask) Start(context.Context, connect.SourceTaskContext, connect.Config) error {
	return nil
}
func (t *funcSourceTask) Poll(ctx context.Context) ([]*connect.Record, error) {
	n := t.n
	t.n++
	recs, err := t.s.poll(ctx, n)
	if recs == nil && err == nil {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return recs, err
}
func (t *funcSourceTask) Stop(context.Context) error { return nil }

func numbered(topic string, from, to int) []*connect.Record {
	var out []*connect.Record
	for i := from; i <= to; i++ {
		out = append(out, &connect.Record{Topic: topic, Key: "k", Value: map[string]any{"i": i},
			Position: connect.Position{Partition: "p", Offset: []byte(strconv.Itoa(i))}})
	}
	return out
}

func collectedInts(col *connecttest.Collector) []int {
	var out []int
	for _, r := range col.Records() {
		v, _ := r.Value.(map[string]any)["i"]
		switch n := v.(type) {
		case int64:
			out = append(out, int(n))
		case float64:
			out = append(out, int(n))
		case int:
			out = append(out, n)
		}
	}
	return out
}

// Records returned together with a retriable error are delivered, and the
// offset commit does not skip them.
func TestPollRecordsReturnedWithErrorAreDelivered(t *testing.T) {
	src := &funcSource{poll: func(ctx context.Context, n int) ([]*connect.Record, error) {
		switch n {
		case 0:
			return numbered("nums", 0, 1), nil
		case 1:
			return numbered("nums", 2, 3), connect.Retriable(errors.New("read part of a batch, then lost the connection"))
		case 2:
			return numbered("nums", 4, 5), nil
		}
		return nil, nil
	}}
	col := connecttest.NewCollector()
	rt := startRuntime(t,
		runtime.WithPlugin("src", func() connect.Connector { return src }),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }))
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "nums"})
	create(t, rt, "src", connect.Config{"connector.class": "src"})
	waitCollected(t, col, 6, 10*time.Second)
	if got := collectedInts(col); !slices.Equal(got, []int{0, 1, 2, 3, 4, 5}) {
		t.Fatalf("collected %v, want 0..5 in order", got)
	}
	eventually(t, 10*time.Second, "offset 5 committed", func() bool {
		ps, err := rt.Offsets(context.Background(), "src")
		return err == nil && len(ps) == 1 && string(ps[0].Offset) == "5"
	})
}

// slowFlushSink is a sink whose Flush takes a while and fails if its ctx
// is cancelled meanwhile.
type slowFlushSink struct {
	delay     time.Duration
	flushing  chan struct{} // closed when the first Flush begins
	once      sync.Once
	mu        sync.Mutex
	buffered  []*connect.Record
	written   []*connect.Record
	flushErrs []error
}

func (s *slowFlushSink) Spec() connect.Spec { return connect.Spec{Name: "slow"} }
func (s *slowFlushSink) Start(context.Context, connect.ConnectorContext, connect.Config) error {
	return nil
}
func (s *slowFlushSink) TaskConfigs(int) ([]connect.Config, error) {
	return []connect.Config{{}}, nil
}
func (s *slowFlushSink) Stop(context.Context) error { return nil }
func (s *slowFlushSink) NewTask() connect.SinkTask  { return &slowFlushTask{s} }

type slowFlushTask struct{ s *slowFlushSink }

func (t *slowFlushTask) Start(context.Context, connect.SinkTaskContext, connect.Config) error {
	return nil
}
func (t *slowFlushTask) Put(_ context.Context, rs []*connect.Record) error {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	t.s.buffered = append(t.s.buffered, rs...)
	return nil
}
func (t *slowFlushTask) Flush(ctx context.Context) error {
	t.s.once.Do(func() { close(t.s.flushing) })
	select {
	case <-time.After(t.s.delay):
	case <-ctx.Done():
		t.s.mu.Lock()
		t.s.flushErrs = append(t.s.flushErrs, ctx.Err())
		t.s.mu.Unlock()
		return ctx.Err()
	}
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	t.s.written = append(t.s.written, t.s.buffered...)
	t.s.buffered = nil
	return nil
}
func (t *slowFlushTask) Stop(context.Context) error { return nil }

// A graceful stop lets the sink finish the batch in flight: Flush is not
// cancelled, the batch is acknowledged, and nothing is delivered again.
// The broker is external (not the runtime's own), as RocketMQ would be.
func TestGracefulStopFinishesSinkBatchInFlight(t *testing.T) {
	broker := memory.New(memory.WithDefaultQueues(1))
	defer broker.Close()
	sink := &slowFlushSink{delay: 300 * time.Millisecond, flushing: make(chan struct{})}
	rt := runtime.New(runtime.WithTransport(broker),
		runtime.WithPlugin("slow", func() connect.Connector { return sink }))
	if err := rt.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	publishGood(t, broker, "in", "a", "b", "c")
	create(t, rt, "sink", connect.Config{"connector.class": "slow", "topics": "in"})
	select {
	case <-sink.flushing:
	case <-time.After(10 * time.Second):
		t.Fatal("sink never flushed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rt.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	sink.mu.Lock()
	written, flushErrs := len(sink.written), sink.flushErrs
	sink.mu.Unlock()
	if len(flushErrs) > 0 || written != 3 {
		t.Fatalf("stop cancelled the flush in flight: flush errors %v, %d of 3 records written", flushErrs, written)
	}
	if lag := broker.Lag("connect-sink", "in"); lag != 0 {
		t.Fatalf("%d messages not acknowledged after the graceful stop: they would be delivered again", lag)
	}
}

// blockingConnector is a sink connector whose Start blocks until release
// is closed (or its ctx is done).
type blockingConnector struct {
	connect.SinkConnector
	started chan struct{}
	release chan struct{}
}

func (b *blockingConnector) Start(ctx context.Context, cc connect.ConnectorContext, cfg connect.Config) error {
	close(b.started)
	select {
	case <-b.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return b.SinkConnector.Start(ctx, cc, cfg)
}

// Reads (status, config, task configs, health, the connector list) never
// wait for a connector's Start to return.
func TestStatusDoesNotWaitForSlowConnectorStart(t *testing.T) {
	bc := &blockingConnector{SinkConnector: connecttest.NewCollector().Connector(), started: make(chan struct{}), release: make(chan struct{})}
	var calls atomic.Int32
	rt := startRuntime(t, runtime.WithPlugin("slow", func() connect.Connector {
		if calls.Add(1) == 1 {
			return connecttest.NewCollector().Connector() // Validate's instance
		}
		return bc
	}))
	created := make(chan error, 1)
	go func() {
		created <- rt.CreateConnector(context.Background(), "slow", connect.Config{"connector.class": "slow", "topics": "t"})
	}()
	<-bc.started

	reads := make(chan error, 1)
	go func() {
		if _, err := rt.ConnectorStatus("slow"); err != nil {
			reads <- err
			return
		}
		if _, err := rt.ConnectorConfig("slow"); err != nil {
			reads <- err
			return
		}
		if _, err := rt.TaskConfigs("slow"); err != nil {
			reads <- err
			return
		}
		_ = rt.Health()
		_ = rt.Connectors()
		reads <- nil
	}()
	select {
	case err := <-reads:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		close(bc.release)
		t.Fatal("status reads waited for Connector.Start")
	}
	close(bc.release)
	if err := <-created; err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "connector running", allTasks(rt, "slow", 1, connect.StateRunning))
}

// openBlocker is an offset store whose Open blocks until release closes.
type openBlocker struct {
	connect.OffsetStore
	opening chan struct{}
	release chan struct{}
}

func (o *openBlocker) Open(ctx context.Context) error {
	close(o.opening)
	select {
	case <-o.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Runtime.Start does its I/O without the runtime-wide lock: reads answer
// while the offset store opens.
func TestStartDoesNotBlockReadsDuringIO(t *testing.T) {
	store := &openBlocker{OffsetStore: offset.NewMemory(), opening: make(chan struct{}), release: make(chan struct{})}
	rt := runtime.New(runtime.WithOffsetStore(store))
	started := make(chan error, 1)
	go func() { started <- rt.Start(context.Background()) }()
	<-store.opening
	health := make(chan runtime.Health, 1)
	go func() {
		_ = rt.Connectors()
		health <- rt.Health()
	}()
	select {
	case h := <-health:
		if h.Status != runtime.HealthStarting {
			t.Errorf("health while starting: %+v", h)
		}
	case <-time.After(10 * time.Second):
		t.Error("reads waited for the offset store to open")
	}
	close(store.release)
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	if err := rt.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Stop's ctx bounds Connector.Stop, and RestartConnector honours its ctx.
func TestStopAndRestartHonourTheirContext(t *testing.T) {
	var stopDeadline atomic.Value
	var blockStart atomic.Bool
	src := &funcSource{
		start: func(ctx context.Context) error {
			if blockStart.Load() {
				<-ctx.Done()
				return ctx.Err()
			}
			return nil
		},
		stop: func(ctx context.Context) error {
			if d, ok := ctx.Deadline(); ok {
				stopDeadline.Store(d)
			}
			return nil
		},
		poll: func(context.Context, int) ([]*connect.Record, error) { return nil, nil },
	}
	rt := runtime.New(runtime.WithPlugin("src", func() connect.Connector { return src }), runtime.WithShutdownTimeout(time.Minute))
	if err := rt.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	create(t, rt, "src", connect.Config{"connector.class": "src", "topic": "t"})

	blockStart.Store(true)
	rctx, rcancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer rcancel()
	restarted := make(chan error, 1)
	go func() { restarted <- rt.RestartConnector(rctx, "src", runtime.RestartOptions{}) }()
	select {
	case err := <-restarted:
		st, _ := rt.ConnectorStatus("src")
		if err == nil && st.State != connect.StateFailed {
			t.Errorf("restart past its deadline: err %v, state %s", err, st.State)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("RestartConnector ignored its ctx")
	}
	blockStart.Store(false)

	deadline := time.Now().Add(2 * time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if err := rt.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	d, ok := stopDeadline.Load().(time.Time)
	if !ok || d.After(deadline) {
		t.Fatalf("Connector.Stop got deadline %v (ok %v), want Stop's %v", d, ok, deadline)
	}
}

// batchErrSink fails the first Put of each batch with a BatchError that
// names record 0 as permanently failed and record 1 as retriable.
type batchErrSink struct {
	connect.SinkConnector
	col   *connecttest.Collector
	calls atomic.Int32
}

func (b *batchErrSink) NewTask() connect.SinkTask {
	return &batchErrTask{SinkTask: b.SinkConnector.NewTask(), b: b}
}

type batchErrTask struct {
	connect.SinkTask
	b *batchErrSink
}

func (t *batchErrTask) Put(ctx context.Context, rs []*connect.Record) error {
	if t.b.calls.Add(1) == 1 && len(rs) == 3 {
		// Records 1 and 2 failed now; 0 would be written... except it is
		// a permanent failure, so only record 2 lands.
		if err := t.SinkTask.Put(ctx, rs[2:]); err != nil {
			return err
		}
		return &connect.BatchError{Failed: []connect.RecordError{
			{Index: 0, Err: errors.New("constraint violation")},
			{Index: 1, Err: connect.Retriable(errors.New("lock wait timeout"))},
		}}
	}
	return t.SinkTask.Put(ctx, rs)
}

// A BatchError mixing retriable and permanent failures dead-letters only
// the permanent ones and retries the retriable ones.
func TestMixedBatchErrorRetriesRetriableRecords(t *testing.T) {
	broker := memory.New(memory.WithDefaultQueues(1))
	defer broker.Close()
	col := connecttest.NewCollector()
	sink := &batchErrSink{SinkConnector: col.Connector(), col: col}
	rt := startRuntime(t, runtime.WithTransport(broker),
		runtime.WithPlugin("sink", func() connect.Connector { return sink }))
	publishGood(t, broker, "in", "a", "b", "c")
	create(t, rt, "sink", connect.Config{
		"connector.class": "sink", "topics": "in",
		"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq",
	})
	waitCollected(t, col, 2, 10*time.Second)
	eventually(t, 10*time.Second, "batch acknowledged", func() bool { return broker.Lag("connect-sink", "in") == 0 })

	var got []string
	for _, r := range col.Records() {
		got = append(got, fmt.Sprint(r.Value.(map[string]any)["v"]))
	}
	slices.Sort(got)
	got = slices.Compact(got)
	if !slices.Equal(got, []string{"b", "c"}) {
		t.Errorf("written %v, want b (retried) and c", got)
	}
	dl := readAll(t, broker, "dlq")
	if len(dl) != 1 || !strings.Contains(string(dl[0].Value), `"a"`) {
		var vs []string
		for _, m := range dl {
			vs = append(vs, string(m.Value))
		}
		t.Fatalf("dead-letter topic holds %v, want only record a", vs)
	}
	if c := dl[0].Headers[runtime.HeaderErrorExceptionClass]; c != "connect.WriteError" {
		t.Errorf("exception class %q, want connect.WriteError", c)
	}
	if c := dl[0].Headers[runtime.HeaderErrorStage]; c != "TASK_PUT" {
		t.Errorf("stage %q, want TASK_PUT", c)
	}
}

// readAll reads every message of topic retained by the broker.
func readAll(t *testing.T, broker *memory.Broker, topic string) []*connect.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	sub, err := broker.Broadcast(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var out []*connect.Message
	for {
		msgs, err := sub.Fetch(ctx, 100)
		if err != nil {
			return out
		}
		out = append(out, msgs...)
	}
}

// The dead-letter headers name the executing class and an error type a
// person can act on, never *errors.errorString.
func TestDeadLetterClassHeaders(t *testing.T) {
	broker := memory.New(memory.WithDefaultQueues(1))
	defer broker.Close()
	col := connecttest.NewCollector()
	rt := startRuntime(t, runtime.WithTransport(broker),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }))
	publishGarbage(t, broker, "in")
	publishGood(t, broker, "in", "ok")
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "in",
		"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq"})
	waitCollected(t, col, 1, 10*time.Second)
	dl := readAll(t, broker, "dlq")
	if len(dl) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dl))
	}
	h := dl[0].Headers
	if got := h[runtime.HeaderErrorClass]; got != "github.com/openmessaging/connect-go/converter.JSON" {
		t.Errorf("class %q, want the converter's type", got)
	}
	exc := h[runtime.HeaderErrorExceptionClass]
	if exc == "" || strings.Contains(exc, "errorString") || strings.Contains(exc, "wrapError") {
		t.Errorf("exception class %q names nothing a person can act on", exc)
	}
}

// A source whose records name no topic, with no "topic" setting, fails its
// task once with a clear reason instead of failing (or dead-lettering)
// every record.
func TestSourceWithoutTopicFailsOnceWithReason(t *testing.T) {
	broker := memory.New()
	defer broker.Close()
	rt := startRuntime(t, runtime.WithTransport(broker), runtime.WithPlugin("slice", func() connect.Connector {
		return connecttest.NewSliceSource(&connect.Record{Value: "x"}, &connect.Record{Value: "y"})
	}))
	create(t, rt, "src", connect.Config{"connector.class": "slice",
		"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq"})
	eventually(t, 10*time.Second, "task failed naming the topic setting", func() bool {
		ts := taskStates(rt, "src")
		return len(ts) == 1 && ts[0].State == connect.StateFailed && strings.Contains(ts[0].Trace, `sets no "topic"`)
	})
	if dl := readAll(t, broker, "dlq"); len(dl) != 0 {
		t.Fatalf("%d records dead-lettered for a config mistake", len(dl))
	}
}

// failingStore is an offset store whose Put fails while fail is set.
type failingStore struct {
	connect.OffsetStore
	fail atomic.Bool
}

func (f *failingStore) Put(ctx context.Context, connector string, ps ...connect.Position) error {
	if f.fail.Load() {
		return errors.New("write offsets.json: no space left on device")
	}
	return f.OffsetStore.Put(ctx, connector, ps...)
}

// Offsets that cannot be saved show in the task status (with since when)
// and make the worker degraded, until a commit succeeds again.
func TestOffsetCommitFailureShowsInStatusAndHealth(t *testing.T) {
	store := &failingStore{OffsetStore: offset.NewMemory()}
	store.fail.Store(true)
	rt := startRuntime(t, runtime.WithOffsetStore(store),
		runtime.WithPlugin("collect", func() connect.Connector { return connecttest.NewCollector().Connector() }),
		runtime.WithPlugin("gen", func() connect.Connector { return connecttest.NewGenerator(seqRecord("g", 3), 0) }))
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "g"})
	create(t, rt, "gen", connect.Config{"connector.class": "gen"})
	eventually(t, 10*time.Second, "commit failure in the status", func() bool {
		ts := taskStates(rt, "gen")
		return len(ts) == 1 && strings.Contains(ts[0].OffsetCommitError, "no space left") && !ts[0].OffsetCommitFailingSince.IsZero()
	})
	if ts := taskStates(rt, "gen"); ts[0].State != connect.StateRunning {
		t.Errorf("task state %s, want RUNNING", ts[0].State)
	}
	h := rt.Health()
	if h.Status != runtime.HealthDegraded || len(h.Reasons) != 1 || !strings.Contains(h.Reasons[0], "no space left") {
		t.Fatalf("health %+v, want degraded with the reason", h)
	}
	store.fail.Store(false)
	eventually(t, 10*time.Second, "commit failure cleared", func() bool {
		ts := taskStates(rt, "gen")
		return len(ts) == 1 && ts[0].OffsetCommitError == "" && rt.Health().Status == runtime.HealthHealthy
	})
}

// failingConnectorStore fails every write.
type failingConnectorStore struct {
	runtime.ConnectorStore
	fail atomic.Bool
}

func (f *failingConnectorStore) Save(ctx context.Context, c runtime.StoredConnector) error {
	if f.fail.Load() {
		return errors.New("write connectors.json: read-only file system")
	}
	return f.ConnectorStore.Save(ctx, c)
}

func (f *failingConnectorStore) Remove(ctx context.Context, name string) error {
	if f.fail.Load() {
		return errors.New("write connectors.json: read-only file system")
	}
	return f.ConnectorStore.Remove(ctx, name)
}

// A change that cannot be persisted is refused with ErrUnavailable and not
// applied, not even half.
func TestUnpersistableChangeIsNotApplied(t *testing.T) {
	cs := &failingConnectorStore{ConnectorStore: runtime.NewFileConnectorStore(t.TempDir() + "/connectors.json")}
	col := connecttest.NewCollector()
	rt := startRuntime(t, runtime.WithConnectorStore(cs),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }))
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "a"})
	cs.fail.Store(true)
	ctx := context.Background()

	if err := rt.CreateConnector(ctx, "other", connect.Config{"connector.class": "collect", "topics": "a"}); !errors.Is(err, runtime.ErrUnavailable) {
		t.Errorf("create: %v, want ErrUnavailable", err)
	}
	if _, err := rt.PutConnectorConfig(ctx, "sink", connect.Config{"connector.class": "collect", "topics": "b"}); !errors.Is(err, runtime.ErrUnavailable) {
		t.Errorf("put config: %v, want ErrUnavailable", err)
	}
	if err := rt.PauseConnector(ctx, "sink"); !errors.Is(err, runtime.ErrUnavailable) {
		t.Errorf("pause: %v, want ErrUnavailable", err)
	}
	if err := rt.DeleteConnector(ctx, "sink"); !errors.Is(err, runtime.ErrUnavailable) {
		t.Errorf("delete: %v, want ErrUnavailable", err)
	}
	if names := rt.Connectors(); !slices.Equal(names, []string{"sink"}) {
		t.Errorf("connectors %v, want only sink", names)
	}
	cfg, err := rt.ConnectorConfig("sink")
	if err != nil || cfg["topics"] != "a" {
		t.Errorf("config %v (%v), want the old one", cfg, err)
	}
	if st, _ := rt.ConnectorStatus("sink"); st.State != connect.StateRunning {
		t.Errorf("state %s, want RUNNING", st.State)
	}
}

// A log reader can follow a task: started, failed with the reason and when
// it restarts, restarting, stopped.
func TestTaskLifecycleLogs(t *testing.T) {
	var logs connecttest.LogBuffer
	col := connecttest.NewCollector()
	col.FailFlush(1, errors.New("disk on fire"))
	broker := memory.New(memory.WithDefaultQueues(1))
	defer broker.Close()
	rt := runtime.New(runtime.WithTransport(broker), runtime.WithRestartBackoff(10*time.Millisecond, 10*time.Millisecond),
		runtime.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }))
	if err := rt.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	publishGood(t, broker, "in", "a")
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "in", "errors.retry.timeout": "0"})
	waitCollected(t, col, 1, 10*time.Second)
	if err := rt.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, want := range []string{
		`msg="task started" worker=`,
		`msg="task failed"`,
		`disk on fire`,
		`restart_at=`,
		`msg="task restarting"`,
		`msg="task stopped"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, `msg="task `) && (!strings.Contains(line, "connector=sink") || !strings.Contains(line, "task=0")) {
			t.Errorf("lifecycle line without connector and task: %s", line)
		}
	}
}

// A bounded source ends with connect.ErrEndOfInput: its last records arrive,
// their positions are committed, and the task stops instead of restarting.
func TestEndOfInputStopsTheTask(t *testing.T) {
	src := &funcSource{poll: func(ctx context.Context, n int) ([]*connect.Record, error) {
		switch n {
		case 0:
			return numbered("bounded", 0, 1), nil
		case 1:
			return numbered("bounded", 2, 2), connect.ErrEndOfInput
		}
		t.Errorf("Poll called again after the end of input")
		return nil, nil
	}}
	col := connecttest.NewCollector()
	rt := startRuntime(t,
		runtime.WithPlugin("src", func() connect.Connector { return src }),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }))
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "bounded"})
	create(t, rt, "src", connect.Config{"connector.class": "src"})
	waitCollected(t, col, 3, 10*time.Second)
	eventually(t, 10*time.Second, "task STOPPED with offset 2 committed", func() bool {
		ts := taskStates(rt, "src")
		ps, _ := rt.Offsets(context.Background(), "src")
		return len(ts) == 1 && ts[0].State == connect.StateStopped && len(ps) == 1 && string(ps[0].Offset) == "2"
	})
	time.Sleep(100 * time.Millisecond) // restart backoff in these tests is 20ms
	if ts := taskStates(rt, "src"); ts[0].State != connect.StateStopped || ts[0].Restarts != 0 || ts[0].Trace != "" {
		t.Fatalf("finished task: %+v", ts[0])
	}
}
