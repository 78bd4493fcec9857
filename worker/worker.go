package worker

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/openmessaging/connect-go/loglevels"
	"github.com/openmessaging/connect-go/offset"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/runtime/rest"
)

// Files in the data directory.
const (
	connectorsFile = "connectors.json"
	offsetsFile    = "offsets.json"
)

// ErrUsage is matched by the error Run returns for bad flags, environment
// variables or config file (errors.Is); Main exits with code 2 on it.
var ErrUsage = errors.New("worker: bad usage")

// ErrInterrupted is returned by Run when a second signal cut the graceful
// shutdown short: offsets stay as last committed, and some of the worker's
// goroutines may still run. The caller should exit.
var ErrInterrupted = errors.New("worker: interrupted during shutdown")

type usageError struct{ err error }

func (e usageError) Error() string   { return e.err.Error() }
func (e usageError) Unwrap() []error { return []error{ErrUsage, e.err} }

// Main runs the worker with the process's arguments and environment until
// SIGINT or SIGTERM, then exits: code 0 after a clean shutdown or -h, 1 on
// failure, 2 for bad usage. It is the whole main function of connectd and
// of an application's own worker:
//
//	func main() {
//		worker.Main(worker.WithPlugin("MySource", func() connect.Connector { return mysource.New() }))
//	}
func Main(opts ...Option) {
	os.Exit(exitCode(Run(context.Background(), os.Args[1:], opts...)))
}

func exitCode(err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, ErrUsage):
		return 2
	default:
		return 1
	}
}

// Run runs a worker configured by args (the command line without the
// program name), the CONNECTD_ environment variables and the config file
// they name, as the package documentation describes. It returns once the
// worker stopped: after ctx is done or SIGINT or SIGTERM arrived, it shuts
// down gracefully within --shutdown-timeout and returns nil if everything
// stopped in time. A signal during the shutdown makes it return
// ErrInterrupted at once.
//
// Run reports on its output (WithOutput) everything it returns: usage and
// bad settings before the logger exists, then log lines. Its error is for
// the exit code: flag.ErrHelp after -h, an ErrUsage for bad settings,
// another error when the worker failed to start, its REST server failed or
// the shutdown was incomplete.
func Run(ctx context.Context, args []string, opts ...Option) error {
	o := defaultOptions()
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	sigs := o.signals
	if sigs == nil {
		// Buffered for two: the second one cuts the shutdown short.
		ch := make(chan os.Signal, 2)
		signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
		defer signal.Stop(ch)
		sigs = ch
	}
	plugins, replaced := o.allPlugins()

	cfg, err := loadConfig(args, o.getenv, o.output, usage{o.name, o.version, slices.Sorted(maps.Keys(plugins))})
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if err != nil {
		fmt.Fprintf(o.output, "%s: %v\n", o.name, err)
		return usageError{err}
	}
	log, levels := newLogger(cfg, o.output)
	for _, name := range replaced {
		log.Info("plugin replaces the built-in of the same name", "plugin", name)
	}
	w, err := start(cfg, &o, plugins, log, levels)
	if err != nil {
		log.Error("start failed", "error", err)
		return fmt.Errorf("worker: start: %w", err)
	}
	if o.ready != nil {
		o.ready(w.addr)
	}

	var failed error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "reason", context.Cause(ctx).Error(), "timeout", cfg.ShutdownTimeout)
	case sig := <-sigs:
		log.Info("shutting down", "signal", sig.String(), "timeout", cfg.ShutdownTimeout)
	case err := <-w.serveErr:
		log.Error("REST server failed; shutting down", "error", err)
		failed = fmt.Errorf("worker: REST server: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- w.shutdown(cfg.ShutdownTimeout) }()
	select {
	case err := <-done:
		if err != nil {
			log.Error("shutdown incomplete", "error", err)
			return errors.Join(failed, fmt.Errorf("worker: shutdown: %w", err))
		}
		log.Info("stopped")
		return failed
	case sig := <-sigs:
		log.Error("second signal; exiting at once without completing the shutdown", "signal", sig.String())
		return ErrInterrupted
	}
}

// allPlugins returns the plugins the worker runs and the names of the
// built-ins that WithPlugin replaced, sorted.
func (o *options) allPlugins() (plugins map[string]runtime.Factory, replaced []string) {
	plugins = make(map[string]runtime.Factory)
	if !o.noBuiltins {
		plugins = builtins()
	}
	for name, f := range o.plugins {
		if _, ok := plugins[name]; ok {
			replaced = append(replaced, name)
		}
		plugins[name] = f
	}
	if !o.noBuiltins {
		for alias, target := range aliases {
			if _, own := o.plugins[alias]; !own && plugins[target] != nil {
				plugins[alias] = plugins[target]
			}
		}
	}
	slices.Sort(replaced)
	return plugins, replaced
}

// newLogger returns the worker's logger, whose levels per logger name
// (root at --log-level) GET/PUT /admin/loggers change at run time.
func newLogger(cfg config, w io.Writer) (*slog.Logger, *loglevels.Levels) {
	opts := &slog.HandlerOptions{Level: loglevels.LevelTrace} // levels decides
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	levels := loglevels.New(h, cfg.LogLevel)
	return slog.New(levels.Handler()), levels
}

// worker is a started runtime and its REST server, and what shutting them
// down must close.
type worker struct {
	rt       *runtime.Runtime
	srv      *http.Server
	addr     net.Addr
	serveErr chan error
	closers  []func(ctx context.Context) error // run last to first, after the runtime stopped
}

func start(cfg config, o *options, plugins map[string]runtime.Factory, log *slog.Logger, levels *loglevels.Levels) (_ *worker, err error) {
	w := &worker{serveErr: make(chan error, 1)}
	defer func() {
		if err != nil {
			w.close(context.Background())
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	unlock, err := lockDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	w.closers = append(w.closers, func(context.Context) error { unlock(); return nil })

	offsets := offset.NewFile(filepath.Join(cfg.DataDir, offsetsFile))
	w.closers = append(w.closers, func(context.Context) error { return offsets.Close() })

	transport, closeTransport, err := newTransport(cfg, log)
	if err != nil {
		return nil, err
	}
	w.closers = append(w.closers, func(context.Context) error { return closeTransport() })

	mp, metrics, err := newMetrics(log)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	w.closers = append(w.closers, mp.Shutdown)

	// Listen before starting the runtime: the worker id defaults to the
	// host and port, as Kafka Connect's does. Connections wait in the
	// backlog until Serve.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	w.addr = ln.Addr()
	w.closers = append(w.closers, func(context.Context) error { ln.Close(); return nil })
	workerID := cfg.WorkerID
	if workerID == "" {
		host, _ := os.Hostname()
		workerID = net.JoinHostPort(host, strconv.Itoa(w.addr.(*net.TCPAddr).Port))
	}

	opts := []runtime.Option{
		runtime.WithLogger(log),
		runtime.WithMeterProvider(mp),
		runtime.WithWorkerID(workerID),
		runtime.WithShutdownTimeout(cfg.ShutdownTimeout),
		runtime.WithTransport(transport),
	}
	if cfg.ClusterID != "" {
		// Configs and positions live in the cluster's internal topics.
		opts = append(opts, runtime.WithCluster(cfg.ClusterID))
	} else {
		opts = append(opts, runtime.WithOffsetStore(offsets),
			runtime.WithConnectorStore(runtime.NewFileConnectorStore(filepath.Join(cfg.DataDir, connectorsFile))))
	}
	for name, f := range plugins {
		opts = append(opts, runtime.WithPlugin(name, f))
	}
	rt := runtime.New(append(opts, o.runtimeOpts...)...)
	// Not Run's ctx: shutdown is driven by Run, with its own deadline.
	if err := rt.Start(context.Background()); err != nil {
		return nil, err
	}
	w.rt = rt

	w.srv = &http.Server{
		Handler: rest.NewHandler(rt,
			rest.WithAuthToken(cfg.AuthToken),
			rest.WithBasicAuth(cfg.AuthBasicUser, cfg.AuthBasicPass),
			rest.WithLogLevels(levels),
			rest.WithRoute("GET /metrics", metrics),
			rest.WithRocketMQNameServers(splitAddrs(cfg.RocketMQNamesrv)...),
		),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		// Deleting or stopping a connector may take the shutdown timeout.
		WriteTimeout: cfg.ShutdownTimeout + time.Minute,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := w.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			w.serveErr <- err
		}
	}()
	if cfg.AuthToken == "" && cfg.AuthBasicUser == "" && !isLoopback(w.addr) {
		log.Warn("the REST API is reachable from the network without authentication; set --auth-token or --auth-basic", "addr", w.addr.String())
	}
	attrs := []any{"addr", w.addr.String(), "data_dir", cfg.DataDir, "worker", rt.WorkerID(), "plugins", rt.Plugins()}
	if o.version != "" {
		attrs = append(attrs, "version", o.version)
	}
	log.Info("listening", attrs...)
	return w, nil
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// shutdown stops taking requests, stops the runtime (tasks flush, sources
// commit their offsets) and closes the stores, within timeout.
func (w *worker) shutdown(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var errs []error
	// In-flight requests get a few seconds; the runtime needs the rest.
	hctx, hcancel := context.WithTimeout(ctx, min(5*time.Second, timeout/4))
	if err := w.srv.Shutdown(hctx); err != nil {
		w.srv.Close()
	}
	hcancel()
	if err := w.rt.Stop(ctx); err != nil {
		errs = append(errs, fmt.Errorf("stop runtime: %w", err))
	}
	w.rt = nil
	errs = append(errs, w.close(ctx))
	return errors.Join(errs...)
}

// close releases what start acquired, last acquired first.
func (w *worker) close(ctx context.Context) error {
	var errs []error
	if w.srv != nil {
		w.srv.Close()
	}
	if w.rt != nil {
		errs = append(errs, w.rt.Stop(ctx))
	}
	for i := len(w.closers) - 1; i >= 0; i-- {
		errs = append(errs, w.closers[i](ctx))
	}
	w.closers = nil
	return errors.Join(errs...)
}
