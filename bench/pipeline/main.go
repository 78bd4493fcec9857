// Command pipeline measures the in-memory pipeline against a baseline in the
// same run.
//
//	go run ./bench/pipeline              # throughput: pipeline vs bare channel
//	go run ./bench/pipeline -stall       # backpressure: heap with a stalled sink
//
// Throughput: a generator source of ~150-byte records with 5 fields -> JSON
// converter -> memory transport -> JSON converter -> a sink that discards,
// with offsets tracked and committed, against the baseline of the same
// records JSON-encoded (encoding/json) and passed through a buffered Go
// channel between two goroutines. The same pipeline runs again with a
// chain of three transforms on the source (RegexRouter with a capture
// group, InsertField$Value with a static field, ReplaceField$Value with a
// rename), and its cost is reported against the pipeline without.
//
// Typed values: with -values=both (the default) each pipeline runs twice,
// with the generator's records as untyped maps and as typed rows (a
// *connect.Struct of the same five fields, one schema shared by all), and
// the typed runs are reported against the untyped ones: best against best,
// and the median over the rounds of typed/untyped of two runs next to
// each other (the first of them swapped every round), which a shared
// machine's changing load disturbs less.
// -values=typed or -values=untyped runs one kind only. The sink side
// decodes plain JSON, so it is untyped in both.
//
// Backpressure: the sink blocks forever in Put while the source could
// produce 10 million records; the command reports how far the source got
// and the peak heap.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	goruntime "runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/converter"
	"github.com/openmessaging/connect-go/internal/heapwatch"
	"github.com/openmessaging/connect-go/runtime"
)

func main() {
	n := flag.Int64("n", 2_000_000, "records per run")
	rounds := flag.Int("rounds", 3, "runs of each side; the best is reported")
	stall := flag.Bool("stall", false, "measure backpressure with a sink that never returns")
	pipelineOnly := flag.Bool("pipeline-only", false, "skip the baselines (for profiling)")
	chainOnly := flag.Bool("transforms-only", false, "run only the pipeline with the 3-transform chain (for profiling)")
	values := flag.String("values", "both", "the generator's values: untyped (maps), typed (*connect.Struct rows) or both, compared")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the pipeline runs here")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer pprof.StopCPUProfile()
	}
	if *stall {
		backpressure()
		return
	}
	kinds := map[string][]bool{"untyped": {false}, "typed": {true}, "both": {false, true}}[*values]
	if kinds == nil {
		fail(fmt.Errorf("-values: %q is not untyped, typed or both", *values))
	}
	fmt.Printf("records: %d, record size: %d bytes JSON, GOMAXPROCS=%d\n", *n, recordSize(), goruntime.GOMAXPROCS(0))
	var base, base2 result
	var pipe, chain [2]result // by kind: [0] untyped, [1] typed
	// paired holds, per round, typed/untyped of records/s and of CPU per
	// record, without ([0]) and with ([1]) the chain: runs next to each
	// other see the same load on a shared machine.
	var paired [2][][2]float64
	k := func(typed bool) int {
		if typed {
			return 1
		}
		return 0
	}
	for i := 0; i < *rounds; i++ {
		if !*pipelineOnly && !*chainOnly {
			base = best(base, measure(func() { baseline(*n, stdlibEncode) }, *n))
			base2 = best(base2, measure(func() { baseline(*n, converterEncode()) }, *n))
		}
		// The two kinds run next to each other, the first one swapped
		// every round, so that they see the same load.
		order := kinds
		if i%2 == 1 {
			order = []bool{kinds[len(kinds)-1], kinds[0]}[:len(kinds)]
		}
		var round [2][2]result // [transforms][kind]
		if !*chainOnly {
			for _, typed := range order {
				round[0][k(typed)] = measure(func() { pipeline(*n, nil, typed) }, *n)
				pipe[k(typed)] = best(pipe[k(typed)], round[0][k(typed)])
			}
		}
		if !*pipelineOnly {
			for _, typed := range order {
				round[1][k(typed)] = measure(func() { pipeline(*n, threeTransforms, typed) }, *n)
				chain[k(typed)] = best(chain[k(typed)], round[1][k(typed)])
			}
		}
		for i := range round {
			if u, t := round[i][0], round[i][1]; u.rate > 0 && t.rate > 0 {
				paired[i] = append(paired[i], [2]float64{t.rate / u.rate, t.cpuMicros / u.cpuMicros})
			}
		}
	}
	line := func(label string, r result) {
		fmt.Printf("%-52s %12.0f records/s  %7.1f MB/s  peak heap %6.1f MB  %5.2f µs CPU/record\n", label, r.rate, r.mbps, r.peakMB, r.cpuMicros)
	}
	kindName := [2]string{"untyped", "typed"}
	if *pipelineOnly || *chainOnly {
		for _, typed := range kinds {
			if *pipelineOnly {
				line("pipeline, "+kindName[k(typed)]+" values", pipe[k(typed)])
			} else {
				line("pipeline with a 3-transform chain, "+kindName[k(typed)]+" values", chain[k(typed)])
			}
		}
		return
	}
	fmt.Printf("%-52s %12.0f records/s  %7.1f MB/s  peak heap %6.1f MB\n", "baseline: encoding/json + buffered channel", base.rate, base.mbps, base.peakMB)
	fmt.Printf("%-52s %12.0f records/s  %7.1f MB/s  peak heap %6.1f MB\n", "baseline: our JSON encoder + channel", base2.rate, base2.mbps, base2.peakMB)
	for _, typed := range kinds {
		line("pipeline: source->memory transport->sink, "+kindName[k(typed)], pipe[k(typed)])
		line("pipeline with a 3-transform chain, "+kindName[k(typed)], chain[k(typed)])
	}
	for _, typed := range kinds {
		p, c := pipe[k(typed)], chain[k(typed)]
		fmt.Printf("%s: pipeline / encoding-json baseline: %.0f%%   pipeline / our-encoder baseline: %.0f%%\n",
			kindName[k(typed)], 100*p.rate/base.rate, 100*p.rate/base2.rate)
		fmt.Printf("%s: 3-transform chain: %.1f%% fewer records/s than no transforms (target: under 15%%), %.1f%% more CPU per record\n",
			kindName[k(typed)], 100*(1-c.rate/p.rate), 100*(c.cpuMicros/p.cpuMicros-1))
	}
	if len(kinds) == 2 {
		for i, name := range []string{"without transforms", "with the 3-transform chain"} {
			u, t := [2]result{pipe[0], chain[0]}[i], [2]result{pipe[1], chain[1]}[i]
			fmt.Printf("typed vs untyped values, %s: best runs %+.1f%% records/s, %+.1f%% CPU per record; "+
				"median of %d rounds %+.1f%% records/s, %+.1f%% CPU per record\n",
				name, 100*(t.rate/u.rate-1), 100*(t.cpuMicros/u.cpuMicros-1), len(paired[i]),
				100*(median(paired[i], 0)-1), 100*(median(paired[i], 1)-1))
		}
	}
}

// median returns the median of the j-th ratio of the rounds.
func median(rounds [][2]float64, j int) float64 {
	if len(rounds) == 0 {
		return 1
	}
	v := make([]float64, len(rounds))
	for i, r := range rounds {
		v[i] = r[j]
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// threeTransforms is the source's chain in the transforms run: the
// generator writes to raw.bench, RegexRouter routes to bench.
var threeTransforms = connect.Config{
	"transforms":                     "route,insert,rename",
	"transforms.route.type":          "org.apache.kafka.connect.transforms.RegexRouter",
	"transforms.route.regex":         `raw\.(.*)`,
	"transforms.route.replacement":   "$1",
	"transforms.insert.type":         "org.apache.kafka.connect.transforms.InsertField$Value",
	"transforms.insert.static.field": "origin",
	"transforms.insert.static.value": "bench",
	"transforms.rename.type":         "org.apache.kafka.connect.transforms.ReplaceField$Value",
	"transforms.rename.renames":      "status:state",
}

// record i of the benchmark: 5 fields, about 150 bytes as JSON.
func record(i int64) map[string]any {
	return map[string]any{
		"id":     i,
		"name":   "customer-" + strconv.FormatInt(i%100000, 10) + "-of-the-benchmark",
		"email":  "customer" + strconv.FormatInt(i%100000, 10) + "@example.com",
		"score":  float64(i%1000) / 7,
		"status": "active, subscribed to newsletter",
	}
}

// benchSchema is the typed records' schema: record's fields, in the order
// record lists them.
var benchSchema = connect.NewStructSchema("bench.Value", false,
	connect.StructField{Name: "id", Schema: &connect.Schema{Type: connect.TypeInt64}},
	connect.StructField{Name: "name", Schema: &connect.Schema{Type: connect.TypeString}},
	connect.StructField{Name: "email", Schema: &connect.Schema{Type: connect.TypeString}},
	connect.StructField{Name: "score", Schema: &connect.Schema{Type: connect.TypeFloat64}},
	connect.StructField{Name: "status", Schema: &connect.Schema{Type: connect.TypeString}},
)

// typedRecord is record(i) as a typed row.
func typedRecord(i int64) *connect.Struct {
	return connect.NewStruct(benchSchema,
		i,
		"customer-"+strconv.FormatInt(i%100000, 10)+"-of-the-benchmark",
		"customer"+strconv.FormatInt(i%100000, 10)+"@example.com",
		float64(i%1000)/7,
		"active, subscribed to newsletter",
	)
}

func recordSize() int {
	b, _ := json.Marshal(record(12345))
	return len(b)
}

// result is one side's best run: the highest rate, and the least CPU time
// per record of any run (on a shared machine, what other processes take
// lowers the rate more than it raises the CPU time).
type result struct{ rate, mbps, peakMB, cpuMicros float64 }

func best(a, b result) result {
	out := a
	if b.rate > a.rate {
		out = b
	}
	out.cpuMicros = b.cpuMicros
	if a.cpuMicros > 0 && a.cpuMicros < b.cpuMicros {
		out.cpuMicros = a.cpuMicros
	}
	return out
}

func measure(run func(), n int64) result {
	goruntime.GC()
	peak := heapwatch.Start()
	began, cpu := time.Now(), cpuTime()
	run()
	secs := time.Since(began).Seconds()
	return result{rate: float64(n) / secs, mbps: float64(n) * float64(recordSize()) / secs / 1e6, peakMB: peak() / 1e6,
		cpuMicros: (cpuTime() - cpu) / float64(n) * 1e6}
}

func stdlibEncode(v map[string]any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func converterEncode() func(map[string]any) []byte {
	cv := converter.NewJSON()
	return func(v map[string]any) []byte {
		m, err := cv.Encode(&connect.Record{Topic: "t", Value: v})
		if err != nil {
			panic(err)
		}
		return m.Value
	}
}

func baseline(n int64, encode func(map[string]any) []byte) {
	ch := make(chan []byte, 1024)
	var wg sync.WaitGroup
	wg.Add(1)
	var bytes int
	go func() {
		defer wg.Done()
		for b := range ch {
			bytes += len(b)
		}
	}()
	for i := int64(0); i < n; i++ {
		ch <- encode(record(i))
	}
	close(ch)
	wg.Wait()
}

// discard is a sink connector that counts and drops records, or stalls.
type discard struct {
	count *atomic.Int64
	done  chan struct{}
	want  int64
	stall bool
	once  *sync.Once
}

func (d *discard) Spec() connect.Spec {
	return connect.Spec{Name: "Discard", Version: "bench", Description: "Drops records."}
}
func (d *discard) Start(context.Context, connect.ConnectorContext, connect.Config) error { return nil }
func (d *discard) TaskConfigs(max int) ([]connect.Config, error)                         { return []connect.Config{{}}, nil }
func (d *discard) Stop(context.Context) error                                            { return nil }
func (d *discard) NewTask() connect.SinkTask                                             { return discardTask{d} }

type discardTask struct{ *discard }

func (discardTask) Start(context.Context, connect.SinkTaskContext, connect.Config) error { return nil }
func (discardTask) Flush(context.Context) error                                          { return nil }
func (d *discard) Put(ctx context.Context, rs []*connect.Record) error {
	if d.stall {
		<-ctx.Done()
		return ctx.Err()
	}
	if d.count.Add(int64(len(rs))) >= d.want {
		d.once.Do(func() { close(d.done) })
	}
	return nil
}

// pipeline runs n records through the runtime; transforms, when set, are
// the source connector's transform settings (the records then start on
// topic raw.bench); typed makes the values typed rows.
func pipeline(n int64, transforms connect.Config, typed bool) {
	var count atomic.Int64
	sink := &discard{count: &count, done: make(chan struct{}), want: n, once: &sync.Once{}}
	runPipeline(n, sink, transforms, typed, func(rt *runtime.Runtime) { <-sink.done })
}

func runPipeline(n int64, sink *discard, transforms connect.Config, typed bool, wait func(*runtime.Runtime)) {
	ctx := context.Background()
	topic := "bench"
	if transforms != nil {
		topic = "raw.bench"
	}
	rt := runtime.New(
		runtime.WithPlugin("gen", func() connect.Connector {
			return connecttest.NewGenerator(func(i int64) *connect.Record {
				var v any
				if typed {
					v = typedRecord(i)
				} else {
					v = record(i)
				}
				return &connect.Record{Topic: topic, Key: strconv.FormatInt(i%1000, 10), Value: v}
			}, n)
		}),
		runtime.WithPlugin("discard", func() connect.Connector { return sink }),
	)
	if err := rt.Start(ctx); err != nil {
		fail(err)
	}
	cfgs := map[string]connect.Config{
		"sink":   {"connector.class": "discard", "topics": "bench", "batch.size.max": "1000"},
		"source": {"connector.class": "gen", "batch.size": "1000"},
	}
	for k, v := range transforms {
		cfgs["source"][k] = v
	}
	for _, name := range []string{"sink", "source"} {
		if err := rt.CreateConnector(ctx, name, cfgs[name]); err != nil {
			fail(err)
		}
	}
	wait(rt)
	if err := rt.Stop(ctx); err != nil {
		fail(err)
	}
}

func backpressure() {
	const limit = 10_000_000
	var produced atomic.Int64
	sink := &discard{stall: true}
	goruntime.GC()
	peak := heapwatch.Start()
	ctx := context.Background()
	rt := runtime.New(
		runtime.WithPlugin("gen", func() connect.Connector {
			return connecttest.NewGenerator(func(i int64) *connect.Record {
				produced.Add(1)
				return &connect.Record{Topic: "bench", Key: strconv.FormatInt(i%1000, 10), Value: record(i)}
			}, limit)
		}),
		runtime.WithPlugin("discard", func() connect.Connector { return sink }),
	)
	if err := rt.Start(ctx); err != nil {
		fail(err)
	}
	for name, cfg := range map[string]connect.Config{
		"sink":   {"connector.class": "discard", "topics": "bench"},
		"source": {"connector.class": "gen", "batch.size": "1000"},
	} {
		if err := rt.CreateConnector(ctx, name, cfg); err != nil {
			fail(err)
		}
	}
	// Wait until the source is blocked: production stops growing.
	last := int64(-1)
	for produced.Load() != last {
		last = produced.Load()
		time.Sleep(500 * time.Millisecond)
	}
	p := peak()
	// The stalled sink never consumes what the source still holds, so the
	// graceful drain cannot finish: Stop gives up at its deadline.
	stopCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := rt.Stop(stopCtx); err != nil {
		fmt.Printf("stop (expected to time out with a stalled sink): %v\n", err)
	}
	fmt.Printf("stalled sink: source could produce %d records, produced %d before backpressure held it; peak heap %.1f MB (limit 100 MB)\n",
		limit, last, p/1e6)
	if p > 100e6 {
		fmt.Println("FAIL: peak heap above 100 MB")
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}
