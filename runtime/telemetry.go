package runtime

import (
	"context"
	"path"
	"reflect"

	connect "github.com/openmessaging/connect-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

const scopeName = "github.com/openmessaging/connect-go/runtime"

// Attribute keys of every measurement.
const (
	attrConnector = "connect.connector.name"
	attrTask      = "connect.task.id"
	attrType      = "connect.connector.type" // source or sink
	attrState     = "connect.task.state"
	attrOperation = "connect.operation" // poll, publish, fetch, put, flush, ack, offset.commit
	attrSystem    = "messaging.system"  // the transport: memory, rocketmq
)

// instruments are the runtime's metrics (the table in the package doc).
// One set per Runtime; attributes are bound per task in taskMetrics.
type instruments struct {
	polled       metric.Int64Counter
	published    metric.Int64Counter
	consumed     metric.Int64Counter
	put          metric.Int64Counter
	failed       metric.Int64Counter
	retried      metric.Int64Counter
	deadLettered metric.Int64Counter
	errors       metric.Int64Counter
	restarts     metric.Int64Counter
	batchSeconds metric.Float64Histogram
	commitSecs   metric.Float64Histogram
	tasks        metric.Int64ObservableGauge
	lag          metric.Int64ObservableGauge
	tracer       trace.Tracer
	meter        metric.Meter
	system       attribute.KeyValue
}

func newInstruments(mp metric.MeterProvider, tp trace.TracerProvider, transport connect.MessageTransport) *instruments {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	version, _ := Version()
	m := mp.Meter(scopeName, metric.WithInstrumentationVersion(version))
	in := &instruments{
		tracer: tp.Tracer(scopeName, trace.WithInstrumentationVersion(version)),
		meter:  m,
		system: attribute.String(attrSystem, transportSystem(transport)),
	}
	// Instrument creation only fails on invalid names, which are constants
	// here; the SDK still returns a working no-op instrument on error.
	in.polled, _ = m.Int64Counter("connect.source.records.polled", metric.WithUnit("{record}"),
		metric.WithDescription("Records returned by source tasks' Poll, also those returned with an error."))
	in.published, _ = m.Int64Counter("messaging.client.sent.messages", metric.WithUnit("{message}"),
		metric.WithDescription("Source records the transport accepted, each once (publish retries are not counted again)."))
	in.consumed, _ = m.Int64Counter("messaging.client.consumed.messages", metric.WithUnit("{message}"),
		metric.WithDescription("Messages the transport delivered to sink tasks, redeliveries included."))
	in.put, _ = m.Int64Counter("connect.sink.records.put", metric.WithUnit("{record}"),
		metric.WithDescription("Records sink tasks wrote and flushed, counted once per successful flush."))
	in.failed, _ = m.Int64Counter("connect.records.failed", metric.WithUnit("{record}"),
		metric.WithDescription("Records that failed conversion or writing for good, each once: dead-lettered, only logged, or failing the task."))
	in.retried, _ = m.Int64Counter("connect.records.retried", metric.WithUnit("{record}"),
		metric.WithDescription("Records handed over again after a retriable error: a batch of 10 retried twice counts 20."))
	in.deadLettered, _ = m.Int64Counter("connect.records.deadlettered", metric.WithUnit("{record}"),
		metric.WithDescription("Records sent to a dead-letter topic."))
	in.errors, _ = m.Int64Counter("connect.task.errors", metric.WithUnit("{error}"),
		metric.WithDescription("Errors of task operations (connect.operation), retried or not."))
	in.restarts, _ = m.Int64Counter("connect.task.restarts", metric.WithUnit("{restart}"),
		metric.WithDescription("Automatic restarts of failed tasks."))
	in.batchSeconds, _ = m.Float64Histogram("connect.batch.duration", metric.WithUnit("s"), secondsBuckets,
		metric.WithDescription("Time to move one batch: poll to publish for sources, fetch to ack for sinks."))
	in.commitSecs, _ = m.Float64Histogram("connect.offset.commit.duration", metric.WithUnit("s"), secondsBuckets,
		metric.WithDescription("Time to write source positions to the offset store."))
	in.tasks, _ = m.Int64ObservableGauge("connect.tasks", metric.WithUnit("{task}"),
		metric.WithDescription("Tasks of each connector by state (connect.task.state)."))
	in.lag, _ = m.Int64ObservableGauge("connect.sink.lag", metric.WithUnit("{message}"),
		metric.WithDescription("Messages on a sink connector's topics its consumer group has not acknowledged."))
	return in
}

// transportSystem names a transport for messaging.system: the last element
// of its package path (memory, rocketmq).
func transportSystem(tr connect.MessageTransport) string {
	t := reflect.TypeOf(tr)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.PkgPath() == "" {
		return "unknown"
	}
	return path.Base(t.PkgPath())
}

// observe registers the callback of the gauges, which reads the
// connectors' views; the returned func unregisters it.
func (rt *Runtime) observeGauges() func() {
	in := rt.inst
	reg, err := in.meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		rt.mu.Lock()
		runners := make([]*connectorRunner, 0, len(rt.connectors))
		for _, c := range rt.connectors {
			runners = append(runners, c)
		}
		rt.mu.Unlock()
		for _, c := range runners {
			st := c.status()
			byState := map[connect.State]int64{}
			for _, ts := range st.Tasks {
				byState[ts.State]++
			}
			base := []attribute.KeyValue{attribute.String(attrConnector, c.name), attribute.String(attrType, string(st.Type))}
			for s, n := range byState {
				o.ObserveInt64(in.tasks, n, metric.WithAttributes(append(base, attribute.String(attrState, string(s)))...))
			}
			if st.Type == connect.TypeSink {
				if lag, ok := rt.sinkLag(c); ok {
					o.ObserveInt64(in.lag, lag, metric.WithAttributes(append(base, in.system)...))
				}
			}
		}
		return nil
	}, in.tasks, in.lag)
	if err != nil {
		rt.log.Warn("metrics: register gauges", "error", err)
		return func() {}
	}
	return func() { _ = reg.Unregister() }
}

// sinkLag is how many messages the sink connector's group has not
// acknowledged, from the transport (connect.GroupLagger) or, failing that,
// from its tasks' subscriptions (connect.SubscriptionLagger).
func (rt *Runtime) sinkLag(c *connectorRunner) (int64, bool) {
	v := c.view.Load()
	if l, ok := rt.transport.(lagger); ok {
		return l.Lag(sinkGroup(c.name), v.topics...), true
	}
	var sum int64
	found := false
	for _, t := range v.tasks {
		if sub := t.sub.Load(); sub != nil {
			if l, ok := (*sub).(subscriptionLagger); ok {
				sum += l.Lag()
				found = true
			}
		}
	}
	return sum, found
}

// subscriptionLagger is implemented by subscriptions that know how far
// their member is behind on the queues it owns (transport/rocketmq).
type subscriptionLagger interface {
	Lag() int64
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

func (in *instruments) forTask(connector string, id int, kind connect.ConnectorType) taskMetrics {
	kv := []attribute.KeyValue{attribute.String(attrConnector, connector), attribute.Int(attrTask, id),
		attribute.String(attrType, string(kind)), in.system}
	return taskMetrics{instruments: in, attrs: metric.WithAttributeSet(attribute.NewSet(kv...)), kv: kv}
}

// error counts a failed operation of the task.
func (m taskMetrics) error(ctx context.Context, op string) {
	m.errors.Add(ctx, 1, metric.WithAttributes(append(m.kv[:len(m.kv):len(m.kv)], attribute.String(attrOperation, op))...))
}

// traceContext carries span contexts in message headers (W3C traceparent),
// so that a sink's batch span links to the source spans of its records.
var traceContext = propagation.TraceContext{}

// injectTrace writes span's context into the headers of msgs, when the
// span is recorded.
func injectTrace(span trace.Span, msgs []*connect.Message) {
	sc := span.SpanContext()
	if !sc.IsValid() {
		return
	}
	ctx := trace.ContextWithSpanContext(context.Background(), sc)
	var carrier propagation.MapCarrier = map[string]string{}
	traceContext.Inject(ctx, carrier)
	for _, m := range msgs {
		if m.Headers == nil {
			m.Headers = connect.Headers{}
		}
		for k, v := range carrier {
			m.Headers[k] = v
		}
	}
}

// traceLinks returns a link to every distinct span context found in the
// headers of msgs.
func traceLinks(msgs []*connect.Message) []trace.Link {
	var links []trace.Link
	seen := map[string]bool{}
	for _, m := range msgs {
		tp := m.Headers.Get("traceparent")
		if tp == "" || seen[tp] {
			continue
		}
		seen[tp] = true
		ctx := traceContext.Extract(context.Background(), propagation.MapCarrier{"traceparent": tp, "tracestate": m.Headers.Get("tracestate")})
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			links = append(links, trace.Link{SpanContext: sc})
		}
	}
	return links
}
