package runtime_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/runtime"
)

// Kafka Connect settings the runtime does not implement are rejected, never
// ignored; Kafka's units of the retry settings are accepted; typed settings
// are as strict as Kafka's (an empty INT, an INT above 2^31-1 is invalid).
// Kafka's settings: https://kafka.apache.org/documentation/#sourceconnectconfigs
func TestCompatSettings(t *testing.T) {
	rt := startRuntime(t, runtime.WithPlugin("gen", func() connect.Connector { return connecttest.NewGenerator(nil, 1) }))
	fields := func(cfg connect.Config) []string {
		t.Helper()
		cfg["connector.class"] = "gen"
		err := rt.Validate(context.Background(), cfg)
		if err == nil {
			return nil
		}
		var ce *connect.ConfigError
		if !errors.As(err, &ce) {
			t.Fatalf("want *ConfigError, got %v", err)
		}
		var out []string
		for _, f := range ce.Fields {
			out = append(out, f.Field)
		}
		return out
	}
	for _, tc := range []struct {
		cfg  connect.Config
		want []string
	}{
		{connect.Config{"key.converter": "io.confluent.connect.avro.AvroConverter"}, []string{"key.converter"}},
		{connect.Config{"value.converter": "x", "value.converter.schemas.enable": "false"}, []string{"value.converter", "value.converter.schemas.enable"}},
		{connect.Config{"header.converter": "x"}, []string{"header.converter"}},
		{connect.Config{"predicates": "p"}, []string{"predicates"}},
		{connect.Config{"connector-class": "gen"}, []string{"connector-class"}},
		{connect.Config{"oms-driver-url": "oms:rocketmq://localhost:9876/default:default"}, []string{"oms-driver-url"}},
		{connect.Config{"source-record-converter": "x"}, []string{"source-record-converter"}},
		// Not a converter setting: a prefix is a whole dotted word.
		{connect.Config{"value.converterx": "x"}, nil},
		{connect.Config{"tasks.max": ""}, []string{"tasks.max"}},
		{connect.Config{"tasks.max": "2147483648"}, []string{"tasks.max"}},
		{connect.Config{"tasks.max": "2147483647"}, nil},
		{connect.Config{"batch.size.max": " "}, []string{"batch.size.max"}},
		{connect.Config{"errors.log.enable": ""}, []string{"errors.log.enable"}},
		{connect.Config{"errors.retry.timeout": ""}, []string{"errors.retry.timeout"}},
		// Kafka's units: milliseconds, -1 forever.
		{connect.Config{"errors.retry.timeout": "-1", "errors.retry.delay.max.ms": "60000"}, nil},
		{connect.Config{"errors.retry.timeout": "300000", "errors.retry.delay.max": "5s"}, nil},
		{connect.Config{"errors.retry.timeout": "-2"}, []string{"errors.retry.timeout"}},
		{connect.Config{"errors.retry.delay.max.ms": "0"}, []string{"errors.retry.delay.max"}},
		{connect.Config{"errors.retry.delay.max.ms": "-1"}, []string{"errors.retry.delay.max"}},
	} {
		got := fields(tc.cfg)
		slices.Sort(got)
		slices.Sort(tc.want)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%v: bad fields %v, want %v", tc.cfg, got, tc.want)
		}
	}
	// A config with errors.retry.timeout=-1 runs.
	create(t, rt, "forever", connect.Config{"connector.class": "gen", "errors.retry.timeout": "-1", "errors.retry.delay.max.ms": "100"})
}

// A plugin's setting named as a runtime setting is listed once.
func TestPluginSpecListsEverySettingOnce(t *testing.T) {
	rt := startRuntime(t, runtime.WithPlugin("topical", func() connect.Connector {
		return &specSource{Connector: connecttest.NewGenerator(nil, 1), spec: connect.Spec{Name: "topical",
			Config: connect.ConfigSpec{{Name: "topic", Required: true}}}}
	}))
	spec, _, err := rt.PluginSpec("topical")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range spec.Config {
		if seen[f.Name] {
			t.Errorf("%s listed twice", f.Name)
		}
		seen[f.Name] = true
	}
	if f, _ := spec.Config.Field("topic"); !f.Required {
		t.Errorf("topic is the runtime's, not the plugin's: %+v", f)
	}
}

type specSource struct {
	connect.Connector
	spec connect.Spec
}

func (s *specSource) Spec() connect.Spec { return s.spec }

func (s *specSource) NewTask() connect.SourceTask {
	return s.Connector.(connect.SourceConnector).NewTask()
}
