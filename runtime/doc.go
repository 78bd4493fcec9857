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
// (SettingsSpec, Kafka Connect's names): connector.class, tasks.max, topic
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
// # Sink tasks
//
// Every sink task of connector NAME joins the transport's consumer group
// "connect-NAME" on the connector's topics; the transport splits the
// topics' queues among the tasks. Each fetched batch goes convert -> Put ->
// Flush -> ack: nothing is acknowledged before the sink flushed it. When
// Put or Flush fail the batch is nacked and delivered again.
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
// # Telemetry
//
// Logs go to the *slog.Logger of WithLogger (silent by default). Metrics
// and spans go to the MeterProvider and TracerProvider options, or the
// global ones: counters connect.source.records.polled,
// connect.source.records.published, connect.sink.records.put,
// connect.records.failed, connect.records.retried,
// connect.records.deadlettered; histograms connect.batch.duration and
// connect.offset.commit.duration; a span per batch. Every measurement
// carries the connector and task attributes.
package runtime
