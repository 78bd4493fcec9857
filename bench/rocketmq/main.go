// Command rocketmq measures the RocketMQ transport and the runtime over it
// against the raw rocketmq-client-go producer and pull consumer, in the
// same run, on a real broker.
//
//	eval "$(scripts/services.sh up rocketmq)"
//	go run ./bench/rocketmq [-n 100000] [-batch 100] [-rounds 3] [-e2e 100000]
//	go run ./bench/rocketmq -only e2e -cpuprofile cpu.out -blockprofile block.out -mutexprofile mutex.out
//
// For 150-byte and 1 KB payloads (-sizes) it reports records/s and MB/s
// (payload bytes) of:
//
//   - raw publish: the client's producer, SendSync of batches of -batch
//     messages of the payload (no key, no properties), one batch at a time;
//   - transport: Transport.Publish of the same batches, one at a time,
//     messages without key (one send per batch, like raw);
//   - raw keyed: what per-key order costs the raw client: one of 1000 keys
//     per message, each batch split by queue (FNV hash of the key, as the
//     transport does) and the parts sent one after the other with the
//     client's manual queue selector;
//   - transport keyed: Publish of those keyed batches; the transport splits
//     them by queue and sends the parts concurrently;
//   - raw consume: the client's pull consumer (Poll, ACK, -pull messages a
//     pull) reading the -n messages the raw publish wrote, as fast as it
//     can, from its start until it has them all;
//   - end to end: a generator source -> bytes converter -> RocketMQ ->
//     bytes converter -> a sink that counts, through the runtime, from
//     creating the connectors until the sink saw every record: with one of
//     1000 keys per record and without keys, one source task and one sink
//     task, then with 2 sink tasks and with 2 source tasks (keys). The sink
//     checks that it saw every record and that no record of a key came
//     after a later one of the same key (per-key order); duplicates
//     (at-least-once) are counted.
//
// End-to-end rates are shown as a share of min(raw publish, raw consume) of
// the same run. Each measurement runs -rounds times, alternating; the best
// round is reported, and then, since the load of a shared machine changes
// from round to round, the share of each end-to-end case (and of the sink
// task alone) against the baselines of its own round: median, lowest and
// highest over the rounds. The same shares are also given against the
// shared-CPU bound 1/(1/raw publish + 1/raw consume): a pipeline whose
// publishing and consuming each cost what the raw baselines cost, on one
// machine whose cores the broker and both sides share, cannot run faster.
// When the baselines are CPU-bound (150-byte records on a small machine)
// that bound is below 70% of min(raw publish, raw consume). Peak heap is
// the largest live heap sampled during the
// measurement (the whole process: runtime, transport and client).
// Absolute figures on a shared machine are noisy: read the ratios.
//
// The block and mutex profiles cover the consume and end-to-end
// measurements; the CPU profile runs from the first of them to the end. Use
// -only consume (raw consume, transport consume, a sink task alone) or
// -only e2e, -cases and -rounds 1 to profile one kind of run.
package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	goruntime "runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	rmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/converter"
	"github.com/openmessaging/connect-go/internal/heapwatch"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/rocketmq"
)

func main() {
	n := flag.Int("n", 100_000, "records per publish and raw consume run")
	batch := flag.Int("batch", 100, "records per SendSync / Publish call")
	rounds := flag.Int("rounds", 3, "runs of each measurement; the best is reported, and the median share per round")
	e2e := flag.Int64("e2e", 100_000, "records of each end-to-end run (0: skip)")
	queues := flag.Int("queues", 4, "queues of each topic the bench creates")
	pull := flag.Int("pull", 32, "messages per pull of the raw consumer (the client's default is 32)")
	sizes := flag.String("sizes", "150,1024", "payload sizes in bytes, comma-separated (at least 16)")
	caseList := flag.String("cases", "1,2,3,4", "end-to-end runs to make: 1 keys, 2 no keys, 3 two sink tasks, 4 two source tasks")
	only := flag.String("only", "", "run only the publish and consume runs (\"raw\"), only the consume runs (\"consume\") or only the end-to-end runs (\"e2e\")")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the end-to-end runs to this file")
	blockprofile := flag.String("blockprofile", "", "write a block profile of the end-to-end runs to this file")
	mutexprofile := flag.String("mutexprofile", "", "write a mutex profile of the end-to-end runs to this file")
	memprofile := flag.String("memprofile", "", "write an allocation profile of the whole run to this file")
	brokerPID := flag.Int("broker-pid", 0, "process id of a local broker, to report its CPU time per record too (Linux)")
	namesrv := flag.String("namesrv", os.Getenv("ROCKETMQ_NAMESRV"), "name server address (default $ROCKETMQ_NAMESRV)")
	broker := flag.String("broker", os.Getenv("ROCKETMQ_BROKER"), "broker address (default $ROCKETMQ_BROKER)")
	flag.Parse()
	if *namesrv == "" || *broker == "" {
		fail(fmt.Errorf("no broker: set ROCKETMQ_NAMESRV and ROCKETMQ_BROKER (eval \"$(scripts/services.sh up rocketmq)\")"))
	}
	if *only != "" && *only != "raw" && *only != "consume" && *only != "e2e" {
		fail(fmt.Errorf("-only %q: want raw, consume or e2e", *only))
	}
	if *n < 1 || *batch < 1 || *rounds < 1 || *e2e < 0 || *pull < 1 || *pull > 1024 || *queues < 1 {
		fail(errors.New("-n, -batch, -rounds and -queues must be at least 1, -e2e at least 0, -pull in 1..1024"))
	}
	var payloadSizes []int
	for _, s := range strings.Split(*sizes, ",") {
		size, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || size < headerBytes {
			fail(fmt.Errorf("-sizes: %q is not a size of at least %d bytes", s, headerBytes))
		}
		payloadSizes = append(payloadSizes, size)
	}
	runRaw, runE2E := *only == "" || *only == "raw" || *only == "consume", (*only == "" || *only == "e2e") && *e2e > 0
	runPublish := *only != "consume"

	b := &bench{namesrv: *namesrv, broker: *broker, run: strconv.FormatInt(time.Now().UnixNano()%1e9, 36), pull: *pull, brokerPID: *brokerPID, queues: *queues}
	b.tr = rocketmq.New(
		rocketmq.WithNameServers([]string{b.namesrv}),
		rocketmq.WithBrokerAddrs([]string{b.broker}),
	)
	ctx := context.Background()
	if err := b.tr.Open(ctx); err != nil {
		fail(err)
	}
	defer b.tr.Close()
	raw, err := rmq.NewProducer(
		producer.WithNameServer([]string{b.namesrv}),
		producer.WithGroupName("bench-raw"),
		producer.WithInstanceName("bench-raw-"+b.run),
	)
	if err != nil {
		fail(err)
	}
	if err := raw.Start(); err != nil {
		fail(err)
	}
	defer raw.Shutdown()
	rawManual, err := rmq.NewProducer(
		producer.WithNameServer([]string{b.namesrv}),
		producer.WithGroupName("bench-raw-keyed"),
		producer.WithInstanceName("bench-raw-keyed-"+b.run),
		producer.WithQueueSelector(producer.NewManualQueueSelector()),
	)
	if err != nil {
		fail(err)
	}
	if err := rawManual.Start(); err != nil {
		fail(err)
	}
	defer rawManual.Shutdown()

	prof := startProfiles(*cpuprofile, *blockprofile, *mutexprofile)
	prof.allocs = *memprofile
	fmt.Printf("batch %d records, %d records per publish and consume run, %d per end-to-end run, %d queues, raw pull %d, best of %d rounds, GOMAXPROCS=%d\n",
		*batch, *n, *e2e, *queues, *pull, *rounds, goruntime.GOMAXPROCS(0))
	var cases []e2eCase
	for _, s := range strings.Split(*caseList, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || i < 1 || i > len(allCases) {
			fail(fmt.Errorf("-cases: %q is not a number from 1 to %d", s, len(allCases)))
		}
		cases = append(cases, allCases[i-1])
	}
	for _, size := range payloadSizes {
		payload := make([]byte, size)
		rand.Read(payload)
		var rawR, trR, rawKeyedR, keyedR, consumeR, trConsumeR, sinkR result
		e2eR := make([]result, len(cases))
		// Rates of one round against the baselines of the same round: the
		// machine's load changes between rounds more than within one.
		var sinkShare []float64
		e2eShare := make([][]float64, len(cases))
		e2eBound := make([][]float64, len(cases))
		for range *rounds {
			var base float64 // min(raw publish, raw consume) of this round
			// bound is the rate of a pipeline whose publishing and
			// consuming cost what the raw baselines cost and share one
			// machine: 1/(1/publish + 1/consume). On a machine where the
			// broker and both clients compete for the same cores (this
			// bench's usual setting) end to end cannot pass it.
			var bound float64
			if runRaw {
				var filled string
				pub := b.measure("raw publish", *n, size, func(topic string) {
					b.publishRaw(raw, topic, payload, *n, *batch)
					filled = topic
				})
				rawR = best(rawR, pub)
				prof.resume()
				cons := b.measureOn("raw consume", filled, *n, size, func(topic string) { b.consumeRaw(topic, *n) })
				consumeR = best(consumeR, cons)
				trConsumeR = best(trConsumeR, b.measureOn("transport consume", filled, *n, size, func(topic string) { b.consumeTransport(topic, *n) }))
				var note string
				r := b.measureOn("sink alone", filled, *n, size, func(topic string) { note = b.sinkOnly(topic, *n) })
				r.note = note
				sinkR = best(sinkR, r)
				sinkShare = append(sinkShare, r.rate/cons.rate)
				prof.pause()
				base = min(pub.rate, cons.rate)
				bound = 1 / (1/pub.rate + 1/cons.rate)
				if runPublish {
					trR = best(trR, b.measure("transport publish", *n, size, func(topic string) { b.publishTransport(topic, payload, *n, *batch, false) }))
					rawKeyedR = best(rawKeyedR, b.measure("raw keyed publish", *n, size, func(topic string) { b.publishRawKeyed(rawManual, topic, payload, *n, *batch) }))
					keyedR = best(keyedR, b.measure("transport keyed publish", *n, size, func(topic string) { b.publishTransport(topic, payload, *n, *batch, true) }))
				}
			}
			if runE2E {
				prof.resume()
				for i, c := range cases {
					var note string
					r := b.measure(c.name, int(*e2e), size, func(topic string) { note = b.endToEnd(topic, payload, *e2e, c) })
					r.note = note
					e2eR[i] = best(e2eR[i], r)
					if base > 0 {
						e2eShare[i] = append(e2eShare[i], r.rate/base)
						e2eBound[i] = append(e2eBound[i], r.rate/bound)
					}
				}
				prof.pause()
			}
		}
		fmt.Printf("\npayload %d bytes\n", size)
		if runRaw {
			rawR.print("raw client SendSync (baseline)", rawR, "of raw publish")
			consumeR.print("raw client pull consumer", rawR, "of raw publish")
			trConsumeR.print("transport Fetch and Ack", consumeR, "of raw consume")
			sinkR.print("runtime sink task alone", consumeR, "of raw consume")
			fmt.Printf("  %-34s %s\n", "", sinkR.note)
			if runPublish {
				trR.print("transport Publish, no key", rawR, "of raw publish")
				rawKeyedR.print("raw client, 1000 keys, per queue", rawR, "of raw publish")
				keyedR.print("transport Publish, 1000 keys", rawR, "of raw publish")
				fmt.Printf("  %-34s %5.0f%% of raw with keys\n", "transport with keys", 100*keyedR.rate/rawKeyedR.rate)
			}
		}
		if runE2E {
			base, what := result{}, "(no baseline)"
			if runRaw {
				base, what = rawR, "of min(raw publish, consume)"
				if consumeR.rate < rawR.rate {
					base = consumeR
				}
			}
			for i, c := range cases {
				e2eR[i].print(c.name, base, what)
				if e2eR[i].note != "" {
					fmt.Printf("  %-34s %s\n", "", e2eR[i].note)
				}
			}
		}
		if runRaw && *rounds > 1 {
			fmt.Printf("  per round, against the same round's baselines: median [lowest, highest]\n")
			fmt.Printf("    %-40s %s of raw consume\n", "runtime sink task alone", shares(sinkShare))
			for i, c := range cases {
				if len(e2eShare[i]) > 0 {
					fmt.Printf("    %-40s %s of min(raw publish, consume)\n", c.name, shares(e2eShare[i]))
				}
			}
			fmt.Printf("  per round, against the shared-CPU bound 1/(1/raw publish + 1/raw consume) of the same round\n")
			for i, c := range cases {
				if len(e2eBound[i]) > 0 {
					fmt.Printf("    %-40s %s of the bound\n", c.name, shares(e2eBound[i]))
				}
			}
		}
	}
	prof.stop()
}

// shares formats ratios as "median% [lowest%, highest%]".
func shares(r []float64) string {
	if len(r) == 0 {
		return "-"
	}
	r = slices.Clone(r)
	slices.Sort(r)
	median := r[len(r)/2]
	if len(r)%2 == 0 {
		median = (r[len(r)/2-1] + r[len(r)/2]) / 2
	}
	return fmt.Sprintf("%3.0f%% [%3.0f%%, %3.0f%%]", 100*median, 100*r[0], 100*r[len(r)-1])
}

type bench struct {
	namesrv, broker, run string
	pull, brokerPID      int
	queues               int
	tr                   *rocketmq.Transport
	topics               int
}

func (b *bench) topic() string {
	b.topics++
	t := fmt.Sprintf("bench_%s_%d", b.run, b.topics)
	if err := b.tr.CreateTopic(context.Background(), t, b.queues); err != nil {
		fail(err)
	}
	return t
}

type result struct {
	rate, mbps, peakMB float64
	cpuPerRecord       time.Duration // of this process
	brokerPerRecord    time.Duration // of the broker, with -broker-pid
	allocPerRecord     float64       // bytes allocated on the heap by this process
	objectsPerRecord   float64       // heap allocations of this process
	took               time.Duration
	note               string
}

func best(a, b result) result {
	if b.rate > a.rate {
		return b
	}
	return a
}

func (r result) print(what string, base result, of string) {
	share := "    -"
	if base.rate > 0 {
		share = fmt.Sprintf("%4.0f%%", 100*r.rate/base.rate)
	}
	fmt.Printf("  %-34s %9.0f records/s %7.1f MB/s  %s %s  peak heap %5.1f MB  alloc %5.2f KB %4.1f objects/record  cpu %5.1fµs/record",
		what, r.rate, r.mbps, share, of, r.peakMB, r.allocPerRecord/1e3, r.objectsPerRecord, float64(r.cpuPerRecord)/1e3)
	if r.brokerPerRecord > 0 {
		fmt.Printf(" (broker %4.1fµs)", float64(r.brokerPerRecord)/1e3)
	}
	fmt.Println()
}

// measure runs f on a new topic with -queues queues.
func (b *bench) measure(what string, n, size int, f func(topic string)) result {
	return b.measureOn(what, b.topic(), n, size, f)
}

// measureOn runs f on topic. Profile samples are labelled with what (pprof
// -tagfocus measure=...), goroutines f starts included.
func (b *bench) measureOn(what, topic string, n, size int, f func(topic string)) result {
	goruntime.GC()
	peak := heapwatch.Start()
	cpu, brokerCPU := cpuTime(), procCPUTime(b.brokerPID)
	allocs, objects := allocated()
	began := time.Now()
	pprof.Do(context.Background(), pprof.Labels("measure", what), func(context.Context) { f(topic) })
	took := time.Since(began)
	r := result{
		rate:            float64(n) / took.Seconds(),
		mbps:            float64(n) * float64(size) / took.Seconds() / 1e6,
		peakMB:          peak() / 1e6,
		cpuPerRecord:    (cpuTime() - cpu) / time.Duration(n),
		brokerPerRecord: (procCPUTime(b.brokerPID) - brokerCPU) / time.Duration(n),
		took:            took,
	}
	allocsAfter, objectsAfter := allocated()
	r.allocPerRecord = float64(allocsAfter-allocs) / float64(n)
	r.objectsPerRecord = float64(objectsAfter-objects) / float64(n)
	return r
}

// procCPUTime is the user and system CPU time process pid used so far,
// from /proc (0 when pid is 0 or it cannot be read).
func procCPUTime(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which ends with the last ')'.
	i := strings.LastIndexByte(string(stat), ')')
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}

// allocated is how many bytes, and objects, this process allocated on the
// heap so far.
func allocated() (bytes, objects uint64) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/allocs:objects"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

// cpuTime is the user and system CPU time this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (b *bench) publishRaw(p rmq.Producer, topic string, payload []byte, n, batch int) {
	ctx := context.Background()
	for sent := 0; sent < n; sent += batch {
		msgs := make([]*primitive.Message, min(batch, n-sent))
		for i := range msgs {
			msgs[i] = primitive.NewMessage(topic, payload)
		}
		if _, err := p.SendSync(ctx, msgs...); err != nil {
			fail(fmt.Errorf("raw SendSync: %w", err))
		}
	}
}

// consumeRaw reads n messages of topic with a pull consumer of a new group:
// Poll, then ACK each pulled batch, the client's own loop.
func (b *bench) consumeRaw(topic string, n int) {
	pc, err := rmq.NewPullConsumer(
		consumer.WithNameServer([]string{b.namesrv}),
		consumer.WithGroupName("bench-raw-consume-"+topic),
		consumer.WithInstance("bench-raw-consume-"+topic),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithPullBatchSize(int32(b.pull)),
	)
	if err != nil {
		fail(fmt.Errorf("raw consumer: %w", err))
	}
	if err := pc.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}); err != nil {
		fail(fmt.Errorf("raw consumer: %w", err))
	}
	if err := pc.Start(); err != nil {
		fail(fmt.Errorf("raw consumer: %w", err))
	}
	defer pc.Shutdown()
	ctx := context.Background()
	deadline := time.Now().Add(5 * time.Minute)
	for got := 0; got < n; {
		if time.Now().After(deadline) {
			fail(fmt.Errorf("raw consume: %d of %d messages after 5 minutes", got, n))
		}
		cr, err := pc.Poll(ctx, time.Second)
		if err != nil {
			continue
		}
		got += len(cr.GetMsgList())
		pc.ACK(ctx, cr, consumer.ConsumeSuccess)
	}
}

// consumeTransport reads n messages of topic through a subscription of a
// new group: Fetch up to 1000, Ack them.
func (b *bench) consumeTransport(topic string, n int) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sub, err := b.tr.Subscribe(ctx, "bench-tr-consume-"+topic, topic)
	if err != nil {
		fail(fmt.Errorf("transport consume: %w", err))
	}
	defer sub.Close()
	for got := 0; got < n; {
		msgs, err := sub.Fetch(ctx, 1000)
		if err != nil {
			fail(fmt.Errorf("transport consume: %d of %d messages: %w", got, n, err))
		}
		got += len(msgs)
		if err := sub.Ack(ctx, msgs...); err != nil {
			fail(fmt.Errorf("transport consume: %w", err))
		}
	}
}

// sinkOnly reads n messages of topic with a sink task through the runtime
// (bytes converter), from creating the connector until the task got them.
func (b *bench) sinkOnly(topic string, n int) string {
	ctx := context.Background()
	chk := newChecker(int64(n), false)
	chk.countOnly = true
	rt := runtime.New(
		runtime.WithTransport(b.tr),
		runtime.WithConverter(converter.NewBytes()),
		runtime.WithPlugin("count", func() connect.Connector { return &counter{chk} }),
	)
	if err := rt.Start(ctx); err != nil {
		fail(err)
	}
	began := time.Now()
	if err := rt.CreateConnector(ctx, "sink-only-"+topic, connect.Config{"connector.class": "count", "topics": topic}); err != nil {
		fail(err)
	}
	select {
	case <-chk.done:
	case <-time.After(5 * time.Minute):
		fail(fmt.Errorf("sink alone: %d of %d records after 5 minutes", chk.distinct.Load(), n))
	}
	took := time.Since(began)
	if err := rt.Stop(ctx); err != nil {
		fail(err)
	}
	return fmt.Sprintf("first record after %v of %v, %.0f records a Put", chk.first.Load().Sub(began).Round(time.Millisecond),
		took.Round(time.Millisecond), float64(chk.distinct.Load())/float64(chk.puts.Load()))
}

// publishRawKeyed sends each batch as one SendSync per queue, the queue
// chosen by the FNV-1a hash of the key.
func (b *bench) publishRawKeyed(p rmq.Producer, topic string, payload []byte, n, batch int) {
	ctx := context.Background()
	queues := make([]*primitive.MessageQueue, b.queues)
	for i := range queues {
		queues[i] = &primitive.MessageQueue{Topic: topic, BrokerName: b.brokerName(), QueueId: i}
	}
	for sent := 0; sent < n; sent += batch {
		groups := make([][]*primitive.Message, len(queues))
		for i := range min(batch, n-sent) {
			key := "key-" + strconv.Itoa((sent+i)%1000)
			h := fnv.New32a()
			h.Write([]byte(key))
			q := int(h.Sum32() % uint32(len(queues)))
			m := primitive.NewMessage(topic, payload)
			m.WithKeys([]string{key})
			m.Queue = queues[q]
			groups[q] = append(groups[q], m)
		}
		for _, g := range groups {
			if len(g) == 0 {
				continue
			}
			if _, err := p.SendSync(ctx, g...); err != nil {
				fail(fmt.Errorf("raw keyed SendSync: %w", err))
			}
		}
	}
}

// brokerName is the name of the test broker (scripts/services.sh names it
// broker-a).
func (b *bench) brokerName() string {
	if name := os.Getenv("ROCKETMQ_BROKER_NAME"); name != "" {
		return name
	}
	return "broker-a"
}

func (b *bench) publishTransport(topic string, payload []byte, n, batch int, keyed bool) {
	ctx := context.Background()
	for sent := 0; sent < n; sent += batch {
		msgs := make([]*connect.Message, min(batch, n-sent))
		for i := range msgs {
			msgs[i] = &connect.Message{Topic: topic, Value: payload}
			if keyed {
				msgs[i].Key = []byte("key-" + strconv.Itoa((sent+i)%1000))
			}
		}
		if err := b.tr.Publish(ctx, msgs...); err != nil {
			fail(fmt.Errorf("transport Publish: %w", err))
		}
	}
}

var allCases = []e2eCase{
	{name: "end to end, 1000 keys", keys: true, sources: 1, sinks: 1},
	{name: "end to end, no keys", keys: false, sources: 1, sinks: 1},
	{name: "end to end, keys, 2 sink tasks", keys: true, sources: 1, sinks: 2},
	{name: "end to end, keys, 2 source tasks", keys: true, sources: 2, sinks: 1},
}

type e2eCase struct {
	name           string
	keys           bool
	sources, sinks int
}

// endToEnd runs n records from c.sources generator tasks through the
// runtime to c.sinks counting tasks.
func (b *bench) endToEnd(topic string, payload []byte, n int64, c e2eCase) string {
	ctx := context.Background()
	chk := newChecker(n, c.keys)
	rt := runtime.New(
		runtime.WithTransport(b.tr),
		runtime.WithConverter(converter.NewBytes()),
		runtime.WithPlugin("gen", func() connect.Connector {
			return &generator{topic: topic, payload: payload, n: n, keys: c.keys, polled: &chk.polled}
		}),
		runtime.WithPlugin("count", func() connect.Connector { return &counter{chk} }),
	)
	if err := rt.Start(ctx); err != nil {
		fail(err)
	}
	began := time.Now()
	for name, cfg := range map[string]connect.Config{
		"sink-" + topic:   {"connector.class": "count", "topics": topic, "tasks.max": strconv.Itoa(c.sinks)},
		"source-" + topic: {"connector.class": "gen", "tasks.max": strconv.Itoa(c.sources), "batch.size": "1000"},
	} {
		if err := rt.CreateConnector(ctx, name, cfg); err != nil {
			fail(err)
		}
	}
	// Sample how far the sink is behind the source: a backlog that keeps
	// growing means the consuming side is the slower one.
	var backlog, polledAt int64
	var sourceDone time.Duration
	tick := time.NewTicker(10 * time.Millisecond)
	timeout := time.After(5 * time.Minute)
wait:
	for {
		select {
		case <-chk.done:
			break wait
		case <-timeout:
			fail(fmt.Errorf("end to end (%s): %d of %d records after 5 minutes", c.name, chk.distinct.Load(), n))
		case <-tick.C:
			p := chk.polled.Load()
			backlog = max(backlog, p-chk.distinct.Load())
			if p == n && polledAt < n {
				sourceDone = time.Since(began)
			}
			polledAt = p
		}
	}
	tick.Stop()
	first := chk.first.Load().Sub(began)
	took := time.Since(began)
	if err := rt.Stop(ctx); err != nil {
		fail(err)
	}
	if v := chk.outOfOrder.Load(); v > 0 {
		fail(fmt.Errorf("end to end (%s): %d records came after a later record of their key", c.name, v))
	}
	note := fmt.Sprintf("first record after %v, source polled all after %v of %v, largest backlog %d records, %.0f records a Put",
		first.Round(time.Millisecond), sourceDone.Round(time.Millisecond), took.Round(time.Millisecond), backlog,
		float64(chk.distinct.Load()+chk.dups.Load())/float64(chk.puts.Load()))
	if d := chk.dups.Load(); d > 0 {
		note += fmt.Sprintf(", %d duplicates", d)
	}
	return note
}

// headerBytes is what the generator writes at the start of each value: the
// record's number, its key's number and its sequence number within the key.
const headerBytes = 16

// generator is a source of n records over its tasks: task k of m emits
// records k*n/m up to (k+1)*n/m, with keys of its own (1000 over all
// tasks) or none.
type generator struct {
	topic   string
	payload []byte
	n       int64
	keys    bool
	polled  *atomic.Int64
}

func (g *generator) Spec() connect.Spec {
	return connect.Spec{Name: "Generator", Version: "bench", Description: "Generates records.",
		Config: connect.ConfigSpec{{Name: "batch.size", Type: connect.FieldInt, Default: "1000", Validate: connect.IntAtLeast(1)}}}
}
func (g *generator) Start(_ context.Context, _ connect.ConnectorContext, _ connect.Config) error {
	return nil
}
func (g *generator) TaskConfigs(max int) ([]connect.Config, error) {
	out := make([]connect.Config, max)
	for i := range out {
		out[i] = connect.Config{"tasks": strconv.Itoa(max)}
	}
	return out, nil
}
func (g *generator) Stop(context.Context) error { return nil }
func (g *generator) NewTask() connect.SourceTask {
	return &genTask{g: g}
}

type genTask struct {
	g                 *generator
	batch             int
	start, next, end  int64
	keyBase, keyCount int64
	partition         string
}

func (t *genTask) Start(_ context.Context, tc connect.SourceTaskContext, cfg connect.Config) error {
	t.batch = cfg.Int("batch.size")
	if t.batch < 1 {
		t.batch = 1000
	}
	m := int64(cfg.Int("tasks"))
	k := int64(tc.TaskID())
	t.start, t.end = k*t.g.n/m, (k+1)*t.g.n/m
	t.next = t.start
	t.keyCount = 1000 / m
	t.keyBase = k * t.keyCount
	t.partition = "gen-" + strconv.FormatInt(k, 10)
	return nil
}

func (t *genTask) Poll(ctx context.Context) ([]*connect.Record, error) {
	if t.next >= t.end {
		<-ctx.Done()
		return nil, nil
	}
	out := make([]*connect.Record, 0, min(int64(t.batch), t.end-t.next))
	for ; len(out) < cap(out); t.next++ {
		value := make([]byte, len(t.g.payload))
		copy(value, t.g.payload)
		i := t.next
		local := i - t.start
		key := t.keyBase + local%t.keyCount
		binary.BigEndian.PutUint64(value, uint64(i))
		binary.BigEndian.PutUint32(value[8:], uint32(key))
		binary.BigEndian.PutUint32(value[12:], uint32(local/t.keyCount))
		r := &connect.Record{Topic: t.g.topic, Value: value, Position: connect.NewPosition(t.partition, i)}
		if t.g.keys {
			r.Key = "key-" + strconv.FormatInt(key, 10)
		}
		out = append(out, r)
	}
	t.g.polled.Add(int64(len(out)))
	return out, nil
}

func (t *genTask) Stop(context.Context) error { return nil }

// checker sees what the sink tasks were given.
type checker struct {
	n          int64
	keys       bool
	mu         sync.Mutex
	seen       []bool
	last       []int64 // by key: the highest sequence number seen
	distinct   atomic.Int64
	polled     atomic.Int64 // by the generator
	puts       atomic.Int64 // calls of Put
	countOnly  bool         // values are not the generator's: count them
	closed     atomic.Bool  // done, when countOnly
	dups       atomic.Int64
	outOfOrder atomic.Int64
	first      atomic.Pointer[time.Time]
	done       chan struct{}
}

func newChecker(n int64, keys bool) *checker {
	c := &checker{n: n, keys: keys, seen: make([]bool, n), last: make([]int64, 1000), done: make(chan struct{})}
	for i := range c.last {
		c.last[i] = -1
	}
	return c
}

func (c *checker) put(rs []*connect.Record) error {
	if c.first.Load() == nil {
		now := time.Now()
		c.first.CompareAndSwap(nil, &now)
	}
	c.puts.Add(1)
	if c.countOnly {
		if c.distinct.Add(int64(len(rs))) >= c.n && c.closed.CompareAndSwap(false, true) {
			close(c.done)
		}
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var distinct, dups, late int64
	for _, r := range rs {
		v, ok := r.Value.([]byte)
		if !ok || len(v) < headerBytes {
			return connect.Fatal(fmt.Errorf("counter: value %T is not a generated one", r.Value))
		}
		i, key, seq := int64(binary.BigEndian.Uint64(v)), binary.BigEndian.Uint32(v[8:]), int64(binary.BigEndian.Uint32(v[12:]))
		if i < 0 || i >= c.n || int(key) >= len(c.last) {
			return connect.Fatal(fmt.Errorf("counter: record %d key %d out of range", i, key))
		}
		if c.seen[i] {
			dups++
			continue
		}
		c.seen[i] = true
		distinct++
		if c.keys {
			if seq < c.last[key] {
				late++
			} else {
				c.last[key] = seq
			}
		}
	}
	c.dups.Add(dups)
	c.outOfOrder.Add(late)
	if c.distinct.Add(distinct) == c.n && distinct > 0 {
		close(c.done)
	}
	return nil
}

// counter is a sink whose tasks hand what they get to a checker.
type counter struct{ chk *checker }

func (c *counter) Spec() connect.Spec {
	return connect.Spec{Name: "Counter", Version: "bench", Description: "Counts records."}
}
func (c *counter) Start(context.Context, connect.ConnectorContext, connect.Config) error { return nil }
func (c *counter) TaskConfigs(max int) ([]connect.Config, error) {
	return make([]connect.Config, max), nil
}
func (c *counter) Stop(context.Context) error { return nil }
func (c *counter) NewTask() connect.SinkTask  { return counterTask{c.chk} }

type counterTask struct{ chk *checker }

func (counterTask) Start(context.Context, connect.SinkTaskContext, connect.Config) error { return nil }
func (counterTask) Flush(context.Context) error                                          { return nil }
func (c counterTask) Put(_ context.Context, rs []*connect.Record) error                  { return c.chk.put(rs) }
func (counterTask) Stop(context.Context) error                                           { return nil }

// profiles are the profiles asked for, collected while resumed.
type profiles struct {
	cpu, block, mutex string
	allocs            string
	cpuFile           *os.File
	started           bool
}

func startProfiles(cpu, block, mutex string) profiles {
	p := profiles{cpu: cpu, block: block, mutex: mutex}
	if cpu != "" {
		f, err := os.Create(cpu)
		if err != nil {
			fail(err)
		}
		p.cpuFile = f
	}
	return p
}

// resume collects samples until pause. The CPU profile can be started only
// once, so it runs from the first resume to stop.
func (p *profiles) resume() {
	if p.cpuFile != nil && !p.started {
		if err := pprof.StartCPUProfile(p.cpuFile); err != nil {
			fail(err)
		}
		p.started = true
	}
	if p.block != "" {
		goruntime.SetBlockProfileRate(10_000) // one event per 10µs blocked
	}
	if p.mutex != "" {
		goruntime.SetMutexProfileFraction(5)
	}
}

func (p *profiles) pause() {
	goruntime.SetBlockProfileRate(0)
	goruntime.SetMutexProfileFraction(0)
}

func (p *profiles) stop() {
	if p.started {
		pprof.StopCPUProfile()
		p.cpuFile.Close()
	}
	for _, w := range []struct{ name, file string }{{"block", p.block}, {"mutex", p.mutex}, {"allocs", p.allocs}} {
		if w.file == "" {
			continue
		}
		f, err := os.Create(w.file)
		if err != nil {
			fail(err)
		}
		if err := pprof.Lookup(w.name).WriteTo(f, 0); err != nil {
			fail(err)
		}
		f.Close()
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/rocketmq:", err)
	os.Exit(1)
}
