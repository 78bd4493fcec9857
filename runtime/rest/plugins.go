package rest

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/redact"
	"github.com/openmessaging/connect-go/runtime"
)

// pluginInfo is Kafka Connect's PluginInfo. Type is source, sink,
// transformation or predicate.
type pluginInfo struct {
	Class   string `json:"class"`
	Type    string `json:"type"`
	Version string `json:"version"`
}

// configKeyInfo is Kafka Connect's ConfigKeyInfo: one setting of a plugin.
type configKeyInfo struct {
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	Required      bool     `json:"required"`
	DefaultValue  *string  `json:"default_value"`
	Importance    string   `json:"importance"`
	Documentation string   `json:"documentation"`
	Group         string   `json:"group"`
	Width         string   `json:"width"`
	DisplayName   string   `json:"display_name"`
	Dependents    []string `json:"dependents"`
	Order         int      `json:"order"`
}

// configInfos is Kafka Connect's answer to a validation.
type configInfos struct {
	Name       string       `json:"name"`
	ErrorCount int          `json:"error_count"`
	Groups     []string     `json:"groups"`
	Configs    []configInfo `json:"configs"`
}

type configInfo struct {
	Definition configKeyInfo   `json:"definition"`
	Value      configValueInfo `json:"value"`
}

type configValueInfo struct {
	Name              string   `json:"name"`
	Value             *string  `json:"value"`
	RecommendedValues []string `json:"recommended_values"`
	Errors            []string `json:"errors"`
	Visible           bool     `json:"visible"`
}

// Groups of settings in the plugin endpoints: the runtime's own settings
// and the plugin's.
const (
	groupCommon    = "Common"
	groupConnector = "Connector"
)

// GET /connector-plugins[?connectorsOnly=false]: with connectorsOnly=false,
// the transforms and predicates too (Kafka Connect lists its converters
// there as well; connect-go has one converter per runtime, not plugins).
func (h *restHandler) listPlugins(w http.ResponseWriter, r *http.Request) {
	connectorsOnly := true
	if v := r.URL.Query().Get("connectorsOnly"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			h.fail(w, r, errorf(http.StatusBadRequest, "connectorsOnly must be true or false, got %q", v), nil)
			return
		}
		connectorsOnly = b
	}
	names := h.rt.Plugins()
	out := make([]pluginInfo, 0, len(names))
	for _, n := range names {
		spec, kind, err := h.rt.PluginSpec(n)
		if err != nil {
			continue
		}
		out = append(out, pluginInfo{Class: n, Type: string(kind), Version: spec.Version})
	}
	if !connectorsOnly {
		version, _ := runtime.Version()
		for _, p := range h.rt.TransformPlugins() {
			v := p.Spec.Version
			if v == "" {
				v = version
			}
			out = append(out, pluginInfo{Class: p.Name, Type: p.Kind, Version: v})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *restHandler) pluginSpec(w http.ResponseWriter, r *http.Request) (connect.Spec, bool) {
	spec, _, err := h.rt.PluginSpec(r.PathValue("plugin"))
	if err != nil {
		h.fail(w, r, err, nil)
		return connect.Spec{}, false
	}
	return spec, true
}

// GET /connector-plugins/{plugin}/config: a connector's settings, or a
// transform's or predicate's (Kafka Connect answers for those too).
func (h *restHandler) pluginConfig(w http.ResponseWriter, r *http.Request) {
	if tp, err := h.rt.TransformPlugin(r.PathValue("plugin")); err == nil {
		if _, _, cerr := h.rt.PluginSpec(r.PathValue("plugin")); cerr != nil {
			out := make([]configKeyInfo, len(tp.Spec.Config))
			for i, f := range tp.Spec.Config {
				out[i] = keyInfo(f, i)
			}
			writeJSON(w, http.StatusOK, out)
			return
		}
	}
	spec, ok := h.pluginSpec(w, r)
	if !ok {
		return
	}
	out := make([]configKeyInfo, len(spec.Config))
	for i, f := range spec.Config {
		out[i] = keyInfo(f, i)
	}
	writeJSON(w, http.StatusOK, out)
}

func keyInfo(f connect.Field, i int) configKeyInfo {
	k := configKeyInfo{
		Name: f.Name, Type: kafkaType(f), Required: f.Required, Importance: "MEDIUM",
		Documentation: f.Description, Group: groupConnector, Width: "NONE", DisplayName: f.Name,
		Dependents: []string{}, Order: i + 1,
	}
	if f.Default != "" {
		d := f.Default
		if f.Secret {
			d = connect.Masked
		}
		k.DefaultValue = &d
	}
	if f.Required {
		k.Importance = "HIGH"
	}
	if _, ok := runtimeSettings.Field(f.Name); ok {
		k.Group = groupCommon
	}
	return k
}

// kafkaType names a field's type as Kafka's ConfigDef.Type does; secrets
// are PASSWORD, durations (which Kafka lacks) STRING.
func kafkaType(f connect.Field) string {
	if f.Secret {
		return "PASSWORD"
	}
	switch f.Type {
	case connect.FieldInt:
		return "INT"
	case connect.FieldFloat:
		return "DOUBLE"
	case connect.FieldBool:
		return "BOOLEAN"
	case connect.FieldList:
		return "LIST"
	}
	return "STRING"
}

// PUT /connector-plugins/{plugin}/config/validate: 200 with every setting
// and its errors, even when some are invalid.
func (h *restHandler) validate(w http.ResponseWriter, r *http.Request) {
	plugin := r.PathValue("plugin")
	spec, ok := h.pluginSpec(w, r)
	if !ok {
		return
	}
	p, err := h.readConfig(w, r, false)
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	cfg := p.cfg
	red := redact.New(spec.Config, cfg)
	if err := h.translateSeed(cfg); err != nil {
		h.fail(w, r, err, red)
		return
	}
	if c, ok := cfg[runtime.KeyConnectorClass]; ok && c != plugin {
		h.fail(w, r, errorf(http.StatusBadRequest, "%s %q in the config does not match the plugin %q of the request", runtime.KeyConnectorClass, c, plugin), red)
		return
	}
	cfg[runtime.KeyConnectorClass] = plugin
	verr := h.rt.Validate(r.Context(), cfg)
	var ce *connect.ConfigError
	if verr != nil && !errors.As(verr, &ce) {
		h.fail(w, r, verr, red)
		return
	}
	reasons := map[string][]string{}
	// name is a setting of every connector, as in Kafka Connect, though
	// the runtime takes it apart from the config.
	spec.Config = append(spec.Config, nameField)
	if strings.TrimSpace(cfg["name"]) == "" {
		reasons["name"] = []string{"is required"}
	}
	var extra []string // fields named by errors but not in the spec
	if ce != nil {
		for _, fe := range ce.Fields {
			if _, ok := reasons[fe.Field]; !ok {
				if _, inSpec := spec.Config.Field(fe.Field); !inSpec {
					extra = append(extra, fe.Field)
				}
			}
			reasons[fe.Field] = append(reasons[fe.Field], red.Text(fe.Reason))
		}
	}
	// The settings of the configured transforms and predicates, in Kafka's
	// groups ("Transforms: <alias>"), are listed after the plugin's.
	groups := h.rt.TransformFields(cfg)
	inGroups := map[string]bool{}
	for _, g := range groups {
		for _, f := range g.Fields {
			inGroups[f.Name] = true
		}
	}
	extra = slices.DeleteFunc(extra, func(name string) bool { return inGroups[name] })
	applied := spec.Config.Apply(cfg)
	out := configInfos{Name: plugin, Groups: []string{groupConnector, groupCommon}, Configs: make([]configInfo, 0, len(spec.Config)+len(extra))}
	for i, f := range spec.Config {
		v := configValueInfo{Name: f.Name, RecommendedValues: f.Allowed, Errors: reasons[f.Name], Visible: true}
		if val, ok := applied[f.Name]; ok {
			if f.Secret {
				val = connect.Masked
			} else {
				val = red.Text(val)
			}
			v.Value = &val
		}
		out.Configs = append(out.Configs, configInfo{Definition: keyInfo(f, i), Value: v})
	}
	order := len(spec.Config)
	for _, g := range groups {
		out.Groups = append(out.Groups, g.Name)
		for _, f := range g.Fields {
			v := configValueInfo{Name: f.Name, RecommendedValues: f.Allowed, Errors: reasons[f.Name], Visible: true}
			if val, ok := cfg[f.Name]; ok {
				val = red.Text(val)
				v.Value = &val
			}
			k := keyInfo(f, order)
			k.Group = g.Name
			out.Configs = append(out.Configs, configInfo{Definition: k, Value: v})
			order++
		}
	}
	for i, name := range extra {
		f := connect.Field{Name: name}
		v := configValueInfo{Name: name, Errors: reasons[name], Visible: true}
		if val, ok := cfg[name]; ok {
			val = red.Text(val)
			v.Value = &val
		}
		out.Configs = append(out.Configs, configInfo{Definition: keyInfo(f, order+i), Value: v})
	}
	for i := range out.Configs {
		c := &out.Configs[i]
		if c.Value.RecommendedValues == nil {
			c.Value.RecommendedValues = []string{}
		}
		if c.Value.Errors == nil {
			c.Value.Errors = []string{}
		}
		out.ErrorCount += len(c.Value.Errors)
	}
	writeJSON(w, http.StatusOK, out)
}

// runtimeSettings are the runtime's own connector settings, grouped
// "Common" in the plugin config listings.
var runtimeSettings = append(runtime.Settings(), nameField)

// nameField is the connector's name, which validation reports missing as
// Kafka Connect's does.
var nameField = connect.Field{Name: "name", Required: true, Description: "Globally unique name of the connector."}
