package rocketmq_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/transport/rocketmq"
)

// lagger is what the runtime's connect.sink.lag gauge asserts.
type lagger interface{ Lag() int64 }

// Lag counts the messages of the member's queues not acknowledged: all of
// them once pulled, the acknowledged queue's leave, newly published ones
// come in, and it ends at 0 when everything is acknowledged.
func TestSubscriptionLag(t *testing.T) {
	tr := open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	topic := uniqueName("lag")
	if err := tr.CreateTopic(ctx, topic, 2); err != nil {
		t.Fatal(err)
	}
	const n = 60
	publishKeyed(ctx, t, tr, topic, "a", n)

	sub, err := tr.Subscribe(ctx, uniqueName("glag"), topic)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	l, ok := sub.(lagger)
	if !ok {
		t.Fatalf("%T has no Lag method", sub)
	}
	waitLag(ctx, t, l, n, "after subscribing")

	msgs := fetchN(ctx, t, sub, n)
	if got := l.Lag(); got != n {
		t.Errorf("Lag after fetching without acknowledging = %d, want %d", got, n)
	}
	var q0, rest []*connect.Message
	for _, m := range msgs {
		if m.Queue == 0 {
			q0 = append(q0, m)
		} else {
			rest = append(rest, m)
		}
	}
	if len(q0) == 0 || len(rest) == 0 {
		t.Fatalf("queue 0 got %d of %d messages, want some on each queue", len(q0), n)
	}
	if err := sub.Ack(ctx, q0...); err != nil {
		t.Fatal(err)
	}
	waitLag(ctx, t, l, int64(len(rest)), "after acknowledging queue 0")
	if err := sub.Ack(ctx, rest...); err != nil {
		t.Fatal(err)
	}
	waitLag(ctx, t, l, 0, "after acknowledging everything")

	// New messages count as the member pulls them.
	const more = 7
	publishKeyed(ctx, t, tr, topic, "b", more)
	waitLag(ctx, t, l, more, "after publishing more")
	if err := sub.Ack(ctx, fetchN(ctx, t, sub, more)...); err != nil {
		t.Fatal(err)
	}
	waitLag(ctx, t, l, 0, "after acknowledging the new messages")
}

// Lag counts to the end of the queue the broker reports with each pull, not
// only what the subscription took from the client: with a one-message
// fetch buffer, pulls of 4 and fetches of 4 (a larger fetch would wait
// for more, the member being behind) it holds one batch at a time.
func TestSubscriptionLagCountsToQueueEnd(t *testing.T) {
	tr := open(t, rocketmq.WithFetchBuffer(1), rocketmq.WithPullBatchSize(4))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	topic := uniqueName("lagend")
	if err := tr.CreateTopic(ctx, topic, 1); err != nil {
		t.Fatal(err)
	}
	const n = 40
	publishKeyed(ctx, t, tr, topic, "a", n)
	sub, err := tr.Subscribe(ctx, uniqueName("glagend"), topic)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	l := sub.(lagger)
	waitLag(ctx, t, l, n, "after subscribing")
	for left := n; left > 0; {
		msgs, err := sub.Fetch(ctx, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) > 4 {
			t.Fatalf("fetched %d messages at once, want at most one pull of 4", len(msgs))
		}
		if got := l.Lag(); got != int64(left) {
			t.Fatalf("Lag before acknowledging = %d, want %d", got, left)
		}
		if err := sub.Ack(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
		left -= len(msgs)
		waitLag(ctx, t, l, int64(left), "after acknowledging")
	}
}

func publishKeyed(ctx context.Context, t *testing.T, tr connect.MessageTransport, topic, prefix string, n int) {
	t.Helper()
	msgs := make([]*connect.Message, n)
	for i := range msgs {
		k := fmt.Sprintf("%s%d", prefix, i)
		msgs[i] = &connect.Message{Topic: topic, Key: []byte(k), Value: []byte(k)}
	}
	if err := tr.Publish(ctx, msgs...); err != nil {
		t.Fatalf("publish: %v", err)
	}
}

func fetchN(ctx context.Context, t *testing.T, sub connect.Subscription, n int) []*connect.Message {
	t.Helper()
	var got []*connect.Message
	for len(got) < n {
		msgs, err := sub.Fetch(ctx, n-len(got))
		if err != nil {
			t.Fatalf("fetch: %v (%d of %d)", err, len(got), n)
		}
		got = append(got, msgs...)
	}
	return got
}

// waitLag polls Lag until it is want; Lag follows pulls and acks
// asynchronously.
func waitLag(ctx context.Context, t *testing.T, l lagger, want int64, when string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var got int64
	for {
		if got = l.Lag(); got == want {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("Lag %s = %d, want %d", when, got, want)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
