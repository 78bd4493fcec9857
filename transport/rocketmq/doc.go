// Package rocketmq is a connect.MessageTransport over Apache RocketMQ 4.x
// and 5.x (the brokers' remoting protocol, not the 5.x gRPC proxy), built on
// github.com/apache/rocketmq-client-go/v2 v2.1.2. It passes the conformance
// suite of transport/transporttest against a real broker.
//
//	tr := rocketmq.New(
//		rocketmq.WithNameServers([]string{"10.0.0.1:9876", "10.0.0.2:9876"}),
//		rocketmq.WithBrokerAddrs([]string{"10.0.0.3:10911"}), // for CreateTopic
//		rocketmq.WithLogger(logger),
//	)
//	defer tr.Close()
//	rt := runtime.New(runtime.WithTransport(tr), ...) // the runtime calls tr.Open
//
// # Opening and closing
//
// New only records the options. Open (the runtime calls it from Start; any
// other method calls it on first use) reports bad options as a
// *connect.ConfigError naming the option, resolves the name servers' host
// names (the client takes IP addresses only), checks that at least one name
// server accepts connections (a connect.Retriable error names every
// address otherwise), then starts one producer. Every subscription starts a
// consumer of its own. Close stops them all, the admin client too, and
// makes every later call fail with connect.ErrClosed.
//
// # Publishing
//
// Publish groups its messages by topic and queue and sends each group with
// the client's synchronous batch send (SendSync; SendAsync is never used:
// it panics on a down broker, upstream issue #1170). A message with a key
// goes to queue FNV-1a(key) mod N of the topic's N queues (sorted by broker
// name and queue id), so a key's messages stay in order on one queue;
// messages without key go together to the next queue in turn. A group is
// sent in order as batches of at most WithMaxBatchBytes; different queues
// are sent concurrently. A topic's queues come from the producer's route:
// the first Publish to a topic through a transport sends one message on
// its own, through which the transport learns them (and the broker creates
// the topic, when it does not exist and the broker has
// autoCreateTopicEnable=true, with WithDefaultQueues queues).
//
// A failed send is retried WithSendRetries times with exponential backoff
// and jitter (WithRetryBackoff), each failure logged at Warn. A batch with keys stays
// on its queue; one without keys moves to another queue (maybe on another
// broker). When the retries are spent Publish returns a connect.Retriable
// error carrying the cause (connection refused, timeout, the broker's
// answer), which the runtime retries and finally shows in the task status.
// What RocketMQ can never take fails at once with a plain error: a value
// over WithMaxMessageBytes, a topic name RocketMQ rejects (letters, digits,
// '-', '_', '%', '|'; at most 127), headers over the properties limit
// (32 KB), a message the broker calls illegal. A send stored on the master
// but not flushed or replicated as the broker is configured to
// (FLUSH_DISK_TIMEOUT and the like) counts as failed and is sent again. A
// send that timed out may have been stored: retries can duplicate, never
// reorder, a key's messages.
//
// # Keys and headers
//
// A message's value is the RocketMQ body. The broker cannot store an empty
// body, so an empty value travels as one zero byte with the property
// CONNECT_EMPTY_BODY and comes back empty.
//
// A key that is valid UTF-8 without control characters is RocketMQ's own
// key, the KEYS property, unchanged: the broker indexes it, so
// `mqadmin queryMsgByKey` and the consoles find a record by key. Any other
// key travels as standard base64 in the property CONNECT_KEY_BASE64. Either
// way the key's bytes come back exactly.
//
// A message's headers travel together in the user property
// CONNECT_HEADERS, as NAME=VALUE pairs joined by '&'. Names and values are
// percent-encoded where they would break that or where RocketMQ would
// damage them: '%', '=', '&', the ASCII control characters (\x01 and \x02
// separate properties on the wire) and bytes that are not UTF-8 (the
// broker decodes properties as UTF-8). Everything else passes unchanged.
// One property for all headers, rather than one each, because the client
// allocates for every property of every message when it encodes and
// decodes them, and a received message's headers are then read without
// copying its whole property map.
//
// Received messages of one pulled batch with the same headers share their
// Headers map, as the messages of the in-memory transport do: consumers
// must not modify it (converters copy what they keep).
//
// Versions before CONNECT_HEADERS wrote header NAME=VALUE as the user
// property "h:"+NAME (the prefix keeps header names from RocketMQ's system
// properties: KEYS, TAGS, DELAY, ..., which change what the broker does
// with a message), percent-encoded the same way but for '=' and '&', with
// an empty value as "%" (the broker drops properties with an empty
// value). Subscriptions read messages without CONNECT_HEADERS that way:
// messages of those versions read as they did, and messages of other
// producers come back with KEYS as key and every property that is not one
// of RocketMQ's own as a header, as it is. Older versions read only that
// form: WithPropertyPerHeader writes it, for a rolling upgrade.
//
// # Consumer groups
//
// Subscribe joins a RocketMQ consumer group (clustering model) with a pull
// consumer (Poll and ACK) of its own, with its own client instance
// (WithInstanceName-N): the brokers tell members apart by IP@instance, so
// several subscriptions of one group in one process are several members.
// The client pulls every queue the group assigned to the member in its own
// goroutine, in queue order, and hands over one pulled batch (up to 32
// messages of one queue) at a time; Fetch returns what is there, in queue
// order per queue. While the member is behind (the latest pull of one of its
// queues reported messages past those taken), Fetch waits up to 10ms for
// as many messages as it was asked for instead of returning one pulled
// batch, so that a sink writes and flushes batches of its batch size, not
// of 32 messages; a member that keeps up gets each message at once.
//
// Why a pull consumer: with the push consumer a message is acknowledged by
// the callback's return (its returned error is ignored), and the only
// retry is ConsumeRetryLater, which sends the message to the group's
// %RETRY% topic, where it comes back seconds later and after the messages
// behind it, so a key's order breaks; its orderly mode keeps order but
// holds broker-side queue locks it does not release on rebalance, so a new
// owner can wait up to a minute. With the pull consumer, acknowledging is a call the transport makes when the
// runtime acknowledges (after the sink flushed) and redelivery after a Nack
// happens in the member, in order, at once. (The pull consumer panic fixed
// upstream by #1226 came with the fix of a data race on the consumers'
// pause flag, #1217 and #1219, both after v2.1.2, whose pull consumer
// cannot hit it; every client call is guarded anyway, see below.)
//
// Acknowledgement: Ack takes the *Message values Fetch returned. The
// client's committed offset of a queue moves when a whole pulled batch is
// acknowledged, to the lowest offset not acknowledged in that queue, so it
// never passes a message that was not acknowledged. The subscription
// writes the offsets to the broker at once after an Ack moved one, then at
// most once per WithCommitInterval (500ms) while Acks keep coming; the
// client writes them too every 5s, when a queue moves to another member
// and on Close. So a member that dies without Close (killed, crashed) has
// its group read again what it acknowledged within its last commit
// interval, never more (the client alone writes offsets only 10s after a
// consumer starts: a sink in a crash loop would read everything again on
// every start).
//
// Redelivery:
//
//   - Nack: the nacked messages, and the later messages of their queues
//     that were fetched and not acknowledged, are fetched again first, in
//     queue order, with Message.Redelivered counting the deliveries in this
//     member. Nothing goes to the %RETRY% topic.
//   - A member that closes (Close, its ctx done, its transport closed)
//     commits what was acknowledged and leaves; the broker tells the other
//     members at once and they take its queues from the committed offsets,
//     so what it fetched and did not acknowledge is delivered again. A
//     process that dies is noticed when its connections drop (at once for
//     a crash on a live host; after about two minutes of missed heartbeats
//     for a host that vanished).
//   - Duplicates: a queue's new owner reads from the committed offset,
//     which can lag what was acknowledged (by up to one WithCommitInterval
//     and one pulled batch), and rebalancing is not a handover: two members can
//     read one queue for a moment. Messages can come twice, never before an
//     earlier message of their key came. Messages of a queue the member no
//     longer owns are not fetched any more; an Ack for them does nothing.
//   - A new group starts at the beginning of its topics. Subscribe creates
//     topics that do not exist (WithBrokerAddrs needed) and returns a
//     connect.Retriable error matching connect.ErrNotFound when it cannot.
//
// Fetch holds at most WithFetchBuffer messages (and 64 MiB of values) that
// were pulled and not fetched; the client buffers at most 32 pulls per
// queue besides (the broker caps a pull at 32 messages or 256 KiB), so
// memory stays bounded whatever the backlog.
//
// Subscriptions of a group are connect.QueueOwner (for sinks that keep
// their offsets in their target, such as mysqlsink's exactly-once mode).
// Owned lists the queues the group's allocation gave the member, with a
// generation that changes with them; Subscribe waits (up to 5s) for the
// first allocation, so a lone member owns every queue when it returns.
// Seek of an owned queue restarts the client's pull of it at the offset
// (the client keeps its pull position to itself): the subscription sets
// the group's offset of the queue in the client, leaves the queue out of
// what its allocation strategy gives the client and rebalances (the client
// stops its pull and writes the offset to the broker), gives it back and
// rebalances again (a new pull starts from the broker's offset), checks
// where the new pull starts and tries again if elsewhere. Its rebalances
// take the client's rebalance lock, as the client's own do, so that no two
// run at once; a Seek takes a few broker round trips.
// The member keeps owning the queue throughout, messages of the queue
// fetched before are forgotten (Ack and Nack ignore them), and the
// subscription writes the offset sought on its next commit, so that the
// stopped pull, whose long poll may still return, cannot move it. An
// offset below the oldest message the member saw retained is raised to
// it; an offset past the queue's end (or below its oldest message when the
// member saw none) is corrected by the broker, and the client resumes the
// queue from there after a pause of 10s to 30s. Seek of a queue the member
// does not own fails with connect.ErrConflict; broadcast readers own none.
//
// A subscription's Lag method (the runtime's connect.sink.lag) sums, over
// the queues the member owns, the queue's end as the broker reported it in
// the reply to the latest pull the subscription took a batch from, minus
// the offset the client commits; it makes no request, so it is current
// while the member keeps up (a long poll returns new messages at once),
// up to the client's read-ahead (32 pulls per queue) old while it works
// through a backlog, and stays at its last value, missing newer messages,
// while the member takes nothing (buffers full, nothing acknowledged). A
// queue counts from its first batch; broadcast readers report 0.
//
// # Broadcast
//
// Broadcast reads a topic with a consumer group of its own
// (WithBroadcastGroupPrefix-INSTANCE-N, clustering model, starting at the
// first offset), which gets every queue: each reader sees every message
// from the beginning of the topic, including those published before it
// started, and the new ones as they come. It acknowledges what it pulls at
// once; Ack and Nack do nothing. Each reader leaves a subscription group
// (and the %RETRY% topic the broker creates for it) in the broker's
// metadata: remove old ones with mqadmin deleteSubGroup and deleteTopic.
// The broker must allow automatic subscription groups
// (autoCreateSubscriptionGroup=true, its default), like for Subscribe.
//
// # Topics
//
// CreateTopic creates a topic with the given queue count on every broker
// of WithBrokerAddrs, then waits up to WithTopicTimeout until the name
// server routes it: the client's CreateTopic reports success whatever the
// broker answers (upstream issue #1121), so the route is the proof, and a
// topic that never routes fails with a connect.Retriable error saying so.
// A topic that exists already is left as it is, whatever its queue count:
// changing the count would send keys to other queues. Without
// WithBrokerAddrs CreateTopic fails with a *connect.ConfigError for a
// topic that does not exist.
//
// Message.Queue is the queue's index among the topic's queues sorted by
// broker name and queue id, as the transport last saw them; with one
// broker it is the RocketMQ queue id.
//
// # Logging
//
// The transport logs to WithLogger's *slog.Logger (nothing by default):
// retries at Warn, topic creation at Info, subscriptions at Debug. The
// client has a single, process-wide logger (rlog.SetLogger). The first
// transport that opens replaces it, once, with a forwarder that sends each
// client record to the loggers of the transports open at that moment (each
// distinct logger once), and to nothing while none is open: several
// transports in one process share the client's records, and quiet
// transports keep it quiet. Client records carry component=rocketmq-client.
// Its routine chatter (offset commits, rebalances, heartbeats) is logged at
// Debug, its warnings and errors (a broker or name server that cannot be
// reached, a pull that failed) at Warn and Error; a few it raises for states
// the transport expects (a topic that does not exist yet, the %RETRY% topic
// of a new group) at Debug. An application that wants the client's records
// elsewhere calls rlog.SetLogger after the first Open. The same once, the
// transport sets the client's process-wide panic handler
// (primitive.PanicHandler), unless one is set: a panic in a client
// goroutine is logged at Error instead of ending the process, and fails
// the subscriptions (see "Known client edges").
//
// # Connection loss
//
// Nothing is lost when a broker or a name server restarts. Sends fail
// (connection refused, or a 3s timeout for a send in flight on a
// connection that broke) and Publish retries them; when Publish gives up,
// the runtime retries with backoff, and a failed task restarts. The
// producer keeps its routes while the name server is away (new topics
// cannot be routed then). Consumers retry every pull that fails after 3s;
// a long-poll pull in flight when the broker died waits out its 30s
// timeout first. After a broker restart the member keeps its queues until
// the broker knows it again (the next heartbeat, within 30s) instead of
// dropping them all. Each failure shows in the log as a client warning.
//
// # Known client edges and how they are handled
//
//   - Panics (SendAsync on a down broker, #1170; anything unexpected):
//     SendAsync is not used; every call into the client is guarded with
//     recover and turned into an error (retriable for sends) and a log
//     record; the panic handler covers the goroutines the client runs under
//     its own recover wrapper (most of them). Such a goroutine is gone for
//     good (a queue's puller, a consumer's rebalances or heartbeats: the
//     client never starts them again), and the handler cannot tell whose
//     it was, so it fails every subscription of every open transport:
//     each logs at Error, and its Fetch returns an error matching
//     ErrClientPanicked, not retriable, until it is closed (Ack and Nack
//     still work). The runtime restarts the sink task; its new member
//     reads from the committed offsets, so nothing is lost. A panic in a
//     goroutine a closed subscription left behind (see #1147 below) fails
//     the open ones too, at the cost of a restart. An application that
//     set primitive.PanicHandler before the first Open keeps its own
//     handler, and none of this happens.
//   - The push consumer ignores errors and loses order on retry: the pull
//     consumer is used (see above).
//   - Orderly push consumers keep queue locks across rebalances (up to 60s
//     stalls): not used; order comes from one pulled queue at a time.
//   - The client writes offsets 10s after a consumer starts, then every 5s,
//     one-way: the subscription writes them itself within
//     WithCommitInterval of an Ack; acknowledged messages may still come
//     again after a rebalance or a crash (at-least-once, never lost);
//     Close commits before it leaves.
//   - Shutdown does not drain, and its goroutines outlive it (#1147):
//     the transport stops taking from the consumer before it shuts it down;
//     the client's goroutines (scheduled tasks sleeping up to 10s,
//     statistics tickers sleeping up to a month, long-poll pulls up to 30s,
//     connection readers up to 2 minutes) are the client's, and the tests
//     ignore them in goleak by name, with that issue in the comment.
//   - A rebalance that runs into Shutdown can send a heartbeat on a new
//     connection after Shutdown closed the old ones, and the broker then
//     keeps the closed member in the group for about two minutes, its
//     queues unconsumed. While a subscription closes its allocation
//     strategy keeps the queues as they are (no change, no heartbeat), and
//     Close waits up to 300ms for a rebalance that just changed them.
//   - Shutdown writes a flag the client's goroutines read without
//     synchronisation (upstream #1115): the transport finishes its own
//     calls into a client before shutting it down, and orders the
//     consumer's rebalances before it through the allocation strategy, so
//     `go test -race` stays clean.
//   - Two consumers of one group in one process need distinct instance
//     names: every subscription has its own.
//   - CreateTopic reports success regardless (#1121): the route is checked.
//   - The client cannot store an empty body, drops empty property values
//     and mangles non-UTF-8 properties: see "Keys and headers".
//   - Name servers must be IP addresses: Open resolves host names.
//   - When a queue leaves a member the client forgets the member's other
//     queues' offsets until their next acknowledgement; a queue that sees
//     none before it moves too is read again from its last commit (more
//     duplicates after a rebalance, nothing lost).
//   - A pull that Seek stopped moves the client's offset of its queue to
//     the queue's end when its long poll returns empty while none of its
//     messages are pending (all acknowledged). The subscription sets the
//     offset back before each commit of its own, but the client's own
//     commit (every 5s) can write the moved offset first: after a Seek
//     backward past acknowledged messages, a member that dies in that
//     moment leaves its group past them. A Seek forward, or backward over
//     messages not acknowledged (what exactly-once sinks do), is not
//     affected.
//   - A residual race inside the client remains: a pull result arriving at
//     the very moment of Shutdown can be sent on a closed channel and panic
//     in a goroutine the client does not guard. It needs a pull to complete
//     within microseconds of Shutdown; the transport cannot reach it.
package rocketmq
