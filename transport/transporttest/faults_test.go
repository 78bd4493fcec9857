package transporttest_test

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/transport/memory"
	"github.com/openmessaging/connect-go/transport/transporttest"
)

const faultEnv = "TRANSPORTTEST_FAULT"

// faults maps a fault injected into a working transport to the case that
// must catch it.
var faults = map[string]string{
	"drop":            "PublishSubscribe",
	"corrupt":         "PublishSubscribe",
	"duplicate":       "PublishSubscribe",
	"leak":            "PublishSubscribe",
	"misroute":        "TopicIsolation",
	"reorder":         "PerKeyOrder",
	"nack-noop":       "Nack",
	"no-redelivered":  "Nack",
	"skip-redelivery": "ResumeAfterReopen",
	"starve":          "GroupSplitsLoad",
	"ack-on-close":    "MemberCloses",
	"broadcast-skip":  "Broadcast",
	"close-noop":      "SubscriptionClose",
	"transport-close": "TransportClose",
	"ignore-ctx":      "ContextCancel",
}

// TestSuiteCatchesFaults runs the suite in a child process against the
// memory transport with one fault injected, and expects the case meant to
// catch it to fail.
func TestSuiteCatchesFaults(t *testing.T) {
	if os.Getenv(faultEnv) != "" {
		t.Skip("in a child process")
	}
	if testing.Short() {
		t.Skip("starts child processes")
	}
	for _, fault := range slices.Sorted(maps.Keys(faults)) {
		c := faults[fault]
		t.Run(fault, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestFaulty$/^"+c+"$", "-test.count=1")
			cmd.Env = append(os.Environ(), faultEnv+"="+fault)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("case %s passed with fault %q injected:\n%s", c, fault, out)
			}
			if !strings.Contains(string(out), "--- FAIL: TestFaulty/"+c) {
				t.Fatalf("case %s did not fail with fault %q (exit %v):\n%s", c, fault, err, out)
			}
		})
	}
}

// TestFaulty is the child process of TestSuiteCatchesFaults.
func TestFaulty(t *testing.T) {
	fault := os.Getenv(faultEnv)
	if fault == "" {
		t.Skip("run by TestSuiteCatchesFaults")
	}
	var mu sync.Mutex
	brokers := map[*testing.T]*memory.Broker{}
	var subs atomic.Int64
	transporttest.TestTransport(t, func(t *testing.T) connect.MessageTransport {
		mu.Lock()
		defer mu.Unlock()
		b, ok := brokers[t]
		if !ok {
			b = memory.New()
			brokers[t] = b
			t.Cleanup(func() { b.Close() })
		}
		return &faulty{MessageTransport: b.Client(), fault: fault, subs: &subs}
	}, transporttest.Features{
		ConsumerGroups:     true,
		Broadcast:          true,
		NoDuplicates:       true,
		CountsRedeliveries: true,
		Messages:           100,
		Timeout:            time.Second,
		QuietPeriod:        50 * time.Millisecond,
	})
}

type faulty struct {
	connect.MessageTransport
	fault string
	subs  *atomic.Int64
	n     atomic.Int64
}

func (f *faulty) Publish(ctx context.Context, msgs ...*connect.Message) error {
	switch f.fault {
	case "drop":
		var kept []*connect.Message
		for _, m := range msgs {
			if f.n.Add(1)%7 != 0 {
				kept = append(kept, m)
			}
		}
		msgs = kept
	case "misroute":
		out := slices.Clone(msgs)
		for i, m := range out {
			if i > 0 && m.Topic != out[0].Topic {
				c := *m
				c.Topic = out[0].Topic
				out[i] = &c
				break
			}
		}
		msgs = out
	}
	return f.MessageTransport.Publish(ctx, msgs...)
}

func (f *faulty) Subscribe(ctx context.Context, group string, topics ...string) (connect.Subscription, error) {
	s, err := f.MessageTransport.Subscribe(ctx, group, topics...)
	if err != nil {
		return nil, err
	}
	if f.fault == "leak" {
		go func() { <-time.After(time.Minute) }()
	}
	return &faultySub{Subscription: s, fault: f.fault, id: f.subs.Add(1)}, nil
}

func (f *faulty) Broadcast(ctx context.Context, topic string) (connect.Subscription, error) {
	s, err := f.MessageTransport.Broadcast(ctx, topic)
	if err != nil {
		return nil, err
	}
	return &faultySub{Subscription: s, fault: f.fault, broadcast: true}, nil
}

func (f *faulty) Close() error {
	if f.fault == "transport-close" {
		return nil
	}
	return f.MessageTransport.Close()
}

type faultySub struct {
	connect.Subscription
	fault     string
	id        int64
	broadcast bool
	fetches   int
	mu        sync.Mutex
	unacked   []*connect.Message
}

func (s *faultySub) Fetch(ctx context.Context, max int) ([]*connect.Message, error) {
	if s.fault == "ignore-ctx" {
		ctx = context.Background()
	}
	if s.fault == "starve" && s.id%2 == 0 {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	msgs, err := s.Subscription.Fetch(ctx, max)
	if err != nil {
		return msgs, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetches++
	s.unacked = append(s.unacked, msgs...)
	switch s.fault {
	case "corrupt":
		c := *msgs[0]
		c.Headers = maps.Clone(c.Headers)
		delete(c.Headers, "transporttest-empty")
		msgs[0] = &c
	case "duplicate":
		if s.fetches == 1 {
			msgs = append(msgs, msgs[0])
		}
	case "reorder":
		slices.Reverse(msgs)
	case "no-redelivered":
		for i, m := range msgs {
			c := *m
			c.Redelivered = 0
			msgs[i] = &c
		}
	case "skip-redelivery":
		msgs = slices.DeleteFunc(msgs, func(m *connect.Message) bool { return m.Redelivered > 0 })
	case "broadcast-skip":
		if s.broadcast {
			msgs = slices.DeleteFunc(msgs, func(m *connect.Message) bool { return m.Offset == 1 })
		}
	}
	return msgs, nil
}

func (s *faultySub) Ack(ctx context.Context, msgs ...*connect.Message) error {
	s.mu.Lock()
	s.unacked = slices.DeleteFunc(s.unacked, func(m *connect.Message) bool { return slices.Contains(msgs, m) })
	s.mu.Unlock()
	return s.Subscription.Ack(ctx, msgs...)
}

func (s *faultySub) Nack(ctx context.Context, msgs ...*connect.Message) error {
	if s.fault == "nack-noop" {
		return nil
	}
	return s.Subscription.Nack(ctx, msgs...)
}

func (s *faultySub) Close() error {
	switch s.fault {
	case "close-noop":
		return nil
	case "ack-on-close":
		s.mu.Lock()
		unacked := s.unacked
		s.mu.Unlock()
		s.Subscription.Ack(context.Background(), unacked...)
	}
	return s.Subscription.Close()
}
