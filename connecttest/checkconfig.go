package connecttest

import (
	"context"
	"slices"
	"strings"
	"testing"

	connect "github.com/openmessaging/connect-go"
)

func checkSpec(t testing.TB, d *Driver) {
	spec := d.Connector().Spec()
	if spec.Name == "" {
		t.Error("Spec().Name is empty")
	}
	if spec.Version == "" {
		t.Error("Spec().Version is empty")
	}
	if strings.TrimSpace(spec.Description) == "" {
		t.Error("Spec().Description is empty: say what the connector reads or writes")
	}
	seen := map[string]bool{}
	for i, f := range spec.Config {
		if f.Name == "" {
			t.Errorf("config field %d has no name", i)
			continue
		}
		for _, n := range append([]string{f.Name}, f.Aliases...) {
			if seen[n] {
				t.Errorf("config field %q: name or alias %q is used twice", f.Name, n)
			}
			seen[n] = true
		}
		if strings.TrimSpace(f.Description) == "" {
			t.Errorf("config field %q has no description", f.Name)
		}
		if f.Type.String() == "unknown" {
			t.Errorf("config field %q has an unknown type %d", f.Name, f.Type)
		}
		if f.Required && f.Default != "" {
			t.Errorf("config field %q is required and has a default %q: drop one", f.Name, f.Default)
		}
		if f.Secret && f.Default != "" {
			t.Errorf("config field %q is secret and has a default: secrets must come from the user", f.Name)
		}
		if f.Default != "" {
			if reason, bad := fieldReason(spec.Config.Validate(connect.Config{f.Name: f.Default}), f.Name); bad {
				t.Errorf("config field %q: default %q is invalid: %s", f.Name, f.Default, reason)
			}
		}
		for _, v := range f.Allowed {
			if reason, bad := fieldReason(spec.Config.Validate(connect.Config{f.Name: v}), f.Name); bad {
				t.Errorf("config field %q: allowed value %q is invalid: %s", f.Name, v, reason)
			}
		}
	}
}

func checkValidConfig(t testing.TB, d *Driver) {
	ctx, cancel := context.WithTimeout(context.Background(), d.Timeout)
	defer cancel()
	if err := validate(ctx, d.Connector(), d.Config); err != nil {
		t.Errorf("Driver.Config does not validate: %v", err)
	}
}

func checkRequiredFields(t testing.TB, d *Driver) {
	ctx, cancel := context.WithTimeout(context.Background(), d.Timeout)
	defer cancel()
	for _, f := range d.Connector().Spec().Config {
		cfg := without(d.Config, f)
		err := validate(ctx, d.Connector(), cfg)
		if f.Required {
			if _, ok := fieldReason(err, f.Name); !ok {
				t.Errorf("without required field %q the config validation returned %v, want a *connect.ConfigError naming it", f.Name, err)
			}
			continue
		}
		if err != nil || len(cfg) == len(d.Config) {
			continue // rejected by a cross-field rule, or nothing was removed
		}
		// The config validates without f, so the runtime would start the
		// connector with it: Start must cope.
		conn := d.Connector()
		if err := conn.Start(ctx, NewConnectorContext(), conn.Spec().Config.Apply(cfg)); err != nil {
			t.Errorf("optional field %q: the config validates without it but Start fails: %v; declare it Required, give it a Default or reject the config in Validate", f.Name, err)
			continue
		}
		if err := conn.Stop(ctx); err != nil {
			t.Errorf("Stop (after starting without %q): %v", f.Name, err)
		}
	}
}

// badValues are values of the wrong type for each typed field.
var badValues = map[connect.FieldType]string{
	connect.FieldInt:      "not-an-int",
	connect.FieldFloat:    "not-a-float",
	connect.FieldBool:     "not-a-bool",
	connect.FieldDuration: "not-a-duration",
}

func checkTypedFields(t testing.TB, d *Driver) {
	ctx, cancel := context.WithTimeout(context.Background(), d.Timeout)
	defer cancel()
	for _, f := range d.Connector().Spec().Config {
		bad, typed := badValues[f.Type]
		if !typed && len(f.Allowed) == 0 {
			continue
		}
		if !typed {
			bad = "not-one-of-" + strings.Join(f.Allowed, "-")
			if slices.Contains(f.Allowed, bad) {
				continue
			}
		}
		cfg := without(d.Config, f)
		cfg[f.Name] = bad
		if _, ok := fieldReason(validate(ctx, d.Connector(), cfg), f.Name); !ok {
			t.Errorf("%s field %q accepted %q", f.Type, f.Name, bad)
		}
	}
}

func checkTaskConfigs(t testing.TB, d *Driver) {
	ctx, cancel := context.WithTimeout(context.Background(), d.Timeout)
	defer cancel()
	conn := d.Connector()
	if err := conn.Start(ctx, NewConnectorContext(), conn.Spec().Config.Apply(d.Config)); err != nil {
		t.Fatalf("Start: %v", err)
	}
	for _, max := range []int{1, 3} {
		cfgs, err := conn.TaskConfigs(max)
		if err != nil {
			t.Errorf("TaskConfigs(%d): %v", max, err)
			continue
		}
		if len(cfgs) < 1 || len(cfgs) > max {
			t.Errorf("TaskConfigs(%d) returned %d configs, want 1 to %d", max, len(cfgs), max)
		}
	}
	if err := conn.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
}
