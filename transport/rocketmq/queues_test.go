package rocketmq

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	connect "github.com/openmessaging/connect-go"
)

func queuesOf(topic string, brokers ...string) []*primitive.MessageQueue {
	var mqs []*primitive.MessageQueue
	for _, b := range brokers {
		for i := range 4 {
			mqs = append(mqs, &primitive.MessageQueue{Topic: topic, BrokerName: b, QueueId: i})
		}
	}
	return mqs
}

// recordingProducer stands in for the client's producer: it runs the
// selector as the client does and records what went where.
type recordingProducer struct {
	mqs  []*primitive.MessageQueue
	sel  queueSelector
	fail func(msgs []*primitive.Message) error

	mu    sync.Mutex
	sends []sent
}

type sent struct {
	queue primitive.MessageQueue
	keys  []string
	count int
}

func (p *recordingProducer) Start() error    { return nil }
func (p *recordingProducer) Shutdown() error { return nil }

func (p *recordingProducer) SendSync(_ context.Context, msgs ...*primitive.Message) (*primitive.SendResult, error) {
	if p.fail != nil {
		if err := p.fail(msgs); err != nil {
			return nil, err
		}
	}
	// The client hands a batch to the selector as one message carrying the
	// first message's topic and queue.
	probe := msgs[0]
	if len(msgs) > 1 {
		probe = &primitive.Message{Topic: msgs[0].Topic, Queue: msgs[0].Queue}
	}
	// The client hands the selector its route in its own order.
	mqs := slices.Clone(p.mqs)
	slices.Reverse(mqs)
	q := p.sel.Select(probe, mqs, "")
	s := sent{queue: *q, count: len(msgs)}
	for _, m := range msgs {
		s.keys = append(s.keys, string(messageKey(m)))
	}
	p.mu.Lock()
	p.sends = append(p.sends, s)
	p.mu.Unlock()
	return &primitive.SendResult{Status: primitive.SendOK}, nil
}

// fakeTransport is an opened Transport whose producer is p.
func fakeTransport(p producerAPI, opts ...Option) *Transport {
	t := New(append([]Option{WithNameServers([]string{"127.0.0.1:9876"})}, opts...)...)
	t.producer = p
	t.admin = nil
	t.opened.Store(true)
	if rp, ok := p.(*recordingProducer); ok {
		rp.sel = queueSelector{t}
	}
	return t
}

func TestPickIsStable(t *testing.T) {
	for _, n := range []int{1, 2, 4, 8, 16} {
		for i := range 100 {
			k := []byte("key-" + strconv.Itoa(i))
			if a, b := pick(k, n), pick(k, n); a != b || a < 0 || a >= n {
				t.Fatalf("pick(%q, %d) = %d, %d", k, n, a, b)
			}
		}
	}
}

// Publish sends the messages of a key to one queue, in order, and those
// without key together to one queue.
func TestPublishGroupsByQueue(t *testing.T) {
	p := &recordingProducer{mqs: queuesOf("orders", "broker-b", "broker-a")}
	tr := fakeTransport(p)
	var msgs []*connect.Message
	for i := range 200 {
		m := &connect.Message{Topic: "orders", Value: []byte(strconv.Itoa(i))}
		if i%4 != 0 {
			m.Key = []byte("k" + strconv.Itoa(i%13))
		}
		msgs = append(msgs, m)
	}
	if err := tr.Publish(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	if err := tr.Publish(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	qs := tr.routes.get("orders")
	if len(qs) != 8 || qs[0].BrokerName != "broker-a" || qs[7].BrokerName != "broker-b" {
		t.Fatalf("recorded queues %v, want 8 sorted by broker", qs)
	}
	queueOfKey := map[string]primitive.MessageQueue{}
	keylessQueues := map[primitive.MessageQueue]bool{}
	total := 0
	for _, s := range p.sends {
		total += s.count
		for _, k := range s.keys {
			if k == "" {
				keylessQueues[s.queue] = true
				continue
			}
			if q, ok := queueOfKey[k]; ok && q != s.queue {
				t.Errorf("key %s sent to %v and %v", k, q, s.queue)
			}
			queueOfKey[k] = s.queue
			if want := *qs[pick([]byte(k), len(qs))]; s.queue != want {
				t.Errorf("key %s sent to %v, want %v", k, s.queue, want)
			}
		}
	}
	if total != 400 {
		t.Errorf("sent %d messages, want 400", total)
	}
	// One queue per Publish for the messages without key, plus the one
	// of the first message, which went alone to learn the queues.
	if len(keylessQueues) > 3 {
		t.Errorf("messages without key went to %d queues, want at most one per Publish", len(keylessQueues))
	}
	// The first Publish sent one message alone, then one batch per queue.
	if p.sends[0].count != 1 {
		t.Errorf("first send carried %d messages, want 1", p.sends[0].count)
	}
}

func TestPublishSplitsLargeBatches(t *testing.T) {
	p := &recordingProducer{mqs: queuesOf("big", "broker-a")}
	tr := fakeTransport(p, WithMaxBatchBytes(10_000))
	tr.routes.observe("big", p.mqs)
	var msgs []*connect.Message
	for i := range 50 {
		msgs = append(msgs, &connect.Message{Topic: "big", Key: []byte("one"), Value: make([]byte, 1000+i)})
	}
	if err := tr.Publish(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	if len(p.sends) < 5 {
		t.Fatalf("%d sends, want the batch split by WithMaxBatchBytes", len(p.sends))
	}
	for _, s := range p.sends {
		if s.count > 10 {
			t.Errorf("a send of %d messages of about 1 KB each, over the 10 000 bytes allowed", s.count)
		}
	}
}

func TestPublishRejectsWhatTheBrokerCannotTake(t *testing.T) {
	tr := fakeTransport(&recordingProducer{mqs: queuesOf("x", "b")}, WithMaxMessageBytes(100))
	for name, m := range map[string]*connect.Message{
		"too large":    {Topic: "x", Value: make([]byte, 101)},
		"bad topic":    {Topic: "a.b", Value: []byte("v")},
		"no topic":     {Value: []byte("v")},
		"huge headers": {Topic: "x", Headers: connect.Headers{"h": string(make([]byte, 40000))}},
	} {
		err := tr.Publish(context.Background(), m)
		if err == nil || connect.IsRetriable(err) {
			t.Errorf("%s: %v, want a non-retriable error", name, err)
		}
	}
}

// A failing broker: retried with backoff, then a retriable error; a batch
// without key moves to another queue on a retry.
func TestPublishRetries(t *testing.T) {
	var (
		mu     sync.Mutex
		tries  int
		queues = map[int]bool{}
	)
	p := &recordingProducer{mqs: queuesOf("r", "b"), fail: func(msgs []*primitive.Message) error {
		mu.Lock()
		defer mu.Unlock()
		tries++
		if msgs[0].Queue != nil {
			queues[msgs[0].Queue.QueueId] = true
		}
		return fmt.Errorf("connect: connection refused")
	}}
	tr := fakeTransport(p, WithSendRetries(3), WithRetryBackoff(1, 1))
	tr.routes.observe("r", p.mqs)
	err := tr.Publish(context.Background(), &connect.Message{Topic: "r", Value: []byte("v")})
	if !connect.IsRetriable(err) {
		t.Fatalf("Publish: %v, want a retriable error", err)
	}
	if tries != 4 {
		t.Errorf("%d attempts, want 1 + 3 retries", tries)
	}
	if len(queues) < 2 {
		t.Errorf("retries went to queues %v, want another queue for a batch without key", queues)
	}

	p.fail = func([]*primitive.Message) error { return fmt.Errorf("CODE: 13, DESC: the message is illegal") }
	tries = 0
	if err := tr.Publish(context.Background(), &connect.Message{Topic: "r", Value: []byte("v")}); err == nil || connect.IsRetriable(err) {
		t.Fatalf("Publish rejected by the broker: %v, want a non-retriable error", err)
	}
}

func TestSelectorFollowsRouteChanges(t *testing.T) {
	tr := fakeTransport(nil)
	sel := queueSelector{tr}
	four := queuesOf("t", "a")
	msg := &primitive.Message{Topic: "t"}
	msg.WithProperty(primitive.PropertyKeys, "key")
	if q := sel.Select(msg, four, ""); *q != *four[pick([]byte("key"), 4)] {
		t.Errorf("selected %v for a key without plan", q)
	}
	// A planned queue that left the route: no queue, so that the send
	// fails and Publish plans again (a batch has lost its keys; sending it
	// elsewhere could scatter a key over queues).
	msg.Queue = &primitive.MessageQueue{Topic: "t", BrokerName: "gone", QueueId: 1}
	two := four[:2]
	if q := sel.Select(msg, two, ""); q != nil {
		t.Errorf("selected %v for a plan the route lost, want none", q)
	}
	if tr.routes.has("t", msg.Queue) || !tr.routes.has("t", two[1]) {
		t.Error("routes.has disagrees with the new route")
	}
	if got := tr.routes.get("t"); len(got) != 2 {
		t.Errorf("route cache %v, want the new route", got)
	}
	if i := tr.routes.index("t", "a", 1); i != 1 {
		t.Errorf("index of a/1 = %d", i)
	}
}

// Send retry delays double from the first to the largest, randomized by up
// to ±50% and never above the largest.
func TestRetryDelays(t *testing.T) {
	const first, largest = 100 * time.Millisecond, 2 * time.Second
	tr := fakeTransport(nil, WithRetryBackoff(first, largest))
	firsts := map[time.Duration]bool{}
	for range 20 {
		next := tr.retryDelays()
		nominal := first
		for i := range 8 {
			d := next()
			lo, hi := time.Duration(float64(nominal)*(1-retryJitter)), min(time.Duration(float64(nominal)*(1+retryJitter)), largest)
			if d < lo || d > hi {
				t.Fatalf("delay %d: %v, want %v to %v", i, d, lo, hi)
			}
			if i == 0 {
				firsts[d] = true
			}
			nominal = min(2*nominal, largest)
		}
	}
	if len(firsts) < 2 {
		t.Errorf("first delays %v: no jitter", firsts)
	}
}

// pick is FNV-1a, as the in-memory transport's: a key's queue depends on
// the queue count only.
func TestPickIsFNV1a(t *testing.T) {
	for i := range 1000 {
		k := []byte("key-" + strconv.Itoa(i*7919))
		h := fnv.New32a()
		h.Write(k)
		for _, n := range []int{1, 3, 4, 16} {
			if got, want := pick(k, n), int(h.Sum32()%uint32(n)); got != want {
				t.Fatalf("pick(%q, %d) = %d, want %d", k, n, got, want)
			}
		}
	}
}
