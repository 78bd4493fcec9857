package runtime_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
)

// stalledSink blocks in Put until its ctx is done.
type stalledSink struct{ connect.SinkConnector }

func (s stalledSink) NewTask() connect.SinkTask { return stalledTask{s.SinkConnector.NewTask()} }

type stalledTask struct{ connect.SinkTask }

func (stalledTask) Put(ctx context.Context, _ []*connect.Record) error {
	<-ctx.Done()
	return ctx.Err()
}

// A sink that never returns holds an unbounded source back: the source stops
// being polled once the transport's queues and the pipeline are full.
func TestStalledSinkHoldsSourceBack(t *testing.T) {
	const capacity, queues = 500, 2
	broker := memory.New(memory.WithDefaultQueues(queues), memory.WithQueueCapacity(capacity))
	defer broker.Close()
	var produced atomic.Int64
	rt := startRuntime(t, runtime.WithTransport(broker),
		runtime.WithShutdownTimeout(time.Second),
		runtime.WithPlugin("gen", func() connect.Connector {
			return connecttest.NewGenerator(func(i int64) *connect.Record {
				produced.Add(1)
				return &connect.Record{Topic: "stall", Value: map[string]any{"i": i}}
			}, 10_000_000)
		}),
		runtime.WithPlugin("stall", func() connect.Connector { return stalledSink{connecttest.NewCollector().Connector()} }))
	create(t, rt, "sink", connect.Config{"connector.class": "stall", "topics": "stall"})
	create(t, rt, "src", connect.Config{"connector.class": "gen", "batch.size": "100"})

	// Wait until production stops growing.
	last := int64(-1)
	for i := 0; i < 100 && produced.Load() != last; i++ {
		last = produced.Load()
		time.Sleep(100 * time.Millisecond)
	}
	// Queues hold capacity*queues; the sink holds one fetched batch; the
	// pipeline holds a few polled batches.
	bound := int64(capacity*queues + 1000 + 10*100)
	if last != produced.Load() || last > bound {
		t.Fatalf("source produced %d records against a stalled sink (bound %d): no backpressure", produced.Load(), bound)
	}
	t.Logf("source held back after %d records", last)
	// Stopping cannot drain the source's queued batch into a full broker;
	// it gives up at the deadline rather than hanging.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_ = rt.Stop(ctx)
}
