package connect

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Compile-time checks that the connectors NewSource and NewSink return
// implement the contracts.
var (
	_ SourceConnector = (*simpleConnector[SourceTask])(nil)
	_ SinkConnector   = (*simpleConnector[SinkTask])(nil)
	_ ConfigValidator = (*simpleConnector[SourceTask])(nil)
)

// NewSource returns a SourceConnector for plugins whose connector has
// nothing to do but hand its config to the tasks: the tasks do the work.
//
// Spec returns spec. Start keeps a copy of the config. TaskConfigs returns
// one copy of it, whatever maxTasks allows (WithSplitList and
// WithParallelTasks change that), and an error when maxTasks < 1. NewTask
// calls newTask. Stop releases nothing and may be called any number of
// times. The connector implements ConfigValidator with the function given
// to WithValidate; without one, Validate accepts every config.
//
// One value serves one connector instance, so hand the runtime a factory:
//
//	func() connect.Connector { return connect.NewSource(spec, func() connect.SourceTask { return &task{} }) }
//
// NewSource panics if newTask is nil.
func NewSource(spec Spec, newTask func() SourceTask, opts ...ConnectorOption) SourceConnector {
	return newSimple("NewSource", spec, newTask, opts)
}

// NewSink returns a SinkConnector for plugins whose connector has nothing to
// do but hand its config to the tasks. It behaves as NewSource describes.
// A sink's tasks share the subscribed topics' queues, so WithParallelTasks
// is the usual way to let a sink scale; the default stays one task.
//
// NewSink panics if newTask is nil.
func NewSink(spec Spec, newTask func() SinkTask, opts ...ConnectorOption) SinkConnector {
	return newSimple("NewSink", spec, newTask, opts)
}

// ConnectorOption configures a connector made by NewSource or NewSink.
type ConnectorOption interface {
	apply(*simpleConfig)
}

type simpleConfig struct {
	validate func(context.Context, Config) error
	// split turns the started connector's config into task configs; the
	// default is one copy.
	split func(cfg Config, maxTasks int) []Config
}

func defaultSimpleConfig() simpleConfig {
	return simpleConfig{split: oneTask}
}

type optionFunc func(*simpleConfig)

func (f optionFunc) apply(c *simpleConfig) { f(c) }

// WithValidate makes the connector a ConfigValidator running fn: the runtime
// calls it after the spec's own checks passed, so fn checks only what the
// spec cannot express (rules between fields). Start runs fn too and fails
// with its error, so a connector started without the runtime's validation
// (by a test, say) never hands a bad config to its tasks; keep fn free of
// I/O that can fail for a while, such as connecting to a server, and let
// the tasks, which the runtime retries, find out. Default: every config
// passes. A nil fn is ignored.
func WithValidate(fn func(ctx context.Context, cfg Config) error) ConnectorOption {
	return optionFunc(func(c *simpleConfig) {
		if fn != nil {
			c.validate = fn
		}
	})
}

// WithSplitList spreads the items of the list setting key (comma-separated,
// as Config.List reads it) over the tasks: one task per item, at most
// maxTasks tasks, consecutive items grouped and the first groups one item
// larger when they do not divide evenly (Kafka Connect's
// ConnectorUtils.groupPartitions). Each task's config is the connector's
// with key holding that task's items only.
//
// An empty or missing list gives zero task configs and no error: the
// connector runs, with nothing to do, as Kafka Connect's do. Mark the field
// Required to reject such a config instead.
//
// Default: one task with the whole config. WithSplitList and
// WithParallelTasks replace each other; the last one given wins. It panics
// if key is empty.
func WithSplitList(key string) ConnectorOption {
	if key == "" {
		panic("connect: WithSplitList: empty key")
	}
	return optionFunc(func(c *simpleConfig) {
		c.split = func(cfg Config, maxTasks int) []Config { return splitTasks(cfg, key, maxTasks) }
	})
}

// WithParallelTasks makes TaskConfigs return maxTasks identical configs
// instead of one: for tasks that share the work without being told their
// part, such as sink tasks consuming the same topics in one group.
//
// Default: one task. WithSplitList and WithParallelTasks replace each other;
// the last one given wins.
func WithParallelTasks() ConnectorOption {
	return optionFunc(func(c *simpleConfig) { c.split = parallelTasks })
}

// simpleConnector is the connector behind NewSource (T is SourceTask) and
// NewSink (T is SinkTask).
type simpleConnector[T any] struct {
	spec    Spec
	newTask func() T
	simpleConfig

	cfg Config // set by Start
}

func newSimple[T any](caller string, spec Spec, newTask func() T, opts []ConnectorOption) *simpleConnector[T] {
	if newTask == nil {
		panic("connect: " + caller + ": newTask is nil")
	}
	c := &simpleConnector[T]{spec: spec, newTask: newTask, simpleConfig: defaultSimpleConfig()}
	for _, o := range opts {
		if o != nil {
			o.apply(&c.simpleConfig)
		}
	}
	return c
}

// Spec returns the spec the connector was made with. The ConfigSpec is a
// copy, so a caller appending to it or changing a field does not change the
// connector's.
func (c *simpleConnector[T]) Spec() Spec {
	s := c.spec
	s.Config = slices.Clone(s.Config)
	return s
}

// Validate runs the WithValidate function, if any.
func (c *simpleConnector[T]) Validate(ctx context.Context, cfg Config) error {
	if c.validate == nil {
		return nil
	}
	return c.validate(ctx, cfg)
}

// Start validates cfg with the WithValidate function and keeps a copy.
func (c *simpleConnector[T]) Start(ctx context.Context, _ ConnectorContext, cfg Config) error {
	if err := c.Validate(ctx, cfg); err != nil {
		return err
	}
	c.cfg = maps.Clone(cfg)
	return nil
}

// TaskConfigs returns fresh copies of the config: a caller may change them.
func (c *simpleConnector[T]) TaskConfigs(maxTasks int) ([]Config, error) {
	if maxTasks < 1 {
		return nil, fmt.Errorf("connect: %s: maxTasks is %d, need at least 1", c.spec.Name, maxTasks)
	}
	return c.split(c.cfg, maxTasks), nil
}

// Stop does nothing: the connector holds nothing but its config.
func (c *simpleConnector[T]) Stop(context.Context) error { return nil }

// NewTask returns a task made by the newTask function.
func (c *simpleConnector[T]) NewTask() T { return c.newTask() }

func oneTask(cfg Config, _ int) []Config { return []Config{copyConfig(cfg)} }

func parallelTasks(cfg Config, maxTasks int) []Config {
	out := make([]Config, maxTasks)
	for i := range out {
		out[i] = copyConfig(cfg)
	}
	return out
}

func splitTasks(cfg Config, key string, maxTasks int) []Config {
	items := cfg.List(key)
	n := min(len(items), maxTasks)
	per, extra := 0, 0
	if n > 0 {
		per, extra = len(items)/n, len(items)%n
	}
	out := make([]Config, 0, n)
	for i := range n {
		size := per
		if i < extra {
			size++
		}
		t := copyConfig(cfg)
		t[key] = strings.Join(items[:size], ",")
		items = items[size:]
		out = append(out, t)
	}
	return out
}

// copyConfig returns a copy of cfg, never nil: a task may add keys to it.
func copyConfig(cfg Config) Config {
	if cfg == nil {
		return Config{}
	}
	return maps.Clone(cfg)
}
