package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode"

	connect "github.com/openmessaging/connect-go"
)

// readBody returns the request body: it must be declared application/json
// (415 otherwise), be at most maxBodyBytes long (413) and not be empty
// (400).
func (h *restHandler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return nil, errorf(http.StatusUnsupportedMediaType, "request body must be application/json, got Content-Type %q", ct)
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.maxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, errorf(http.StatusBadRequest, "read request body: %v", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, errorf(http.StatusBadRequest, "request body is required")
	}
	return b, nil
}

// decodeStrict unmarshals exactly one JSON value from b into v. Its errors
// are 400s that never quote the body.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return malformed(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(http.StatusBadRequest, "malformed JSON: data after the top-level value")
	}
	return nil
}

func malformed(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return errorf(http.StatusBadRequest, "malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		where := te.Field
		if where == "" {
			where = "the top level"
		}
		return errorf(http.StatusBadRequest, "malformed JSON: %s value where %s expects %s", te.Value, where, jsonKind(te.Type.Kind().String()))
	}
	return errorf(http.StatusBadRequest, "malformed JSON: unexpected end or invalid value")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	}
	return "another type"
}

// configPatch is a config as a request body gives it, with the keys whose
// value was null (which PATCH removes).
type configPatch struct {
	cfg     connect.Config
	removed []string
}

// parseConfig reads a JSON object of config keys. Values may be strings,
// numbers or booleans (turned into their JSON text, as Kafka Connect does);
// null is accepted only when allowNull (PATCH: remove the key). Every bad
// key is named in one *connect.ConfigError.
// readConfig reads and parses a config request body.
func (h *restHandler) readConfig(w http.ResponseWriter, r *http.Request, allowNull bool) (configPatch, error) {
	b, err := h.readBody(w, r)
	if err != nil {
		return configPatch{}, err
	}
	return parseConfig(b, allowNull)
}

func parseConfig(raw []byte, allowNull bool) (configPatch, error) {
	return parseConfigValues(raw, allowNull, false)
}

// parseSeedConfig reads a config of the seed's endpoints, whose values may
// also be JSON objects and arrays (the seed's whiteDataBase): they are kept
// as their JSON text.
func parseSeedConfig(raw []byte) (configPatch, error) {
	return parseConfigValues(raw, false, true)
}

func parseConfigValues(raw []byte, allowNull, nested bool) (configPatch, error) {
	var m map[string]any
	if err := decodeStrict(raw, &m); err != nil {
		return configPatch{}, err
	}
	if m == nil {
		return configPatch{}, errorf(http.StatusBadRequest, "config must be a JSON object, got null")
	}
	p := configPatch{cfg: make(connect.Config, len(m))}
	errs := &connect.ConfigError{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.TrimSpace(k) == "" {
			return configPatch{}, errorf(http.StatusBadRequest, "config keys must not be empty")
		}
		switch v := m[k].(type) {
		case string:
			p.cfg[k] = v
		case json.Number:
			p.cfg[k] = v.String()
		case bool:
			p.cfg[k] = strconv.FormatBool(v)
		case map[string]any, []any:
			if !nested {
				errs.Add(k, "must be a string, number or boolean, got %s", jsonKind(kindOf(v)))
				break
			}
			b, _ := json.Marshal(v) // decoded from JSON: it encodes
			p.cfg[k] = string(b)
		case nil:
			if allowNull {
				p.removed = append(p.removed, k)
			} else {
				errs.Add(k, "must be a string, number or boolean, got null")
			}
		}
	}
	if err := errs.Err(); err != nil {
		return configPatch{}, err
	}
	return p, nil
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "map"
	case []any:
		return "slice"
	}
	return "other"
}

// checkName rejects connector names the API could not address.
func checkName(name string) error {
	if strings.TrimSpace(name) == "" {
		return errorf(http.StatusBadRequest, "connector name is required")
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return errorf(http.StatusBadRequest, "connector name must not contain control characters")
	}
	return nil
}

// withName returns cfg with its "name" key set to name, as Kafka Connect
// stores it; a different "name" in cfg is a 400.
func withName(cfg connect.Config, name string) (connect.Config, error) {
	if n, ok := cfg["name"]; ok && n != name {
		return nil, errorf(http.StatusBadRequest, "connector name in the config (%q) does not match the connector name in the request (%q)", n, name)
	}
	cfg["name"] = name
	return cfg, nil
}

// boolParam reads a boolean query parameter, false when absent.
func boolParam(r *http.Request, key string) (bool, error) {
	v := r.URL.Query().Get(key)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errorf(http.StatusBadRequest, "query parameter %s must be true or false, got %q", key, v)
	}
	return b, nil
}
