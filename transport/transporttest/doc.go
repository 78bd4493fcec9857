// Package transporttest is the conformance suite of connect.MessageTransport:
// every transport (transport/memory, transport/rocketmq) passes it, and a
// new transport runs it with one call from its tests:
//
//	func TestConformance(t *testing.T) {
//		transporttest.TestTransport(t, newTransport, transporttest.Features{
//			ConsumerGroups: true,
//			Broadcast:      true,
//		})
//	}
//
// # The factory
//
// TestTransport runs one subtest per case and hands newTransport that
// subtest's *testing.T. A case calls newTransport once per simulated process,
// often several times: every call with the same t must return a new,
// independent connection to one shared backend, so that topics, consumer
// groups and committed offsets made through one are visible through the
// others, and closing one (a process stopping) leaves the others working.
// Calls with different t may share a backend too: the suite names every topic
// and group with a random suffix, so it runs against a real broker whose
// topics persist. The suite closes every transport it gets.
//
// # What it checks
//
// Publish and receive with contents, keys and headers intact; delivery from
// the beginning of a topic for a new group; automatic topic creation; per-key
// order under concurrent publishers; topic isolation; consumer groups
// splitting the load; redelivery after Nack and after a member or a whole
// transport leaves without acknowledging; resuming at the committed offsets
// after a group reopens; broadcast readers seeing everything; Close and
// context cancellation unblocking Fetch; for transports implementing
// connect.DeliveryTracker, consumed called once every group acknowledged a
// batch and never after Close; for transports implementing
// connect.TopicRetention, messages older than the retention skipped by
// readers and groups alike; and no goroutine left behind after each case
// (go.uber.org/goleak). Features switches off what a transport
// does not offer and sets how long to wait for slow backends.
//
// The suite never reads one topic with a consumer group and a broadcast
// reader at once (the TopicRetention case lets its reader finish first): a
// transport may drop messages every group acknowledged before a broadcast
// reader got to them (transport/memory does).
package transporttest
