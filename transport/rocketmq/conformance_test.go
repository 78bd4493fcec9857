package rocketmq_test

import (
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/testenv"
	"github.com/openmessaging/connect-go/transport/transporttest"
)

func TestConformance(t *testing.T) {
	services(t)
	transporttest.TestTransport(t, func(t *testing.T) connect.MessageTransport { return open(t) }, transporttest.Features{
		ConsumerGroups: true,
		Broadcast:      true,
		// A queue that moves to another member is read again from the
		// group's committed offset, and offsets move per pulled batch.
		NoDuplicates: false,
		// Redeliveries after a Nack are counted, those to a new owner of a
		// queue are not.
		CountsRedeliveries: false,
		QueuesPerTopic:     4,
		Timeout:            20 * time.Second,
		// Nacked messages come again at once, from the member's buffer.
		RedeliveryTimeout: 10 * time.Second,
		// Members learn of joins and leaves from the broker at once; the
		// client also rebalances every 20s.
		RebalanceTimeout: 45 * time.Second,
		NamePrefix:       "rmqconf_" + runID,
		GoleakOptions:    testenv.RocketMQClientLeaks(),
	})
}
