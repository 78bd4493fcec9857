package topiclog

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/openmessaging/connect-go/internal/testenv"
	"github.com/openmessaging/connect-go/transport/rocketmq"
)

// TestRocketMQ runs two Logs on one topic of the test broker, each through
// a transport of its own (two processes of a cluster).
func TestRocketMQ(t *testing.T) {
	namesrv, broker := testenv.RocketMQ(t)
	run := fmt.Sprintf("%06x", rand.Uint32()&0xffffff)
	topic := "topiclog_test_" + run
	newTransport := func(i int) *rocketmq.Transport {
		tr := rocketmq.New(
			rocketmq.WithNameServers([]string{namesrv}),
			rocketmq.WithBrokerAddrs([]string{broker}),
			rocketmq.WithInstanceName(fmt.Sprintf("topiclog_%s_%d", run, i)),
		)
		t.Cleanup(func() { tr.Close() })
		return tr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var ca, cb collector
	a := open(t, newTransport(1), topic, ca.apply)
	b := open(t, newTransport(2), topic, cb.apply)
	const each = 20
	var wg sync.WaitGroup
	for i, l := range []*Log{a, b} {
		wg.Go(func() {
			for n := range each {
				if err := l.Append(ctx, fmt.Sprint("k", i), fmt.Appendf(nil, "%d-%d", i, n)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, l := range []*Log{a, b} {
		if err := l.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got, want := cb.values(), ca.values()
	if len(want) != 2*each || !slices.Equal(got, want) {
		t.Fatalf("the logs applied\n%v\nand\n%v\nwant the same %d records", want, got, 2*each)
	}

	// Read-your-writes, and Sync seeing the other's append.
	if err := a.AppendSync(ctx, "k", []byte("last")); err != nil {
		t.Fatal(err)
	}
	if v := ca.values(); v[len(v)-1] != "k=last" {
		t.Fatalf("AppendSync returned before it was applied: %v", v[len(v)-1])
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if v := cb.values(); v[len(v)-1] != "k=last" {
		t.Fatalf("Sync returned before the other log's append was applied: %v", v[len(v)-1])
	}

	// A third Log, opened later, reads the same history.
	var cc collector
	c := open(t, newTransport(3), topic, cc.apply)
	if got := cc.values(); !slices.Equal(got, ca.values()) {
		t.Fatalf("a log opened later applied\n%v\nwant\n%v", got, ca.values())
	}
	for _, r := range cc.records() {
		if r.Gap {
			t.Fatalf("Gap at %d on a topic nothing was removed from", r.Offset)
		}
	}
	// Close once every reader has read the last message: rocketmq-client-go
	// v2.1.2 races (and may panic) when a pull result arrives during a
	// consumer's Shutdown, which the transport documents as a residual
	// client race.
	if err := a.AppendSync(ctx, "k", []byte("end")); err != nil {
		t.Fatal(err)
	}
	for _, col := range []*collector{&cb, &cc} {
		for v := col.values(); v[len(v)-1] != "k=end"; v = col.values() {
			if ctx.Err() != nil {
				t.Fatal("the last record did not reach every log")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, l := range []*Log{a, b, c} {
		l.Close()
	}
	if a.warned {
		t.Fatal("the topic has more than one queue")
	}
}
