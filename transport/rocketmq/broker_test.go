package rocketmq_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	rmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/converter"
	"github.com/openmessaging/connect-go/transport/rocketmq"
)

// Keys and headers travel through a real broker unchanged, on both wire
// paths: a message sent alone (properties in the request header) and in a
// batch (properties in the body).
func TestWireRoundTrip(t *testing.T) {
	tr := open(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	topic := uniqueName("wire")
	if err := tr.CreateTopic(ctx, topic, 4); err != nil {
		t.Fatal(err)
	}
	headers := connect.Headers{
		"__connect.errors.topic":             "orders",
		"__connect.errors.exception.message": "line 1\nline 2\ttab \x01\x02",
		"connect.value.type":                 "json",
		"empty":                              "",
		"KEYS":                               "a header, not the key",
		"DELAY":                              "3",
		"TAGS":                               "t",
		"percent%":                           "100%",
		"bad\xff":                            "bad\xfe",
		"zürich → 東京":                        " 東京 → zürich ",
		"":                                   "empty name",
	}
	keys := [][]byte{nil, []byte("plain"), []byte(" spaced key "), {0, 1, 2, 0xff}, []byte("ünï"), []byte("a\x01b")}
	var sent []*connect.Message
	for i, k := range keys {
		for _, body := range [][]byte{[]byte("v" + strconv.Itoa(i)), {}, {0, 0xff, '\n'}} {
			h := maps.Clone(headers)
			h["seq"] = strconv.Itoa(len(sent))
			sent = append(sent, &connect.Message{Topic: topic, Key: k, Value: body, Headers: h})
		}
	}
	// Alone, then as one batch.
	for _, m := range sent[:len(sent)/2] {
		if err := tr.Publish(ctx, m); err != nil {
			t.Fatalf("publish message %s: %v", m.Headers["seq"], err)
		}
	}
	if err := tr.Publish(ctx, sent[len(sent)/2:]...); err != nil {
		t.Fatalf("publish batch: %v", err)
	}

	sub, err := tr.Subscribe(ctx, uniqueName("gwire"), topic)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	got := map[string]*connect.Message{}
	for len(got) < len(sent) {
		msgs, err := sub.Fetch(ctx, 100)
		if err != nil {
			t.Fatalf("fetch: %v (%d of %d received)", err, len(got), len(sent))
		}
		for _, m := range msgs {
			got[m.Headers["seq"]] = m
		}
		if err := sub.Ack(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range sent {
		m := got[want.Headers["seq"]]
		if m == nil {
			t.Errorf("message %s missing", want.Headers["seq"])
			continue
		}
		if !bytes.Equal(m.Key, want.Key) || !bytes.Equal(m.Value, want.Value) || !maps.Equal(m.Headers, want.Headers) || m.Topic != topic {
			t.Errorf("message %s:\n got key %q value %q headers %q\nwant key %q value %q headers %q",
				want.Headers["seq"], m.Key, m.Value, m.Headers, want.Key, want.Value, want.Headers)
		}
		if m.Queue < 0 || m.Queue >= 4 {
			t.Errorf("message %s: queue %d", want.Headers["seq"], m.Queue)
		}
	}
}

// The client's CreateTopic reports success whatever the broker answers
// (upstream issue #1121); CreateTopic checks the route instead. Here the
// "broker" is the name server, which does not create topics.
func TestCreateTopicVerifiesRoute(t *testing.T) {
	namesrv, _ := services(t)
	tr := open(t, rocketmq.WithBrokerAddrs([]string{namesrv}), rocketmq.WithTopicTimeout(time.Second))
	began := time.Now()
	err := tr.CreateTopic(context.Background(), uniqueName("noroute"), 2)
	if err == nil || !connect.IsRetriable(err) || !strings.Contains(err.Error(), "#1121") {
		t.Fatalf("CreateTopic through a name server: %v, want a retriable error about the missing route", err)
	}
	if d := time.Since(began); d > 10*time.Second {
		t.Errorf("CreateTopic took %v to give up, want about WithTopicTimeout", d)
	}

	// Without broker addresses: an existing topic is fine, a new one is a
	// configuration error.
	namesrv, _ = services(t)
	tr2 := rocketmq.New(rocketmq.WithNameServers([]string{namesrv}), rocketmq.WithInstanceName(uniqueName("inst")))
	defer tr2.Close()
	if err := tr2.CreateTopic(context.Background(), "TBW102", 8); err != nil {
		t.Errorf("CreateTopic of an existing topic: %v", err)
	}
	if err := tr2.CreateTopic(context.Background(), uniqueName("nobroker"), 2); !errors.Is(err, connect.ErrInvalidConfig) {
		t.Errorf("CreateTopic without broker address: %v, want a config error", err)
	}
	if _, err := tr2.Subscribe(context.Background(), uniqueName("g"), uniqueName("nobroker")); !errors.Is(err, connect.ErrNotFound) || !connect.IsRetriable(err) {
		t.Errorf("Subscribe to a missing topic without broker address: %v, want a retriable not-found error", err)
	}
}

// Subscribing to a topic that does not exist creates it, with the default
// queue count.
func TestSubscribeCreatesTopic(t *testing.T) {
	tr := open(t, rocketmq.WithDefaultQueues(2))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	topic := uniqueName("subcreate")
	sub, err := tr.Subscribe(ctx, uniqueName("g"), topic)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for i := range 20 {
		if err := tr.Publish(ctx, &connect.Message{Topic: topic, Key: []byte(strconv.Itoa(i)), Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
	}
	queues := map[int]bool{}
	for n := 0; n < 20; {
		msgs, err := sub.Fetch(ctx, 20)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			queues[m.Queue] = true
		}
		n += len(msgs)
		sub.Ack(ctx, msgs...)
	}
	if len(queues) != 2 {
		t.Errorf("messages came from queues %v, want 2 queues", queues)
	}
}

// The client's log goes to the transport's logger, at debug level for its
// routine chatter.
func TestClientLogsGoToLogger(t *testing.T) {
	h := &captureHandler{}
	tr := open(t, rocketmq.WithLogger(slog.New(h)))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tr.Publish(ctx, &connect.Message{Topic: uniqueName("log"), Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	tr.Close()
	if h.count("rocketmq-client") == 0 {
		t.Error("no client record reached the logger")
	}
}

type captureHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r)
	return nil
}

func (h *captureHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *captureHandler) WithGroup(string) slog.Handler      { return h }

// count returns how many records carry component=component.
func (h *captureHandler) count(component string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, r := range h.records {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "component" && a.Value.String() == component {
				n++
			}
			return true
		})
	}
	return n
}

// Two subscriptions of one group on one transport are two members: each
// has its own client instance (the brokers tell members apart by
// IP@instance), so they split the queues.
func TestTwoMembersOneTransport(t *testing.T) {
	tr := open(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	topic, group := uniqueName("twomembers"), uniqueName("g")
	if err := tr.CreateTopic(ctx, topic, 4); err != nil {
		t.Fatal(err)
	}
	a, err := tr.Subscribe(ctx, group, topic)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := tr.Subscribe(ctx, group, topic)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for i := range 400 {
		if err := tr.Publish(ctx, &connect.Message{Topic: topic, Key: []byte(strconv.Itoa(i)), Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
	}
	queues := map[connect.Subscription]map[int]bool{a: {}, b: {}}
	var mu sync.Mutex
	total := 0
	var wg sync.WaitGroup
	fetchCtx, stop := context.WithCancel(ctx)
	for _, sub := range []connect.Subscription{a, b} {
		wg.Go(func() {
			for {
				msgs, err := sub.Fetch(fetchCtx, 50)
				if err != nil {
					return
				}
				mu.Lock()
				for _, m := range msgs {
					queues[sub][m.Queue] = true
				}
				total += len(msgs)
				mu.Unlock()
				sub.Ack(fetchCtx, msgs...)
			}
		})
	}
	deadline := time.Now().Add(45 * time.Second)
	for {
		mu.Lock()
		done := total >= 400 && len(queues[a]) > 0 && len(queues[b]) > 0
		mu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	wg.Wait()
	if len(queues[a]) == 0 || len(queues[b]) == 0 || total < 400 {
		t.Fatalf("members got queues %v and %v, %d of 400 messages", queues[a], queues[b], total)
	}
}

// A member that closes while the group rebalances (another member just
// joined) leaves at once: the broker must not keep it in the group, or its
// queues would wait about two minutes for the broker to drop it (see
// allocator).
func TestCloseDuringRebalance(t *testing.T) {
	trA, trB := open(t), open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for round := range 20 {
		topic, group := uniqueName("closerebal"), uniqueName("g")
		if err := trA.CreateTopic(ctx, topic, 4); err != nil {
			t.Fatal(err)
		}
		var msgs []*connect.Message
		for i := range 40 {
			msgs = append(msgs, &connect.Message{Topic: topic, Key: []byte(strconv.Itoa(i)), Value: []byte(strconv.Itoa(i))})
		}
		if err := trA.Publish(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
		a, err := trA.Subscribe(ctx, group, topic)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Fetch(ctx, 1); err != nil {
			t.Fatal(err)
		}
		b, err := trB.Subscribe(ctx, group, topic)
		if err != nil {
			t.Fatal(err)
		}
		// Within a few milliseconds of b joining: while the broker tells a
		// and a rebalances.
		time.Sleep(time.Duration(round%10) * 2 * time.Millisecond)
		a.Close()
		got := map[string]bool{}
		fetchCtx, stop := context.WithTimeout(ctx, 15*time.Second)
		for len(got) < len(msgs) {
			ms, err := b.Fetch(fetchCtx, 40)
			if err != nil {
				t.Fatalf("round %d: member b got %d of %d messages within 15s: %v", round, len(got), len(msgs), err)
			}
			for _, m := range ms {
				got[string(m.Value)] = true
			}
			b.Ack(fetchCtx, ms...)
		}
		stop()
		b.Close()
	}
}

// Open resolves host names (the client takes IP addresses only) and needs
// one reachable name server of those given.
func TestOpenResolvesAndToleratesDownNameServer(t *testing.T) {
	namesrv, _ := services(t)
	_, port, _ := strings.Cut(namesrv, ":")
	tr := rocketmq.New(
		rocketmq.WithNameServers([]string{"127.0.0.1:1", "localhost:" + port}),
		rocketmq.WithInstanceName(uniqueName("inst")),
	)
	defer tr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tr.Open(ctx); err != nil {
		t.Fatalf("Open with one name server down and one by host name: %v", err)
	}
	if err := tr.Publish(ctx, &connect.Message{Topic: uniqueName("resolve"), Value: []byte("v")}); err != nil {
		t.Fatalf("Publish: %v", err)
	}
}

// A broadcast reader of a restarted worker (same instance name) reads from
// the beginning again: its group must not be the previous reader's, whose
// offsets sit at the end of the topic.
func TestBroadcastAfterRestartReadsFromBeginning(t *testing.T) {
	namesrv, broker := services(t)
	inst := uniqueName("fixed")
	mk := func() *rocketmq.Transport {
		tr := rocketmq.New(rocketmq.WithNameServers([]string{namesrv}), rocketmq.WithBrokerAddrs([]string{broker}),
			rocketmq.WithInstanceName(inst), rocketmq.WithLogger(testLogger(t)))
		return tr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	topic := uniqueName("bc")
	tr := mk()
	if err := tr.CreateTopic(ctx, topic, 2); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if err := tr.Publish(ctx, &connect.Message{Topic: topic, Value: []byte(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	read := func(tr *rocketmq.Transport) int {
		sub, err := tr.Broadcast(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for {
			fctx, c := context.WithTimeout(ctx, 15*time.Second)
			msgs, err := sub.Fetch(fctx, 100)
			c()
			if err != nil {
				break
			}
			n += len(msgs)
			if n >= 10 {
				time.Sleep(6 * time.Second) // let the client commit the reader's offsets (every 5s)
				break
			}
		}
		sub.Close()
		return n
	}
	n1 := read(tr)
	tr.Close()
	tr2 := mk()
	defer tr2.Close()
	n2 := read(tr2)
	if n1 != 10 || n2 < 10 {
		t.Errorf("broadcast readers read %d and, after a restart, %d of 10", n1, n2)
	}
}

// Messages the previous version of the transport wrote (a property per
// header, "h:"+NAME) read as they did, through a real broker, next to
// messages of this version, and records a converter wrote come back the
// same from either.
func TestReadsMessagesOfThePreviousVersion(t *testing.T) {
	namesrv, _ := services(t)
	tr := open(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	topic := uniqueName("legacy")
	if err := tr.CreateTopic(ctx, topic, 1); err != nil {
		t.Fatal(err)
	}
	raw, err := rmq.NewProducer(producer.WithNameServer([]string{namesrv}), producer.WithGroupName(uniqueName("glegacy")),
		producer.WithInstanceName(uniqueName("legacy")))
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Start(); err != nil {
		t.Fatal(err)
	}
	defer raw.Shutdown()
	conv := converter.NewBytes()
	rec := &connect.Record{Topic: topic, Key: "order-7", Value: []byte("v"), Timestamp: time.UnixMilli(1700000000000),
		Headers: connect.Headers{"trace": "a=b&c%", "empty": ""}}
	m, err := conv.Encode(rec)
	if err != nil {
		t.Fatal(err)
	}
	// As the previous version sent it (mapping.go before headers traveled
	// in one property): KEYS, and "h:"+name per header, '%' escaped and an
	// empty value as "%".
	legacy := primitive.NewMessage(topic, m.Value)
	legacy.WithProperty("KEYS", string(m.Key))
	for k, v := range m.Headers {
		v = strings.ReplaceAll(v, "%", "%25")
		if v == "" {
			v = "%"
		}
		legacy.WithProperty("h:"+k, v)
	}
	if _, err := raw.SendSync(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	if err := tr.Publish(ctx, m); err != nil {
		t.Fatal(err)
	}
	sub, err := tr.Subscribe(ctx, uniqueName("glegacy"), topic)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var got []*connect.Message
	for len(got) < 2 {
		ms, err := sub.Fetch(ctx, 2)
		if err != nil {
			t.Fatalf("fetch: %v (%d of 2)", err, len(got))
		}
		got = append(got, ms...)
	}
	for i, g := range got {
		what := [...]string{"written by the previous version", "written by this version"}[i]
		if string(g.Key) != string(m.Key) || !maps.Equal(g.Headers, m.Headers) {
			t.Errorf("%s: key %q headers %q, want %q %q", what, g.Key, g.Headers, m.Key, m.Headers)
		}
		r, err := conv.Decode(g)
		if err != nil {
			t.Fatalf("%s: decode: %v", what, err)
		}
		if r.Key != rec.Key || !bytes.Equal(r.Value.([]byte), rec.Value.([]byte)) || !r.Timestamp.Equal(rec.Timestamp) || !maps.Equal(r.Headers, rec.Headers) {
			t.Errorf("%s: record key %#v value %q time %v headers %q, want %#v %q %v %q", what, r.Key, r.Value, r.Timestamp, r.Headers,
				rec.Key, rec.Value, rec.Timestamp, rec.Headers)
		}
	}
}

// A Nack delivers new values, with the Offset and Redelivered the
// transport set, whatever the consumer did to the values it had; an Ack of
// those old values does nothing.
func TestNackRedeliversNewValues(t *testing.T) {
	tr := open(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	topic, group := uniqueName("nackvalues"), uniqueName("g")
	if err := tr.CreateTopic(ctx, topic, 1); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := tr.Publish(ctx, &connect.Message{Topic: topic, Value: []byte(strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
	sub, err := tr.Subscribe(ctx, group, topic)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var first []*connect.Message
	for len(first) < 5 {
		msgs, err := sub.Fetch(ctx, 5-len(first))
		if err != nil {
			t.Fatal(err)
		}
		first = append(first, msgs...)
	}
	offsets := make([]int64, len(first))
	for i, m := range first {
		if m.Redelivered != 0 {
			t.Errorf("message %d: Redelivered %d on first delivery", i, m.Redelivered)
		}
		offsets[i] = m.Offset
		m.Offset, m.Redelivered = -1, 99
	}
	if err := sub.Nack(ctx, first...); err != nil {
		t.Fatal(err)
	}
	if err := sub.Ack(ctx, first...); err != nil { // not in flight any more: ignored
		t.Fatal(err)
	}
	var again []*connect.Message
	for len(again) < 5 {
		msgs, err := sub.Fetch(ctx, 5-len(again))
		if err != nil {
			t.Fatal(err)
		}
		again = append(again, msgs...)
	}
	for i, m := range again {
		if m == first[i] {
			t.Errorf("message %d: redelivered as the same value", i)
		}
		if m.Offset != offsets[i] || m.Redelivered != 1 || string(m.Value) != strconv.Itoa(i) {
			t.Errorf("message %d: offset %d Redelivered %d value %q, want %d 1 %q", i, m.Offset, m.Redelivered, m.Value, offsets[i], strconv.Itoa(i))
		}
	}
	if err := sub.Ack(ctx, again...); err != nil {
		t.Fatal(err)
	}
	if lag := sub.(interface{ Lag() int64 }).Lag(); lag != 0 {
		t.Errorf("lag %d after acknowledging everything", lag)
	}
}
