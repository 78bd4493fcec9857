package runtime_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/converter"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
)

func publishGood(t *testing.T, tr connect.MessageTransport, topic string, values ...string) {
	t.Helper()
	cv := converter.NewJSON()
	for _, v := range values {
		m, err := cv.Encode(&connect.Record{Topic: topic, Value: map[string]any{"v": v}})
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Publish(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
}

func publishGarbage(t *testing.T, tr connect.MessageTransport, topic string) {
	t.Helper()
	bad := &connect.Message{Topic: topic, Key: []byte("k1"), Value: []byte(`{"v": not json`), Headers: connect.Headers{"origin": "test"}}
	if err := tr.Publish(context.Background(), bad); err != nil {
		t.Fatal(err)
	}
}

// Under errors.tolerance=all a message the converter cannot decode goes to
// the dead-letter topic with its original bytes and error headers; the
// records around it still reach the sink.
func TestUndecodableRecordGoesToDeadLetterTopic(t *testing.T) {
	broker := memory.New(memory.WithDefaultQueues(1))
	defer broker.Close()
	col := connecttest.NewCollector()
	rt := startRuntime(t, runtime.WithTransport(broker),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }))

	publishGood(t, broker, "in", "a")
	publishGarbage(t, broker, "in")
	publishGood(t, broker, "in", "b")
	create(t, rt, "sink", connect.Config{
		"connector.class":                   "collect",
		"topics":                            "in",
		"errors.tolerance":                  "all",
		"errors.deadletterqueue.topic.name": "dlq",
	})
	waitCollected(t, col, 2, 10*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dlq, err := broker.Broadcast(ctx, "dlq")
	if err != nil {
		t.Fatal(err)
	}
	defer dlq.Close()
	msgs, err := dlq.Fetch(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Fatalf("dead-letter topic has %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if string(m.Value) != `{"v": not json` || string(m.Key) != "k1" || m.Headers["origin"] != "test" {
		t.Fatalf("dead letter lost the original message: key=%q value=%q headers=%v", m.Key, m.Value, m.Headers)
	}
	want := map[string]string{
		runtime.HeaderErrorTopic:     "in",
		runtime.HeaderErrorQueue:     "0",
		runtime.HeaderErrorOffset:    "1",
		runtime.HeaderErrorConnector: "sink",
		runtime.HeaderErrorTask:      "0",
		runtime.HeaderErrorStage:     "VALUE_CONVERTER",
	}
	for k, v := range want {
		if m.Headers[k] != v {
			t.Errorf("header %s = %q, want %q", k, m.Headers[k], v)
		}
	}
	if m.Headers[runtime.HeaderErrorClass] == "" || !strings.Contains(m.Headers[runtime.HeaderErrorMessage], "decode") {
		t.Errorf("error class/message headers: %q / %q", m.Headers[runtime.HeaderErrorClass], m.Headers[runtime.HeaderErrorMessage])
	}
	var got []string
	for _, r := range col.Records() {
		got = append(got, r.Value.(map[string]any)["v"].(string))
	}
	if strings.Join(got, ",") != "a,b" {
		t.Fatalf("sink got %v, want [a b]", got)
	}
}

// Under errors.tolerance=none the same message fails the task with a clear
// reason, and the task keeps being restarted with backoff (the message is
// never skipped).
func TestUndecodableRecordFailsTaskUnderToleranceNone(t *testing.T) {
	broker := memory.New(memory.WithDefaultQueues(1))
	defer broker.Close()
	col := connecttest.NewCollector()
	rt := startRuntime(t, runtime.WithTransport(broker),
		runtime.WithRestartBackoff(10*time.Millisecond, 40*time.Millisecond),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }))
	publishGood(t, broker, "in", "a")
	publishGarbage(t, broker, "in")
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "in"})

	var last connect.TaskStatus
	eventually(t, 10*time.Second, "task restarted at least twice", func() bool {
		ts := taskStates(rt, "sink")
		if len(ts) == 1 {
			last = ts[0]
		}
		return last.Restarts >= 2
	})
	if !strings.Contains(last.Trace, "errors.tolerance=none") || !strings.Contains(last.Trace, "decode message in/0@1") {
		t.Fatalf("trace does not say why: %q", last.Trace)
	}
	eventually(t, 5*time.Second, "FAILED state with next restart", func() bool {
		ts := taskStates(rt, "sink")
		return len(ts) == 1 && ts[0].State == connect.StateFailed && !ts[0].NextRestart.IsZero()
	})
	// Nothing after the bad message may have been acknowledged: "a" may be
	// seen repeatedly, but nothing else.
	for _, r := range col.Records() {
		if v := r.Value.(map[string]any)["v"]; v != "a" {
			t.Fatalf("sink got %v past the undecodable message", v)
		}
	}
}

// A source record the converter cannot encode goes to the dead-letter topic
// under errors.tolerance=all, and the position still advances.
func TestUnencodableSourceRecordDeadLettered(t *testing.T) {
	broker := memory.New()
	defer broker.Close()
	rt := startRuntime(t, runtime.WithTransport(broker),
		runtime.WithPlugin("collect", func() connect.Connector { return connecttest.NewCollector().Connector() }),
		runtime.WithPlugin("slice", func() connect.Connector {
			return connecttest.NewSliceSource(
				&connect.Record{Topic: "out", Value: map[string]any{"ok": 1}},
				&connect.Record{Topic: "out", Value: map[string]any{"bad": make(chan int)}},
				&connect.Record{Topic: "out", Value: map[string]any{"ok": 2}},
			)
		}))
	// Positions commit once the records were consumed.
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "out"})
	create(t, rt, "src", connect.Config{"connector.class": "slice", "errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dlq, err := broker.Broadcast(ctx, "dlq")
	if err != nil {
		t.Fatal(err)
	}
	defer dlq.Close()
	msgs, err := dlq.Fetch(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Headers[runtime.HeaderErrorStage] != "VALUE_CONVERTER" || msgs[0].Headers[runtime.HeaderErrorTopic] != "out" {
		t.Fatalf("dead letters: %+v", msgs)
	}
	eventually(t, 5*time.Second, "position past the bad record", func() bool {
		ps, _ := rt.Offsets(ctx, "src")
		return len(ps) == 1 && string(ps[0].Offset) == "2"
	})
}

// Invalid configs are rejected with every bad field named.
func TestInvalidConfigNamesEveryField(t *testing.T) {
	rt := startRuntime(t, runtime.WithPlugin("file-source", func() connect.Connector { return connecttest.NewGenerator(nil, 1) }),
		runtime.WithPlugin("collect", func() connect.Connector { return connecttest.NewCollector().Connector() }))
	cases := []struct {
		name   string
		cfg    connect.Config
		fields []string
	}{
		{"missing class", connect.Config{}, []string{"connector.class"}},
		{"unknown class", connect.Config{"connector.class": "nope"}, []string{"connector.class"}},
		{"wrong types", connect.Config{"connector.class": "file-source", "tasks.max": "many", "batch.size": "big", "errors.tolerance": "some"},
			[]string{"tasks.max", "batch.size", "errors.tolerance"}},
		{"sink without topics", connect.Config{"connector.class": "collect", "errors.retry.timeout": "soon"}, []string{"topics", "errors.retry.timeout"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := rt.CreateConnector(context.Background(), "c", tc.cfg)
			var ce *connect.ConfigError
			if !errors.As(err, &ce) || !errors.Is(err, connect.ErrInvalidConfig) {
				t.Fatalf("want *ConfigError, got %v", err)
			}
			got := map[string]bool{}
			for _, f := range ce.Fields {
				got[f.Field] = true
			}
			for _, f := range tc.fields {
				if !got[f] {
					t.Errorf("field %s not named in %v", f, err)
				}
			}
			if len(ce.Fields) != len(tc.fields) {
				t.Errorf("named %d fields, want %d: %v", len(ce.Fields), len(tc.fields), err)
			}
		})
	}
	if len(rt.Connectors()) != 0 {
		t.Fatalf("invalid configs created connectors: %v", rt.Connectors())
	}
}

// Under errors.tolerance=none an unencodable source record fails the task
// and its position is never committed.
func TestUnencodableSourceRecordFailsTask(t *testing.T) {
	rt := startRuntime(t,
		runtime.WithPlugin("slice", func() connect.Connector {
			return connecttest.NewSliceSource(
				&connect.Record{Topic: "out", Value: map[string]any{"ok": 1}},
				&connect.Record{Topic: "out", Value: map[string]any{"bad": make(chan int)}},
			)
		}))
	create(t, rt, "src", connect.Config{"connector.class": "slice"})
	eventually(t, 10*time.Second, "task failed on the bad record", func() bool {
		ts := taskStates(rt, "src")
		return len(ts) == 1 && ts[0].Restarts >= 1 && strings.Contains(ts[0].Trace, "record failed at stage VALUE_CONVERTER (errors.tolerance=none)")
	})
	ps, err := rt.Offsets(context.Background(), "src")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if string(p.Offset) != "0" {
			t.Fatalf("committed %s past the unencodable record at 1", p.Offset)
		}
	}
}
