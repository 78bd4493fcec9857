// Package runtime runs connectors in-process: the worker of connect-go.
//
//	rt := runtime.New(
//		runtime.WithPlugin("file-source", func() connect.Connector { return filestream.NewSource() }),
//		runtime.WithOffsetStore(offset.NewFile("offsets.json")),
//	)
//	if err := rt.Start(ctx); err != nil { ... }
//	defer rt.Stop(context.Background())
//	err := rt.CreateConnector(ctx, "lines", connect.Config{"connector.class": "file-source", ...})
//
// # Defaults
//
// Everything has an embedded default: the in-process broker of
// transport/memory, the JSON converter and an in-memory offset store. The
// runtime closes only what it created; a transport or store handed in with
// an option belongs to the caller (so that several runtimes can share one
// broker). Plugins are handed in with WithPlugin: there is no global
// registry.
//
// # Connector settings
//
// Next to a plugin's own settings, a connector config carries the runtime's
// (Settings, Kafka Connect's names): connector.class, tasks.max, topic
// (sources: the topic of records that name none), topics (sinks),
// batch.size.max, errors.tolerance, errors.deadletterqueue.topic.name,
// errors.retry.timeout, errors.retry.delay.max (Kafka Connect's
// errors.retry.delay.max.ms; both take a duration or milliseconds, and
// errors.retry.timeout=-1 retries forever), errors.log.enable, and
// key.converter, value.converter and header.converter with their
// sub-settings (value.converter.schemas.enable). A connector that sets a
// converter gets its own (converter.FromConfig: Kafka's and RocketMQ
// Connect's class names; the worker's converter for a part it leaves out);
// one that sets none uses the worker's (WithConverter). An unknown
// converter or sub-setting is a field error, as is any Kafka Connect
// setting the runtime does not implement: none is ignored.
//
// # Source tasks
//
// A source task's records go poll -> convert -> publish in batches. Polling
// and converting overlap with publishing; a bounded queue between them
// makes a slow transport slow the source down. Each batch is tracked per
// source partition, and a position is committed to the offset store only
// when its record and every record before it in that partition were
// accepted by the transport. Positions are written every offset flush
// interval (WithOffsetFlushInterval) and on graceful stop; after a crash a
// task replays what was published since the last write (at-least-once).
//
// Records a Poll returns together with an error are delivered first; then
// the error is handled (retried when retriable, else the task fails). A
// record without a topic, from a connector whose config sets no "topic",
// fails the task once with that reason.
//
// With a transport that holds messages only in memory (transport/memory,
// the embedded default; connect.DeliveryTracker), "accepted by the
// transport" means consumed: a position is committed only once every
// consumer group of the record's topic acknowledged it, so a kill -9 while
// a sink lags or is paused replays what the broker held instead of losing
// it. A topic no group reads yet holds its records (and their positions)
// for the first sink that subscribes. A stopping source waits for its
// records to be consumed while a sink of this runtime reads its topics and
// makes progress, within the stop's deadline; what is left is replayed
// after a restart. Deleting a sink connector deletes its in-memory
// consumer group (connect.GroupDeleter), which would otherwise hold
// records back forever.
//
// # Sink tasks
//
// Every sink task of connector NAME joins the transport's consumer group
// "connect-NAME" on the connector's topics; the transport splits the
// topics' queues among the tasks. Each fetched batch goes convert -> Put ->
// Flush -> ack: nothing is acknowledged before the sink flushed it. The
// next batch is fetched and decoded while the current one goes through
// Put, Flush and ack; it is handed back (nacked) rather than put when the
// current one fails, the task asks for a seek, queues move, or the task is
// paused or stops. A task that implements connect.PreCommitter (Kafka's
// preCommit) is asked after each Flush which offsets may be acknowledged;
// the runtime holds the rest back, asks again every offset flush interval
// (WithOffsetFlushInterval) while no records come, and forgets what it
// held of a queue that moved or was sought (delivered again). When
// Put or Flush fail the batch is nacked and delivered again. A
// *connect.BatchError settles record by record: permanently failed records
// go to the dead-letter topic (or fail the task), once; if some failed
// with a retriable error, the batch without the permanently failed records
// is put again after a backoff.
//
// A graceful stop (Stop, StopConnector, a restart, a rebalance) stops
// fetching and lets the batch in flight finish Put, Flush and Ack within
// the stop's deadline, so it is neither lost nor delivered again. A
// connector paused while a fetch waited hands the fetched batch back
// (nack) instead of writing it.
//
// # Transforms
//
// A connector's transforms and predicates settings (transforms=a,b,
// transforms.a.type=..., transforms.a.predicate=p, transforms.a.negate,
// predicates=p, predicates.p.type=...: Kafka Connect's names) make a
// chain of connect.Transform values, built and configured once per task
// (and at validation, which names every bad setting under its full key).
// Sources apply it before conversion, in the converting goroutines;
// sinks after decoding. The types are package transforms' built-ins (Kafka
// Connect's and Debezium's class names, or the part after the last dot)
// and those registered with WithTransform and WithPredicate. A record a
// transform fails is retried while the error is retriable, then handled
// by errors.tolerance with stage TRANSFORMATION; a dropped record's
// position is committed like any other's. GET
// /connector-plugins?connectorsOnly=false lists the types.
//
// # Failures
//
// Errors marked connect.Retriable are retried with exponential backoff
// (cenkalti/backoff/v4) for up to errors.retry.timeout. Any other failure
// fails the task; unlike Kafka Connect, a failed task is restarted
// automatically with exponential backoff (WithRestartBackoff). While it
// waits its status is FAILED with the reason and the time of the next
// attempt, then RESTARTING while it starts again. A record that cannot be
// converted (or that a sink rejects with a connect.BatchError) fails the
// task under errors.tolerance=none; under errors.tolerance=all it goes to
// the dead-letter topic with the original bytes and error headers
// (HeaderErrorStage and friends, Kafka Connect's names), or, when no
// dead-letter topic is set, is logged and counted in
// connect.records.failed. A record is never dropped silently.
//
// # States
//
// Connector and task states follow Kafka Connect: RUNNING, PAUSED (tasks
// keep their resources but move no data), STOPPED (tasks shut down, config
// kept, offsets may be altered or reset), FAILED and RESTARTING.
//
// # Status and health
//
// Status, config and health reads never wait for plugin code or I/O: each
// connector publishes an immutable view with every change, and the
// runtime-wide lock is never held during I/O. Every call that changes a
// connector takes its ctx into account, also while waiting for another
// change of the same connector. A source task whose positions cannot be
// written to the offset store stays RUNNING, but its status carries
// offset_commit_error and offset_commit_failing_since, and Health (GET
// /health) says "degraded" with the reason. A change the connector store
// cannot persist fails with ErrUnavailable (HTTP 503) and is not applied.
//
// # Cluster mode
//
// With WithCluster, several runtimes on one transport share their
// connectors (cluster.go holds the code).
//
// # Cluster: topics
//
// A cluster keeps its state in four single-queue topics of the transport,
// named from the cluster id (WithClusterTopics overrides the names), that
// every worker reads from the oldest retained message with a broadcast
// reader, in the same order (internal/topiclog):
//
//	connect-<id>-configs   connector configs, target states, deletes, restart requests
//	connect-<id>-members   heartbeats, leaves and assignments
//	connect-<id>-status    connector and task statuses, per connector, from the worker running it
//	connect-<id>-offsets   source positions (offset.Topic)
//
// A worker reads the config and offsets topics to their end before Start
// returns. Every change made through any worker's API is a record in the
// configs topic; the call returns once this worker has applied it, so its
// own reads see it at once and other workers' within their read latency.
//
// # Cluster: membership, leader and assignment
//
// Every worker publishes a heartbeat every lease/6 (500 ms by default) with
// its id, an incarnation chosen at start, the newest assignment generation
// it has applied, the connectors it runs and the plugins it has. A worker
// is live while its last heartbeat was read less than the lease (3 s by
// default, WithClusterLease) ago; a worker that stops gracefully publishes
// a leave record and is gone at once. The leader is the live worker whose
// first heartbeat comes first in the topic: every worker reads the same
// order, so they agree on it without an election.
//
// The unit of assignment is the connector, with its tasks: a connector's
// instance and tasks run on one worker (task configs never cross workers,
// and a reconfiguration is local). The leader places each connector on a
// live worker that has its plugin (any worker when none has it; it then
// fails there naming the worker and the plugin), balanced (counts differ by
// at most one among the workers that can run them), sticky (a join or leave
// moves only what it must), and publishes the result as an assignment with generation g+1. The first
// assignment of a generation in the topic wins; later ones (a second
// leader racing) are ignored by everyone. A worker runs exactly the
// connectors the newest generation gives it.
//
// # Cluster: fencing: a connector never runs on two workers at once
//
// A move is two generations: the first revokes the connector from its old
// worker; the leader grants it to the new one only once every live worker
// has applied that generation (a worker reports a generation applied only
// after it stopped what the generation revoked) and no live worker's
// heartbeat reports it running. A worker that is gone (left, or not heard
// from for a lease) holds nothing.
//
// A worker that is partitioned, paused or slow must stop by itself before
// the others hand its connectors out. It measures its own lease from the
// send time of its own heartbeats: it runs connectors only while it has
// read back one of its own heartbeats sent less than L/2 ago (L the lease).
// The leader hands a worker's connectors out only when it read nothing from
// it for a whole lease. The argument, with H = L/6 the heartbeat interval
// and D the longest time a published message takes to reach every live
// reader: say the leader hands W's connectors out at time t while W still
// runs them. W read back a heartbeat it sent at s >= t - L/2. W sends a
// heartbeat every H, so one of them, sent at some s' with
// t - D - H < s' <= t - D, reached the leader by t, and s' > t - L when
// L > L/2 + D + H; so the leader did hear from W within the last lease: a
// contradiction. With the defaults (L = 3 s) this holds while the transport
// delivers within 1 s. Clocks need not be synchronised: every worker
// measures durations on its own monotonic clock, assumed to run at the
// same rate as the others' (drift is negligible over seconds).
//
// A worker whose lease lapsed stops every connector. When it reads its own
// heartbeats back again, it runs nothing until it reads an assignment
// published after that (its heartbeat asks the leader for one), so it never
// restarts from an assignment the others moved on from; a starting worker
// does the same. What no lease protects against, here as in every
// lease-based system without fencing tokens at the target, is a whole
// process frozen (a stop-the-world pause, a suspended VM) for longer than
// L/2 - D - H: its tasks resume for the moment it takes the worker to
// notice its lapsed lease.
//
// # Cluster: positions and statuses
//
// Source positions go to the offsets topic; before a connector starts on a
// worker, the worker reads that topic to its end, so a moved connector
// resumes from the last position its old worker committed. Statuses of
// the connectors a worker runs go to the status topic when they change and
// every few seconds; any worker answers status for the whole cluster from
// it, showing UNASSIGNED for a connector whose worker is gone.
//
// # Cluster: retention
//
// RocketMQ deletes messages after its retention (72 h by default). The
// leader re-publishes every connector's config record (and the deletes)
// every WithClusterSnapshotInterval (10 min by default), stamped with the
// topic offset of the record it copies, and the offsets store re-publishes
// its state likewise; a record never overrides a newer one, so a cluster
// left idle for a week starts with all its connectors and positions. On the
// in-memory transport the runtime limits the retention of its internal
// topics (connect.TopicRetention) so that they do not grow without bound.
//
// # Telemetry
//
// Logs go to the *slog.Logger of WithLogger (silent by default); each
// task logs "task started", "task failed" (with the error and restart_at),
// "task restarting" and "task stopped" at info (failures at error), with
// the connector and task attributes.
//
// Metrics and spans go to the MeterProvider and TracerProvider options, or
// the global ones, under the instrumentation scope
// github.com/openmessaging/connect-go/runtime with the module's version.
// OpenTelemetry's messaging names are used where they exist. Every
// measurement carries connect.connector.name, connect.task.id,
// connect.connector.type (source or sink) and messaging.system (the
// transport: memory, rocketmq); connectd exposes them to Prometheus under
// the names in the second column.
//
//	metric (unit)                           Prometheus                                 counts
//	connect.source.records.polled {record}  connect_source_records_polled_total        records Poll returned (also with an error)
//	messaging.client.sent.messages          messaging_client_sent_messages_total       source records the transport accepted, each once
//	messaging.client.consumed.messages      messaging_client_consumed_messages_total   messages delivered to sink tasks, redeliveries included
//	connect.sink.records.put {record}       connect_sink_records_put_total             records written and flushed, once per successful flush
//	connect.records.failed {record}         connect_records_failed_total               records that failed conversion or writing for good, each
//	                                                                                   once: dead-lettered, only logged, or failing the task
//	connect.records.deadlettered {record}   connect_records_deadlettered_total         records sent to a dead-letter topic
//	connect.records.retried {record}        connect_records_retried_total              records handed over again after a retriable error
//	                                                                                   (a batch of 10 retried twice counts 20)
//	connect.task.errors {error}             connect_task_errors_total                  failed operations by connect.operation: poll, publish,
//	                                                                                   fetch, put, flush, ack, offset.commit
//	connect.task.restarts {restart}         connect_task_restarts_total                automatic restarts of failed tasks
//	connect.tasks {task} (gauge)            connect_tasks                              tasks per connector by connect.task.state
//	connect.sink.lag {message} (gauge)      connect_sink_lag                           messages on a sink's topics its group has not acknowledged
//	connect.batch.duration (s)              connect_batch_duration_seconds             poll to publish (sources), fetch to ack (sinks)
//	connect.offset.commit.duration (s)      connect_offset_commit_duration_seconds     writing positions to the offset store
//
// Spans: connect.source.batch per published batch and connect.sink.batch
// per delivered batch. The source span's context travels in each message's
// traceparent header (W3C Trace Context), and a sink span links to the
// source spans of its records.
package runtime
