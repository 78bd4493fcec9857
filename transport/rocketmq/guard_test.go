package rocketmq

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	connect "github.com/openmessaging/connect-go"
)

type panickingProducer struct{ recordingProducer }

func (p *panickingProducer) SendSync(context.Context, ...*primitive.Message) (*primitive.SendResult, error) {
	// What SendAsync does on a down broker (upstream issue #1170, a write to
	// a nil map), and what any client call may do on a state it does not
	// expect. guard recovers any panic value.
	panic("assignment to entry in nil map")
}

func TestPublishSurvivesClientPanic(t *testing.T) {
	tr := fakeTransport(&panickingProducer{}, WithSendRetries(1), WithRetryBackoff(1, 1))
	tr.routes.observe("t", queuesOf("t", "a"))
	err := tr.Publish(context.Background(), &connect.Message{Topic: "t", Value: []byte("v")})
	if err == nil || !connect.IsRetriable(err) {
		t.Fatalf("Publish: %v, want a retriable error", err)
	}
}

type fakeAdmin struct{}

func (fakeAdmin) CreateTopic(context.Context, ...admin.OptionCreate) error { return nil }
func (fakeAdmin) Close() error                                             { return nil }
func (fakeAdmin) FetchPublishMessageQueues(_ context.Context, topic string) ([]*primitive.MessageQueue, error) {
	return queuesOf(topic, "a"), nil
}

// fakeConsumer panics where it is told to.
type fakeConsumer struct {
	panicStart, panicShutdown bool
	polls                     atomic.Int32
}

func (c *fakeConsumer) Start() error {
	if c.panicStart {
		panic("start")
	}
	return nil
}

func (c *fakeConsumer) Shutdown() error {
	if c.panicShutdown {
		panic("shutdown")
	}
	return nil
}

func (c *fakeConsumer) Subscribe(string, consumer.MessageSelector) error { return nil }

func (c *fakeConsumer) Poll(ctx context.Context, _ time.Duration) (*consumer.ConsumeRequest, error) {
	if c.polls.Add(1) <= 2 {
		panic("poll")
	}
	<-ctx.Done()
	return nil, consumer.ErrNoNewMsg
}

func (c *fakeConsumer) ACK(context.Context, *consumer.ConsumeRequest, consumer.ConsumeResult) {}

func (c *fakeConsumer) PersistOffset(context.Context, string) error { return nil }

func (c *fakeConsumer) Rebalance() {}

func (c *fakeConsumer) UpdateOffset(*primitive.MessageQueue, int64) error { return nil }

func (c *fakeConsumer) CurrentOffset(*primitive.MessageQueue) (int64, error) { return -1, nil }

func (c *fakeConsumer) Pulling(primitive.MessageQueue) bool { return false }

func TestSubscriptionSurvivesClientPanics(t *testing.T) {
	tr := fakeTransport(&recordingProducer{})
	tr.admin = fakeAdmin{}
	fc := &fakeConsumer{panicStart: true}
	tr.newConsumer = func(string, string, consumer.AllocateStrategy) (pullConsumer, error) { return fc, nil }
	if _, err := tr.Subscribe(context.Background(), "g", "t"); err == nil || !connect.IsRetriable(err) {
		t.Fatalf("Subscribe with a panicking Start: %v, want a retriable error", err)
	}

	fc = &fakeConsumer{panicShutdown: true}
	sub, err := tr.Subscribe(context.Background(), "g", "t")
	if err != nil {
		t.Fatal(err)
	}
	// Poll panics twice; the pump goes on polling.
	deadline := time.Now().Add(5 * time.Second)
	for fc.polls.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the subscription stopped polling after a panic of the client")
		}
		time.Sleep(10 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := sub.Fetch(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Fetch: %v, want the ctx error", err)
	}
	if err := sub.Close(); err == nil {
		t.Error("Close with a panicking Shutdown: no error")
	}
	if _, err := sub.Fetch(context.Background(), 1); !errors.Is(err, connect.ErrClosed) {
		t.Errorf("Fetch after Close: %v, want connect.ErrClosed", err)
	}
}
