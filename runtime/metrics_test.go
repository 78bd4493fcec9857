package runtime_test

import (
	"context"
	"errors"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// point is one data point of a metric, with its attributes.
type point struct {
	attrs attribute.Set
	value int64
}

func collect(t *testing.T, reader *sdkmetric.ManualReader) (map[string][]point, []string) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string][]point{}
	var versions []string
	for _, sm := range rm.ScopeMetrics {
		versions = append(versions, sm.Scope.Version)
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out[m.Name] = append(out[m.Name], point{p.Attributes, p.Value})
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					out[m.Name] = append(out[m.Name], point{p.Attributes, p.Value})
				}
			}
		}
	}
	return out, versions
}

func sum(ps []point, match func(attribute.Set) bool) int64 {
	var n int64
	for _, p := range ps {
		if match == nil || match(p.attrs) {
			n += p.value
		}
	}
	return n
}

func attrIs(key, value string) func(attribute.Set) bool {
	return func(s attribute.Set) bool {
		v, ok := s.Value(attribute.Key(key))
		return ok && v.AsString() == value
	}
}

// The counters count what the package doc says: a record whose flush
// failed twice and then arrived is retried, not failed; every measurement
// says source or sink; the gauges show task states and sink lag; sink spans
// link to the source spans of their records.
func TestMetricsTable(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	defer tp.Shutdown(context.Background())

	broker := memory.New(memory.WithDefaultQueues(1))
	defer broker.Close()
	col := connecttest.NewCollector()
	col.FailFlush(2, connect.Retriable(errors.New("target busy")))
	slow := &slowFlushSink{delay: 2 * time.Second, flushing: make(chan struct{})}
	rt := startRuntime(t, runtime.WithMeterProvider(mp), runtime.WithTracerProvider(tp), runtime.WithTransport(broker),
		runtime.WithPlugin("gen", func() connect.Connector { return connecttest.NewGenerator(seqRecord("m", 5), 20) }),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }),
		runtime.WithPlugin("slow", func() connect.Connector { return slow }))
	create(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": "m"})
	create(t, rt, "src", connect.Config{"connector.class": "gen"})
	waitCollected(t, col, 20, 10*time.Second)

	publishGood(t, broker, "lagging", "1", "2", "3", "4", "5", "6", "7")
	create(t, rt, "slow", connect.Config{"connector.class": "slow", "topics": "lagging"})
	select {
	case <-slow.flushing:
	case <-time.After(10 * time.Second):
		t.Fatal("slow sink never flushed")
	}

	var got map[string][]point
	var versions []string
	eventually(t, 5*time.Second, "every record put", func() bool {
		got, versions = collect(t, reader)
		return sum(got["connect.sink.records.put"], attrIs("connect.connector.name", "sink")) == 20
	})
	src, sink := attrIs("connect.connector.type", "source"), attrIs("connect.connector.type", "sink")
	for name, want := range map[string]int64{
		"connect.source.records.polled":  20,
		"messaging.client.sent.messages": 20,
		"connect.records.failed":         0,
	} {
		if n := sum(got[name], src); n != want {
			t.Errorf("%s{source} = %d, want %d", name, n, want)
		}
	}
	if n := sum(got["connect.records.failed"], nil); n != 0 {
		t.Errorf("connect.records.failed = %d for records that all arrived", n)
	}
	if n := sum(got["connect.records.retried"], sink); n < 20 {
		t.Errorf("connect.records.retried{sink} = %d, want at least 20 (two failed flushes)", n)
	}
	if n := sum(got["connect.task.errors"], attrIs("connect.operation", "flush")); n != 2 {
		t.Errorf("connect.task.errors{flush} = %d, want 2", n)
	}
	if n := sum(got["messaging.client.consumed.messages"], attrIs("messaging.system", "memory")); n < 20 {
		t.Errorf("messaging.client.consumed.messages{memory} = %d, want at least 20", n)
	}
	if n := sum(got["connect.tasks"], func(s attribute.Set) bool {
		return attrIs("connect.connector.name", "src")(s) && attrIs("connect.task.state", "RUNNING")(s)
	}); n != 1 {
		t.Errorf("connect.tasks{src, RUNNING} = %d, want 1", n)
	}
	if n := sum(got["connect.sink.lag"], attrIs("connect.connector.name", "slow")); n != 7 {
		t.Errorf("connect.sink.lag{slow} = %d, want 7 while its flush runs", n)
	}
	if n := sum(got["connect.sink.lag"], attrIs("connect.connector.name", "sink")); n != 0 {
		t.Errorf("connect.sink.lag{sink} = %d, want 0", n)
	}
	for _, v := range versions {
		if v == "" {
			t.Errorf("instrumentation scope without a version")
		}
	}

	// Sink batch spans link to the source batch spans of their records.
	sources := map[string]bool{}
	linked := false
	for _, s := range spans.Ended() {
		if s.Name() == "connect.source.batch" {
			sources[s.SpanContext().SpanID().String()] = true
		}
	}
	for _, s := range spans.Ended() {
		if s.Name() != "connect.sink.batch" {
			continue
		}
		for _, l := range s.Links() {
			if sources[l.SpanContext.SpanID().String()] {
				linked = true
			}
		}
	}
	if !linked {
		t.Error("no sink span links to a source span")
	}
}
