package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/converter"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
)

// failOdd fails records whose value "n" is odd: a transform that cannot
// handle some records.
func failOdd() connect.Transform {
	return connect.NewTransform("com.example.FailOdd", func(_ context.Context, r *connect.Record) (*connect.Record, error) {
		if n, _ := r.Value.(map[string]any)["n"].(int64); n%2 == 1 {
			return nil, fmt.Errorf("odd n %d", n)
		}
		return r, nil
	})
}

func numberedN(topic string, n int) []*connect.Record {
	out := make([]*connect.Record, n)
	for i := range out {
		out[i] = &connect.Record{Topic: topic, Key: fmt.Sprint(i), Value: map[string]any{"n": int64(i)}}
	}
	return out
}

func fetchAll(t *testing.T, broker *memory.Broker, topic string, n int) []*connect.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sub, err := broker.Broadcast(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var out []*connect.Message
	for len(out) < n {
		msgs, err := sub.Fetch(ctx, n-len(out))
		if err != nil {
			t.Fatalf("fetched %d of %d messages of %s: %v", len(out), n, topic, err)
		}
		out = append(out, msgs...)
	}
	return out
}

// A RegexRouter changes the topic end to end: the source's records reach
// the sink of the new topic; a Filter with a predicate drops some, whose
// positions are committed all the same.
func TestTransformRoutesEndToEnd(t *testing.T) {
	col := connecttest.NewCollector()
	recs := numberedN("raw.orders", 10)
	recs[3].Headers = connect.Headers{"skip": "yes"}
	rt := startRuntime(t,
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }),
		runtime.WithPlugin("slice", func() connect.Connector { return connecttest.NewSliceSource(recs...) }))
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "orders"})
	create(t, rt, "src", connect.Config{
		"connector.class":              "slice",
		"transforms":                   "drop,route",
		"transforms.drop.type":         "org.apache.kafka.connect.transforms.Filter",
		"transforms.drop.predicate":    "skipped",
		"transforms.route.type":        "org.apache.kafka.connect.transforms.RegexRouter",
		"transforms.route.regex":       "raw\\.(.*)",
		"transforms.route.replacement": "$1",
		"predicates":                   "skipped",
		"predicates.skipped.type":      "HasHeaderKey",
		"predicates.skipped.name":      "skip",
	})
	waitCollected(t, col, 9, 10*time.Second)
	for _, r := range col.Records() {
		if r.Topic != "orders" || r.Value.(map[string]any)["n"] == int64(3) {
			t.Fatalf("sink got %+v", r)
		}
	}
	if recs[0].Topic != "raw.orders" {
		t.Fatalf("the source's record was changed: %+v", recs[0])
	}
	eventually(t, 5*time.Second, "position of the last record committed", func() bool {
		ps, _ := rt.Offsets(context.Background(), "src")
		return len(ps) == 1 && string(ps[0].Offset) == "9"
	})
}

// Under errors.tolerance=all a record a source-side transform fails goes to
// the dead-letter topic with stage TRANSFORMATION, as in Kafka Connect; the
// others go on.
func TestFailingSourceTransformDeadLettered(t *testing.T) {
	broker := memory.New()
	defer broker.Close()
	col := connecttest.NewCollector()
	rt := startRuntime(t, runtime.WithTransport(broker),
		runtime.WithTransform("com.example.FailOdd", failOdd),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }),
		runtime.WithPlugin("slice", func() connect.Connector { return connecttest.NewSliceSource(numberedN("out", 4)...) }))
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "out"})
	create(t, rt, "src", connect.Config{"connector.class": "slice", "transforms": "odd", "transforms.odd.type": "FailOdd",
		"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq"})
	waitCollected(t, col, 2, 10*time.Second)
	msgs := fetchAll(t, broker, "dlq", 2)
	for _, m := range msgs {
		want := map[string]string{
			runtime.HeaderErrorStage:          "TRANSFORMATION",
			runtime.HeaderErrorClass:          "com.example.FailOdd",
			runtime.HeaderErrorExceptionClass: "connect.TransformationError",
			runtime.HeaderErrorTopic:          "out",
			runtime.HeaderErrorConnector:      "src",
		}
		for k, v := range want {
			if m.Headers[k] != v {
				t.Errorf("header %s = %q, want %q", k, m.Headers[k], v)
			}
		}
		if !strings.Contains(m.Headers[runtime.HeaderErrorMessage], "transform odd (com.example.FailOdd): odd n") {
			t.Errorf("message header %q", m.Headers[runtime.HeaderErrorMessage])
		}
	}
	for _, r := range col.Records() {
		if r.Value.(map[string]any)["n"].(int64)%2 == 1 {
			t.Fatalf("sink got %+v", r)
		}
	}
}

// A sink-side transform runs after conversion; a record it fails is
// dead-lettered with its original bytes and transport coordinates, and
// InsertField sees the queue and offset.
func TestFailingSinkTransformDeadLettered(t *testing.T) {
	broker := memory.New(memory.WithDefaultQueues(1))
	defer broker.Close()
	col := connecttest.NewCollector()
	rt := startRuntime(t, runtime.WithTransport(broker),
		runtime.WithTransform("com.example.FailOdd", failOdd),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }))
	cv := converter.NewJSON()
	for _, r := range numberedN("in", 4) {
		m, err := cv.Encode(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := broker.Publish(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "in",
		"transforms": "odd,meta", "transforms.odd.type": "com.example.FailOdd",
		"transforms.meta.type": "InsertField$Value", "transforms.meta.offset.field": "offset", "transforms.meta.partition.field": "queue",
		"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq"})
	waitCollected(t, col, 2, 10*time.Second)
	for _, r := range col.Records() {
		v := r.Value.(map[string]any)
		if v["offset"] != v["n"] || v["queue"] != 0 {
			t.Errorf("record %v: offset or queue not inserted", v)
		}
	}
	msgs := fetchAll(t, broker, "dlq", 2)
	for i, m := range msgs {
		if m.Headers[runtime.HeaderErrorStage] != "TRANSFORMATION" || m.Headers[runtime.HeaderErrorOffset] != fmt.Sprint(2*i+1) ||
			m.Headers[runtime.HeaderErrorTopic] != "in" || !strings.Contains(string(m.Value), fmt.Sprintf(`"n":%d`, 2*i+1)) {
			t.Errorf("dead letter %d: %s %v", i, m.Value, m.Headers)
		}
	}
}

// Under errors.tolerance=none a failing transform fails the task with the
// reason; retriable errors are retried first.
func TestFailingTransformFailsTask(t *testing.T) {
	var calls atomic.Int64
	rt := startRuntime(t,
		runtime.WithTransform("Flaky", func() connect.Transform {
			return connect.NewTransform("Flaky", func(_ context.Context, r *connect.Record) (*connect.Record, error) {
				if calls.Add(1) <= 2 {
					return nil, connect.Retriable(errors.New("lookup unavailable"))
				}
				return r, nil
			})
		}),
		runtime.WithTransform("com.example.FailOdd", failOdd),
		runtime.WithPlugin("collect", func() connect.Connector { return connecttest.NewCollector().Connector() }),
		runtime.WithPlugin("slice", func() connect.Connector { return connecttest.NewSliceSource(numberedN("out", 2)...) }))
	create(t, rt, "src", connect.Config{"connector.class": "slice", "transforms": "flaky,odd",
		"transforms.flaky.type": "Flaky", "transforms.odd.type": "FailOdd"})
	eventually(t, 10*time.Second, "task failed on the odd record", func() bool {
		ts := taskStates(rt, "src")
		return len(ts) == 1 && strings.Contains(ts[0].Trace, "record failed at stage TRANSFORMATION (errors.tolerance=none): transform odd (com.example.FailOdd): odd n 1")
	})
	if calls.Load() < 4 { // two retries, then both records
		t.Fatalf("flaky transform called %d times", calls.Load())
	}
	ps, _ := rt.Offsets(context.Background(), "src")
	for _, p := range ps {
		if string(p.Offset) != "0" {
			t.Fatalf("committed %s past the failed record", p.Offset)
		}
	}
}

// A bad transform setting is rejected at create time, naming the setting.
func TestCreateRejectsBadTransform(t *testing.T) {
	rt := startRuntime(t, runtime.WithPlugin("slice", func() connect.Connector { return connecttest.NewSliceSource() }))
	err := rt.CreateConnector(context.Background(), "src", connect.Config{"connector.class": "slice",
		"transforms": "r", "transforms.r.type": "RegexRouter", "transforms.r.regex": "(", "transforms.r.replacement": "x"})
	var ce *connect.ConfigError
	if !errors.As(err, &ce) || len(ce.Fields) != 1 || ce.Fields[0].Field != "transforms.r.regex" {
		t.Fatalf("error %v", err)
	}
	if len(rt.Connectors()) != 0 {
		t.Fatal("created")
	}
}

// A chain that validated but cannot be built where the task starts (say, a
// worker without a type the creating worker had) fails the task, naming
// the setting.
func TestTransformFailingAtTaskStart(t *testing.T) {
	var configured atomic.Int64
	rt := startRuntime(t,
		runtime.WithTransform("OnlyOnce", func() connect.Transform { return onlyOnce{&configured} }),
		runtime.WithPlugin("slice", func() connect.Connector { return connecttest.NewSliceSource(numberedN("out", 1)...) }))
	create(t, rt, "src", connect.Config{"connector.class": "slice", "transforms": "o", "transforms.o.type": "OnlyOnce"})
	eventually(t, 10*time.Second, "task failed at start", func() bool {
		ts := taskStates(rt, "src")
		return len(ts) == 1 && strings.Contains(ts[0].Trace, "transforms: invalid config: transforms.o.type: OnlyOnce: configured before")
	})
}

type onlyOnce struct{ n *atomic.Int64 }

func (onlyOnce) Spec() connect.Spec { return connect.Spec{Name: "OnlyOnce"} }
func (o onlyOnce) Configure(connect.Config) error {
	if o.n.Add(1) > 1 {
		return errors.New("configured before")
	}
	return nil
}
func (onlyOnce) Apply(_ context.Context, r *connect.Record) (*connect.Record, error) { return r, nil }
func (onlyOnce) Close() error                                                        { return nil }
