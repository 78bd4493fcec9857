package transporttest_test

import (
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/transport/memory"
	"github.com/openmessaging/connect-go/transport/transporttest"
)

// A transport's test file runs the whole suite with one call. The factory
// returns a new connection to one shared backend each time it is called
// within a test (here: clients of one in-process broker).
func ExampleTestTransport() {
	testMyTransport := func(t *testing.T) {
		broker := memory.New()
		t.Cleanup(func() { broker.Close() })
		transporttest.TestTransport(t, func(t *testing.T) connect.MessageTransport {
			return broker.Client()
		}, transporttest.Features{
			ConsumerGroups:    true,
			Broadcast:         true,
			RedeliveryTimeout: 5 * time.Second,
		})
	}
	_ = testMyTransport // in a real test file this is func TestMyTransport(t *testing.T)
}
