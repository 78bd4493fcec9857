package worker

import (
	"testing"

	"go.uber.org/goleak"
)

// Every Run must leave no goroutine behind once it returned.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// rocketmq-client-go v2.1.2 keeps goroutines after Shutdown
		// (apache/rocketmq-client-go#1147); see transport/rocketmq's
		// main_test.go. Only TestRocketMQUnreachable makes a client.
		goleak.IgnoreTopFunction("github.com/patrickmn/go-cache.(*janitor).Run"),
		goleak.IgnoreAnyFunction("github.com/apache/rocketmq-client-go/v2/primitive.WithRecover"),
	)
}
