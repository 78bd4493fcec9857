package converter

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	connect "github.com/openmessaging/connect-go"
)

// Connector settings that choose converters: Kafka Connect's names. Their
// sub-settings are the converter's own settings under the same prefix
// (value.converter.schemas.enable).
const (
	KeyConverter    = "key.converter"
	ValueConverter  = "value.converter"
	HeaderConverter = "header.converter"
)

// Sub-settings of the converters, Kafka's names.
const (
	settingSchemasEnable   = "schemas.enable"
	settingSchemasCache    = "schemas.cache.size"
	settingDecimalFormat   = "decimal.format"
	settingReplaceNull     = "replace.null.with.default"
	settingStringEncoding  = "converter.encoding"
	defaultSchemasEnable   = true // Kafka's JsonConverter default
	converterClassesListed = "org.apache.kafka.connect.json.JsonConverter, org.apache.kafka.connect.storage.StringConverter, org.apache.kafka.connect.converters.ByteArrayConverter"
)

type kind int

const (
	kindNone kind = iota
	kindJSON
	kindString
	kindBytesConv
	kindSimpleHeader
)

// classes are the converter class names accepted: Kafka's (with the
// aliases Kafka's plugin loader accepts: the simple name, and the simple
// name without "Converter") and RocketMQ Connect's.
var classes = map[string]kind{
	"org.apache.kafka.connect.json.JsonConverter": kindJSON,
	"JsonConverter": kindJSON,
	"Json":          kindJSON,
	"org.apache.rocketmq.connect.runtime.converter.record.json.JsonConverter": kindJSON,
	"org.apache.rocketmq.connect.runtime.converter.JsonConverter":             kindJSON,
	"io.openmessaging.connect.runtime.converter.JsonConverter":                kindJSON,
	"org.apache.kafka.connect.storage.StringConverter":                        kindString,
	"StringConverter": kindString,
	"String":          kindString,
	"org.apache.rocketmq.connect.runtime.converter.record.StringConverter": kindString,
	"org.apache.kafka.connect.converters.ByteArrayConverter":               kindBytesConv,
	"ByteArrayConverter": kindBytesConv,
	"ByteArray":          kindBytesConv,
	"org.apache.rocketmq.connect.runtime.converter.record.ByteArrayConverter": kindBytesConv,
	"org.apache.kafka.connect.storage.SimpleHeaderConverter":                  kindSimpleHeader,
	"SimpleHeaderConverter": kindSimpleHeader,
	"SimpleHeader":          kindSimpleHeader,
}

// Settings describes key.converter, value.converter and header.converter
// for listings (GET /connector-plugins/{p}/config). FromConfig checks them
// and their sub-settings.
func Settings() connect.ConfigSpec {
	return connect.ConfigSpec{
		{Name: KeyConverter, Description: "Converter of the connector's record keys, a class name (" + converterClassesListed +
			", or RocketMQ Connect's); sub-settings under key.converter. (schemas.enable). Default: the worker's converter."},
		{Name: ValueConverter, Description: "Converter of the connector's record values and change events, as key.converter; sub-settings under value.converter. Default: the worker's converter."},
		{Name: HeaderConverter, Description: "org.apache.kafka.connect.storage.SimpleHeaderConverter or StringConverter: headers are strings, written as they are."},
	}
}

// part is one parsed converter setting.
type part struct {
	kind      kind
	schemas   bool
	cacheSize int
}

// FromConfig returns the converter a connector's settings ask for:
// key.converter for keys, value.converter for values and change events
// (timestamps and headers go with the value), each with its sub-settings.
// A part that is not set uses fallback, the worker's converter (nil:
// NewJSON()); without any converter setting FromConfig returns fallback.
// header.converter is checked but changes nothing: headers are strings
// and both converters it accepts write strings as they are.
//
// Keys and values of one kind make one converter of that kind (a JSON
// converter with schemas set per part); different kinds make a Pair. An
// unknown class, a sub-setting the class does not have, a bad value, or a
// sub-setting without its class is an error: a *connect.ConfigError naming
// each such setting.
func FromConfig(cfg connect.Config, fallback connect.Converter) (connect.Converter, error) {
	if fallback == nil {
		fallback = NewJSON()
	}
	errs := &connect.ConfigError{}
	key := parsePart(cfg, KeyConverter, false, errs)
	value := parsePart(cfg, ValueConverter, false, errs)
	parsePart(cfg, HeaderConverter, true, errs)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if key.kind == kindNone && value.kind == kindNone {
		return fallback, nil
	}
	if fb, ok := fallback.(*JSON); ok {
		// A part of the worker's JSON converter merges into one JSON
		// converter with the configured part.
		k, v := fb.Schemas()
		if key.kind == kindNone {
			key = part{kind: kindJSON, schemas: k, cacheSize: fb.cache.len()}
		}
		if value.kind == kindNone {
			value = part{kind: kindJSON, schemas: v, cacheSize: fb.cache.len()}
		}
	}
	if key.kind == value.kind {
		switch key.kind {
		case kindJSON:
			return NewJSON(WithKeySchemas(key.schemas), WithValueSchemas(value.schemas),
				WithSchemaCacheSize(max(key.cacheSize, value.cacheSize))), nil
		case kindString:
			return NewString(), nil
		case kindBytesConv:
			return NewBytes(), nil
		}
	}
	kc, vc := fallback, fallback
	if key.kind != kindNone {
		kc = key.converter()
	}
	if value.kind != kindNone {
		vc = value.converter()
	}
	return NewPair(kc, vc), nil
}

func (p part) converter() connect.Converter {
	switch p.kind {
	case kindJSON:
		return NewJSON(WithKeySchemas(p.schemas), WithValueSchemas(p.schemas), WithSchemaCacheSize(p.cacheSize))
	case kindString:
		return NewString()
	}
	return NewBytes()
}

// len is the cache's size, for a converter made like the one it belongs
// to; a nil cache holds nothing.
func (c *schemaCache) len() int {
	if c == nil {
		return 0
	}
	return c.size
}

// Configured reports whether cfg has a converter setting, so that a
// caller can skip FromConfig for the common config without one.
func Configured(cfg connect.Config) bool {
	for k := range cfg {
		for _, p := range [...]string{KeyConverter, ValueConverter, HeaderConverter} {
			if strings.HasPrefix(k, p) && (len(k) == len(p) || k[len(p)] == '.') {
				return true
			}
		}
	}
	return false
}

// parsePart reads the setting prefix and its sub-settings, adding an
// error for each bad one.
func parsePart(cfg connect.Config, prefix string, header bool, errs *connect.ConfigError) part {
	p := part{schemas: defaultSchemasEnable, cacheSize: DefaultSchemaCacheSize}
	class, set := cfg[prefix]
	subs := map[string]string{}
	for k, v := range cfg {
		if name, ok := strings.CutPrefix(k, prefix+"."); ok {
			subs[name] = v
		}
	}
	class = strings.TrimSpace(class)
	if !set || class == "" {
		if set {
			errs.Add(prefix, "must not be empty: leave it out for the worker's converter")
		}
		for _, name := range slices.Sorted(maps.Keys(subs)) {
			errs.Add(prefix+"."+name, "applies to a %s set in the same config, and none is: the worker's converter is configured where the worker is made (runtime.WithConverter)", prefix)
		}
		return p
	}
	k, known := classes[class]
	switch {
	case !known:
		errs.Add(prefix, "unknown converter %q; known: %s, org.apache.kafka.connect.storage.SimpleHeaderConverter (headers), and RocketMQ Connect's of the same names", class, converterClassesListed)
	case header && k != kindSimpleHeader && k != kindString:
		errs.Add(prefix, "%s cannot convert headers here: headers are strings in connect-go; use org.apache.kafka.connect.storage.SimpleHeaderConverter or StringConverter, which write them as they are", class)
		known = false
	case !header && k == kindSimpleHeader:
		errs.Add(prefix, "%s converts headers only; use it as %s", class, HeaderConverter)
		known = false
	}
	if !known {
		for _, name := range slices.Sorted(maps.Keys(subs)) {
			errs.Add(prefix+"."+name, "belongs to %s, which is not a converter connect-go has", prefix)
		}
		return p
	}
	p.kind = k
	for _, name := range slices.Sorted(maps.Keys(subs)) {
		field, v := prefix+"."+name, strings.TrimSpace(subs[name])
		switch {
		case k == kindJSON && name == settingSchemasEnable:
			b, ok := parseBool(v)
			if !ok {
				errs.Add(field, "must be true or false, got %q", subs[name])
			}
			p.schemas = b
		case k == kindJSON && name == settingSchemasCache:
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				errs.Add(field, "must be a non-negative integer, got %q", subs[name])
			}
			p.cacheSize = n
		case k == kindJSON && name == settingReplaceNull:
			// Our schemas carry no defaults: there is never a default to
			// put in a null's place, so either value means what it says.
			if _, ok := parseBool(v); !ok {
				errs.Add(field, "must be true or false, got %q", subs[name])
			}
		case k == kindJSON && name == settingDecimalFormat:
			errs.Add(field, "is not supported: decimals are written as exact strings (schema %s), never as Kafka's BASE64 or NUMERIC Decimal", nameDecimal)
		case k == kindString && name == settingStringEncoding:
			if !isUTF8(v) {
				errs.Add(field, "only UTF-8 is supported, got %q", subs[name])
			}
		default:
			errs.Add(field, "is not a setting of %s", class)
		}
	}
	return p
}

// parseBool reads a boolean as Kafka's ConfigDef does: true or false in
// any case.
func parseBool(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

func isUTF8(v string) bool {
	switch strings.ToUpper(v) {
	case "UTF-8", "UTF8":
		return true
	}
	return false
}
