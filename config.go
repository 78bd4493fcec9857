package connect

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is a connector's or task's configuration: string keys and values,
// as Kafka Connect and RocketMQ Connect pass them. Read typed values with the
// accessors after the config passed its ConfigSpec's Validate; they return
// the zero value for a missing or malformed key.
type Config map[string]string

// Get returns the value of key, or "".
func (c Config) Get(key string) string { return c[key] }

// Int returns the value of key as an int.
func (c Config) Int(key string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(c[key]))
	return n
}

// Int64 returns the value of key as an int64.
func (c Config) Int64(key string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(c[key]), 10, 64)
	return n
}

// Float returns the value of key as a float64.
func (c Config) Float(key string) float64 {
	f, _ := strconv.ParseFloat(strings.TrimSpace(c[key]), 64)
	return f
}

// Bool returns the value of key as a bool.
func (c Config) Bool(key string) bool {
	b, _ := strconv.ParseBool(strings.TrimSpace(c[key]))
	return b
}

// Duration returns the value of key as a time.Duration ("1s", "250ms").
func (c Config) Duration(key string) time.Duration {
	d, _ := time.ParseDuration(strings.TrimSpace(c[key]))
	return d
}

// List returns the comma-separated value of key, trimmed, empty items dropped.
func (c Config) List(key string) []string {
	return splitList(c[key])
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// FieldType is the type a config value must parse as.
type FieldType int

// Field types. The zero value is FieldString.
const (
	FieldString FieldType = iota
	FieldInt
	FieldFloat
	FieldBool
	FieldDuration
	FieldList // comma-separated strings
)

func (t FieldType) String() string {
	switch t {
	case FieldString:
		return "string"
	case FieldInt:
		return "int"
	case FieldFloat:
		return "float"
	case FieldBool:
		return "bool"
	case FieldDuration:
		return "duration"
	case FieldList:
		return "list"
	}
	return "unknown"
}

// MarshalText names the type in JSON ("string", "int", ...).
func (t FieldType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// Field describes one configuration key.
type Field struct {
	Name        string
	Type        FieldType
	Description string
	// Default is used when the key is absent; it must itself be valid.
	Default string
	// Required fields must be present and non-empty; a Default makes no
	// sense on them.
	Required bool
	// Secret fields (passwords, tokens) are masked wherever a config is
	// shown or logged.
	Secret bool
	// Allowed, when set, is the closed set of accepted values.
	Allowed []string
	// Aliases are other keys accepted for this field (older names kept for
	// compatibility). Apply moves an alias's value to Name.
	Aliases []string
	// Validate checks a present value further; its error text becomes the
	// field's reason.
	Validate func(value string) error
}

// ConfigSpec is the ordered list of fields a connector accepts. Keys a spec
// does not name are allowed: the runtime's own keys (connector.class,
// tasks.max, topics, errors.*) travel in the same Config.
type ConfigSpec []Field

// Masked is what secret values are replaced with by Mask.
const Masked = "[hidden]"

// Field returns the field named name (or having it as an alias).
func (s ConfigSpec) Field(name string) (Field, bool) {
	for _, f := range s {
		if f.Name == name || slices.Contains(f.Aliases, name) {
			return f, true
		}
	}
	return Field{}, false
}

// Apply returns a copy of cfg with aliases renamed to their field's name and
// defaults filled in for absent keys. When both a field and its alias are
// present, the field wins.
func (s ConfigSpec) Apply(cfg Config) Config {
	out := maps.Clone(cfg)
	if out == nil {
		out = Config{}
	}
	for _, f := range s {
		for _, a := range f.Aliases {
			if v, ok := out[a]; ok {
				if _, has := out[f.Name]; !has {
					out[f.Name] = v
				}
				delete(out, a)
			}
		}
		if _, ok := out[f.Name]; !ok && f.Default != "" {
			out[f.Name] = f.Default
		}
	}
	return out
}

// Validate checks cfg (after Apply) against the spec and returns a
// *ConfigError naming every bad field, or nil.
func (s ConfigSpec) Validate(cfg Config) error {
	cfg = s.Apply(cfg)
	errs := &ConfigError{}
	for _, f := range s {
		v, ok := cfg[f.Name]
		if !ok || strings.TrimSpace(v) == "" {
			if f.Required {
				errs.Add(f.Name, "is required")
			}
			continue
		}
		if reason := checkType(f.Type, v); reason != "" {
			errs.Add(f.Name, "%s", reason)
			continue
		}
		if len(f.Allowed) > 0 && !slices.Contains(f.Allowed, v) {
			errs.Add(f.Name, "must be one of %s, got %q", strings.Join(f.Allowed, ", "), shown(f, v))
			continue
		}
		if f.Validate != nil {
			if err := f.Validate(v); err != nil {
				errs.Add(f.Name, "%s", err.Error())
			}
		}
	}
	return errs.Err()
}

func shown(f Field, v string) string {
	if f.Secret {
		return Masked
	}
	return v
}

func checkType(t FieldType, v string) string {
	v = strings.TrimSpace(v)
	var err error
	switch t {
	case FieldInt:
		_, err = strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "must be an integer, got " + strconv.Quote(v)
		}
	case FieldFloat:
		_, err = strconv.ParseFloat(v, 64)
		if err != nil {
			return "must be a number, got " + strconv.Quote(v)
		}
	case FieldBool:
		_, err = strconv.ParseBool(v)
		if err != nil {
			return "must be true or false, got " + strconv.Quote(v)
		}
	case FieldDuration:
		_, err = time.ParseDuration(v)
		if err != nil {
			return "must be a duration such as 500ms or 10s, got " + strconv.Quote(v)
		}
	}
	return ""
}

// Mask returns a copy of cfg with the values of secret fields (and their
// aliases) replaced by Masked.
func (s ConfigSpec) Mask(cfg Config) Config {
	out := maps.Clone(cfg)
	for _, f := range s {
		if !f.Secret {
			continue
		}
		for _, k := range append([]string{f.Name}, f.Aliases...) {
			if _, ok := out[k]; ok {
				out[k] = Masked
			}
		}
	}
	return out
}

// IntAtLeast returns a Field.Validate function accepting integers >= min.
func IntAtLeast(min int64) func(string) error {
	return func(v string) error {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < min {
			return fmt.Errorf("must be an integer >= %d, got %q", min, v)
		}
		return nil
	}
}
