package runtime

import (
	"maps"
	"sort"
	"strings"

	connect "github.com/openmessaging/connect-go"
)

// minScrubLen is the shortest secret value that is also searched for inside
// other values and texts. Shorter ones are masked under their own keys
// only: scrubbing "1" out of every text would hide more than it protects.
const minScrubLen = 4

// redactor hides the secrets of one config from what the REST API returns:
// the values of the spec's secret fields (and their aliases) become
// connect.Masked under their own keys, and wherever else the same value
// shows up (a task config that renamed the key, a DSN built from the
// password, an error message or a trace quoting it) it is replaced too.
// A nil *redactor hides nothing.
type redactor struct {
	keys   map[string]bool
	values []string // longest first, so that a secret containing another is replaced whole
}

// newRedactor returns the redactor of spec's secret fields, with the secret
// values found in cfgs.
func newRedactor(spec connect.ConfigSpec, cfgs ...connect.Config) *redactor {
	r := &redactor{keys: map[string]bool{}}
	for _, f := range spec {
		if !f.Secret {
			continue
		}
		r.keys[f.Name] = true
		for _, a := range f.Aliases {
			r.keys[a] = true
		}
	}
	seen := map[string]bool{}
	for _, cfg := range cfgs {
		for k, v := range cfg {
			if r.keys[k] && len(v) >= minScrubLen && v != connect.Masked && !seen[v] {
				seen[v] = true
				r.values = append(r.values, v)
			}
		}
	}
	sort.Slice(r.values, func(i, j int) bool { return len(r.values[i]) > len(r.values[j]) })
	return r
}

// config returns a copy of cfg with secrets masked.
func (r *redactor) config(cfg connect.Config) connect.Config {
	out := maps.Clone(cfg)
	if out == nil {
		out = connect.Config{}
	}
	if r == nil {
		return out
	}
	for k, v := range out {
		if r.keys[k] {
			out[k] = connect.Masked
			continue
		}
		out[k] = r.text(v)
	}
	return out
}

// text returns s with every secret value replaced by connect.Masked.
func (r *redactor) text(s string) string {
	if r == nil {
		return s
	}
	for _, v := range r.values {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, connect.Masked)
		}
	}
	return s
}

// value returns v (as from a task's progress) with secrets replaced in
// every string it holds.
func (r *redactor) value(v any) any {
	if r == nil || len(r.values) == 0 {
		return v
	}
	switch x := v.(type) {
	case string:
		return r.text(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if r.keys[k] {
				out[k] = connect.Masked
				continue
			}
			out[k] = r.value(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.value(e)
		}
		return out
	}
	return v
}

// unmask puts back, in a config about to replace old, the secret values a
// client sent as connect.Masked: so that what GET returned can be edited
// and sent back without knowing the secrets.
func (r *redactor) unmask(cfg, old connect.Config) {
	for k, v := range cfg {
		if v == connect.Masked && r.keys[k] {
			if ov, ok := old[k]; ok {
				cfg[k] = ov
			}
		}
	}
}
