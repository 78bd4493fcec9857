package runtime

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/transforms"
)

// Connector settings of the transform chain: Kafka Connect's names.
const (
	KeyTransforms = "transforms" // aliases of the chain, in order
	KeyPredicates = "predicates" // aliases of the predicates
)

// Keys under transforms.<alias>. and predicates.<alias>. the runtime reads
// itself; the others belong to the transform or predicate.
const (
	subType      = "type"
	subPredicate = "predicate"
	subNegate    = "negate"
)

// Plugin kinds of transforms and predicates, as Kafka Connect's
// GET /connector-plugins?connectorsOnly=false names them.
const (
	KindTransformation = "transformation"
	KindPredicate      = "predicate"
)

// stageTransform is Kafka Connect's Stage.TRANSFORMATION.
const stageTransform = "TRANSFORMATION"

// TransformFactory makes a new, unconfigured transform. It is called once
// per task that uses the type (and once per validation).
type TransformFactory func() connect.Transform

// PredicateFactory makes a new, unconfigured predicate.
type PredicateFactory func() connect.Predicate

// WithTransform registers a transform type under name: a connector's
// transforms.<alias>.type picks it by that name or, when name contains
// dots, by the part after the last one (Kafka Connect's aliases), unless
// that is ambiguous. There is no global registry; the built-ins of package
// transforms are registered by default, and registering one of their names
// replaces it. A nil factory or an empty name is ignored.
func WithTransform(name string, f TransformFactory) Option {
	return optionFunc(func(c *config) {
		if name != "" && f != nil {
			c.transforms[name] = f
		}
	})
}

// WithPredicate registers a predicate type under name, as WithTransform
// does for transforms. The built-in predicates of package transforms are
// registered by default.
func WithPredicate(name string, f PredicateFactory) Option {
	return optionFunc(func(c *config) {
		if name != "" && f != nil {
			c.predicates[name] = f
		}
	})
}

func builtinTransforms() map[string]TransformFactory {
	m := map[string]TransformFactory{}
	for name, f := range transforms.Transforms() {
		m[name] = f
	}
	return m
}

func builtinPredicates() map[string]PredicateFactory {
	m := map[string]PredicateFactory{}
	for name, f := range transforms.Predicates() {
		m[name] = f
	}
	return m
}

// resolve finds a registered type by name or by alias: the part after the
// last dot of exactly one registered name.
func resolve[F any](reg map[string]F, name string) (F, string, error) {
	if f, ok := reg[name]; ok {
		return f, name, nil
	}
	var zero F
	var found []string
	for full := range reg {
		if i := strings.LastIndexByte(full, '.'); i >= 0 && full[i+1:] == name {
			found = append(found, full)
		}
	}
	switch len(found) {
	case 1:
		return reg[found[0]], found[0], nil
	case 0:
		return zero, "", connect.ErrNotFound
	}
	sort.Strings(found)
	return zero, "", fmt.Errorf("alias %q is ambiguous: it names %s", name, strings.Join(found, ", "))
}

// TransformPlugin describes a registered transform or predicate type.
type TransformPlugin struct {
	// Name is the type name it was registered under (Kafka's class name for
	// the built-ins).
	Name string
	// Kind is KindTransformation or KindPredicate.
	Kind string
	// Spec is what the type's Spec returns.
	Spec connect.Spec
}

// TransformPlugins returns the registered transform and predicate types,
// transforms first, each sorted by name.
func (rt *Runtime) TransformPlugins() []TransformPlugin {
	var out []TransformPlugin
	for _, name := range slices.Sorted(maps.Keys(rt.cfg.transforms)) {
		if spec, err := transformSpec(rt.cfg.transforms[name]); err == nil {
			out = append(out, TransformPlugin{Name: name, Kind: KindTransformation, Spec: spec})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(rt.cfg.predicates)) {
		if spec, err := predicateSpec(rt.cfg.predicates[name]); err == nil {
			out = append(out, TransformPlugin{Name: name, Kind: KindPredicate, Spec: spec})
		}
	}
	return out
}

// TransformPlugin returns the registered transform or predicate type named
// name (or by its alias), and connect.ErrNotFound when there is none.
func (rt *Runtime) TransformPlugin(name string) (TransformPlugin, error) {
	if f, full, err := resolve(rt.cfg.transforms, name); err == nil {
		spec, err := transformSpec(f)
		return TransformPlugin{Name: full, Kind: KindTransformation, Spec: spec}, err
	}
	if f, full, err := resolve(rt.cfg.predicates, name); err == nil {
		spec, err := predicateSpec(f)
		return TransformPlugin{Name: full, Kind: KindPredicate, Spec: spec}, err
	}
	return TransformPlugin{}, fmt.Errorf("runtime: transform or predicate %q: %w", name, connect.ErrNotFound)
}

func transformSpec(f TransformFactory) (spec connect.Spec, err error) {
	err = safely("transform factory", func() error {
		t := f()
		if t == nil {
			return errors.New("factory returned nil")
		}
		spec = t.Spec()
		return nil
	})
	return spec, err
}

func predicateSpec(f PredicateFactory) (spec connect.Spec, err error) {
	err = safely("predicate factory", func() error {
		p := f()
		if p == nil {
			return errors.New("factory returned nil")
		}
		spec = p.Spec()
		return nil
	})
	return spec, err
}

// FieldGroup is a named group of settings, with their full keys.
type FieldGroup struct {
	Name   string
	Fields connect.ConfigSpec
}

// TransformFields lists the settings of the transforms and predicates cfg
// configures, one group per alias ("Transforms: <alias>", "Predicates:
// <alias>", Kafka Connect's groups), with full keys (transforms.a.regex):
// the type, predicate and negate, and the settings of the type when it is
// known.
func (rt *Runtime) TransformFields(cfg connect.Config) []FieldGroup {
	var out []FieldGroup
	for _, alias := range cfg.List(KeyTransforms) {
		prefix := KeyTransforms + "." + alias + "."
		g := FieldGroup{Name: "Transforms: " + alias, Fields: connect.ConfigSpec{
			{Name: prefix + subType, Required: true, Description: "Type of the transform: a registered name or its alias."},
		}}
		if f, _, err := resolve(rt.cfg.transforms, cfg[prefix+subType]); err == nil {
			if spec, err := transformSpec(f); err == nil {
				g.Fields = append(g.Fields, prefixed(prefix, spec.Config)...)
			}
		}
		g.Fields = append(g.Fields,
			connect.Field{Name: prefix + subPredicate, Description: "Alias of the predicate deciding whether the transform applies to a record."},
			connect.Field{Name: prefix + subNegate, Type: connect.FieldBool, Default: "false", Description: "Apply the transform to the records the predicate does not match."})
		out = append(out, g)
	}
	for _, alias := range cfg.List(KeyPredicates) {
		prefix := KeyPredicates + "." + alias + "."
		g := FieldGroup{Name: "Predicates: " + alias, Fields: connect.ConfigSpec{
			{Name: prefix + subType, Required: true, Description: "Type of the predicate: a registered name or its alias."},
		}}
		if f, _, err := resolve(rt.cfg.predicates, cfg[prefix+subType]); err == nil {
			if spec, err := predicateSpec(f); err == nil {
				g.Fields = append(g.Fields, prefixed(prefix, spec.Config)...)
			}
		}
		out = append(out, g)
	}
	return out
}

func prefixed(prefix string, spec connect.ConfigSpec) connect.ConfigSpec {
	out := make(connect.ConfigSpec, len(spec))
	for i, f := range spec {
		f.Name = prefix + f.Name
		f.Aliases = nil
		for _, a := range spec[i].Aliases {
			f.Aliases = append(f.Aliases, prefix+a)
		}
		out[i] = f
	}
	return out
}

// validateTransforms checks the transforms and predicates settings,
// adding a field error for each bad one: every transform and predicate is
// made, checked against its spec and configured, then closed.
func (rt *Runtime) validateTransforms(cfg connect.Config, errs *connect.ConfigError) {
	ch, ce := rt.buildChain(cfg)
	if ch != nil {
		ch.close(nil)
	}
	if ce != nil {
		errs.Fields = append(errs.Fields, ce.Fields...)
	}
}

// chain is a connector's transforms, made and configured for one task.
type chain struct {
	stages []stage
	preds  []connect.Predicate // each once, closed with the chain
}

type stage struct {
	alias    string
	typeName string // resolved type name: the dead-letter class header
	t        connect.Transform
	pred     connect.Predicate
	negate   bool
	// builtin is set for the transforms of package transforms, which keep
	// track of the maps they may change in place (transforms.Ownership);
	// after any other transform the runtime forgets what they knew.
	builtin bool
}

const transformsPkg = "github.com/openmessaging/connect-go/transforms"

// buildChain makes and configures the transforms and predicates of cfg.
// It returns nil and no error when cfg sets none, and nil with every bad
// setting named when one is wrong (what was made is closed).
func (rt *Runtime) buildChain(cfg connect.Config) (*chain, *connect.ConfigError) {
	errs := &connect.ConfigError{}
	aliases := listAliases(cfg, KeyTransforms, errs)
	predAliases := listAliases(cfg, KeyPredicates, errs)
	checkPrefixedKeys(cfg, KeyTransforms, aliases, errs)
	checkPrefixedKeys(cfg, KeyPredicates, predAliases, errs)
	// Predicates without transforms are reported by validateCompat, once.
	if len(aliases) == 0 {
		if len(errs.Fields) > 0 {
			return nil, errs
		}
		return nil, nil
	}
	ch := &chain{}
	preds := map[string]connect.Predicate{}
	for _, alias := range predAliases {
		prefix := KeyPredicates + "." + alias + "."
		sub := subConfig(cfg, prefix)
		f, typeName, ok := lookupType(rt.cfg.predicates, sub, prefix, "predicate", errs)
		if !ok {
			continue
		}
		var p connect.Predicate
		if err := safely("predicate factory", func() error { p = f(); return nil }); err != nil || p == nil {
			errs.Add(prefix+subType, "predicate %s could not be made: %v", typeName, err)
			continue
		}
		ch.preds = append(ch.preds, p)
		if configurePart(prefix, typeName, p.Spec, p.Configure, sub, nil, errs) {
			preds[alias] = p
		}
	}
	for _, alias := range aliases {
		prefix := KeyTransforms + "." + alias + "."
		sub := subConfig(cfg, prefix)
		s := stage{alias: alias}
		if name, ok := sub[subPredicate]; ok {
			switch {
			case strings.TrimSpace(name) == "":
				errs.Add(prefix+subPredicate, "must not be empty: leave it out to apply the transform to every record")
			case !slices.Contains(predAliases, name):
				errs.Add(prefix+subPredicate, "names predicate %q, which is not listed in %s", name, KeyPredicates)
			default:
				s.pred = preds[name]
			}
		}
		if v, ok := sub[subNegate]; ok {
			neg, err := strconv.ParseBool(strings.TrimSpace(v))
			switch {
			case err != nil:
				errs.Add(prefix+subNegate, "must be true or false, got %q", v)
			case sub[subPredicate] == "":
				errs.Add(prefix+subNegate, "needs %s: negate inverts a predicate", prefix+subPredicate)
			default:
				s.negate = neg
			}
		}
		f, typeName, ok := lookupType(rt.cfg.transforms, sub, prefix, "transform", errs)
		if !ok {
			continue
		}
		s.typeName = typeName
		if err := safely("transform factory", func() error { s.t = f(); return nil }); err != nil || s.t == nil {
			errs.Add(prefix+subType, "transform %s could not be made: %v", typeName, err)
			continue
		}
		s.builtin = reflect.TypeOf(s.t).PkgPath() == transformsPkg ||
			reflect.TypeOf(s.t).Kind() == reflect.Pointer && reflect.TypeOf(s.t).Elem().PkgPath() == transformsPkg
		ch.stages = append(ch.stages, s)
		configurePart(prefix, typeName, s.t.Spec, s.t.Configure, sub, []string{subPredicate, subNegate}, errs)
	}
	if len(errs.Fields) > 0 {
		ch.close(nil)
		return nil, errs
	}
	if len(ch.stages) == 0 {
		ch.close(nil) // predicates without transforms: nothing to apply
		return nil, nil
	}
	return ch, nil
}

// listAliases reads the aliases of key, reporting duplicates.
func listAliases(cfg connect.Config, key string, errs *connect.ConfigError) []string {
	aliases := cfg.List(key)
	seen := map[string]bool{}
	for _, a := range aliases {
		if seen[a] {
			errs.Add(key, "lists %q twice", a)
		}
		seen[a] = true
	}
	return aliases
}

// checkPrefixedKeys reports keys under key. whose alias is not listed.
func checkPrefixedKeys(cfg connect.Config, key string, aliases []string, errs *connect.ConfigError) {
	for _, k := range slices.Sorted(maps.Keys(cfg)) {
		rest, ok := strings.CutPrefix(k, key+".")
		if !ok {
			continue
		}
		if !slices.ContainsFunc(aliases, func(a string) bool { return strings.HasPrefix(rest, a+".") }) {
			errs.Add(k, "belongs to no alias listed in %s (%q)", key, cfg[key])
		}
	}
}

// subConfig returns the settings under prefix, with prefix removed.
func subConfig(cfg connect.Config, prefix string) connect.Config {
	sub := connect.Config{}
	for k, v := range cfg {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			sub[rest] = v
		}
	}
	return sub
}

func lookupType[F any](reg map[string]F, sub connect.Config, prefix, kind string, errs *connect.ConfigError) (F, string, bool) {
	var zero F
	name := strings.TrimSpace(sub[subType])
	if name == "" {
		errs.Add(prefix+subType, "is required")
		return zero, "", false
	}
	f, full, err := resolve(reg, name)
	if errors.Is(err, connect.ErrNotFound) {
		errs.Add(prefix+subType, "unknown %s type %q: register it with runtime.With%s%s", kind, name,
			strings.ToUpper(kind[:1]), kind[1:])
		return zero, "", false
	}
	if err != nil {
		errs.Add(prefix+subType, "%v", err)
		return zero, "", false
	}
	return f, full, true
}

// configurePart checks the settings sub of one transform or predicate
// against its spec (unknown and empty typed settings included) and
// configures it, adding field errors under prefix. own are the keys the
// runtime reads itself. It reports whether the part is configured.
func configurePart(prefix, typeName string, specOf func() connect.Spec, configure func(connect.Config) error,
	sub connect.Config, own []string, errs *connect.ConfigError) bool {
	var spec connect.ConfigSpec
	if err := safely("spec", func() error { spec = specOf().Config; return nil }); err != nil {
		errs.Add(prefix+subType, "%s: %v", typeName, err)
		return false
	}
	settings := connect.Config{}
	bad := false
	for _, k := range slices.Sorted(maps.Keys(sub)) {
		if k == subType || slices.Contains(own, k) {
			continue
		}
		f, ok := spec.Field(k)
		if !ok {
			errs.Add(prefix+k, "unknown setting of %s%s", typeName, knownSettings(spec))
			bad = true
			continue
		}
		if strings.TrimSpace(sub[k]) == "" && (f.Type != connect.FieldString || len(f.Allowed) > 0 || f.Validate != nil) {
			errs.Add(prefix+k, "must not be empty: leave it out for the default")
			bad = true
			continue
		}
		settings[k] = sub[k]
	}
	if err := spec.Validate(settings); err != nil {
		addPrefixed(prefix, typeName, err, errs)
		bad = true
	}
	if bad {
		return false
	}
	if err := safely("configure", func() error { return configure(spec.Apply(settings)) }); err != nil {
		addPrefixed(prefix, typeName, err, errs)
		return false
	}
	return true
}

func knownSettings(spec connect.ConfigSpec) string {
	if len(spec) == 0 {
		return ", which takes no settings"
	}
	names := make([]string, len(spec))
	for i, f := range spec {
		names[i] = f.Name
	}
	return "; its settings: " + strings.Join(names, ", ")
}

func addPrefixed(prefix, typeName string, err error, errs *connect.ConfigError) {
	var ce *connect.ConfigError
	if !errors.As(err, &ce) {
		errs.Add(prefix+subType, "%s: %v", typeName, err)
		return
	}
	for _, fe := range ce.Fields {
		field := prefix + fe.Field
		if fe.Field == "" {
			field = prefix + subType
		}
		errs.Fields = append(errs.Fields, connect.FieldError{Field: field, Reason: fe.Reason})
	}
}

// close closes every transform and predicate, logging failures with log
// when it is set.
func (ch *chain) close(t *taskRunner) {
	closeOne := func(what string, c func() error) {
		if err := safely(what+" close", c); err != nil && t != nil {
			t.log.Warn(what+" close failed", "error", t.redact.Text(err.Error()))
		}
	}
	for _, s := range ch.stages {
		closeOne("transform "+s.alias, s.t.Close)
	}
	for _, p := range ch.preds {
		closeOne("predicate", p.Close)
	}
}

// run applies the stage to r: the predicate first, when there is one. A
// panic is an error, as safely makes it; recovered here rather than
// through safely to keep the per-record path free of closures.
func (s *stage) run(ctx context.Context, r *connect.Record) (out *connect.Record, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("panicked: %v", p)
		}
	}()
	if s.pred != nil {
		match, err := s.pred.Test(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("predicate %s: %w", s.alias, err)
		}
		if match == s.negate {
			return r, nil
		}
	}
	return s.t.Apply(ctx, r)
}

// stageClass names what ran a failed stage in HeaderErrorClass when that
// is not a Go value: a transform's configured type name.
type stageClass string

// transform runs r through the chain. rec is r as the failure should show
// it (sources: the polled record) and orig the transport message (sinks).
// own is the Ownership ctx carries, reset for r by the caller. It returns
// nil when a transform dropped the record or it failed and was tolerated,
// and an error when the task must fail, or ctx's error when ctx is done.
func (t *taskRunner) transform(ctx context.Context, ch *chain, own *transforms.Ownership, r, rec *connect.Record, orig *connect.Message) (*connect.Record, error) {
	for i := range ch.stages {
		s := &ch.stages[i]
		var retry *retrier
		for {
			out, err := s.run(ctx, r)
			if err == nil {
				if retry != nil {
					retry.ok()
				}
				r = out
				if !s.builtin && r != nil {
					own.Reset(r, false) // it may keep or share the maps it saw
				}
				break
			}
			if connect.IsRetriable(err) {
				if retry == nil {
					retry = newRetrier(t.set.retryTimeout, t.set.retryMax, t.retrying)
				}
				if err = retry.retry(ctx, "transform "+s.alias, err); err == nil {
					continue
				}
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			err = fmt.Errorf("transform %s (%s): %w", s.alias, s.typeName, err)
			if terr := t.tolerate(ctx, stageTransform, stageClass(s.typeName), orig, rec, err); terr != nil {
				return nil, terr
			}
			return nil, nil
		}
		if r == nil {
			return nil, nil
		}
	}
	if r.Topic == "" {
		err := fmt.Errorf("transforms %v left the record without a topic", ch.aliases())
		if terr := t.tolerate(ctx, stageTransform, stageClass(ch.stages[len(ch.stages)-1].typeName), orig, rec, err); terr != nil {
			return nil, terr
		}
		return nil, nil
	}
	return r, nil
}

func (ch *chain) aliases() []string {
	out := make([]string, len(ch.stages))
	for i, s := range ch.stages {
		out[i] = s.alias
	}
	return out
}

// startChain builds the task's chain from its connector's config. A config
// that validated may still fail here: a worker of a cluster that lacks a
// type the creating worker had.
func (t *taskRunner) startChain() (*chain, error) {
	ch, errs := t.c.rt.buildChain(t.conf)
	if errs != nil {
		return nil, fmt.Errorf("transforms: %w", errs)
	}
	return ch, nil
}
