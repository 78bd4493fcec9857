package memory_test

import (
	"sync"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/transport/memory"
	"github.com/openmessaging/connect-go/transport/transporttest"
)

func TestConformance(t *testing.T) {
	// One broker per case; every transport of a case is a Client of it, like
	// processes connected to one cluster.
	var mu sync.Mutex
	brokers := map[*testing.T]*memory.Broker{}
	newTransport := func(t *testing.T) connect.MessageTransport {
		mu.Lock()
		defer mu.Unlock()
		b, ok := brokers[t]
		if !ok {
			b = memory.New()
			brokers[t] = b
			t.Cleanup(func() {
				b.Close()
				mu.Lock()
				delete(brokers, t)
				mu.Unlock()
			})
		}
		return b.Client()
	}
	transporttest.TestTransport(t, newTransport, transporttest.Features{
		ConsumerGroups:     true,
		Broadcast:          true,
		NoDuplicates:       true,
		CountsRedeliveries: true,
		QueuesPerTopic:     4,
		Timeout:            5 * time.Second,
		QuietPeriod:        100 * time.Millisecond,
	})
}
