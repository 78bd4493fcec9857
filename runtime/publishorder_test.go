package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
)

// ctxBlindTransport sends even when the context is done, as RocketMQ's
// client may (it writes to a cached connection without looking at it),
// and records the values it sent.
type ctxBlindTransport struct {
	connect.MessageTransport
	mu   sync.Mutex
	sent []string
}

func (t *ctxBlindTransport) Publish(_ context.Context, msgs ...*connect.Message) error {
	t.mu.Lock()
	for _, m := range msgs {
		t.sent = append(t.sent, string(m.Value))
	}
	t.mu.Unlock()
	return t.MessageTransport.Publish(context.Background(), msgs...)
}

// twoBatches is a source whose task polls the records a0..a9, then b0..b9,
// then fails.
type twoBatches struct{ polls atomic.Int64 }

func (s *twoBatches) Spec() connect.Spec { return connect.Spec{Name: "two"} }
func (s *twoBatches) Start(context.Context, connect.ConnectorContext, connect.Config) error {
	return nil
}
func (s *twoBatches) TaskConfigs(int) ([]connect.Config, error) { return []connect.Config{{}}, nil }
func (s *twoBatches) Stop(context.Context) error                { return nil }
func (s *twoBatches) NewTask() connect.SourceTask               { return twoBatchesTask{s} }

type twoBatchesTask struct{ s *twoBatches }

func (twoBatchesTask) Start(context.Context, connect.SourceTaskContext, connect.Config) error {
	return nil
}
func (twoBatchesTask) Stop(context.Context) error { return nil }
func (t twoBatchesTask) Poll(ctx context.Context) ([]*connect.Record, error) {
	batch := func(p string) []*connect.Record {
		var out []*connect.Record
		for i := range 10 {
			v := fmt.Sprintf("%s%d", p, i)
			out = append(out, &connect.Record{Topic: "po", Key: []byte{byte(i)}, Value: []byte(v),
				Position: connect.Position{Partition: "p", Offset: []byte(`"` + v + `"`)}})
		}
		return out
	}
	switch t.s.polls.Add(1) {
	case 1:
		return batch("a"), nil
	case 2:
		return batch("b"), nil
	case 3:
		return nil, connect.Fatal(errors.New("poll failed"))
	}
	<-ctx.Done()
	return nil, nil
}

// A batch left unconverted because publishing stopped (the task failed
// while a transform still worked on it) must be the last thing the task
// publishes: a later batch, converted in time by another converter, must
// not go out without it, over a transport that sends even when the
// context is done. Else the queues hold b's records without a's, and the
// restarted task publishes a's for the first time after them, out of
// order (which mysqlsink's source.dedupe, for one, relies on).
func TestNothingPublishedAfterAnUnconvertedBatch(t *testing.T) {
	tr := &ctxBlindTransport{MessageTransport: memory.New()}
	defer tr.Close()
	hold := func() connect.Transform {
		return connect.NewTransform("HoldA5", func(ctx context.Context, r *connect.Record) (*connect.Record, error) {
			if string(r.Value.([]byte)) == "a5" {
				<-ctx.Done() // until publishing is cancelled
				return nil, ctx.Err()
			}
			return r, nil
		})
	}
	src := &twoBatches{}
	rt := startRuntime(t, runtime.WithTransport(tr), runtime.WithTransform("HoldA5", hold),
		runtime.WithPlugin("two", func() connect.Connector { return src }))
	create(t, rt, "two", connect.Config{"connector.class": "two", "transforms": "hold", "transforms.hold.type": "HoldA5",
		"value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter", "errors.retry.timeout": "0"})
	deadline := time.Now().Add(10 * time.Second)
	for src.polls.Load() < 4 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // the publisher's last moves
	tr.mu.Lock()
	sent := slices.Clone(tr.sent)
	tr.mu.Unlock()
	if src.polls.Load() < 4 {
		t.Fatalf("the task was not restarted after its failure (%d polls)", src.polls.Load())
	}
	for _, v := range sent {
		if v[0] == 'b' {
			t.Fatalf("b published without a: %v", sent)
		}
	}
}
