package transporttest

import (
	"testing"

	connect "github.com/openmessaging/connect-go"
)

// TestTransport runs the conformance suite against the transports
// newTransport returns, one subtest per case. See the package documentation
// for what newTransport must return.
func TestTransport(t *testing.T, newTransport func(t *testing.T) connect.MessageTransport, f Features) {
	t.Helper()
	f = f.withDefaults()
	cases := []struct {
		name string
		need string // the Features field the case needs, if any
		run  func(*env)
	}{
		{"PublishSubscribe", "", testPublishSubscribe},
		{"AutoCreateTopic", "", testAutoCreateTopic},
		{"ManyTopics", "", testManyTopics},
		{"TopicIsolation", "", testTopicIsolation},
		{"PerKeyOrder", "", testPerKeyOrder},
		{"Nack", "", testNack},
		{"ResumeAfterReopen", "", testResumeAfterReopen},
		{"GroupSplitsLoad", "ConsumerGroups", testGroupSplitsLoad},
		{"MemberCloses", "ConsumerGroups", testMemberCloses},
		{"TransportCloses", "ConsumerGroups", testTransportCloses},
		{"Broadcast", "Broadcast", testBroadcast},
		{"SubscriptionClose", "", testSubscriptionClose},
		{"TransportClose", "", testTransportClose},
		{"ContextCancel", "", testContextCancel},
		{"DeliveryTracker", "", testDeliveryTracker},
		{"TopicRetention", "Broadcast", testTopicRetention},
		{"Seek", "", testSeek},
		{"SeekOwnership", "ConsumerGroups", testSeekOwnership},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			switch {
			case c.need == "ConsumerGroups" && !f.ConsumerGroups,
				c.need == "Broadcast" && !f.Broadcast:
				t.Skipf("transport does not declare Features.%s", c.need)
			}
			c.run(newEnv(t, newTransport, f))
		})
	}
}
