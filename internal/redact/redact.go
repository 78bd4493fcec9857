// Package redact hides the secret settings of connector configs from what
// the runtime logs and what the REST API returns.
package redact

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

// Redactor hides the secrets of one config from what the REST API returns:
// the values of the spec's secret fields (and their aliases) become
// connect.Masked under their own keys, and wherever else the same value
// shows up (a task config that renamed the key, a DSN built from the
// password, an error message or a trace quoting it) it is replaced too.
// A nil *Redactor hides nothing.
type Redactor struct {
	keys   map[string]bool
	values []string // longest first, so that a secret containing another is replaced whole
}

// New returns the redactor of spec's secret fields, with the secret
// values found in cfgs.
func New(spec connect.ConfigSpec, cfgs ...connect.Config) *Redactor {
	r := &Redactor{keys: map[string]bool{}}
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

// Config returns a copy of cfg with secrets masked.
func (r *Redactor) Config(cfg connect.Config) connect.Config {
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
		out[k] = r.Text(v)
	}
	return out
}

// Text returns s with every secret value replaced by connect.Masked.
func (r *Redactor) Text(s string) string {
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

// Value returns v (as from a task's progress) with secrets replaced in
// every string it holds.
func (r *Redactor) Value(v any) any {
	if r == nil || len(r.values) == 0 {
		return v
	}
	switch x := v.(type) {
	case string:
		return r.Text(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if r.keys[k] {
				out[k] = connect.Masked
				continue
			}
			out[k] = r.Value(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.Value(e)
		}
		return out
	}
	return v
}

// Unmask puts back, in a config about to replace old, the secret values a
// client sent as connect.Masked: so that what GET returned can be edited
// and sent back without knowing the secrets.
func (r *Redactor) Unmask(cfg, old connect.Config) {
	for k, v := range cfg {
		if v == connect.Masked && r.keys[k] {
			if ov, ok := old[k]; ok {
				cfg[k] = ov
			}
		}
	}
}
