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
// errors.retry.timeout, errors.retry.delay.max, errors.log.enable.
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
// Flush -> ack: nothing is acknowledged before the sink flushed it. When
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
