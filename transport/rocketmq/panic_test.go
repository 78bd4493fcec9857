package rocketmq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/testenv"
)

// The goroutine of the client that hands a queue's pulled batches to Poll
// panics after the first batch. The client recovers it (primitive.
// WithRecover, with the transport's panic handler) and never starts it
// again: the queue stalls for good. The panic is logged at Error, Fetch
// fails with ErrClientPanicked (maybe before the first batch was fetched),
// and a new member of the group gets every message not acknowledged.
//
// Only the first batch is published before the puller dies: batches the
// client pulls after that stay in its channel, which its Shutdown closes
// without synchronising with the sends, and the race detector says so.
func TestClientPanicInPullerFailsFetch(t *testing.T) {
	namesrv, broker := testenv.RocketMQ(t)
	logs := &errorRecords{}
	id := fmt.Sprintf("%06x", rand.Uint32()&0xffffff)
	tr := New(
		WithNameServers([]string{namesrv}),
		WithBrokerAddrs([]string{broker}),
		WithInstanceName("rmqtest_inst_panic_"+id),
		WithLogger(slog.New(logs)),
	)
	defer tr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	topic, group := "rmqtest_panic_"+id, "rmqtest_gpanic_"+id
	if err := tr.CreateTopic(ctx, topic, 1); err != nil {
		t.Fatal(err)
	}
	const first, total = 10, 100 // one pulled batch holds up to 32 messages
	publish := func(from, to int) {
		var msgs []*connect.Message
		for i := from; i < to; i++ {
			msgs = append(msgs, &connect.Message{Topic: topic, Value: []byte(strconv.Itoa(i))})
		}
		if err := tr.Publish(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	publish(0, first)

	tr.newConsumer = func(group, instance string, strategy consumer.AllocateStrategy) (pullConsumer, error) {
		pc, err := tr.newPullConsumer(group, instance, strategy)
		if err == nil {
			panicInPuller(t, pc, topic, 1)
		}
		return pc, err
	}
	sub, err := tr.Subscribe(ctx, group, topic)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	got := map[string]bool{}
	fetchCtx, stop := context.WithTimeout(ctx, 15*time.Second)
	defer stop()
	for {
		ms, err := sub.Fetch(fetchCtx, total)
		if err != nil {
			if !errors.Is(err, ErrClientPanicked) || connect.IsRetriable(err) {
				t.Fatalf("Fetch after the puller died: %v (%d messages received), want a non-retriable error matching ErrClientPanicked", err, len(got))
			}
			break
		}
		for _, m := range ms {
			got[string(m.Value)] = true
		}
		if err := sub.Ack(ctx, ms...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sub.Fetch(ctx, total); !errors.Is(err, ErrClientPanicked) {
		t.Errorf("second Fetch: %v, want ErrClientPanicked again", err)
	}
	if !logs.contains("injected panic") {
		t.Errorf("no error record about the panic; error records: %q", logs.messages())
	}
	sub.Close()

	publish(first, total)
	tr.newConsumer = tr.newPullConsumer
	sub, err = tr.Subscribe(ctx, group, topic)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for len(got) < total {
		ms, err := sub.Fetch(fetchCtx, total)
		if err != nil {
			t.Fatalf("the next member: %v (%d of %d messages received)", err, len(got), total)
		}
		for _, m := range ms {
			got[string(m.Value)] = true
		}
		sub.Ack(ctx, ms...)
	}
}

// panicInPuller makes the client goroutine that hands topic's pulled
// batches to Poll (pullMessage's submitter, run in primitive.WithRecover)
// panic once it handed over n batches. It replaces the pull consumer's
// unexported submitToConsume before Start.
func panicInPuller(t *testing.T, pc pullConsumer, topic string, n int) {
	t.Helper()
	var client any = pc
	if c, ok := pc.(pullClient); ok {
		client = c.PullConsumer
	}
	field := reflect.ValueOf(client).Elem().FieldByName("submitToConsume")
	if !field.IsValid() || field.Kind() != reflect.Func {
		t.Fatalf("the pull consumer %T has no submitToConsume func any more", client)
	}
	f := reflect.NewAt(field.Type(), unsafe.Pointer(field.UnsafeAddr())).Elem()
	orig := reflect.ValueOf(f.Interface())
	var handed atomic.Int32
	f.Set(reflect.MakeFunc(field.Type(), func(args []reflect.Value) []reflect.Value {
		if mq, ok := args[1].Interface().(*primitive.MessageQueue); ok && mq.Topic == topic {
			if handed.Add(1) > int32(n) {
				panic("injected panic in the puller of " + mq.String())
			}
		}
		return orig.Call(args)
	}))
}

// errorRecords keeps the Error records logged to it, with their attributes.
type errorRecords struct {
	mu   sync.Mutex
	msgs []string
}

func (h *errorRecords) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }

func (h *errorRecords) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "stack" {
			fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		}
		return true
	})
	h.mu.Lock()
	h.msgs = append(h.msgs, b.String())
	h.mu.Unlock()
	return nil
}

func (h *errorRecords) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *errorRecords) WithGroup(string) slog.Handler      { return h }

func (h *errorRecords) messages() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.msgs...)
}

func (h *errorRecords) contains(s string) bool {
	for _, m := range h.messages() {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}
