package runtime

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

const scopeName = "github.com/openmessaging/connect-go/runtime"

// instruments are the runtime's metrics. One set per Runtime; attributes
// (connector, task) are bound per task in taskMetrics.
type instruments struct {
	polled       metric.Int64Counter
	published    metric.Int64Counter
	put          metric.Int64Counter
	failed       metric.Int64Counter
	retried      metric.Int64Counter
	deadLettered metric.Int64Counter
	batchSeconds metric.Float64Histogram
	commitSecs   metric.Float64Histogram
	tracer       trace.Tracer
}

func newInstruments(mp metric.MeterProvider, tp trace.TracerProvider) *instruments {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	m := mp.Meter(scopeName)
	in := &instruments{tracer: tp.Tracer(scopeName)}
	// Instrument creation only fails on invalid names, which are constants
	// here; the SDK still returns a working no-op instrument on error.
	in.polled, _ = m.Int64Counter("connect.source.records.polled", metric.WithUnit("{record}"),
		metric.WithDescription("Records returned by source tasks' Poll."))
	in.published, _ = m.Int64Counter("connect.source.records.published", metric.WithUnit("{record}"),
		metric.WithDescription("Records accepted by the transport."))
	in.put, _ = m.Int64Counter("connect.sink.records.put", metric.WithUnit("{record}"),
		metric.WithDescription("Records written by sink tasks and flushed."))
	in.failed, _ = m.Int64Counter("connect.records.failed", metric.WithUnit("{record}"),
		metric.WithDescription("Records that failed conversion or writing."))
	in.retried, _ = m.Int64Counter("connect.records.retried", metric.WithUnit("{record}"),
		metric.WithDescription("Records retried after a retriable error or a redelivery."))
	in.deadLettered, _ = m.Int64Counter("connect.records.deadlettered", metric.WithUnit("{record}"),
		metric.WithDescription("Records sent to a dead-letter topic."))
	in.batchSeconds, _ = m.Float64Histogram("connect.batch.duration", metric.WithUnit("s"), secondsBuckets,
		metric.WithDescription("Time to move one batch: poll to publish for sources, fetch to ack for sinks."))
	in.commitSecs, _ = m.Float64Histogram("connect.offset.commit.duration", metric.WithUnit("s"), secondsBuckets,
		metric.WithDescription("Time to write source positions to the offset store."))
	return in
}

// secondsBuckets suit batch and commit latencies, from 100µs to 10s (the
// SDK's default buckets are made for milliseconds).
var secondsBuckets = metric.WithExplicitBucketBoundaries(
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

// taskMetrics binds the instruments to one task's attributes, computed once.
type taskMetrics struct {
	*instruments
	attrs metric.MeasurementOption
	kv    []attribute.KeyValue
}

func (in *instruments) forTask(connector string, id int) taskMetrics {
	kv := []attribute.KeyValue{attribute.String("connector", connector), attribute.Int("task", id)}
	return taskMetrics{instruments: in, attrs: metric.WithAttributeSet(attribute.NewSet(kv...)), kv: kv}
}
