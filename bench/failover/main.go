// Command failover measures cluster mode (runtime.WithCluster): how long a
// connector is down when its worker dies, and what a cluster costs in
// throughput, on the in-memory transport and on RocketMQ.
//
//	go run ./bench/failover                            # memory transport
//	eval "$(scripts/services.sh up rocketmq)"
//	go run ./bench/failover -transport both            # memory, then RocketMQ
//	go run ./bench/failover -kills 10 -lease 3s -workers 3 -v
//
// Failover: -workers workers of one cluster (fresh cluster id and topic per
// run) run -sources numbered sources (3; -rate records/s each, one task,
// positions resumed from the offsets topic) writing to one topic and 1
// counting sink (2 tasks). Then, -kills times, after a random pause of up
// to 1s (so that kills fall anywhere in the heartbeat period): the worker
// running the most sources (any of them when several tie) is killed, and
// the command measures, from the kill,
//
//   - gone: a survivor's member list no longer has it. This is the lease
//     counted from the last heartbeat read before the kill, so up to one
//     heartbeat interval (lease/6) below the lease;
//   - (a) every source it ran is RUNNING, with its task, on another worker,
//     as a survivor's ConnectorStatus shows it (polled every 20ms); (a) -
//     gone is the leader's next heartbeat tick (assignments are computed
//     there) plus reassigning and starting;
//   - (b) the sink has received a record from each of those sources'
//     new task instances (every record carries the tag of the task
//     instance that produced it, so records the dead instance published
//     before the kill do not count). When the sink ran on the killed
//     worker too, (b) includes the sink's own failover.
//
// It prints p50/p99/max over the kills (with 10 kills p99 is the max), how
// many records each moved source delivered twice (the new instance
// resumes from the last committed position, behind what the dead one had
// delivered: at-least-once), and how many kills took the sink or the
// leader down too. A replacement worker then joins (new id), and the next
// kill waits until the cluster is settled again: N members, every
// connector running, balanced, records flowing from every source's current
// worker, nothing changed for 500ms. Lines starting with ODD report a kill
// that did not fail over within 30s + 4 leases, records skipped, or a
// cluster that did not settle. -v prints every kill.
//
// How a worker is killed differs by transport, and says so in the output:
//
//   - memory: all workers live in this process, each with its own client
//     of one broker (whose cluster topics are created with one queue
//     first; see newMemoryBroker). A kill cuts the worker's client (publishes fail,
//     fetches block), closes it (its consumer-group memberships end, as a
//     dead process's connections would) and calls Stop in the background:
//     nothing the worker does after the kill reaches the broker, no leave
//     record, no last offset commit; heartbeats stop at once.
//   - rocketmq: every worker is a child process of this command (its own
//     RocketMQ transport), killed with SIGKILL. Children report statuses
//     and sink receipts as timestamped lines on stdout.
//
// Throughput: the same pipeline with unthrottled sources, in this process,
// as a standalone runtime (no cluster), as a 1-worker cluster and as a
// -workers cluster (each worker with its own transport; the connectors
// balanced over them first): records/s the sink counted over -measure
// after -warmup, and the peak heap of the whole process over the run; each
// setup runs -rounds times, alternating, and the best round is reported
// (the machine is shared: single rounds vary by 2x). On one machine a
// cluster adds no CPU: read the ratio to standalone as the cost of cluster
// mode and of spreading one pipeline over several workers.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	goruntime "runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/heapwatch"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
	"github.com/openmessaging/connect-go/transport/rocketmq"
)

// defaultLease is the runtime's default lease, for printing only: without
// -lease the runtime's own default applies.
const defaultLease = 3 * time.Second

type options struct {
	kills, workers, sources int
	rounds                  int
	rate                    float64
	lease                   time.Duration
	warmup, measure         time.Duration
	namesrv, broker         string
	logPath                 string
	verbose                 bool
	only                    string
	run                     string
}

func main() {
	var o options
	transport := flag.String("transport", "memory", "memory, rocketmq or both")
	flag.IntVar(&o.kills, "kills", 10, "workers killed in the failover run")
	flag.DurationVar(&o.lease, "lease", 0, "cluster lease (0: the runtime's default, 3s)")
	flag.IntVar(&o.workers, "workers", 3, "workers of the cluster")
	flag.IntVar(&o.sources, "sources", 3, "source connectors")
	flag.Float64Var(&o.rate, "rate", 1000, "records/s of each source in the failover run")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "throughput: warm-up once records flow")
	flag.DurationVar(&o.measure, "measure", 5*time.Second, "throughput: measuring window")
	flag.IntVar(&o.rounds, "rounds", 2, "throughput: rounds of each setup, alternating; the best is reported")
	flag.StringVar(&o.namesrv, "namesrv", os.Getenv("ROCKETMQ_NAMESRV"), "RocketMQ name server (default $ROCKETMQ_NAMESRV)")
	flag.StringVar(&o.broker, "broker", os.Getenv("ROCKETMQ_BROKER"), "RocketMQ broker (default $ROCKETMQ_BROKER)")
	flag.StringVar(&o.logPath, "log", "", "append the workers' logs (Info) to this file")
	flag.BoolVar(&o.verbose, "v", false, "print every kill")
	flag.StringVar(&o.only, "only", "", "failover or throughput: run only that part")
	child := flag.String("child", "", "internal: run as worker ID of a rocketmq failover run")
	cluster := flag.String("cluster", "", "internal: the child's cluster id")
	flag.Parse()
	if *child != "" {
		runChild(*child, childArgs{namesrv: o.namesrv, broker: o.broker, cluster: *cluster, logPath: o.logPath, lease: o.lease})
		return
	}
	o.run = strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	var transports []string
	switch *transport {
	case "memory", "rocketmq":
		transports = []string{*transport}
	case "both":
		transports = []string{"memory", "rocketmq"}
	default:
		fail(fmt.Errorf("-transport %q: want memory, rocketmq or both", *transport))
	}
	if slices.Contains(transports, "rocketmq") && (o.namesrv == "" || o.broker == "") {
		fail(fmt.Errorf("rocketmq: set -namesrv and -broker, or ROCKETMQ_NAMESRV and ROCKETMQ_BROKER (eval \"$(scripts/services.sh up rocketmq)\")"))
	}
	lease := "runtime default (" + defaultLease.String() + ")"
	if o.lease > 0 {
		lease = o.lease.String()
	}
	fmt.Printf("GOMAXPROCS=%d, %d workers, %d sources + 1 sink (2 tasks), lease %s\n", goruntime.GOMAXPROCS(0), o.workers, o.sources, lease)
	for _, tr := range transports {
		began := time.Now()
		if o.only != "throughput" {
			failover(tr, o)
		}
		if o.only != "failover" {
			throughput(tr, o)
		}
		fmt.Printf("[%s: %v]\n", tr, time.Since(began).Round(time.Second))
	}
}

func (o options) logger() *slog.Logger {
	if o.logPath == "" {
		return slog.New(slog.DiscardHandler)
	}
	f, err := os.OpenFile(o.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		fail(err)
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func (o options) leaseOpts() []runtime.Option {
	if o.lease > 0 {
		return []runtime.Option{runtime.WithClusterLease(o.lease)}
	}
	return nil
}

func (o options) effectiveLease() time.Duration {
	if o.lease > 0 {
		return o.lease
	}
	return defaultLease
}

// connectors returns the connectors of a run: sources src0.. (rate 0:
// unthrottled) and the sink, named uniquely so that its consumer group is
// new.
func (o options) connectors(topic, sink string, rate float64) (map[string]connect.Config, []string) {
	conns := map[string]connect.Config{
		sink: {"connector.class": "counting", "topics": topic, "tasks.max": "2"},
	}
	var sources []string
	for i := range o.sources {
		name := "src" + strconv.Itoa(i)
		sources = append(sources, name)
		conns[name] = connect.Config{"connector.class": "numbered", "topic": topic, "tasks.max": "1",
			"rate": strconv.FormatFloat(rate, 'f', -1, 64), "batch": "500"}
	}
	return conns, sources
}

// newMemoryBroker returns a broker with the internal topics of cluster
// created with one queue. Without this the runtime's SetRetention on them
// (cluster mode on a transport with connect.TopicRetention) creates them
// first, with the broker's default of 4 queues, and the cluster's logs
// then refuse them ("the topic has more than one queue").
func newMemoryBroker(cluster string) *memory.Broker {
	b := memory.New()
	if cluster == "" {
		return b
	}
	c := b.Client()
	defer c.Close()
	t := runtime.DefaultClusterTopics(cluster)
	for _, name := range []string{t.Configs, t.Members, t.Status, t.Offsets} {
		if err := c.CreateTopic(context.Background(), name, 1); err != nil {
			fail(err)
		}
	}
	return b
}

// createTopic creates a 4-queue topic on RocketMQ (the memory broker
// creates topics on first use).
func createTopic(o options, topic string) {
	tr := rocketmq.New(rocketmq.WithNameServers([]string{o.namesrv}), rocketmq.WithBrokerAddrs([]string{o.broker}))
	defer tr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := tr.CreateTopic(ctx, topic, 4); err != nil {
		fail(fmt.Errorf("create topic %s: %w", topic, err))
	}
}

func failover(transport string, o options) {
	col := newCollector()
	cluster := "bf-" + o.run + "-f"
	topic := "bench_failover_" + o.run + "_f"
	var f fleet
	var how string
	switch transport {
	case "memory":
		f = &memFleet{broker: newMemoryBroker(cluster), col: col, cluster: cluster, lease: o.lease, log: o.logger()}
		how = "kill = cut the worker's broker client (publishes fail, fetches block), close it, Stop it in the background unreachable"
	case "rocketmq":
		createTopic(o, topic)
		f = &procFleet{col: col, args: childArgs{namesrv: o.namesrv, broker: o.broker, cluster: cluster, logPath: o.logPath, lease: o.lease}}
		how = "kill = SIGKILL of the worker's process (one process and RocketMQ transport per worker)"
	}
	fmt.Printf("\nfailover, %s: %d kills, sources at %.0f records/s each\n  %s\n", transport, o.kills, o.rate, how)

	next := 0
	var live []node
	startOne := func() node {
		id := "w" + strconv.Itoa(next)
		next++
		n, err := f.Start(id)
		if err != nil {
			fail(err)
		}
		return n
	}
	for range o.workers {
		live = append(live, startOne())
	}
	conns, sources := o.connectors(topic, "sink-"+o.run, o.rate)
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range conns {
			if !yield(n) {
				return
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	if err := live[0].Create(ctx, conns); err != nil {
		fail(err)
	}
	cancel()
	ids := func() []string {
		var out []string
		for _, n := range live {
			out = append(out, n.ID())
		}
		return out
	}
	waitSettled := func(what string) time.Duration {
		began := time.Now()
		for !col.settled(live[0].ID(), ids(), names, sources, 500*time.Millisecond) {
			if time.Since(began) > 2*time.Minute {
				fmt.Printf("  ODD: cluster not settled 2 minutes %s; placement seen by %s: %v, members %v\n",
					what, live[0].ID(), col.placement(live[0].ID()), col.membersOf(live[0].ID()))
				return -1
			}
			time.Sleep(20 * time.Millisecond)
		}
		return time.Since(began)
	}
	if d := waitSettled("after creating the connectors"); d < 0 {
		fail(fmt.Errorf("failover: the cluster never settled"))
	} else if o.verbose {
		fmt.Printf("  settled %v after creating the connectors\n", d.Round(time.Millisecond))
	}

	var gone, runA, flowB []time.Duration
	sinkToo, leaders, timeouts := 0, 0, 0
	type killed struct {
		k     int
		t0    time.Time
		moved []string
	}
	var kills []killed
	for k := range o.kills {
		p := col.placement(live[0].ID())
		per := map[string][]string{}
		for _, s := range sources {
			per[p[s]] = append(per[p[s]], s)
		}
		// The worker running the most sources; among equals, any.
		most := 0
		for _, n := range live {
			most = max(most, len(per[n.ID()]))
		}
		var cands []node
		for _, n := range live {
			if len(per[n.ID()]) == most {
				cands = append(cands, n)
			}
		}
		victim := cands[rand.IntN(len(cands))]
		wasLeader := col.leaderOf(live[0].ID()) == victim.ID()
		if wasLeader {
			leaders++
		}
		moved := per[victim.ID()]
		withSink := p["sink-"+o.run] == victim.ID()
		if withSink {
			sinkToo++
		}
		// A random pause, so that kills fall anywhere in the heartbeat
		// period (settling ends in step with the cluster's own ticks).
		time.Sleep(time.Duration(rand.Int64N(int64(time.Second))))
		t0 := time.Now()
		victim.Kill()
		live = slices.DeleteFunc(live, func(n node) bool { return n == victim })

		deadline := t0.Add(30*time.Second + 4*o.effectiveLease())
		var g, a, b time.Duration
		okG, okA, okB := false, false, false
		var resumed []string
		for time.Now().Before(deadline) && !(okG && okA && okB) {
			time.Sleep(10 * time.Millisecond)
			if !okG {
				if at, ok := col.goneFrom(victim.ID(), t0); ok {
					g, okG = at.Sub(t0), true
				}
			}
			if !okA {
				a, okA = 0, true
				for _, s := range moved {
					at, ok := col.runningElsewhere(s, victim.ID(), t0)
					okA = okA && ok
					a = max(a, at.Sub(t0))
				}
			}
			if !okB {
				b, okB = 0, true
				resumed = resumed[:0]
				for _, s := range moved {
					fe, ok := col.flowing(s, t0)
					okB = okB && ok
					b = max(b, fe.at.Sub(t0))
					resumed = append(resumed, fmt.Sprintf("%s on %s from #%d", s, fe.worker, fe.n))
				}
			}
		}
		if !(okG && okA && okB) {
			timeouts++
			fmt.Printf("  ODD: kill %d of %s (%s): not failed over %v after the kill (gone %v, running %v, flowing %v)\n",
				k+1, victim.ID(), strings.Join(moved, ","), time.Since(t0).Round(time.Second), okG, okA, okB)
		} else {
			gone, runA, flowB = append(gone, g), append(runA, a), append(flowB, b)
			kills = append(kills, killed{k + 1, t0, moved})
			if o.verbose {
				sink := ""
				if withSink {
					sink = " + sink"
				}
				if wasLeader {
					sink += ", leader"
				}
				fmt.Printf("  kill %2d: %s (%s%s)  gone %6.2fs  (a) running %6.2fs  (b) flowing %6.2fs  [%s]\n",
					k+1, victim.ID(), strings.Join(moved, ","), sink, g.Seconds(), a.Seconds(), b.Seconds(), strings.Join(resumed, "; "))
			}
		}
		live = append(live, startOne())
		if d := waitSettled(fmt.Sprintf("after kill %d and the join of %s", k+1, live[len(live)-1].ID())); d < 0 {
			break
		} else if o.verbose {
			fmt.Printf("           replacement %s joined, settled in %v\n", live[len(live)-1].ID(), d.Round(time.Millisecond))
		}
	}
	var wg sync.WaitGroup
	for _, n := range live {
		wg.Go(n.Stop)
	}
	wg.Wait()
	f.Wait()
	if mf, ok := f.(*memFleet); ok {
		mf.broker.Close()
	}

	// Records delivered twice: a new instance resumes from the last
	// position committed (every second by default, once the sink took the
	// records), behind what the dead instance had delivered.
	var twice []int64
	for _, kl := range kills {
		for _, s := range kl.moved {
			fe, _ := col.flowing(s, kl.t0)
			h := col.highestBefore(s, kl.t0)
			twice = append(twice, max(0, h-fe.n+1))
			if fe.n > h+1 {
				fmt.Printf("  ODD: kill %d: %s resumed at #%d, but the sink had only #%d before: records skipped\n", kl.k, s, fe.n, h)
			} else if o.verbose {
				fmt.Printf("  kill %2d: %s resumed at about #%d, the sink had #%d: %d records delivered twice\n", kl.k, s, fe.n, h, h-fe.n+1)
			}
		}
	}

	fmt.Printf("  %-44s %s\n", "worker gone from a survivor's members", stats(gone))
	fmt.Printf("  %-44s %s\n", "(a) its sources RUNNING on another worker", stats(runA))
	fmt.Printf("  %-44s %s\n", "(b) their new records reach the sink", stats(flowB))
	slices.Sort(twice)
	if len(twice) > 0 {
		fmt.Printf("  %-44s p50 %5d   max %5d\n", "records delivered twice, per source moved", twice[len(twice)/2], twice[len(twice)-1])
	}
	fmt.Printf("  of %d kills, %d took the sink down too, %d the leader", o.kills, sinkToo, leaders)
	if timeouts > 0 {
		fmt.Printf("; %d kills did not fail over in time", timeouts)
	}
	fmt.Println()
}

// stats prints p50, p99 and max (nearest rank).
func stats(ds []time.Duration) string {
	if len(ds) == 0 {
		return "no samples"
	}
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(s))+0.999999) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return fmt.Sprintf("p50 %5.2fs  p99 %5.2fs  max %5.2fs  (n=%d)", rank(0.5).Seconds(), rank(0.99).Seconds(), s[len(s)-1].Seconds(), len(s))
}

type tpResult struct {
	rate, peakMB float64
	err          error
}

func throughput(transport string, o options) {
	fmt.Printf("\nthroughput, %s: %d unthrottled sources -> 1 sink (2 tasks), in this process, %v after %v warm-up, best of %d rounds\n",
		transport, o.sources, o.measure, o.warmup, o.rounds)
	type row struct {
		name    string
		workers int
		cluster bool
	}
	rows := []row{{"standalone runtime (no cluster)", 1, false}, {"cluster of 1 worker", 1, true},
		{fmt.Sprintf("cluster of %d workers", o.workers), o.workers, true}}
	best := make([]tpResult, len(rows))
	for round := range o.rounds {
		for i, r := range rows {
			res := pipeline(transport, o, fmt.Sprintf("t%d%d", round, i), r.workers, r.cluster)
			if res.err != nil {
				fmt.Printf("  %-34s round %d failed: %v\n", r.name, round+1, res.err)
				continue
			}
			if res.rate > best[i].rate {
				best[i] = res
			}
		}
	}
	for i, r := range rows {
		fmt.Printf("  %-34s %9.0f records/s  %4.0f%% of standalone  peak heap %6.1f MB\n",
			r.name, best[i].rate, 100*best[i].rate/best[0].rate, best[i].peakMB)
	}
}

// pipeline runs the throughput pipeline on workers in-process workers.
func pipeline(transport string, o options, phase string, workers int, cluster bool) tpResult {
	topic := "bench_failover_" + o.run + "_" + phase
	clusterID := ""
	if cluster {
		clusterID = "bf-" + o.run + "-" + phase
	}
	var newTr func() connect.MessageTransport
	var closeAll func()
	switch transport {
	case "memory":
		b := newMemoryBroker(clusterID)
		newTr = func() connect.MessageTransport { return b.Client() }
		closeAll = func() { b.Close() }
	case "rocketmq":
		createTopic(o, topic)
		newTr = func() connect.MessageTransport {
			return rocketmq.New(rocketmq.WithNameServers([]string{o.namesrv}), rocketmq.WithBrokerAddrs([]string{o.broker}))
		}
		closeAll = func() {}
	}
	defer closeAll()
	var count atomic.Int64
	var seen sync.Map
	goruntime.GC()
	peak := heapwatch.Start()
	var rts []*runtime.Runtime
	var trs []connect.MessageTransport
	stopAll := func() {
		var wg sync.WaitGroup
		for i, rt := range rts {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if err := rt.Stop(ctx); err != nil {
					fmt.Fprintf(os.Stderr, "bench/failover: stop: %v\n", err)
				}
				trs[i].Close()
			})
		}
		wg.Wait()
	}
	res := func(rate float64, err error) tpResult {
		stopAll()
		return tpResult{rate: rate, peakMB: peak() / 1e6, err: err}
	}
	log := o.logger()
	for i := range workers {
		id := fmt.Sprintf("%s-w%d", phase, i)
		tr := newTr()
		opts := append([]runtime.Option{runtime.WithTransport(tr), runtime.WithWorkerID(id), runtime.WithLogger(log.With("worker", id))},
			plugins(id, &count, &seen, nil)...)
		if cluster {
			opts = append(opts, runtime.WithCluster(clusterID))
			opts = append(opts, o.leaseOpts()...)
		}
		rt := runtime.New(opts...)
		if err := rt.Start(context.Background()); err != nil {
			tr.Close()
			return res(0, err)
		}
		rts, trs = append(rts, rt), append(trs, tr)
	}
	// Every worker a member before the connectors come, so that they are
	// placed once.
	if err := until(30*time.Second, func() bool { return len(rts[0].Members()) == workers }); err != nil {
		return res(0, fmt.Errorf("members: %v of %d", len(rts[0].Members()), workers))
	}
	conns, _ := o.connectors(topic, "sink-"+o.run+"-"+phase, 0)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	err := createAll(ctx, rts[0], conns)
	cancel()
	if err != nil {
		return res(0, err)
	}
	// Warm-up: every connector running, on min(workers, connectors)
	// workers, and records flowing.
	err = until(time.Minute, func() bool {
		on := map[string]bool{}
		for name := range conns {
			st, err := rts[0].ConnectorStatus(name)
			if err != nil || st.State != connect.StateRunning || len(st.Tasks) == 0 {
				return false
			}
			for _, ts := range st.Tasks {
				if ts.State != connect.StateRunning {
					return false
				}
			}
			on[st.WorkerID] = true
		}
		return len(on) == min(workers, len(conns)) && count.Load() > 0
	})
	if err != nil {
		return res(0, fmt.Errorf("connectors not all running after a minute"))
	}
	time.Sleep(o.warmup)
	c0, t0 := count.Load(), time.Now()
	time.Sleep(o.measure)
	rate := float64(count.Load()-c0) / time.Since(t0).Seconds()
	return res(rate, nil)
}

func until(timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %v", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/failover:", err)
	os.Exit(1)
}
