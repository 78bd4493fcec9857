package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
)

// observer counts, per task, how many instances run at any instant.
type observer struct {
	mu         sync.Mutex
	running    map[string]int
	worst      int
	violations []string
	delivered  map[string]bool // "connector/task/n"
}

func newObserver() *observer {
	return &observer{running: map[string]int{}, delivered: map[string]bool{}}
}

func (o *observer) enter(key, worker string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.running[key]++
	if n := o.running[key]; n > o.worst {
		o.worst = n
	}
	if o.running[key] > 1 {
		o.violations = append(o.violations, fmt.Sprintf("%s started on %s while running elsewhere", key, worker))
	}
}

func (o *observer) exit(key string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.running[key]--
}

func (o *observer) check(t *testing.T) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.worst > 1 {
		t.Fatalf("a task ran on two workers at once (%d instances at worst): %v", o.worst, o.violations)
	}
}

// obsSource is a source whose tasks emit n numbered records each,
// resuming from their stored position, and report to the observer.
type obsSource struct {
	obs    *observer
	worker string
	limit  int
}

func (s *obsSource) Spec() connect.Spec {
	return connect.Spec{Name: "obs"}
}
func (s *obsSource) Start(context.Context, connect.ConnectorContext, connect.Config) error {
	return nil
}
func (s *obsSource) TaskConfigs(max int) ([]connect.Config, error) {
	var out []connect.Config
	for i := range max {
		out = append(out, connect.Config{"task": strconv.Itoa(i)})
	}
	return out, nil
}
func (s *obsSource) Stop(context.Context) error  { return nil }
func (s *obsSource) NewTask() connect.SourceTask { return &obsTask{s: s} }

type obsTask struct {
	s    *obsSource
	key  string
	next int
}

func (t *obsTask) Start(ctx context.Context, tc connect.SourceTaskContext, cfg connect.Config) error {
	t.key = tc.Connector() + "/" + cfg["task"]
	if p, ok, err := tc.Offset(ctx, t.key); err != nil {
		return err
	} else if ok {
		n, _ := strconv.Atoi(string(p.Offset))
		t.next = n + 1
	}
	t.s.obs.enter(t.key, t.s.worker)
	return nil
}

func (t *obsTask) Poll(ctx context.Context) ([]*connect.Record, error) {
	if t.next >= t.s.limit {
		<-ctx.Done()
		return nil, nil
	}
	select {
	case <-time.After(2 * time.Millisecond):
	case <-ctx.Done():
		return nil, nil
	}
	var out []*connect.Record
	for ; t.next < t.s.limit && len(out) < 5; t.next++ {
		out = append(out, &connect.Record{Topic: "obs", Key: t.key, Value: fmt.Sprintf("%s/%d", t.key, t.next),
			Position: connect.Position{Partition: t.key, Offset: []byte(strconv.Itoa(t.next))}})
	}
	return out, nil
}

func (t *obsTask) Stop(context.Context) error {
	if t.key != "" {
		t.s.obs.exit(t.key)
	}
	return nil
}

// obsSink records every value it receives.
type obsSink struct{ obs *observer }

func (s *obsSink) Spec() connect.Spec { return connect.Spec{Name: "obs-sink"} }
func (s *obsSink) Start(context.Context, connect.ConnectorContext, connect.Config) error {
	return nil
}
func (s *obsSink) TaskConfigs(max int) ([]connect.Config, error) {
	return []connect.Config{{}}, nil
}
func (s *obsSink) Stop(context.Context) error { return nil }
func (s *obsSink) NewTask() connect.SinkTask  { return &obsSinkTask{s} }

type obsSinkTask struct{ s *obsSink }

func (t *obsSinkTask) Start(context.Context, connect.SinkTaskContext, connect.Config) error {
	return nil
}
func (t *obsSinkTask) Put(_ context.Context, rs []*connect.Record) error {
	t.s.obs.mu.Lock()
	defer t.s.obs.mu.Unlock()
	for _, r := range rs {
		t.s.obs.delivered[fmt.Sprint(r.Value)] = true
	}
	return nil
}
func (t *obsSinkTask) Flush(context.Context) error { return nil }
func (t *obsSinkTask) Stop(context.Context) error  { return nil }

// cutTransport is a worker's own view of the shared broker, which a test
// can cut off: publishes fail and nothing is delivered while cut.
type cutTransport struct {
	connect.MessageTransport
	cut atomic.Bool
}

func (c *cutTransport) Publish(ctx context.Context, msgs ...*connect.Message) error {
	if c.cut.Load() {
		return connect.Retriable(errors.New("partitioned"))
	}
	return c.MessageTransport.Publish(ctx, msgs...)
}

func (c *cutTransport) Subscribe(ctx context.Context, group string, topics ...string) (connect.Subscription, error) {
	s, err := c.MessageTransport.Subscribe(ctx, group, topics...)
	return &cutSub{s, c}, err
}

func (c *cutTransport) Broadcast(ctx context.Context, topic string) (connect.Subscription, error) {
	s, err := c.MessageTransport.Broadcast(ctx, topic)
	return &cutSub{s, c}, err
}

// SetRetention passes the memory broker's retention through, so that the
// cluster sets it as it does on the broker itself.
func (c *cutTransport) SetRetention(ctx context.Context, topic string, d time.Duration) error {
	return c.MessageTransport.(connect.TopicRetention).SetRetention(ctx, topic, d)
}

type cutSub struct {
	connect.Subscription
	c *cutTransport
}

func (s *cutSub) Fetch(ctx context.Context, max int) ([]*connect.Message, error) {
	for s.c.cut.Load() {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return s.Subscription.Fetch(ctx, max)
}

func (s *cutSub) Ack(ctx context.Context, msgs ...*connect.Message) error {
	if s.c.cut.Load() {
		return connect.Retriable(errors.New("partitioned"))
	}
	return s.Subscription.Ack(ctx, msgs...)
}

const testLease = 1500 * time.Millisecond

type testWorker struct {
	id   string
	rt   *runtime.Runtime
	tr   *cutTransport
	dead bool
}

// startWorker starts a worker of cluster "test" with the observed source
// ("obs") and sink ("obs-sink") plugins.
func startWorker(t *testing.T, broker *memory.Broker, obs *observer, id string, limit int) *testWorker {
	t.Helper()
	return startClusterWorker(t, broker, id, "test",
		runtime.WithPlugin("obs", func() connect.Connector { return &obsSource{obs: obs, worker: id, limit: limit} }),
		runtime.WithPlugin("obs-sink", func() connect.Connector { return &obsSink{obs: obs} }))
}

// startClusterWorker starts a worker of cluster on its own client of
// broker, with plugins.
func startClusterWorker(t *testing.T, broker *memory.Broker, id, cluster string, plugins ...runtime.Option) *testWorker {
	t.Helper()
	tr := &cutTransport{MessageTransport: broker.Client()}
	rt := runtime.New(append([]runtime.Option{runtime.WithTransport(tr), runtime.WithWorkerID(id),
		runtime.WithCluster(cluster), runtime.WithClusterLease(testLease),
		runtime.WithOffsetFlushInterval(20 * time.Millisecond),
		runtime.WithRestartBackoff(20*time.Millisecond, 200*time.Millisecond),
		runtime.WithShutdownTimeout(5 * time.Second)}, plugins...)...)
	if err := rt.Start(context.Background()); err != nil {
		t.Fatalf("start %s: %v", id, err)
	}
	return &testWorker{id: id, rt: rt, tr: tr}
}

// kill stops a worker as a dead process would: no leave, no drain, and its
// transport closed.
func (w *testWorker) kill() {
	w.dead = true
	w.rt.Crash()
	w.tr.MessageTransport.Close()
}

func (w *testWorker) stop(t *testing.T) {
	if w.dead {
		return
	}
	w.dead = true
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.rt.Stop(ctx); err != nil {
		t.Errorf("stop %s: %v", w.id, err)
	}
	w.tr.MessageTransport.Close()
}

// placement returns, from w's view, which worker runs each connector that
// is RUNNING with all its tasks.
func placement(w *testWorker) map[string]string {
	out := map[string]string{}
	for _, name := range w.rt.Connectors() {
		st, err := w.rt.ConnectorStatus(name)
		if err != nil || st.State != connect.StateRunning || len(st.Tasks) == 0 {
			continue
		}
		ok := true
		for _, ts := range st.Tasks {
			ok = ok && ts.State == connect.StateRunning
		}
		if ok {
			out[name] = st.WorkerID
		}
	}
	return out
}

func TestClusterBalancesAndFailsOver(t *testing.T) {
	broker := memory.New()
	defer broker.Close()
	obs := newObserver()
	var ws []*testWorker
	for i := range 3 {
		ws = append(ws, startWorker(t, broker, obs, fmt.Sprintf("w%d", i), 500))
	}
	defer func() {
		began := time.Now()
		for _, w := range ws {
			w.stop(t)
		}
		t.Logf("stopped in %v", time.Since(began))
	}()
	ctx := context.Background()
	for i := range 6 {
		if err := ws[0].rt.CreateConnector(ctx, fmt.Sprintf("c%d", i), connect.Config{"connector.class": "obs", "tasks.max": "2", "topic": "obs"}); err != nil {
			t.Fatal(err)
		}
	}
	// Read-your-writes on the worker that took the request, and soon on
	// the others.
	if got := len(ws[0].rt.Connectors()); got != 6 {
		t.Fatalf("creating worker lists %d connectors right after creating 6", got)
	}
	eventually(t, 5*time.Second, "every worker lists 6 connectors", func() bool {
		return len(ws[1].rt.Connectors()) == 6 && len(ws[2].rt.Connectors()) == 6
	})
	balanced := func(live ...*testWorker) func() bool {
		return func() bool {
			p := placement(live[0])
			if len(p) != 6 {
				return false
			}
			per := map[string]int{}
			for _, w := range p {
				per[w]++
			}
			for _, w := range live {
				if per[w.id] < 6/len(live) || per[w.id] > (6+len(live)-1)/len(live) {
					return false
				}
			}
			return true
		}
	}
	began := time.Now()
	eventually(t, 20*time.Second, "6 connectors balanced over 3 workers", balanced(ws...))
	t.Logf("balanced after %v", time.Since(began))
	obs.check(t)

	before := placement(ws[0])
	ws[2].kill()
	killed := time.Now()
	eventually(t, 20*time.Second, "w2's connectors running on w0 and w1", balanced(ws[0], ws[1]))
	t.Logf("failover in %v (lease %v)", time.Since(killed), testLease)
	after := placement(ws[0])
	moved := 0
	for name, w := range before {
		if w != "w2" && after[name] != w {
			moved++
		}
	}
	if moved > 0 {
		t.Errorf("%d connectors of live workers moved on w2's death", moved)
	}
	if m := ws[0].rt.Members(); len(m) != 2 {
		t.Errorf("members after the kill: %+v", m)
	}

	// w2 comes back: it gets work back, moving no more than needed.
	ws[2] = startWorker(t, broker, obs, "w2", 500)
	began = time.Now()
	eventually(t, 20*time.Second, "rebalanced over 3 workers", balanced(ws...))
	t.Logf("rebalanced after the rejoin in %v", time.Since(began))
	final := placement(ws[0])
	moved = 0
	for name, w := range after {
		if final[name] != w {
			moved++
		}
	}
	if moved != 2 {
		t.Errorf("the rejoin moved %d connectors, want 2", moved)
	}
	obs.check(t)
}

// Random kills, joins, config changes and partitions: a task never runs on
// two workers at once, and every record of the numbered sources arrives.
func TestClusterChaosNeverRunsATaskTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	broker := memory.New()
	defer broker.Close()
	obs := newObserver()
	const limit = 300
	var ws []*testWorker
	for i := range 3 {
		ws = append(ws, startWorker(t, broker, obs, fmt.Sprintf("w%d", i), limit))
	}
	defer func() {
		for _, w := range ws {
			w.stop(t)
		}
	}()
	ctx := context.Background()
	if err := ws[0].rt.CreateConnector(ctx, "sink", connect.Config{"connector.class": "obs-sink", "topics": "obs"}); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if err := ws[0].rt.CreateConnector(ctx, fmt.Sprintf("c%d", i), connect.Config{"connector.class": "obs", "tasks.max": "2", "topic": "obs"}); err != nil {
			t.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	alive := func() []*testWorker {
		var out []*testWorker
		for _, w := range ws {
			if !w.dead {
				out = append(out, w)
			}
		}
		return out
	}
	next := 3
	var log []string
	for round := range 50 {
		live := alive()
		switch op := r.IntN(5); {
		case op == 0 && len(live) > 1:
			w := live[r.IntN(len(live))]
			log = append(log, "kill "+w.id)
			w.kill()
		case op == 1 || len(live) == 1:
			id := fmt.Sprintf("w%d", next)
			next++
			log = append(log, "join "+id)
			ws = append(ws, startWorker(t, broker, obs, id, limit))
		case op == 2:
			name := fmt.Sprintf("c%d", r.IntN(4))
			log = append(log, "reconfigure "+name)
			w := live[r.IntN(len(live))]
			_, err := w.rt.PutConnectorConfig(ctx, name, connect.Config{"connector.class": "obs", "tasks.max": strconv.Itoa(1 + r.IntN(2)), "topic": "obs"})
			if err != nil && !errors.Is(err, connect.ErrClosed) {
				t.Logf("reconfigure: %v", err)
			}
		case op == 3 && len(live) > 1:
			w := live[r.IntN(len(live))]
			log = append(log, "partition "+w.id)
			w.tr.cut.Store(true)
			time.Sleep(time.Duration(r.IntN(int(2 * testLease))))
			w.tr.cut.Store(false)
			log = append(log, "heal "+w.id)
		default:
			log = append(log, "wait")
		}
		time.Sleep(time.Duration(50+r.IntN(300)) * time.Millisecond)
		obs.mu.Lock()
		bad := obs.worst > 1
		obs.mu.Unlock()
		if bad {
			t.Logf("events: %s", strings.Join(log, ", "))
			obs.check(t)
		}
		_ = round
	}
	// Every record of every task arrives once things settle.
	live := alive()
	for i := range 4 {
		if _, err := live[0].rt.PutConnectorConfig(ctx, fmt.Sprintf("c%d", i), connect.Config{"connector.class": "obs", "tasks.max": "2", "topic": "obs"}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 60*time.Second, "every record delivered", func() bool {
		obs.mu.Lock()
		defer obs.mu.Unlock()
		for key := range obs.running {
			for n := range limit {
				if !obs.delivered[fmt.Sprintf("%s/%d", key, n)] {
					return false
				}
			}
		}
		return true
	})
	t.Logf("events: %s", strings.Join(log, ", "))
	obs.check(t)
}

// Two clusters on one transport never see each other's connectors; corrupt
// or foreign records on the internal topics are skipped.
func TestClustersAreIsolatedAndSkipGarbage(t *testing.T) {
	broker := memory.New()
	defer broker.Close()
	obs := newObserver()
	a := startWorker(t, broker, obs, "a1", 10)
	defer a.stop(t)
	bw := startClusterWorker(t, broker, "b1", "other",
		runtime.WithPlugin("obs", func() connect.Connector { return &obsSource{obs: obs, worker: "b1", limit: 10} }))
	defer bw.stop(t)
	b := bw.rt
	ctx := context.Background()
	// Garbage on every internal topic of cluster "test".
	topics := runtime.DefaultClusterTopics("test")
	for _, topic := range []string{topics.Configs, topics.Members, topics.Status, topics.Offsets} {
		for _, m := range []*connect.Message{
			{Topic: topic, Key: []byte("connector"), Value: []byte("{not json")},
			{Topic: topic, Key: []byte("heartbeat"), Value: []byte(`{"worker": 42}`)},
			{Topic: topic, Key: []byte("mystery"), Value: []byte(`{}`)},
			{Topic: topic, Value: []byte(`[1,2,3]`)},
		} {
			if err := broker.Publish(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := a.rt.CreateConnector(ctx, "mine", connect.Config{"connector.class": "obs", "topic": "obs"}); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateConnector(ctx, "theirs", connect.Config{"connector.class": "obs", "topic": "obs"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "each cluster runs its own connector", func() bool {
		return placement(a)["mine"] == "a1"
	})
	if got := a.rt.Connectors(); len(got) != 1 || got[0] != "mine" {
		t.Errorf("cluster test lists %v", got)
	}
	if got := b.Connectors(); len(got) != 1 || got[0] != "theirs" {
		t.Errorf("cluster other lists %v", got)
	}
	// A worker that starts now reads past the garbage too.
	a2 := startWorker(t, broker, obs, "a2", 10)
	defer a2.stop(t)
	if got := a2.rt.Connectors(); len(got) != 1 || got[0] != "mine" {
		t.Errorf("a new worker lists %v", got)
	}
	obs.check(t)
}

// A connector goes to a worker that has its plugin; where none has it, it
// fails with a reason naming the worker and the plugin.
func TestClusterPrefersWorkersWithThePlugin(t *testing.T) {
	broker := memory.New()
	defer broker.Close()
	obs := newObserver()
	with := startWorker(t, broker, obs, "with", 10)
	defer with.stop(t)
	ww := startClusterWorker(t, broker, "without", "test",
		runtime.WithPlugin("other", func() connect.Connector { return &obsSource{obs: obs, limit: 10} }))
	defer ww.stop(t)
	without := ww.rt
	ctx := context.Background()
	eventually(t, 10*time.Second, "two members", func() bool { return len(with.rt.Members()) == 2 })
	for i := range 4 {
		if err := with.rt.CreateConnector(ctx, fmt.Sprintf("c%d", i), connect.Config{"connector.class": "obs", "topic": "obs"}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "all four on the worker with the plugin", func() bool {
		p := placement(with)
		return len(p) == 4 && p["c0"] == "with" && p["c1"] == "with" && p["c2"] == "with" && p["c3"] == "with"
	})
	// Created through the worker without the plugin: validated where it can
	// be, refused here.
	if err := without.CreateConnector(ctx, "x", connect.Config{"connector.class": "obs", "topic": "obs"}); err == nil {
		t.Error("a worker without the plugin accepted a connector it cannot validate")
	}
	with.stop(t)
	eventually(t, 15*time.Second, "connectors failed on the worker without the plugin", func() bool {
		st, err := without.ConnectorStatus("c0")
		return err == nil && st.State == connect.StateFailed && st.WorkerID == "without" &&
			strings.Contains(st.Trace, `plugin "obs" is not registered with worker without`)
	})
	obs.check(t)
}

// Restarting every worker of a cluster brings every connector back, with
// its target state and positions, from the internal topics alone.
func TestClusterRestartsFromItsTopics(t *testing.T) {
	broker := memory.New()
	defer broker.Close()
	obs := newObserver()
	var ws []*testWorker
	for i := range 2 {
		ws = append(ws, startWorker(t, broker, obs, fmt.Sprintf("w%d", i), 100))
	}
	ctx := context.Background()
	if err := ws[0].rt.CreateConnector(ctx, "sink", connect.Config{"connector.class": "obs-sink", "topics": "obs"}); err != nil {
		t.Fatal(err)
	}
	if err := ws[1].rt.CreateConnector(ctx, "run", connect.Config{"connector.class": "obs", "topic": "obs"}); err != nil {
		t.Fatal(err)
	}
	if err := ws[1].rt.CreateConnector(ctx, "paused", connect.Config{"connector.class": "obs", "topic": "obs"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "run's positions at 99", func() bool {
		ps, _ := ws[0].rt.Offsets(ctx, "run")
		return len(ps) == 1 && string(ps[0].Offset) == "99"
	})
	if err := ws[0].rt.PauseConnector(ctx, "paused"); err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		w.stop(t)
	}
	ws = nil
	for i := range 2 {
		ws = append(ws, startWorker(t, broker, obs, fmt.Sprintf("n%d", i), 100))
	}
	defer func() {
		for _, w := range ws {
			w.stop(t)
		}
	}()
	if got := ws[0].rt.Connectors(); !slicesEqual(got, []string{"paused", "run", "sink"}) {
		t.Fatalf("after the restart: %v", got)
	}
	ps, err := ws[1].rt.Offsets(ctx, "run")
	if err != nil || len(ps) != 1 || string(ps[0].Offset) != "99" {
		t.Fatalf("positions after the restart: %v %v", ps, err)
	}
	eventually(t, 20*time.Second, "states restored", func() bool {
		st, _ := ws[0].rt.ConnectorStatus("paused")
		st2, _ := ws[0].rt.ConnectorStatus("run")
		return st.State == connect.StatePaused && st2.State == connect.StateRunning
	})
	obs.check(t)
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The internal topics have one queue (their records are totally ordered),
// also where the transport sets their retention.
func TestClusterTopicsHaveOneQueue(t *testing.T) {
	broker := memory.New(memory.WithDefaultQueues(4))
	defer broker.Close()
	w := startWorker(t, broker, newObserver(), "w", 10)
	defer w.stop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	topics := runtime.DefaultClusterTopics("test")
	for _, topic := range []string{topics.Configs, topics.Members, topics.Status, topics.Offsets} {
		for range 8 {
			if err := broker.Publish(ctx, &connect.Message{Topic: topic, Value: []byte("x")}); err != nil {
				t.Fatal(err)
			}
		}
		sub, err := broker.Broadcast(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := sub.Fetch(ctx, 1000)
		sub.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Queue != 0 {
				t.Fatalf("%s has a queue %d: its records have no total order", topic, m.Queue)
			}
		}
	}
}

// A worker cut off from the cluster stops its connectors and says so in
// its health, until it is back.
func TestClusterPartitionShowsInHealth(t *testing.T) {
	broker := memory.New()
	defer broker.Close()
	obs := newObserver()
	a, b := startWorker(t, broker, obs, "a", 10), startWorker(t, broker, obs, "b", 10)
	defer a.stop(t)
	defer b.stop(t)
	ctx := context.Background()
	for i := range 2 {
		if err := a.rt.CreateConnector(ctx, fmt.Sprintf("c%d", i), connect.Config{"connector.class": "obs", "topic": "obs"}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "one connector each", func() bool {
		p := placement(a)
		return len(p) == 2 && p["c0"] != p["c1"]
	})
	b.tr.cut.Store(true)
	eventually(t, 10*time.Second, "b degraded and both connectors on a", func() bool {
		h := b.rt.Health()
		p := placement(a)
		return h.Status == runtime.HealthDegraded && strings.Contains(strings.Join(h.Reasons, ";"), "no contact with the cluster") &&
			p["c0"] == "a" && p["c1"] == "a"
	})
	b.tr.cut.Store(false)
	eventually(t, 10*time.Second, "b healthy and working again", func() bool {
		p := placement(a)
		return b.rt.Health().Status == runtime.HealthHealthy && len(p) == 2 && p["c0"] != p["c1"]
	})
	obs.check(t)
}
