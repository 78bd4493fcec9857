package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
	"github.com/openmessaging/connect-go/transport/rocketmq"
)

// node is one worker of a failover run.
type node interface {
	ID() string
	// Kill ends the worker as a dead process would: no leave record, no
	// drain, no offset commit reaching the transport.
	Kill()
	// Stop stops the worker gracefully (end of the run).
	Stop()
	// Create creates connectors through this worker.
	Create(ctx context.Context, conns map[string]connect.Config) error
}

// fleet starts workers of one cluster.
type fleet interface {
	Start(id string) (node, error)
	// Wait waits for what killed workers still do in the background.
	Wait()
}

// plugins returns the bench's plugins for worker id.
func plugins(id string, count *atomic.Int64, seen *sync.Map, rep reporter) []runtime.Option {
	return []runtime.Option{
		runtime.WithPlugin("numbered", func() connect.Connector { return &numbered{worker: id} }),
		runtime.WithPlugin("counting", func() connect.Connector { return &counting{count: count, seen: seen, rep: rep} }),
	}
}

// ---- memory: workers in this process, each with its own broker client.

// cutClient is a worker's client of the shared broker that Kill cuts:
// publishes fail and fetches block, as for a process that is gone.
type cutClient struct {
	*memory.Client
	cut atomic.Bool
}

var errCut = connect.Retriable(errors.New("bench: worker killed"))

func (c *cutClient) Publish(ctx context.Context, msgs ...*connect.Message) error {
	if c.cut.Load() {
		return errCut
	}
	return c.Client.Publish(ctx, msgs...)
}

func (c *cutClient) PublishTracked(ctx context.Context, consumed func(), msgs ...*connect.Message) error {
	if c.cut.Load() {
		return errCut
	}
	return c.Client.PublishTracked(ctx, consumed, msgs...)
}

func (c *cutClient) Subscribe(ctx context.Context, group string, topics ...string) (connect.Subscription, error) {
	if c.cut.Load() {
		return nil, errCut
	}
	s, err := c.Client.Subscribe(ctx, group, topics...)
	if err != nil {
		return nil, err
	}
	return &cutSub{s, c}, nil
}

func (c *cutClient) Broadcast(ctx context.Context, topic string) (connect.Subscription, error) {
	if c.cut.Load() {
		return nil, errCut
	}
	s, err := c.Client.Broadcast(ctx, topic)
	if err != nil {
		return nil, err
	}
	return &cutSub{s, c}, nil
}

type cutSub struct {
	connect.Subscription
	c *cutClient
}

func (s *cutSub) Fetch(ctx context.Context, max int) ([]*connect.Message, error) {
	if s.c.cut.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	msgs, err := s.Subscription.Fetch(ctx, max)
	if s.c.cut.Load() {
		// Cut while fetching: what came is lost with the process.
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return msgs, err
}

func (s *cutSub) Ack(ctx context.Context, msgs ...*connect.Message) error {
	if s.c.cut.Load() {
		return errCut
	}
	return s.Subscription.Ack(ctx, msgs...)
}

func (s *cutSub) Nack(ctx context.Context, msgs ...*connect.Message) error {
	if s.c.cut.Load() {
		return errCut
	}
	return s.Subscription.Nack(ctx, msgs...)
}

type memFleet struct {
	broker  *memory.Broker
	col     *collector
	count   atomic.Int64
	cluster string
	lease   time.Duration
	log     *slog.Logger
	bg      sync.WaitGroup
}

type memNode struct {
	f     *memFleet
	id    string
	rt    *runtime.Runtime
	tr    *cutClient
	stopW chan struct{}
	wg    sync.WaitGroup
	dead  bool
}

func (f *memFleet) Start(id string) (node, error) {
	tr := &cutClient{Client: f.broker.Client()}
	opts := append([]runtime.Option{
		runtime.WithTransport(tr), runtime.WithWorkerID(id), runtime.WithLogger(f.log.With("worker", id)),
		runtime.WithCluster(f.cluster), runtime.WithClusterLease(f.lease),
	}, plugins(id, &f.count, &f.col.highs, f.col)...)
	rt := runtime.New(opts...)
	// Start's ctx must outlive the runtime: cancelling it stops the runtime.
	if err := rt.Start(context.Background()); err != nil {
		tr.Close()
		return nil, fmt.Errorf("start %s: %w", id, err)
	}
	n := &memNode{f: f, id: id, rt: rt, tr: tr, stopW: make(chan struct{})}
	n.wg.Go(func() { watch(rt, f.col, n.stopW) })
	return n, nil
}

func (f *memFleet) Wait() { f.bg.Wait() }

func (n *memNode) ID() string { return n.id }

// Kill cuts the worker off the broker (publishes fail, fetches block),
// closes its client (its consumer-group memberships end, as a dead
// process's connections would) and stops its runtime in the background,
// unreachable: nothing it does from then on reaches the others.
func (n *memNode) Kill() {
	n.dead = true
	n.tr.cut.Store(true)
	close(n.stopW)
	n.tr.Client.Close()
	n.f.bg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = n.rt.Stop(ctx) // errors expected: it cannot reach anything
		n.wg.Wait()
	})
}

func (n *memNode) Stop() {
	if n.dead {
		return
	}
	n.dead = true
	close(n.stopW)
	n.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := n.rt.Stop(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "bench/failover: stop %s: %v\n", n.id, err)
	}
	n.tr.Close()
}

func (n *memNode) Create(ctx context.Context, conns map[string]connect.Config) error {
	return createAll(ctx, n.rt, conns)
}

// createAll creates the sinks first, then the sources.
func createAll(ctx context.Context, rt *runtime.Runtime, conns map[string]connect.Config) error {
	for _, sinks := range []bool{true, false} {
		for name, cfg := range conns {
			if (cfg["topics"] != "") != sinks {
				continue
			}
			if err := rt.CreateConnector(ctx, name, cfg); err != nil {
				return fmt.Errorf("create %s: %w", name, err)
			}
		}
	}
	return nil
}

// ---- rocketmq: each worker a child process of this command, killed with
// SIGKILL.

// childArgs are the flags a child gets (see runChild).
type childArgs struct {
	namesrv, broker, cluster, logPath string
	lease                             time.Duration
}

type procFleet struct {
	args childArgs
	col  *collector
	bg   sync.WaitGroup
}

type procNode struct {
	id    string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string // replies: ready, created, error
	done  chan struct{}
	dead  bool
}

func (f *procFleet) Start(id string) (node, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-child", id, "-cluster", f.args.cluster, "-namesrv", f.args.namesrv,
		"-broker", f.args.broker, "-lease", f.args.lease.String(), "-log", f.args.logPath)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	n := &procNode{id: id, cmd: cmd, stdin: stdin, lines: make(chan string, 16), done: make(chan struct{})}
	f.bg.Go(func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if !parseLine(sc.Text(), f.col) {
				n.lines <- sc.Text()
			}
		}
		_ = cmd.Wait()
		close(n.done)
	})
	if line, err := n.reply(time.Minute); err != nil || line != "ready" {
		n.Kill()
		return nil, fmt.Errorf("start %s: %q %v", id, line, err)
	}
	return n, nil
}

func (f *procFleet) Wait() { f.bg.Wait() }

func (n *procNode) ID() string { return n.id }

func (n *procNode) reply(timeout time.Duration) (string, error) {
	select {
	case l := <-n.lines:
		return l, nil
	case <-n.done:
		return "", errors.New("worker process ended")
	case <-time.After(timeout):
		return "", errors.New("no answer")
	}
}

// Kill sends SIGKILL to the worker process.
func (n *procNode) Kill() {
	n.dead = true
	_ = n.cmd.Process.Kill()
}

func (n *procNode) Stop() {
	if n.dead {
		return
	}
	n.dead = true
	fmt.Fprintln(n.stdin, "stop")
	select {
	case <-n.done:
	case <-time.After(30 * time.Second):
		fmt.Fprintf(os.Stderr, "bench/failover: %s did not stop in 30s; killing it\n", n.id)
		_ = n.cmd.Process.Kill()
	}
}

func (n *procNode) Create(_ context.Context, conns map[string]connect.Config) error {
	b, _ := json.Marshal(conns)
	if _, err := fmt.Fprintf(n.stdin, "create %s\n", b); err != nil {
		return err
	}
	line, err := n.reply(time.Minute)
	if err != nil {
		return err
	}
	if line != "created" {
		return errors.New(line)
	}
	return nil
}

// lineReporter is a child's reporter: one line per event on stdout.
type lineReporter struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (l *lineReporter) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format, args...)
	l.w.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (l *lineReporter) status(observer, conn string, st connect.State, worker string, all bool, at time.Time) {
	l.printf("status %s %s %s %s %t %d\n", observer, conn, orDash(string(st)), orDash(worker), all, at.UnixNano())
}

func (l *lineReporter) members(observer string, ids []string, at time.Time) {
	l.printf("members %s %s %d\n", observer, orDash(strings.Join(ids, ",")), at.UnixNano())
}

// reportHighs prints, every 100ms, the highest record number received per
// task instance, for those that changed.
func reportHighs(seen *sync.Map, rep *lineReporter, stop <-chan struct{}) {
	sent := map[string]int64{}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		seen.Range(func(k, v any) bool {
			tag, n := k.(string), v.(*atomic.Int64).Load()
			if n >= 0 && sent[tag] != n {
				sent[tag] = n
				rep.printf("high %s %d\n", tag, n)
			}
			return true
		})
	}
}

func (l *lineReporter) first(tag string, n int64, at time.Time) {
	l.printf("first %s %d %d\n", tag, n, at.UnixNano())
}

// parseLine feeds an event line of a child to col; false for other lines.
func parseLine(line string, col *collector) bool {
	f := strings.Fields(line)
	if len(f) == 0 {
		return false
	}
	undash := func(s string) string {
		if s == "-" {
			return ""
		}
		return s
	}
	at := func(s string) time.Time {
		ns, _ := strconv.ParseInt(s, 10, 64)
		return time.Unix(0, ns)
	}
	switch {
	case f[0] == "status" && len(f) == 7:
		col.status(f[1], f[2], connect.State(undash(f[3])), undash(f[4]), f[5] == "true", at(f[6]))
	case f[0] == "members" && len(f) == 4:
		var ids []string
		if s := undash(f[2]); s != "" {
			ids = strings.Split(s, ",")
		}
		col.members(f[1], ids, at(f[3]))
	case f[0] == "high" && len(f) == 3:
		n, _ := strconv.ParseInt(f[2], 10, 64)
		col.high(f[1], n)
	case f[0] == "first" && len(f) == 4:
		n, _ := strconv.ParseInt(f[2], 10, 64)
		col.first(f[1], n, at(f[3]))
	default:
		return false
	}
	return true
}

// runChild is a worker process of the rocketmq failover run: it starts a
// runtime in cluster mode, reports events on stdout, creates connectors on
// "create JSON", stops gracefully on "stop" and exits at once when its
// stdin closes (the parent is gone).
func runChild(id string, a childArgs) {
	rep := &lineReporter{w: bufio.NewWriter(os.Stdout)}
	logger := slog.New(slog.DiscardHandler)
	if a.logPath != "" {
		f, err := os.OpenFile(a.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			fail(err)
		}
		logger = slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})).With("worker", id)
	}
	tr := rocketmq.New(
		rocketmq.WithNameServers([]string{a.namesrv}),
		rocketmq.WithBrokerAddrs([]string{a.broker}),
		rocketmq.WithInstanceName(fmt.Sprintf("bench-failover-%s-%d", id, os.Getpid())),
		rocketmq.WithLogger(logger),
	)
	var count atomic.Int64
	var seen sync.Map
	opts := append([]runtime.Option{
		runtime.WithTransport(tr), runtime.WithWorkerID(id), runtime.WithLogger(logger),
		runtime.WithCluster(a.cluster), runtime.WithClusterLease(a.lease),
	}, plugins(id, &count, &seen, rep)...)
	rt := runtime.New(opts...)
	if err := rt.Start(context.Background()); err != nil {
		fail(fmt.Errorf("child %s: %w", id, err))
	}
	stop := make(chan struct{})
	go watch(rt, rep, stop)
	go reportHighs(&seen, rep, stop)
	rep.printf("ready\n")
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		switch cmd {
		case "create":
			var conns map[string]connect.Config
			err := json.Unmarshal([]byte(arg), &conns)
			if err == nil {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				err = createAll(ctx, rt, conns)
				cancel()
			}
			if err != nil {
				rep.printf("error %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
			} else {
				rep.printf("created\n")
			}
		case "stop":
			close(stop)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			err := rt.Stop(ctx)
			cancel()
			tr.Close()
			if err != nil {
				fmt.Fprintf(os.Stderr, "bench/failover: child %s stop: %v\n", id, err)
			}
			os.Exit(0)
		}
	}
	os.Exit(3) // the parent is gone
}
