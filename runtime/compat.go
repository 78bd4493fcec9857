package runtime

import (
	"maps"
	"slices"
	"strings"

	connect "github.com/openmessaging/connect-go"
)

// Settings of Kafka Connect and RocketMQ Connect the runtime knows by name
// but does not implement. A config carrying one is rejected with a field
// error rather than accepted and ignored: a user migrating a config must
// learn that, say, a setting of theirs does not apply.
//
// transforms, transforms.* and predicates.* are checked by
// validateTransforms; key.converter, value.converter, header.converter and
// their sub-settings by validateConverters.
var unsupportedKeys = map[string]string{
	"predicates": "predicates only apply to transforms, and none are set",
	// The seed's runtime keys, which the REST API's seed endpoints
	// translate (runtime/rest); reaching the runtime unchanged, they
	// would be ignored.
	"connector-class":         "RocketMQ Connect's name of connector.class; use connector.class",
	"oms-driver-url":          "RocketMQ Connect's transport address; the runtime's transport is set with runtime.WithTransport",
	"source-record-converter": "RocketMQ Connect's converter setting; the runtime's converter is set with runtime.WithConverter, a connector's with value.converter",
}

// validateCompat checks the Kafka Connect and RocketMQ Connect settings the
// runtime knows by name, adding a field error for each it cannot honour,
// and the emptiness of typed settings (Kafka Connect rejects an empty
// string for an INT, LONG, BOOLEAN or a setting with a closed set of
// values; connect.ConfigSpec.Validate lets an empty optional value pass).
func (rt *Runtime) validateCompat(cfg connect.Config, errs *connect.ConfigError) {
	for _, k := range slices.Sorted(maps.Keys(cfg)) {
		if reason, ok := unsupportedKeys[k]; ok && !(k == "predicates" && cfg["transforms"] != "") {
			errs.Add(k, "is not supported: %s", reason)
		}
	}
	validateConverters(cfg, errs)
	spec := settingsSpec
	if f, ok := rt.cfg.plugins[cfg[KeyConnectorClass]]; ok {
		_ = safely("plugin factory", func() error {
			spec = append(spec[:len(spec):len(spec)], f().Spec().Config...)
			return nil
		})
	}
	seen := map[string]bool{}
	for _, f := range spec {
		if f.Required || seen[f.Name] || !typed(f) {
			continue
		}
		seen[f.Name] = true
		for _, k := range append([]string{f.Name}, f.Aliases...) {
			if v, ok := cfg[k]; ok && strings.TrimSpace(v) == "" {
				errs.Add(k, "must not be empty: leave it out for the default")
			}
		}
	}
}

// typed reports whether an empty value cannot be a valid value of f.
func typed(f connect.Field) bool {
	return f.Type != connect.FieldString || len(f.Allowed) > 0 || f.Validate != nil
}
