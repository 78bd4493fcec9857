package rest_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// GET /connector-plugins?connectorsOnly=false lists the transforms and
// predicates after the connectors, with Kafka's types.
func TestRESTTransformPlugins(t *testing.T) {
	a := newAPI(t)
	var plugins []map[string]string
	a.want(http.StatusOK, "GET", "/connector-plugins?connectorsOnly=false", "", &plugins)
	has := func(class, typ string) bool {
		return slices.ContainsFunc(plugins, func(p map[string]string) bool {
			return p["class"] == class && p["type"] == typ && p["version"] != ""
		})
	}
	for _, want := range [][2]string{
		{"SecretSource", "source"},
		{"org.apache.kafka.connect.transforms.RegexRouter", "transformation"},
		{"org.apache.kafka.connect.transforms.InsertField$Value", "transformation"},
		{"io.debezium.transforms.ExtractNewRecordState", "transformation"},
		{"org.apache.kafka.connect.transforms.predicates.TopicNameMatches", "predicate"},
	} {
		if !has(want[0], want[1]) {
			t.Errorf("%s (%s) not listed: %v", want[0], want[1], plugins)
		}
	}
	var only []map[string]string
	a.want(http.StatusOK, "GET", "/connector-plugins?connectorsOnly=true", "", &only)
	if len(only) != 3 {
		t.Errorf("connectorsOnly=true lists %v", only)
	}
	a.wantError(http.StatusBadRequest, "GET", "/connector-plugins?connectorsOnly=maybe", "")

	var defs []struct {
		Name     string `json:"name"`
		Required bool   `json:"required"`
	}
	a.want(http.StatusOK, "GET", "/connector-plugins/RegexRouter/config", "", &defs)
	if len(defs) != 2 || defs[0].Name != "regex" || !defs[0].Required {
		t.Errorf("RegexRouter settings: %+v", defs)
	}
}

// Validation shows each transform's settings in its own group, with the
// errors of the bad ones.
func TestRESTValidateTransforms(t *testing.T) {
	a := newAPI(t)
	var got struct {
		ErrorCount int      `json:"error_count"`
		Groups     []string `json:"groups"`
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
	a.want(http.StatusOK, "PUT", "/connector-plugins/SliceSource/config/validate",
		`{"transforms":"route,x","transforms.route.type":"RegexRouter","transforms.route.regex":"(","transforms.route.replacement":"$1",
		  "transforms.x.type":"Nope","transforms.y.type":"Filter"}`, &got)
	if got.ErrorCount != 4 {
		t.Errorf("error_count %d, want 4 (name, regex, unknown type, unlisted alias)", got.ErrorCount)
	}
	if !slices.Contains(got.Groups, "Transforms: route") || !slices.Contains(got.Groups, "Transforms: x") {
		t.Errorf("groups %v", got.Groups)
	}
	found := map[string]string{}
	for _, c := range got.Configs {
		found[c.Definition.Name] = c.Definition.Group + " | " + strings.Join(c.Value.Errors, ";")
	}
	for name, want := range map[string]string{
		"transforms.route.type":        "Transforms: route | ",
		"transforms.route.regex":       "Transforms: route | invalid regex",
		"transforms.route.replacement": "Transforms: route | ",
		"transforms.route.negate":      "Transforms: route | ",
		"transforms.x.type":            "Transforms: x | unknown transform type",
		"transforms.y.type":            "Connector | belongs to no alias",
	} {
		if g, ok := found[name]; !ok || !strings.HasPrefix(g, want) {
			t.Errorf("%s: %q, want %q...", name, g, want)
		}
	}
}
