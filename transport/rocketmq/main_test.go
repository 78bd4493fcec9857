package rocketmq_test

import (
	"testing"

	"github.com/openmessaging/connect-go/internal/testenv"
	"go.uber.org/goleak"
)

// The RocketMQ client leaves goroutines after Shutdown; see
// testenv.RocketMQClientLeaks. None of ours may outlive a test.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, testenv.RocketMQClientLeaks()...)
}
