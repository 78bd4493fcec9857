package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/openmessaging/connect-go/offset"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/runtime/rest"
)

// Files in the data directory.
const (
	connectorsFile = "connectors.json"
	offsetsFile    = "offsets.json"
)

func main() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	os.Exit(run(os.Args[1:], os.Getenv, os.Stderr, sigs))
}

// run runs the worker until a signal arrives on sigs, then shuts it down
// gracefully; a second signal makes it return at once. It returns the exit
// code: 0 after a clean shutdown, 1 on failure, 2 for bad usage.
func run(args []string, getenv func(string) string, stderr io.Writer, sigs <-chan os.Signal) int {
	cfg, err := loadConfig(args, getenv, stderr)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "connectd:", err)
		return 2
	}
	log := newLogger(cfg, stderr)
	w, err := startWorker(cfg, log)
	if err != nil {
		log.Error("start failed", "error", err)
		return 1
	}

	var code int
	select {
	case sig := <-sigs:
		log.Info("shutting down", "signal", sig.String(), "timeout", cfg.ShutdownTimeout)
	case err := <-w.serveErr:
		log.Error("REST server failed; shutting down", "error", err)
		code = 1
	}
	done := make(chan error, 1)
	go func() { done <- w.shutdown(cfg.ShutdownTimeout) }()
	select {
	case err := <-done:
		if err != nil {
			log.Error("shutdown incomplete", "error", err)
			return 1
		}
		log.Info("stopped")
		return code
	case sig := <-sigs:
		log.Error("second signal; exiting at once without completing the shutdown", "signal", sig.String())
		return 1
	}
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
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

func startWorker(cfg config, log *slog.Logger) (_ *worker, err error) {
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

	opts := append([]runtime.Option{
		runtime.WithLogger(log),
		runtime.WithMeterProvider(mp),
		runtime.WithWorkerID(workerID),
		runtime.WithOffsetStore(offsets),
		runtime.WithConnectorStore(runtime.NewFileConnectorStore(filepath.Join(cfg.DataDir, connectorsFile))),
		runtime.WithShutdownTimeout(cfg.ShutdownTimeout),
		runtime.WithTransport(transport),
	}, plugins()...)
	rt := runtime.New(opts...)
	// Not a signal ctx: shutdown is driven by run, with its own deadline.
	if err := rt.Start(context.Background()); err != nil {
		return nil, err
	}
	w.rt = rt

	w.srv = &http.Server{
		Handler: rest.NewHandler(rt,
			rest.WithAuthToken(cfg.AuthToken),
			rest.WithRoute("GET /metrics", metrics),
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
	if cfg.AuthToken == "" && !isLoopback(w.addr) {
		log.Warn("the REST API is reachable from the network without authentication; set --auth-token", "addr", w.addr.String())
	}
	log.Info("listening", "addr", w.addr.String(), "data_dir", cfg.DataDir, "worker", rt.WorkerID(), "plugins", rt.Plugins())
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

// close releases what startWorker acquired, last acquired first.
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
