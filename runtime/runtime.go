package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/converter"
	"github.com/openmessaging/connect-go/offset"
	"github.com/openmessaging/connect-go/transport/memory"
)

// Runtime runs connectors in-process. Create it with New, start it with
// Start, manage connectors with its methods, and stop it with Stop (or by
// cancelling Start's ctx). Methods are safe for concurrent use.
type Runtime struct {
	cfg          config
	log          *slog.Logger
	inst         *instruments
	workerID     string
	transport    connect.MessageTransport
	offsets      connect.OffsetStore
	converter    connect.Converter
	ownTransport bool
	ownOffsets   bool

	// ctx is the parent of every task; cancelled by Stop after the graceful
	// shutdown (or at once by a crash).
	ctx    context.Context
	cancel context.CancelFunc
	// crashed is set by tests simulating a dead process (export_test.go):
	// tasks then stop without draining or committing.
	crashed atomic.Bool

	// mu guards the fields below; it is never held during I/O or plugin
	// calls.
	mu         sync.Mutex
	starting   bool
	started    bool
	stopped    bool
	connectors map[string]*connectorRunner
	creating   map[string]bool // names being persisted by CreateConnector
	topics     activeTopics
	// cl is the cluster coordination (WithCluster); nil when standalone.
	// In cluster mode, connectors holds what runs on this worker.
	cl        *cluster
	unwatch   func() bool // stops watching Start's ctx
	unobserve func()      // unregisters the metric gauges
	watchWG   sync.WaitGroup
}

// New returns a Runtime configured by opts. It does no I/O; problems with
// the options surface from Start.
func New(opts ...Option) *Runtime {
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	rt := &Runtime{cfg: cfg, log: cfg.logger, connectors: make(map[string]*connectorRunner), creating: make(map[string]bool)}
	rt.workerID = cfg.workerID
	if rt.workerID == "" {
		host, _ := os.Hostname()
		rt.workerID = host + ":" + strconv.Itoa(os.Getpid())
	}
	rt.log = rt.log.With("worker", rt.workerID)
	rt.transport, rt.offsets, rt.converter = cfg.transport, cfg.offsets, cfg.converter
	if rt.transport == nil {
		rt.transport, rt.ownTransport = memory.New(), true
	}
	rt.inst = newInstruments(cfg.meterProvider, cfg.tracerProvider, rt.transport)
	if rt.offsets == nil {
		rt.offsets, rt.ownOffsets = offset.NewMemory(), true
	}
	if rt.converter == nil {
		rt.converter = converter.NewJSON()
	}
	return rt
}

// WorkerID returns the id this runtime reports in statuses.
func (rt *Runtime) WorkerID() string { return rt.workerID }

// Start opens the transport and the offset store and returns once the
// runtime accepts connectors. It does not block. Cancelling ctx later shuts
// the runtime down gracefully, like Stop with the shutdown timeout.
func (rt *Runtime) Start(ctx context.Context) error {
	rt.mu.Lock()
	if rt.started || rt.starting {
		rt.mu.Unlock()
		return fmt.Errorf("runtime: start: %w", ErrAlreadyStarted)
	}
	rt.starting = true
	rt.mu.Unlock()

	// I/O happens without rt.mu, so that readers (status, health) answer
	// meanwhile.
	stored, err := rt.openAndLoad(ctx)
	var cl *cluster
	if err == nil && rt.cfg.cluster != nil {
		if cl, err = rt.startCluster(ctx); err != nil {
			rt.closeOwned()
		}
	}
	rt.mu.Lock()
	rt.starting = false
	if err != nil {
		rt.mu.Unlock()
		return err
	}
	rt.cl = cl
	rt.started = true
	rt.ctx, rt.cancel = context.WithCancel(context.WithoutCancel(ctx))
	rt.watchWG.Add(1)
	stopWatching := make(chan struct{})
	go func() {
		defer rt.watchWG.Done()
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), rt.cfg.shutdownTimeout)
			defer cancel()
			if err := rt.stop(sctx, false); err != nil {
				rt.log.Error("shutdown after context cancel", "error", err)
			}
		case <-stopWatching:
		}
	}()
	rt.unwatch = func() bool { close(stopWatching); return true }
	rt.unobserve = rt.observeGauges()
	restored := rt.restoreLocked(stored)
	rt.mu.Unlock()
	if cl != nil {
		cl.run()
	}

	// Connectors start outside rt.mu: a slow Connector.Start must not hold
	// the whole runtime up.
	for _, c := range restored {
		c.mu.lock()
		if c.usableLocked() == nil {
			c.startLocked(context.Background())
		}
		c.unlock()
	}
	rt.log.Info("runtime started")
	return nil
}

// openAndLoad opens the transport and the offset store and loads the
// stored connectors.
func (rt *Runtime) openAndLoad(ctx context.Context) ([]StoredConnector, error) {
	if err := rt.open(ctx); err != nil {
		return nil, err
	}
	cs := rt.cfg.connectorStore
	if cs == nil {
		return nil, nil
	}
	stored, err := cs.Load(ctx)
	if err != nil {
		rt.closeOwned()
		return nil, fmt.Errorf("runtime: start: %w", err)
	}
	return stored, nil
}

// open opens the transport and the offset store when they need it.
func (rt *Runtime) open(ctx context.Context) error {
	for _, c := range []any{rt.transport, rt.offsets} {
		if o, ok := c.(connect.Opener); ok {
			if err := o.Open(ctx); err != nil {
				rt.closeOwned()
				return fmt.Errorf("runtime: start: %w", err)
			}
		}
	}
	return nil
}

// closeOwned closes the transport and offset store the runtime created.
func (rt *Runtime) closeOwned() error {
	var errs []error
	if rt.ownTransport {
		errs = append(errs, rt.transport.Close())
	}
	if rt.ownOffsets {
		errs = append(errs, rt.offsets.Close())
	}
	return errors.Join(errs...)
}

// restoreLocked registers the connectors of the connector store, to be
// started by the caller. Only the runtime's and the plugin's specs are
// checked, not the plugin's own Validate (which may need a server that is
// down right now): a connector that cannot start shows FAILED and is
// retried with backoff, never dropped.
func (rt *Runtime) restoreLocked(stored []StoredConnector) []*connectorRunner {
	var out []*connectorRunner
	for _, sc := range stored {
		kind := rt.kindOf(sc.Config)
		target := connect.StateRunning
		if sc.Target == connect.StatePaused || sc.Target == connect.StateStopped {
			target = sc.Target
		}
		c := newConnectorRunner(rt, sc.Name, maps.Clone(sc.Config), kind, target)
		rt.connectors[sc.Name] = c
		out = append(out, c)
		rt.log.Info("connector restored", "connector", sc.Name, "target", target)
	}
	return out
}

// persist saves a connector's config and target state, when a connector
// store is configured.
func (rt *Runtime) persist(ctx context.Context, name string, cfg connect.Config, target connect.State) error {
	if rt.cfg.connectorStore == nil {
		return nil
	}
	if err := rt.cfg.connectorStore.Save(ctx, StoredConnector{Name: name, Config: cfg, Target: target}); err != nil {
		return fmt.Errorf("runtime: persist connector %q: %w: %w", name, ErrUnavailable, err)
	}
	return nil
}

// Stop stops every connector gracefully within ctx: tasks finish in-flight
// work, sources commit their positions, then the transport and offset store
// are closed if the runtime created them. Stop is idempotent.
func (rt *Runtime) Stop(ctx context.Context) error {
	err := rt.stop(ctx, true)
	rt.watchWG.Wait()
	return err
}

func (rt *Runtime) stop(ctx context.Context, unwatch bool) error {
	rt.mu.Lock()
	if !rt.started || rt.stopped {
		rt.mu.Unlock()
		return nil
	}
	rt.stopped = true
	if unwatch {
		rt.unwatch()
	}
	runners := slices.Collect(maps.Values(rt.connectors))
	rt.mu.Unlock()
	if rt.cl != nil {
		// No more changes from the cluster; heartbeats go on (reporting
		// what still runs) until everything here stopped.
		rt.cl.stopReconciling()
		rt.mu.Lock()
		runners = slices.Collect(maps.Values(rt.connectors))
		rt.mu.Unlock()
	}

	// Sources stop first, so that sinks can still consume what they
	// published; with the runtime's own in-memory broker, sinks then drain
	// it, since what it holds dies with it.
	var sources, sinks []*connectorRunner
	for _, c := range runners {
		if c.connectorKind() == connect.TypeSource {
			sources = append(sources, c)
		} else {
			sinks = append(sinks, c)
		}
	}
	errs := shutdownAll(ctx, sources)
	if rt.ownTransport {
		if err := rt.drain(ctx, sinks); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, shutdownAll(ctx, sinks)...)
	if rt.cl != nil {
		rt.mu.Lock()
		clear(rt.connectors)
		rt.mu.Unlock()
		rt.cl.leave(ctx)
	}
	rt.unobserve()
	rt.cancel()
	errs = append(errs, rt.closeOwned())
	rt.log.Info("runtime stopped")
	return errors.Join(errs...)
}

// shutdownAll shuts runners down in parallel.
func shutdownAll(ctx context.Context, runners []*connectorRunner) []error {
	var errs []error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.shutdown(ctx); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errs
}

// sinkRunningOn reports whether a sink connector of this runtime that
// consumes one of topics is running.
func (rt *Runtime) sinkRunningOn(topics []string) bool {
	rt.mu.Lock()
	runners := slices.Collect(maps.Values(rt.connectors))
	rt.mu.Unlock()
	for _, c := range runners {
		if c.connectorKind() != connect.TypeSink {
			continue
		}
		v := c.view.Load()
		if v.state != connect.StateRunning || v.target != connect.StateRunning {
			continue
		}
		for _, topic := range topics {
			if slices.Contains(v.topics, topic) {
				return true
			}
		}
	}
	return false
}

// lagger is implemented by transports that tell how far a consumer group
// is behind (transport/memory).
type lagger interface {
	Lag(group string, topics ...string) int64
}

// drain waits until the sinks consumed everything the transport holds for
// them, or ctx is done. Sinks that are not running (paused, stopped,
// failed) cannot drain: what they have not consumed dies with the
// runtime's in-memory broker, and since source positions are committed only
// once consumed, the sources of this runtime replay it after a restart.
func (rt *Runtime) drain(ctx context.Context, sinks []*connectorRunner) error {
	l, ok := rt.transport.(lagger)
	if !ok {
		return nil
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		var waiting int64
		var stuck []string
		for _, c := range sinks {
			v := c.view.Load()
			running := v.state == connect.StateRunning && v.target == connect.StateRunning
			topics := v.topics
			lag := l.Lag(sinkGroup(c.name), topics...)
			switch {
			case lag == 0:
			case running:
				waiting += lag
			default:
				stuck = append(stuck, fmt.Sprintf("%s (%d records on %v)", c.name, lag, topics))
			}
		}
		if waiting == 0 {
			if len(stuck) > 0 {
				rt.log.Warn("records left in the in-memory transport for sinks that are not running; their sources replay them after a restart", "sinks", stuck)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("runtime: stop: %d records left undelivered in the in-memory transport: %w", waiting, ctx.Err())
		case <-tick.C:
		}
	}
}

// clusterRunning is running for the cluster API, under rt.mu.
func (rt *Runtime) clusterRunning() error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.running()
}

func (rt *Runtime) running() error {
	if !rt.started {
		return fmt.Errorf("runtime: %w", ErrNotStarted)
	}
	if rt.stopped {
		return fmt.Errorf("runtime: %w", connect.ErrClosed)
	}
	return nil
}

// Plugins returns the registered plugin names, sorted.
func (rt *Runtime) Plugins() []string {
	names := slices.Collect(maps.Keys(rt.cfg.plugins))
	sort.Strings(names)
	return names
}

// PluginSpec returns the spec of a registered plugin, with the runtime's
// own settings appended to its config fields.
func (rt *Runtime) PluginSpec(plugin string) (connect.Spec, connect.ConnectorType, error) {
	f, ok := rt.cfg.plugins[plugin]
	if !ok {
		return connect.Spec{}, "", fmt.Errorf("runtime: plugin %q: %w", plugin, connect.ErrNotFound)
	}
	conn := f()
	spec := conn.Spec()
	spec.Config = slices.Clone(spec.Config)
	for _, f := range settingsSpec {
		// A plugin's own field of the same name (a source's topic) is the
		// one listed: no setting twice.
		if _, dup := spec.Config.Field(f.Name); !dup {
			spec.Config = append(spec.Config, f)
		}
	}
	return spec, connectorType(conn), nil
}

// Plugin returns a new instance of a registered plugin, never started, for
// its optional interfaces (connect.KafkaOffsets); the caller must not start
// it.
func (rt *Runtime) Plugin(plugin string) (connect.Connector, error) {
	f, ok := rt.cfg.plugins[plugin]
	if !ok {
		return nil, fmt.Errorf("runtime: plugin %q: %w", plugin, connect.ErrNotFound)
	}
	var conn connect.Connector
	err := safely("plugin factory", func() error { conn = f(); return nil })
	return conn, err
}

// kindOf returns the kind of connector cfg's plugin makes, or "" when this
// worker lacks the plugin.
func (rt *Runtime) kindOf(cfg connect.Config) connect.ConnectorType {
	f := rt.cfg.plugins[cfg[KeyConnectorClass]]
	if f == nil {
		return ""
	}
	var kind connect.ConnectorType
	_ = safely("plugin factory", func() error { kind = connectorType(f()); return nil })
	return kind
}

func connectorType(c connect.Connector) connect.ConnectorType {
	switch c.(type) {
	case connect.SourceConnector:
		return connect.TypeSource
	case connect.SinkConnector:
		return connect.TypeSink
	}
	return ""
}

// Validate checks a connector config: the runtime's settings, the plugin's
// spec and, when the plugin implements connect.ConfigValidator, its own
// checks. It returns a *connect.ConfigError naming every bad field.
func (rt *Runtime) Validate(ctx context.Context, cfg connect.Config) error {
	_, _, err := rt.validate(ctx, cfg)
	return err
}

func (rt *Runtime) validate(ctx context.Context, cfg connect.Config) (connect.Connector, connect.ConnectorType, error) {
	errs := &connect.ConfigError{}
	if err := settingsSpec.Validate(cfg); err != nil {
		errs.Fields = append(errs.Fields, err.(*connect.ConfigError).Fields...)
	}
	rt.validateCompat(cfg, errs)
	rt.validateTransforms(cfg, errs)
	class := cfg[KeyConnectorClass]
	f, ok := rt.cfg.plugins[class]
	if !ok {
		if class != "" {
			errs.Add(KeyConnectorClass, "unknown plugin %q; registered: %v", class, rt.Plugins())
		}
		return nil, "", errs.Err()
	}
	var conn connect.Connector
	var spec connect.ConfigSpec
	if err := safely("plugin factory", func() error { conn = f(); spec = conn.Spec().Config; return nil }); err != nil {
		errs.Add(KeyConnectorClass, "plugin %q: %v", class, err)
		return nil, "", errs
	}
	kind := connectorType(conn)
	if kind == "" {
		errs.Add(KeyConnectorClass, "plugin %q makes a %T, neither a source nor a sink connector", class, conn)
		return nil, "", errs
	}
	if kind == connect.TypeSink && len(cfg.List(KeyTopics)) == 0 {
		errs.Add(KeyTopics, "is required for sink connectors")
	}
	var dup map[string]bool
	for _, fe := range errs.Fields {
		if dup == nil {
			dup = map[string]bool{}
		}
		dup[fe.Field] = true
	}
	if err := spec.Validate(cfg); err != nil {
		for _, fe := range err.(*connect.ConfigError).Fields {
			if !dup[fe.Field] {
				errs.Fields = append(errs.Fields, fe)
			}
		}
	}
	if len(errs.Fields) == 0 {
		if v, ok := conn.(connect.ConfigValidator); ok {
			if err := safely("validate", func() error { return v.Validate(ctx, spec.Apply(cfg)) }); err != nil {
				var ce *connect.ConfigError
				if errors.As(err, &ce) {
					return nil, "", ce
				}
				errs.Add(KeyConnectorClass, "%s", err.Error())
			}
		}
	}
	return conn, kind, errs.Err()
}

// CreateConnector validates cfg and starts a connector named name. It
// returns connect.ErrAlreadyExists when the name is taken and a
// *connect.ConfigError when cfg is invalid. It is CreateConnectorWith with
// the zero CreateOptions.
func (rt *Runtime) CreateConnector(ctx context.Context, name string, cfg connect.Config) error {
	return rt.CreateConnectorWith(ctx, name, cfg, CreateOptions{})
}

// CreateOptions select how CreateConnectorWith creates a connector, as the
// body of Kafka Connect's POST /connectors does.
type CreateOptions struct {
	// InitialState is the connector's target state from its creation on:
	// connect.StateRunning (the zero value means it too),
	// connect.StatePaused (its tasks start but move no data) or
	// connect.StateStopped (nothing starts; its config is kept). Kafka
	// Connect's initial_state.
	InitialState connect.State
}

// CreateConnectorWith is CreateConnector creating the connector in
// o.InitialState, atomically: a PAUSED or STOPPED connector never runs
// in between. An InitialState other than those above is a
// *connect.ConfigError on the field "initial_state".
func (rt *Runtime) CreateConnectorWith(ctx context.Context, name string, cfg connect.Config, o CreateOptions) error {
	target := o.InitialState
	switch target {
	case "":
		target = connect.StateRunning
	case connect.StateRunning, connect.StatePaused, connect.StateStopped:
	default:
		return &connect.ConfigError{Fields: []connect.FieldError{{Field: "initial_state",
			Reason: fmt.Sprintf("%q is not one of RUNNING, PAUSED, STOPPED", target)}}}
	}
	if name == "" {
		return &connect.ConfigError{Fields: []connect.FieldError{{Field: "name", Reason: "is required"}}}
	}
	_, kind, err := rt.validate(ctx, cfg)
	if err != nil {
		return err
	}
	rt.mu.Lock()
	if err := rt.running(); err != nil {
		rt.mu.Unlock()
		return err
	}
	if rt.cl != nil {
		rt.mu.Unlock()
		return rt.cl.create(ctx, name, cfg, target)
	}
	if _, ok := rt.connectors[name]; ok || rt.creating[name] {
		rt.mu.Unlock()
		return fmt.Errorf("runtime: connector %q: %w", name, connect.ErrAlreadyExists)
	}
	rt.creating[name] = true
	rt.mu.Unlock()

	err = rt.persist(ctx, name, cfg, target)
	rt.mu.Lock()
	delete(rt.creating, name)
	if err == nil {
		err = rt.running()
	}
	if err != nil {
		rt.mu.Unlock()
		return err
	}
	c := newConnectorRunner(rt, name, maps.Clone(cfg), kind, target)
	rt.connectors[name] = c
	rt.mu.Unlock()

	rt.log.Info("connector created", "connector", name, "class", cfg[KeyConnectorClass], "target", target)
	if err := c.mu.lockCtx(ctx); err != nil {
		return fmt.Errorf("runtime: connector %q created, start pending: %w", name, err)
	}
	defer c.unlock()
	if err := c.usableLocked(); err != nil {
		return err
	}
	c.startLocked(ctx)
	return nil
}

// PutConnectorConfig creates the connector, or replaces its config and
// restarts it. created reports which.
func (rt *Runtime) PutConnectorConfig(ctx context.Context, name string, cfg connect.Config) (created bool, err error) {
	if rt.cl != nil {
		if name == "" {
			return false, &connect.ConfigError{Fields: []connect.FieldError{{Field: "name", Reason: "is required"}}}
		}
		if _, _, err := rt.validate(ctx, cfg); err != nil {
			return false, err
		}
		if err := rt.clusterRunning(); err != nil {
			return false, err
		}
		return rt.cl.put(ctx, name, cfg)
	}
	_, err = rt.connector(name)
	if errors.Is(err, connect.ErrNotFound) {
		return true, rt.CreateConnector(ctx, name, cfg)
	}
	if err != nil {
		return false, err
	}
	_, kind, err := rt.validate(ctx, cfg)
	if err != nil {
		return false, err
	}
	return false, rt.locked(ctx, name, func(c *connectorRunner) error {
		if err := rt.persist(ctx, name, cfg, c.target); err != nil {
			return err
		}
		c.reconfigureWithLocked(ctx, cfg, kind)
		return nil
	})
}

// locked runs fn with the named connector's lock held, unless the connector
// is gone or ctx is done before the lock is free.
func (rt *Runtime) locked(ctx context.Context, name string, fn func(c *connectorRunner) error) error {
	c, err := rt.connector(name)
	if err != nil {
		return err
	}
	if err := c.mu.lockCtx(ctx); err != nil {
		return fmt.Errorf("runtime: connector %q is busy: %w", name, err)
	}
	defer c.unlock()
	if err := c.usableLocked(); err != nil {
		return err
	}
	return fn(c)
}

func (rt *Runtime) connector(name string) (*connectorRunner, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if err := rt.running(); err != nil {
		return nil, err
	}
	c, ok := rt.connectors[name]
	if !ok {
		return nil, fmt.Errorf("runtime: connector %q: %w", name, connect.ErrNotFound)
	}
	return c, nil
}

// Connectors returns the names of the connectors, sorted (in cluster mode,
// of the whole cluster).
func (rt *Runtime) Connectors() []string {
	if rt.cl != nil {
		return rt.cl.names()
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	names := slices.Collect(maps.Keys(rt.connectors))
	sort.Strings(names)
	return names
}

// ConnectorConfig returns a copy of the connector's config as given,
// secrets included: mask it with the plugin's spec before showing it.
func (rt *Runtime) ConnectorConfig(name string) (connect.Config, error) {
	if rt.cl != nil {
		cc, err := rt.cl.lookup(name)
		if err != nil {
			return nil, err
		}
		return maps.Clone(cc.cfg), nil
	}
	c, err := rt.connector(name)
	if err != nil {
		return nil, err
	}
	return c.config(), nil
}

// TaskConfigs returns the configs of the connector's tasks.
func (rt *Runtime) TaskConfigs(name string) ([]connect.Config, error) {
	if rt.cl != nil {
		_, tcs, err := rt.cl.statusOf(name)
		return tcs, err
	}
	c, err := rt.connector(name)
	if err != nil {
		return nil, err
	}
	return c.taskConfigs(), nil
}

// ConnectorStatus returns the state of the connector and its tasks.
func (rt *Runtime) ConnectorStatus(name string) (connect.ConnectorStatus, error) {
	if rt.cl != nil {
		st, _, err := rt.cl.statusOf(name)
		return st, err
	}
	c, err := rt.connector(name)
	if err != nil {
		return connect.ConnectorStatus{}, err
	}
	return c.status(), nil
}

// DeleteConnector stops the connector gracefully and forgets it. Its stored
// offsets are kept (as Kafka Connect does): a connector created again under
// the same name resumes from them. Use ResetOffsets first to start over.
// When the connector store cannot forget it, nothing changes and the error
// matches ErrUnavailable.
func (rt *Runtime) DeleteConnector(ctx context.Context, name string) error {
	if rt.cl != nil {
		if err := rt.clusterRunning(); err != nil {
			return err
		}
		return rt.cl.delete(ctx, name)
	}
	c, err := rt.connector(name)
	if err != nil {
		return err
	}
	// Forget it in the store first: a delete that could not be persisted
	// must not leave a connector that comes back after a restart.
	err = rt.locked(ctx, name, func(c *connectorRunner) error {
		if cs := rt.cfg.connectorStore; cs != nil {
			if err := cs.Remove(ctx, name); err != nil {
				return fmt.Errorf("runtime: forget connector %q: %w: %w", name, ErrUnavailable, err)
			}
		}
		c.removedFlag.Store(true)
		c.removed = true
		return nil
	})
	if err != nil {
		return err
	}
	rt.mu.Lock()
	if rt.connectors[name] == c {
		delete(rt.connectors, name)
	}
	rt.mu.Unlock()
	rt.log.Info("connector deleted", "connector", name)
	err = c.shutdown(ctx)
	rt.topics.reset(name)
	// An in-memory consumer group outlives its members and would hold
	// messages (and the positions of sources waiting for it) forever.
	if gd, ok := rt.transport.(connect.GroupDeleter); ok && c.connectorKind() == connect.TypeSink {
		if gerr := gd.DeleteGroup(ctx, sinkGroup(name)); gerr != nil {
			rt.log.Warn("delete consumer group of deleted sink", "connector", name, "error", gerr)
		}
	}
	return err
}

// PauseConnector keeps the connector's tasks started but stops them moving
// data. Idempotent.
func (rt *Runtime) PauseConnector(ctx context.Context, name string) error {
	return rt.setTarget(ctx, name, connect.StatePaused)
}

// ResumeConnector undoes PauseConnector and StopConnector. Idempotent.
func (rt *Runtime) ResumeConnector(ctx context.Context, name string) error {
	return rt.setTarget(ctx, name, connect.StateRunning)
}

// StopConnector shuts the connector's tasks down, committing their offsets,
// and keeps its config: the STOPPED state of Kafka Connect, in which offsets
// may be altered or reset. Resume starts it again.
func (rt *Runtime) StopConnector(ctx context.Context, name string) error {
	return rt.setTarget(ctx, name, connect.StateStopped)
}

func (rt *Runtime) setTarget(ctx context.Context, name string, target connect.State) error {
	if rt.cl != nil {
		if err := rt.clusterRunning(); err != nil {
			return err
		}
		return rt.cl.setTarget(ctx, name, target)
	}
	return rt.locked(ctx, name, func(c *connectorRunner) error {
		if err := rt.persist(ctx, name, c.cfg, target); err != nil {
			return err
		}
		return c.setTargetLocked(ctx, target)
	})
}

// RestartOptions select what RestartConnector restarts, as Kafka Connect's
// restart endpoint's query parameters do.
type RestartOptions struct {
	IncludeTasks bool // restart the tasks too
	OnlyFailed   bool // only what is FAILED (or RESTARTING)
}

// RestartConnector restarts the connector instance and, with IncludeTasks,
// its tasks. With OnlyFailed, only failed parts restart.
func (rt *Runtime) RestartConnector(ctx context.Context, name string, o RestartOptions) error {
	if rt.cl != nil {
		return rt.cl.restart(ctx, name, o, -1)
	}
	return rt.locked(ctx, name, func(c *connectorRunner) error { return c.restartLocked(ctx, o) })
}

// RestartTask restarts one task: at once if it is waiting out a restart
// backoff, else by stopping and starting it.
func (rt *Runtime) RestartTask(ctx context.Context, name string, id int) error {
	if rt.cl != nil {
		return rt.cl.restart(ctx, name, RestartOptions{}, id)
	}
	return rt.locked(ctx, name, func(c *connectorRunner) error { return c.restartTaskLocked(ctx, id) })
}

// Offsets returns the connector's stored source positions.
func (rt *Runtime) Offsets(ctx context.Context, name string) ([]connect.Position, error) {
	if rt.cl != nil {
		if _, err := rt.cl.lookup(name); err != nil {
			return nil, err
		}
	} else if _, err := rt.connector(name); err != nil {
		return nil, err
	}
	return rt.offsets.List(ctx, name)
}

// AlterOffsets stores positions for the connector. It must be STOPPED
// (connect.ErrConflict otherwise), as in Kafka Connect.
func (rt *Runtime) AlterOffsets(ctx context.Context, name string, positions []connect.Position) error {
	return rt.whileStopped(ctx, name, func() error { return storeErr(rt.offsets.Put(ctx, name, positions...)) })
}

// ResetOffsets deletes all the connector's stored positions, so that it
// starts from the beginning when resumed. It must be STOPPED. DeleteOffsets
// deletes some.
func (rt *Runtime) ResetOffsets(ctx context.Context, name string) error {
	return rt.whileStopped(ctx, name, func() error { return storeErr(rt.offsets.DeleteAll(ctx, name)) })
}

// storeErr marks an offset store failure as ErrUnavailable, unless it is a
// problem with the request itself.
func storeErr(err error) error {
	if err == nil || errors.Is(err, connect.ErrInvalidConfig) || errors.Is(err, connect.ErrNotFound) {
		return err
	}
	return fmt.Errorf("runtime: offset store: %w: %w", ErrUnavailable, err)
}

// whileStopped runs fn while holding the connector STOPPED, so that no
// resume starts tasks on offsets being changed.
func (rt *Runtime) whileStopped(ctx context.Context, name string, fn func() error) error {
	if rt.cl != nil {
		if err := rt.cl.stoppedEverywhere(name); err != nil {
			return err
		}
		return fn()
	}
	return rt.locked(ctx, name, func(c *connectorRunner) error {
		if c.state != connect.StateStopped {
			return fmt.Errorf("runtime: connector %q is %s; stop it first: %w", name, c.state, connect.ErrConflict)
		}
		return fn()
	})
}

// Errors of the runtime, matched with errors.Is.
var (
	// ErrNotStarted is returned by calls made before Start.
	ErrNotStarted = errors.New("not started")
	// ErrAlreadyStarted is returned by a second Start.
	ErrAlreadyStarted = errors.New("already started")
	// ErrUnavailable is returned when a change cannot be made durable (the
	// connector store or the offset store failed): nothing of the change
	// was applied, and trying again later may succeed. The REST API answers
	// it with 503.
	ErrUnavailable = errors.New("unavailable")
)

// Health states, as GET /health reports them.
const (
	HealthStarting = "starting"
	HealthHealthy  = "healthy"
	HealthDegraded = "degraded" // running, but something needs an operator: see Reasons
	HealthStopping = "stopping"
)

// Health is the worker's health.
type Health struct {
	Status  string
	Reasons []string // why the worker is degraded
}

// Health reports whether the runtime is started and whether something
// needs an operator: today, source tasks whose positions cannot be written
// to the offset store. It never waits for plugin code.
func (rt *Runtime) Health() Health {
	rt.mu.Lock()
	started, stopped := rt.started, rt.stopped
	runners := slices.Collect(maps.Values(rt.connectors))
	rt.mu.Unlock()
	switch {
	case !started:
		return Health{Status: HealthStarting}
	case stopped:
		return Health{Status: HealthStopping}
	}
	var reasons []string
	if rt.cl != nil && rt.cl.fenced.Load() && time.Since(rt.cl.startedAt) > rt.cl.cfg.lease {
		reasons = append(reasons, "cluster: no contact with the cluster (this worker's own heartbeats are not read back); it runs no connectors")
	}
	for _, c := range runners {
		for _, ts := range c.status().Tasks {
			if ts.OffsetCommitError != "" {
				reasons = append(reasons, fmt.Sprintf("connector %s task %d: offsets not committed since %s: %s",
					c.name, ts.ID, ts.OffsetCommitFailingSince.Format(time.RFC3339), ts.OffsetCommitError))
			}
		}
	}
	if len(reasons) > 0 {
		sort.Strings(reasons)
		return Health{Status: HealthDegraded, Reasons: reasons}
	}
	return Health{Status: HealthHealthy}
}

// ShutdownTimeout is how long a graceful stop may take (WithShutdownTimeout):
// the REST API bounds the changes it makes on behalf of a request with it.
func (rt *Runtime) ShutdownTimeout() time.Duration { return rt.cfg.shutdownTimeout }

// DeleteOffsets deletes the stored positions of the given partitions of a
// STOPPED connector (Kafka Connect's PATCH /offsets with a null offset); no
// partitions deletes nothing. ResetOffsets deletes them all.
func (rt *Runtime) DeleteOffsets(ctx context.Context, name string, partitions ...string) error {
	return rt.whileStopped(ctx, name, func() error {
		if len(partitions) == 0 {
			return nil
		}
		return storeErr(rt.offsets.Delete(ctx, name, partitions...))
	})
}

// Logger returns the runtime's logger (WithLogger), with the worker id.
func (rt *Runtime) Logger() *slog.Logger { return rt.log }
