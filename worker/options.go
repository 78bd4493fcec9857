package worker

import (
	"io"
	"net"
	"os"

	"github.com/openmessaging/connect-go/runtime"
)

// Option configures Run and Main. Options apply in order; nil arguments
// are ignored, so the default stays.
type Option interface {
	apply(*options)
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	name, version string
	noBuiltins    bool
	plugins       map[string]runtime.Factory
	runtimeOpts   []runtime.Option
	output        io.Writer
	ready         func(net.Addr)

	// Replaced by tests only: the environment, and the signals that stop
	// the worker (nil: SIGINT and SIGTERM).
	getenv  func(string) string
	signals <-chan os.Signal
}

func defaultOptions() options {
	return options{
		name:    "connectd",
		plugins: make(map[string]runtime.Factory),
		output:  os.Stderr,
		getenv:  os.Getenv,
	}
}

// WithPlugin adds a connector plugin under name, the value of a
// connector's connector.class. It is listed by GET /connector-plugins and
// in -h next to the built-in ones. A name of a built-in (FileStreamSource,
// FileStreamSink, MySQLSource) replaces the built-in, so that a patched
// build of it can take its place without changing connector configs; the
// worker logs the replacement at start. Adding a name twice keeps the last
// factory. Default: the built-ins only.
func WithPlugin(name string, f runtime.Factory) Option {
	return optionFunc(func(o *options) {
		if name != "" && f != nil {
			o.plugins[name] = f
		}
	})
}

// WithoutBuiltins leaves out the built-in plugins: the worker runs only
// those added with WithPlugin. Default: built-ins included.
func WithoutBuiltins() Option {
	return optionFunc(func(o *options) { o.noBuiltins = true })
}

// WithRuntimeOptions adds options for the runtime (converter, offset flush
// interval, restart backoff, tracer provider, ...). They apply after the
// ones the worker derives from its settings (logger, meter provider, worker
// id, offset and connector stores, transport, shutdown timeout), so they
// override them: a transport given here replaces the one --rocketmq-namesrv
// selects, and is the caller's to close. Default: none.
func WithRuntimeOptions(opts ...runtime.Option) Option {
	return optionFunc(func(o *options) {
		for _, ro := range opts {
			if ro != nil {
				o.runtimeOpts = append(o.runtimeOpts, ro)
			}
		}
	})
}

// WithName sets the program name shown by -h and in usage errors.
// Environment variables keep their CONNECTD_ names whatever the name, so
// that deployment scripts work with every build. Default: "connectd".
func WithName(name string) Option {
	return optionFunc(func(o *options) {
		if name != "" {
			o.name = name
		}
	})
}

// WithVersion sets the program version shown by -h and logged at start.
// Default: none.
func WithVersion(v string) Option {
	return optionFunc(func(o *options) { o.version = v })
}

// WithOutput sets where usage, errors and logs go. Default: os.Stderr.
func WithOutput(w io.Writer) Option {
	return optionFunc(func(o *options) {
		if w != nil {
			o.output = w
		}
	})
}

// WithReady sets a function Run calls once the worker serves its REST API,
// with the address it listens on (useful with --listen 127.0.0.1:0). It is
// called on Run's goroutine, which waits for stop requests only once it
// returned: it should return promptly. Default: none.
func WithReady(f func(addr net.Addr)) Option {
	return optionFunc(func(o *options) {
		if f != nil {
			o.ready = f
		}
	})
}
