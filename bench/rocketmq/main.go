// Command rocketmq measures the RocketMQ transport against the raw
// rocketmq-client-go producer, in the same run, on a real broker.
//
//	eval "$(scripts/services.sh up rocketmq)"
//	go run ./bench/rocketmq [-n 100000] [-batch 100] [-rounds 2] [-e2e 100000]
//
// For 150-byte and 1 KB payloads it reports records/s and MB/s (payload
// bytes) of:
//
//   - raw: the client's producer, SendSync of batches of -batch messages of
//     the payload (no key, no properties), one batch at a time: the
//     baseline;
//   - transport: Transport.Publish of the same batches, one at a time,
//     messages without key (one send per batch, like raw);
//   - raw keyed: what per-key order costs the raw client: one of 1000 keys
//     per message, each batch split by queue (FNV hash of the key, as the
//     transport does) and the parts sent one after the other with the
//     client's manual queue selector: the baseline of the next line;
//   - transport keyed: Publish of those keyed batches; the transport splits
//     them by queue and sends the parts concurrently;
//   - end to end: a generator source -> bytes converter -> RocketMQ ->
//     bytes converter -> a sink that counts, through the runtime, with one
//     of 1000 keys per record and two sink tasks; the time from creating
//     the connectors until the sink counted every record.
//
// Each side runs -rounds times, alternating; the best round is reported.
// Absolute figures on a shared machine are noisy: read the ratios.
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	goruntime "runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	rmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/converter"
	"github.com/openmessaging/connect-go/internal/heapwatch"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/rocketmq"
)

func main() {
	n := flag.Int("n", 100_000, "records per publish run")
	batch := flag.Int("batch", 100, "records per SendSync / Publish call")
	rounds := flag.Int("rounds", 2, "runs of each side; the best is reported")
	e2e := flag.Int64("e2e", 100_000, "records of the end-to-end run (0: skip)")
	namesrv := flag.String("namesrv", os.Getenv("ROCKETMQ_NAMESRV"), "name server address (default $ROCKETMQ_NAMESRV)")
	broker := flag.String("broker", os.Getenv("ROCKETMQ_BROKER"), "broker address (default $ROCKETMQ_BROKER)")
	flag.Parse()
	if *namesrv == "" || *broker == "" {
		fail(fmt.Errorf("no broker: set ROCKETMQ_NAMESRV and ROCKETMQ_BROKER (eval \"$(scripts/services.sh up rocketmq)\")"))
	}
	b := &bench{namesrv: *namesrv, broker: *broker, run: strconv.FormatInt(time.Now().UnixNano()%1e9, 36)}
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

	fmt.Printf("batch %d records, %d records per publish run, best of %d rounds, GOMAXPROCS=%d\n",
		*batch, *n, *rounds, goruntime.GOMAXPROCS(0))
	for _, size := range []int{150, 1024} {
		payload := make([]byte, size)
		rand.Read(payload)
		var rawR, trR, rawKeyedR, keyedR, e2eR result
		for range *rounds {
			rawR = best(rawR, b.measure(*n, size, func(topic string) { b.publishRaw(raw, topic, payload, *n, *batch) }))
			trR = best(trR, b.measure(*n, size, func(topic string) { b.publishTransport(topic, payload, *n, *batch, false) }))
			rawKeyedR = best(rawKeyedR, b.measure(*n, size, func(topic string) { b.publishRawKeyed(rawManual, topic, payload, *n, *batch) }))
			keyedR = best(keyedR, b.measure(*n, size, func(topic string) { b.publishTransport(topic, payload, *n, *batch, true) }))
		}
		if *e2e > 0 {
			e2eR = b.measure(int(*e2e), size, func(topic string) { b.endToEnd(topic, payload, *e2e) })
		}
		fmt.Printf("\npayload %d bytes\n", size)
		rawR.print("raw client SendSync (baseline)", rawR)
		trR.print("transport Publish, no key", rawR)
		rawKeyedR.print("raw client, 1000 keys, per queue", rawR)
		keyedR.print("transport Publish, 1000 keys", rawR)
		fmt.Printf("  %-34s %5.0f%% of raw with keys\n", "transport with keys", 100*keyedR.rate/rawKeyedR.rate)
		if *e2e > 0 {
			e2eR.print("end to end through the runtime", rawR)
		}
	}
}

type bench struct {
	namesrv, broker, run string
	tr                   *rocketmq.Transport
	topics               int
}

func (b *bench) topic() string {
	b.topics++
	t := fmt.Sprintf("bench_%s_%d", b.run, b.topics)
	if err := b.tr.CreateTopic(context.Background(), t, 4); err != nil {
		fail(err)
	}
	return t
}

type result struct {
	rate, mbps, peakMB float64
	took               time.Duration
}

func best(a, b result) result {
	if b.rate > a.rate {
		return b
	}
	return a
}

func (r result) print(what string, base result) {
	fmt.Printf("  %-34s %9.0f records/s %7.1f MB/s  %5.0f%% of raw  peak heap %5.1f MB\n",
		what, r.rate, r.mbps, 100*r.rate/base.rate, r.peakMB)
}

// measure runs f on a new topic with 4 queues.
func (b *bench) measure(n, size int, f func(topic string)) result {
	topic := b.topic()
	goruntime.GC()
	peak := heapwatch.Start()
	began := time.Now()
	f(topic)
	took := time.Since(began)
	return result{
		rate:   float64(n) / took.Seconds(),
		mbps:   float64(n) * float64(size) / took.Seconds() / 1e6,
		peakMB: peak() / 1e6,
		took:   took,
	}
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

// publishRawKeyed sends each batch as one SendSync per queue, the queue
// chosen by the FNV-1a hash of the key.
func (b *bench) publishRawKeyed(p rmq.Producer, topic string, payload []byte, n, batch int) {
	ctx := context.Background()
	queues := make([]*primitive.MessageQueue, 4)
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

func (b *bench) endToEnd(topic string, payload []byte, n int64) {
	ctx := context.Background()
	var count atomic.Int64
	done := make(chan struct{})
	var once sync.Once
	sink := &counter{count: &count, want: n, done: done, once: &once}
	rt := runtime.New(
		runtime.WithTransport(b.tr),
		runtime.WithConverter(converter.NewBytes()),
		runtime.WithPlugin("gen", func() connect.Connector {
			return connecttest.NewGenerator(func(i int64) *connect.Record {
				return &connect.Record{Topic: topic, Key: "key-" + strconv.FormatInt(i%1000, 10), Value: payload}
			}, n)
		}),
		runtime.WithPlugin("count", func() connect.Connector { return sink }),
	)
	if err := rt.Start(ctx); err != nil {
		fail(err)
	}
	for name, cfg := range map[string]connect.Config{
		"sink":   {"connector.class": "count", "topics": topic, "tasks.max": "2"},
		"source": {"connector.class": "gen", "batch.size": "1000"},
	} {
		if err := rt.CreateConnector(ctx, name, cfg); err != nil {
			fail(err)
		}
	}
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		fail(fmt.Errorf("end to end: %d of %d records after 5 minutes", count.Load(), n))
	}
	if err := rt.Stop(ctx); err != nil {
		fail(err)
	}
}

// counter is a sink that counts records.
type counter struct {
	count *atomic.Int64
	want  int64
	done  chan struct{}
	once  *sync.Once
}

func (c *counter) Spec() connect.Spec {
	return connect.Spec{Name: "Counter", Version: "bench", Description: "Counts records."}
}
func (c *counter) Start(context.Context, connect.ConnectorContext, connect.Config) error { return nil }
func (c *counter) TaskConfigs(max int) ([]connect.Config, error) {
	return make([]connect.Config, max), nil
}
func (c *counter) Stop(context.Context) error { return nil }
func (c *counter) NewTask() connect.SinkTask  { return counterTask{c} }

type counterTask struct{ *counter }

func (counterTask) Start(context.Context, connect.SinkTaskContext, connect.Config) error { return nil }
func (counterTask) Flush(context.Context) error                                          { return nil }
func (c counterTask) Put(_ context.Context, rs []*connect.Record) error {
	if c.count.Add(int64(len(rs))) >= c.want {
		c.once.Do(func() { close(c.done) })
	}
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/rocketmq:", err)
	os.Exit(1)
}
