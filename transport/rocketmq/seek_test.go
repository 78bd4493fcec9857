package rocketmq_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/converter"
	"github.com/openmessaging/connect-go/internal/exactsink"
	"github.com/openmessaging/connect-go/runtime"
)

// A sink that keeps its offsets in its target (mysqlsink's exactly-once
// mode) applies every record exactly once over RocketMQ through failed
// acks and a restart of its task, relying only on Seek: the records of a
// failed flush were applied and are not acknowledged, so the group would
// deliver them again; Seek skips them.
func TestQueueSeekingSinkAppliesEachRecordOnce(t *testing.T) {
	const total = 2000
	tr := open(t)
	topic := uniqueName("exact")
	if err := tr.CreateTopic(context.Background(), topic, 4); err != nil {
		t.Fatal(err)
	}
	tg := exactsink.NewTarget()
	number := func(r *connect.Record) (int64, error) {
		var i int64
		_, err := fmt.Sscan(string(r.Value.([]byte)), &i)
		return i, err
	}
	rt := startRuntime(t, tr,
		runtime.WithPlugin("gen", func() connect.Connector {
			return connecttest.NewGenerator(func(i int64) *connect.Record {
				if i%10 == 0 {
					time.Sleep(10 * time.Millisecond) // many flushes, and many seeks
				}
				return &connect.Record{Topic: topic, Key: fmt.Sprint(i % 50), Value: []byte(fmt.Sprint(i))}
			}, total)
		}),
		runtime.WithPlugin("exact", func() connect.Connector {
			return connect.NewSink(connect.Spec{Name: "Exact"}, func() connect.SinkTask { return &exactsink.Task{Target: tg, Number: number} })
		}),
		runtime.WithConverter(converter.NewBytes()),
		runtime.WithOffsetFlushInterval(20*time.Millisecond),
	)
	createConnector(t, rt, "exact", connect.Config{"connector.class": "exact", "topics": topic, "batch.size.max": "20"})
	createConnector(t, rt, "gen", connect.Config{"connector.class": "gen", "batch.size": "50"})
	waitFor(t, time.Minute, "half the records applied", func() bool { return tg.Applied() >= total/2 })
	// A new member of the group resumes from the target, not from the
	// group's committed offsets, which are behind it.
	if err := rt.RestartTask(context.Background(), "exact", 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Minute, "every record applied", func() bool { return tg.Applied() == total })
	time.Sleep(time.Second) // anything applied twice shows meanwhile
	tg.Check(t, total)
	flushes, _, seeks := tg.Counts()
	t.Logf("%d flushes, %d seeks", flushes, seeks)
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
