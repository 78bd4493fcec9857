package rocketmq_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, clientLeaks()...)
}

// clientLeaks ignores the goroutines rocketmq-client-go v2.1.2 leaves
// running after Shutdown (upstream issue #1147): its scheduled tasks
// (sleeping up to 10s before they look at the done channel), its statistics
// tickers (some sleep until the next hour or month), connection readers and
// handlers, and pull loops blocked in a long poll of up to 30s. All but the
// pull loop run inside primitive.WithRecover. None of ours does. The
// janitor of the client's request-reply cache starts with the package
// (internal.RequestResponseFutureMap) and never stops.
func clientLeaks() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreTopFunction("github.com/patrickmn/go-cache.(*janitor).Run"),
		goleak.IgnoreAnyFunction("github.com/apache/rocketmq-client-go/v2/primitive.WithRecover"),
		goleak.IgnoreAnyFunction("github.com/apache/rocketmq-client-go/v2/consumer.(*defaultPullConsumer).pullMessage"),
		goleak.IgnoreAnyFunction("github.com/apache/rocketmq-client-go/v2/consumer.(*defaultPullConsumer).Start.func1.1"),
		goleak.IgnoreAnyFunction("github.com/apache/rocketmq-client-go/v2/internal.(*rmqClient).RebalanceImmediately"),
	}
}
