package rest_test

import (
	"net/http"
	"strings"
	"testing"
)

// A connector's key.converter, value.converter and header.converter, with
// Kafka's class names and sub-settings, are accepted; a bad one is a 400
// naming the setting, and validation lists it in Kafka's Common group with
// its error.
func TestRESTConverterSettings(t *testing.T) {
	a := newAPI(t)
	a.want(http.StatusCreated, "PUT", "/connectors/c/config", secretConfig(
		"key.converter", "org.apache.kafka.connect.storage.StringConverter",
		"value.converter", "org.apache.kafka.connect.json.JsonConverter",
		"value.converter.schemas.enable", "true",
		"header.converter", "org.apache.kafka.connect.storage.SimpleHeaderConverter"), nil)
	var cfg map[string]string
	a.want(http.StatusOK, "GET", "/connectors/c/config", "", &cfg)
	if cfg["value.converter"] != "org.apache.kafka.connect.json.JsonConverter" || cfg["value.converter.schemas.enable"] != "true" {
		t.Errorf("stored config %v", cfg)
	}

	for _, tc := range []struct {
		extra []string
		field string
	}{
		{[]string{"value.converter", "io.confluent.connect.avro.AvroConverter"}, "value.converter"},
		{[]string{"value.converter", "JsonConverter", "value.converter.schemas.enable", "maybe"}, "value.converter.schemas.enable"},
		{[]string{"value.converter", "JsonConverter", "value.converter.schema.enable", "false"}, "value.converter.schema.enable"},
		{[]string{"key.converter.schemas.enable", "false"}, "key.converter.schemas.enable"},
		{[]string{"header.converter", "org.apache.kafka.connect.json.JsonConverter"}, "header.converter"},
	} {
		e := a.wantError(http.StatusBadRequest, "PUT", "/connectors/d/config", secretConfig(tc.extra...))
		if len(e.Fields) != 1 || e.Fields[0].Field != tc.field || e.Fields[0].Reason == "" {
			t.Errorf("%v: fields %+v, want %s", tc.extra, e.Fields, tc.field)
		}
	}

	var got struct {
		ErrorCount int `json:"error_count"`
		Configs    []struct {
			Definition struct {
				Name  string `json:"name"`
				Group string `json:"group"`
			} `json:"definition"`
			Value struct {
				Value  *string  `json:"value"`
				Errors []string `json:"errors"`
			} `json:"value"`
		} `json:"configs"`
	}
	a.want(http.StatusOK, "PUT", "/connector-plugins/SecretSource/config/validate",
		`{"name":"v","host":"db","password":"pw","value.converter":"JsonConverter","value.converter.schemas.enable":"maybe"}`, &got)
	if got.ErrorCount != 1 {
		t.Errorf("error_count %d, want 1", got.ErrorCount)
	}
	found := map[string]string{}
	for _, c := range got.Configs {
		v := ""
		if c.Value.Value != nil {
			v = *c.Value.Value
		}
		found[c.Definition.Name] = c.Definition.Group + " | " + v + " | " + strings.Join(c.Value.Errors, ";")
	}
	for name, want := range map[string]string{
		"value.converter":                "Common | JsonConverter | ",
		"key.converter":                  "Common |  | ",
		"header.converter":               "Common |  | ",
		"value.converter.schemas.enable": "Connector | maybe | must be true or false",
	} {
		if !strings.HasPrefix(found[name], want) {
			t.Errorf("%s: %q, want %q...", name, found[name], want)
		}
	}
}
