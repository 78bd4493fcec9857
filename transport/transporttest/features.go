package transporttest

import (
	"time"

	"go.uber.org/goleak"
)

// Features describes what a transport offers and how long the suite waits
// for it. The zero value runs the cases every transport must pass, with the
// defaults below.
type Features struct {
	// ConsumerGroups enables the cases with several members in one group:
	// load split, redelivery when a member or transport leaves, per-key
	// order with two consumers.
	ConsumerGroups bool
	// Broadcast enables the broadcast reader cases.
	Broadcast bool
	// NoDuplicates declares that a group gets a message a second time only
	// after a Nack, or after the member holding it left without
	// acknowledging it. The suite then fails on any other duplicate, and on
	// acknowledged messages coming back after a group reopens. Leave it
	// false for transports that may redeliver more (RocketMQ after a
	// rebalance).
	NoDuplicates bool
	// CountsRedeliveries declares that Message.Redelivered is above zero on
	// every redelivered message and zero on first deliveries.
	CountsRedeliveries bool
	// QueuesPerTopic is the queue count the suite passes to CreateTopic.
	// Default 4.
	QueuesPerTopic int
	// Messages scales how many messages each case publishes. Default 200.
	Messages int
	// Timeout bounds every wait for messages that should arrive and every
	// blocking call expected to return. Default 10s.
	Timeout time.Duration
	// RedeliveryTimeout bounds waits for Nacked messages to come again.
	// Default Timeout.
	RedeliveryTimeout time.Duration
	// RebalanceTimeout bounds waits for a group to hand the queues of a
	// member that joined or left to the others. Default Timeout.
	RebalanceTimeout time.Duration
	// QuietPeriod is how long the suite watches for messages that must not
	// arrive. Default 200ms.
	QuietPeriod time.Duration
	// NamePrefix starts every topic and group name; a case name and a
	// random suffix follow. Default "transporttest".
	NamePrefix string
	// GoleakOptions are passed to goleak.VerifyNone at the end of every
	// case, after the goroutines running when the case started are ignored.
	// Use them to ignore known leaks of a client library, with a comment
	// naming the upstream issue.
	GoleakOptions []goleak.Option
}

func (f Features) withDefaults() Features {
	if f.QueuesPerTopic < 1 {
		f.QueuesPerTopic = 4
	}
	if f.Messages < 1 {
		f.Messages = 200
	}
	if f.Timeout <= 0 {
		f.Timeout = 10 * time.Second
	}
	if f.RedeliveryTimeout <= 0 {
		f.RedeliveryTimeout = f.Timeout
	}
	if f.RebalanceTimeout <= 0 {
		f.RebalanceTimeout = f.Timeout
	}
	if f.QuietPeriod <= 0 {
		f.QuietPeriod = 200 * time.Millisecond
	}
	if f.NamePrefix == "" {
		f.NamePrefix = "transporttest"
	}
	return f
}
