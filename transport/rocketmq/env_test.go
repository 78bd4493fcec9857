package rocketmq_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openmessaging/connect-go/internal/testenv"
	"github.com/openmessaging/connect-go/transport/rocketmq"
)

// services returns the addresses of the test broker (scripts/services.sh
// up rocketmq prints them); see testenv.
func services(t testing.TB) (namesrv, broker string) {
	t.Helper()
	return testenv.RocketMQ(t)
}

// runID keeps names of one test run apart from earlier runs: topics and
// groups persist in the broker.
var runID = fmt.Sprintf("%06x", rand.Uint32()&0xffffff)

var instances atomic.Int64

func uniqueName(kind string) string {
	return fmt.Sprintf("rmqtest_%s_%s_%d", kind, runID, instances.Add(1))
}

// open returns an open transport to the test broker, closed when t ends.
func open(t testing.TB, opts ...rocketmq.Option) *rocketmq.Transport {
	t.Helper()
	namesrv, broker := services(t)
	tr := rocketmq.New(append([]rocketmq.Option{
		rocketmq.WithNameServers([]string{namesrv}),
		rocketmq.WithBrokerAddrs([]string{broker}),
		rocketmq.WithInstanceName(uniqueName("inst")),
		rocketmq.WithLogger(testLogger(t)),
	}, opts...)...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tr.Open(ctx); err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}
