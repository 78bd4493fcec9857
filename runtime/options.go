package runtime

import (
	"log/slog"
	goruntime "runtime"
	"time"

	connect "github.com/openmessaging/connect-go"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Option configures a Runtime. Options are applied in order by New; nil
// arguments are ignored, so the default stays.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// Factory makes a new, unstarted connector value: a connect.SourceConnector
// or a connect.SinkConnector. It is called once per connector instance (and
// again on restart).
type Factory func() connect.Connector

type config struct {
	transport      connect.MessageTransport
	offsets        connect.OffsetStore
	converter      connect.Converter
	plugins        map[string]Factory
	transforms     map[string]TransformFactory
	predicates     map[string]PredicateFactory
	logger         *slog.Logger
	meterProvider  metric.MeterProvider
	tracerProvider trace.TracerProvider
	workerID       string
	connectorStore ConnectorStore
	cluster        *clusterConfig

	offsetFlushInterval time.Duration
	restartInitial      time.Duration
	restartMax          time.Duration
	shutdownTimeout     time.Duration
	pipelineDepth       int
	converters          int
}

func defaultConfig() config {
	return config{
		plugins:             make(map[string]Factory),
		transforms:          builtinTransforms(),
		predicates:          builtinPredicates(),
		logger:              slog.New(slog.DiscardHandler),
		offsetFlushInterval: time.Second,
		restartInitial:      500 * time.Millisecond,
		restartMax:          time.Minute,
		shutdownTimeout:     30 * time.Second,
		pipelineDepth:       4,
		converters:          min(goruntime.GOMAXPROCS(0), 4),
	}
}

// WithTransport sets the message transport. Default: a new in-process
// broker (transport/memory), closed by Stop. A transport handed in here is
// the caller's: Stop does not close it, so several runtimes can share one.
func WithTransport(t connect.MessageTransport) Option {
	return optionFunc(func(c *config) {
		if t != nil {
			c.transport = t
		}
	})
}

// WithOffsetStore sets where source positions are stored. Default: an
// in-memory store, gone with the process (use offset.NewFile to survive
// restarts). A store handed in here is the caller's: Stop does not close it.
func WithOffsetStore(s connect.OffsetStore) Option {
	return optionFunc(func(c *config) {
		if s != nil {
			c.offsets = s
		}
	})
}

// WithConverter sets the converter between records and messages. Default:
// converter.NewJSON().
func WithConverter(cv connect.Converter) Option {
	return optionFunc(func(c *config) {
		if cv != nil {
			c.converter = cv
		}
	})
}

// WithPlugin registers a connector plugin under name; a connector's
// "connector.class" setting picks it. There is no global registry: every
// plugin a runtime can run is handed to it here. Registering a name twice
// keeps the last factory.
func WithPlugin(name string, f Factory) Option {
	return optionFunc(func(c *config) {
		if name != "" && f != nil {
			c.plugins[name] = f
		}
	})
}

// WithLogger sets the logger. Default: silence.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) {
		if l != nil {
			c.logger = l
		}
	})
}

// WithMeterProvider sets where metrics go. Default: the global
// MeterProvider (otel.GetMeterProvider) at New time.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) {
		if mp != nil {
			c.meterProvider = mp
		}
	})
}

// WithTracerProvider sets where spans go. Default: the global
// TracerProvider (otel.GetTracerProvider) at New time.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) {
		if tp != nil {
			c.tracerProvider = tp
		}
	})
}

// WithWorkerID names this worker in statuses. Default: host name and
// process id.
func WithWorkerID(id string) Option {
	return optionFunc(func(c *config) {
		if id != "" {
			c.workerID = id
		}
	})
}

// WithOffsetFlushInterval sets how often source positions are written to the
// offset store (they are also written on graceful stop). A crash replays at
// most about this much data. It is also how often a sink task that holds
// records back (connect.PreCommitter) is asked again while no records
// come. Default: 1s.
func WithOffsetFlushInterval(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.offsetFlushInterval = d
		}
	})
}

// WithRestartBackoff sets the exponential backoff between automatic
// restarts of a failed task: the first delay and the cap. Defaults: 500ms
// and 1m.
func WithRestartBackoff(initial, max time.Duration) Option {
	return optionFunc(func(c *config) {
		if initial > 0 {
			c.restartInitial = initial
		}
		if max > 0 {
			c.restartMax = max
		}
	})
}

// WithShutdownTimeout bounds the graceful shutdown started by cancelling
// Start's ctx (Stop uses its own ctx). Default: 30s.
func WithShutdownTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.shutdownTimeout = d
		}
	})
}
