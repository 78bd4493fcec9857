package rest

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/redact"
	"github.com/openmessaging/connect-go/runtime"
)

// connectorInfo is Kafka Connect's ConnectorInfo.
type connectorInfo struct {
	Name   string                `json:"name"`
	Config connect.Config        `json:"config"`
	Tasks  []taskID              `json:"tasks"`
	Type   connect.ConnectorType `json:"type"`
}

type taskID struct {
	Connector string `json:"connector"`
	Task      int    `json:"task"`
}

// taskInfo is an entry of GET /connectors/{name}/tasks.
type taskInfo struct {
	ID     taskID         `json:"id"`
	Config connect.Config `json:"config"`
}

// connectorStateInfo is Kafka Connect's ConnectorStateInfo; tasks carry
// connect-go's automatic restart details too.
type connectorStateInfo struct {
	Name      string                `json:"name"`
	Connector stateInfo             `json:"connector"`
	Tasks     []taskState           `json:"tasks"`
	Type      connect.ConnectorType `json:"type"`
}

type stateInfo struct {
	State    connect.State `json:"state"`
	WorkerID string        `json:"worker_id"`
	Version  string        `json:"version,omitempty"`
	Trace    string        `json:"trace,omitempty"`
}

type taskState struct {
	ID          int            `json:"id"`
	State       connect.State  `json:"state"`
	WorkerID    string         `json:"worker_id"`
	Version     string         `json:"version,omitempty"`
	Trace       string         `json:"trace,omitempty"`
	Restarts    int            `json:"restarts"`
	NextRestart time.Time      `json:"next_restart,omitzero"`
	Progress    map[string]any `json:"progress,omitempty"`
}

type messageBody struct {
	Message string `json:"message"`
}

// opCtx bounds an operation that changes a connector. It is not cancelled
// when the client goes away: a half-done stop would skip committing
// offsets.
func (h *restHandler) opCtx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), h.rt.ShutdownTimeout())
}

// specOf returns the spec of cfg's plugin with the runtime's settings, or
// the runtime's settings alone for an unknown plugin.
func (h *restHandler) specOf(cfg connect.Config) connect.Spec {
	spec, _, err := h.rt.PluginSpec(cfg[runtime.KeyConnectorClass])
	if err != nil {
		return connect.Spec{Config: runtime.Settings()}
	}
	return spec
}

func (h *restHandler) kindOf(cfg connect.Config) connect.ConnectorType {
	_, kind, _ := h.rt.PluginSpec(cfg[runtime.KeyConnectorClass])
	return kind
}

// redactorFor hides the secrets of every given config, by the specs of
// their plugins.
func (h *restHandler) redactorFor(cfgs ...connect.Config) *redact.Redactor {
	var spec connect.ConfigSpec
	for _, c := range cfgs {
		if c != nil {
			spec = append(spec, h.specOf(c).Config...)
		}
	}
	return redact.New(spec, cfgs...)
}

// connView is what the API shows of one connector, secrets masked.
type connView struct {
	cfg   connect.Config // raw
	tasks []connect.Config
	kind  connect.ConnectorType
	red   *redact.Redactor
}

func (h *restHandler) view(name string) (connView, error) {
	cfg, err := h.rt.ConnectorConfig(name)
	if err != nil {
		return connView{}, err
	}
	tasks, err := h.rt.TaskConfigs(name)
	if err != nil {
		return connView{}, err
	}
	red := redact.New(h.specOf(cfg).Config, append([]connect.Config{cfg}, tasks...)...)
	if st, err := h.rt.ConnectorStatus(name); err == nil && st.State == connect.StateStopped {
		// Kafka Connect empties a STOPPED connector's task configs.
		tasks = nil
	}
	return connView{cfg: cfg, tasks: tasks, kind: h.kindOf(cfg), red: red}, nil
}

func (v connView) info(name string) connectorInfo {
	info := connectorInfo{Name: name, Config: v.red.Config(v.cfg), Tasks: make([]taskID, len(v.tasks)), Type: v.kind}
	for i := range v.tasks {
		info.Tasks[i] = taskID{Connector: name, Task: i}
	}
	return info
}

func (h *restHandler) status(name string, red *redact.Redactor) (connectorStateInfo, error) {
	st, err := h.rt.ConnectorStatus(name)
	if err != nil {
		return connectorStateInfo{}, err
	}
	v, err := h.view(name)
	if err != nil {
		return connectorStateInfo{}, err
	}
	if red == nil {
		red = v.red
	}
	// Kafka Connect (KIP-891) shows the plugin's version in statuses.
	version := h.specOf(v.cfg).Version
	out := connectorStateInfo{
		Name:      st.Name,
		Connector: stateInfo{State: st.State, WorkerID: st.WorkerID, Version: version, Trace: red.Text(st.Trace)},
		Tasks:     make([]taskState, len(st.Tasks)),
		Type:      st.Type,
	}
	for i, t := range st.Tasks {
		out.Tasks[i] = taskStateOf(t, red)
		out.Tasks[i].Version = version
	}
	return out, nil
}

func taskStateOf(t connect.TaskStatus, red *redact.Redactor) taskState {
	ts := taskState{ID: t.ID, State: t.State, WorkerID: t.WorkerID, Trace: red.Text(t.Trace),
		Restarts: t.Restarts, NextRestart: t.NextRestart}
	if t.Progress != nil {
		ts.Progress, _ = red.Value(t.Progress).(map[string]any)
	}
	return ts
}

func (h *restHandler) writeInfo(w http.ResponseWriter, r *http.Request, name string, code int) {
	v, err := h.view(name)
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	if code == http.StatusCreated {
		w.Header().Set("Location", "/connectors/"+url.PathEscape(name))
	}
	writeJSON(w, code, v.info(name))
}

// GET /connectors[?expand=status&expand=info]
func (h *restHandler) listConnectors(w http.ResponseWriter, r *http.Request) {
	names := h.rt.Connectors()
	expand := r.URL.Query()["expand"]
	withStatus, withInfo := slices.Contains(expand, "status"), slices.Contains(expand, "info")
	if !withStatus && !withInfo {
		if names == nil {
			names = []string{}
		}
		writeJSON(w, http.StatusOK, names)
		return
	}
	out := make(map[string]map[string]any, len(names))
	for _, name := range names {
		v, err := h.view(name)
		if errors.Is(err, connect.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			h.fail(w, r, err, nil)
			return
		}
		e := map[string]any{}
		if withInfo {
			e["info"] = v.info(name)
		}
		if withStatus {
			st, err := h.status(name, v.red)
			if errors.Is(err, connect.ErrNotFound) {
				continue
			}
			if err != nil {
				h.fail(w, r, err, v.red)
				return
			}
			e["status"] = st
		}
		out[name] = e
	}
	writeJSON(w, http.StatusOK, out)
}

// POST /connectors {"name": ..., "config": {...}}
func (h *restHandler) createConnector(w http.ResponseWriter, r *http.Request) {
	b, err := h.readBody(w, r)
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	var req struct {
		Name         *string         `json:"name"`
		Config       json.RawMessage `json:"config"`
		InitialState string          `json:"initial_state"`
	}
	if err := decodeStrict(b, &req); err != nil {
		h.fail(w, r, err, nil)
		return
	}
	if len(req.Config) == 0 || string(req.Config) == "null" {
		h.fail(w, r, errorf(http.StatusBadRequest, "connector config is required"), nil)
		return
	}
	// Kafka Connect reads initial_state case-insensitively.
	initial := connect.State(strings.ToUpper(strings.TrimSpace(req.InitialState)))
	switch initial {
	case "", connect.StateRunning, connect.StatePaused, connect.StateStopped:
	default:
		h.fail(w, r, errorf(http.StatusBadRequest, "initial_state %q is not one of RUNNING, PAUSED, STOPPED", req.InitialState), nil)
		return
	}
	p, err := parseConfig(req.Config, false)
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	red := h.redactorFor(p.cfg)
	if err := h.translateSeed(p.cfg); err != nil {
		h.fail(w, r, err, red)
		return
	}
	var name string
	switch n, inCfg := p.cfg["name"]; {
	case req.Name != nil:
		name = strings.TrimSpace(*req.Name) // as Kafka Connect
	case inCfg:
		name = strings.TrimSpace(n) // as Kafka Connect, the config's name will do
	default:
		h.fail(w, r, errorf(http.StatusBadRequest, "connector name is required"), nil)
		return
	}
	if err := checkName(name); err != nil {
		h.fail(w, r, err, nil)
		return
	}
	cfg, err := withName(p.cfg, name)
	if err != nil {
		h.fail(w, r, err, red)
		return
	}
	ctx, cancel := h.opCtx(r)
	defer cancel()
	if err := h.rt.CreateConnectorWith(ctx, name, cfg, runtime.CreateOptions{InitialState: initial}); err != nil {
		h.fail(w, r, err, red)
		return
	}
	h.writeInfo(w, r, name, http.StatusCreated)
}

// GET /connectors/{name}; with ?config={json}, the seed's create form.
func (h *restHandler) getConnector(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if r.URL.Query().Has("config") {
		raw := r.URL.Query().Get("config")
		if int64(len(raw)) > h.cfg.maxBodyBytes {
			h.fail(w, r, &http.MaxBytesError{Limit: h.cfg.maxBodyBytes}, nil)
			return
		}
		if strings.TrimSpace(raw) == "" {
			h.fail(w, r, errorf(http.StatusBadRequest, "query parameter config is empty"), nil)
			return
		}
		h.seedUpsert(w, r, name, []byte(raw))
		return
	}
	h.writeInfo(w, r, name, http.StatusOK)
}

// POST /connectors/{name} with the config as body: the seed's create. Like
// RocketMQ Connect it creates the connector or replaces its config, and
// starts it.
func (h *restHandler) seedCreate(w http.ResponseWriter, r *http.Request) {
	b, err := h.readBody(w, r)
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	h.seedUpsert(w, r, r.PathValue("name"), b)
}

func (h *restHandler) seedUpsert(w http.ResponseWriter, r *http.Request, name string, body []byte) {
	if err := checkName(name); err != nil {
		h.fail(w, r, err, nil)
		return
	}
	p, err := parseSeedConfig(body)
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	var wasHalted bool
	if st, err := h.rt.ConnectorStatus(name); err == nil {
		wasHalted = st.State == connect.StateStopped || st.State == connect.StatePaused
	}
	ctx, cancel := h.opCtx(r)
	defer cancel()
	created, red, err := h.put(ctx, name, p.cfg)
	if err != nil {
		h.fail(w, r, err, red)
		return
	}
	if !created && wasHalted {
		if err := h.rt.ResumeConnector(ctx, name); err != nil {
			h.fail(w, r, err, red)
			return
		}
	}
	h.writeInfo(w, r, name, createdCode(created))
}

func createdCode(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}

// put creates the connector or replaces its config, putting back the
// secrets the client sent masked.
func (h *restHandler) put(ctx context.Context, name string, cfg connect.Config) (created bool, red *redact.Redactor, err error) {
	old, _ := h.rt.ConnectorConfig(name)
	red = h.redactorFor(cfg, old)
	if err := h.translateSeed(cfg); err != nil {
		return false, red, err
	}
	if cfg, err = withName(cfg, name); err != nil {
		return false, red, err
	}
	red.Unmask(cfg, old) // the values put back are old's, which red knows
	created, err = h.rt.PutConnectorConfig(ctx, name, cfg)
	return created, red, err
}

// DELETE /connectors/{name}
func (h *restHandler) deleteConnector(w http.ResponseWriter, r *http.Request) {
	if h.remove(w, r) {
		w.WriteHeader(http.StatusNoContent)
	}
}

// POST /connectors/{name}/stop: the seed's stop, which (as in RocketMQ
// Connect) stops the connector and deletes its config. Its offsets are
// kept. Kafka Connect's stop, keeping the config, is PUT. A deletion must
// not be hit by accident: only with no body or a JSON one (a browser form
// cannot send that cross-site), and never cross-origin (ServeHTTP).
func (h *restHandler) seedStop(w http.ResponseWriter, r *http.Request) {
	if err := checkSeedStop(r); err != nil {
		h.fail(w, r, err, nil)
		return
	}
	if h.remove(w, r) {
		writeJSON(w, http.StatusOK, messageBody{"Connector [" + r.PathValue("name") + "] deleted successfully"})
	}
}

func (h *restHandler) remove(w http.ResponseWriter, r *http.Request) bool {
	name := r.PathValue("name")
	v, err := h.view(name)
	if err != nil {
		h.fail(w, r, err, nil)
		return false
	}
	ctx, cancel := h.opCtx(r)
	defer cancel()
	err = h.rt.DeleteConnector(ctx, name)
	if err != nil && !errors.Is(err, connect.ErrNotFound) && !errors.Is(err, connect.ErrClosed) &&
		!slices.Contains(h.rt.Connectors(), name) {
		// Forgotten, but a task did not stop cleanly: the delete happened.
		h.log.Warn("connector deleted; stopping it reported an error", "connector", name, "error", v.red.Text(err.Error()))
		err = nil
	}
	if err != nil {
		h.fail(w, r, err, v.red)
		return false
	}
	return true
}

// GET /connectors/{name}/config
func (h *restHandler) getConfig(w http.ResponseWriter, r *http.Request) {
	v, err := h.view(r.PathValue("name"))
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	writeJSON(w, http.StatusOK, v.red.Config(v.cfg))
}

// PUT /connectors/{name}/config: create (201) or replace (200).
func (h *restHandler) putConfig(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := checkName(name); err != nil {
		h.fail(w, r, err, nil)
		return
	}
	p, err := h.readConfig(w, r, false)
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	ctx, cancel := h.opCtx(r)
	defer cancel()
	created, red, err := h.put(ctx, name, p.cfg)
	if err != nil {
		h.fail(w, r, err, red)
		return
	}
	h.writeInfo(w, r, name, createdCode(created))
}

// PATCH /connectors/{name}/config: merge into the config; null removes a
// key.
func (h *restHandler) patchConfig(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	old, err := h.rt.ConnectorConfig(name)
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	p, err := h.readConfig(w, r, true)
	if err != nil {
		h.fail(w, r, err, h.redactorFor(old))
		return
	}
	if n, ok := p.cfg["name"]; ok && n != name {
		h.fail(w, r, errorf(http.StatusBadRequest, "connector name in the config (%q) does not match the connector name in the request (%q)", n, name), nil)
		return
	}
	cfg := maps.Clone(old)
	for _, k := range p.removed {
		delete(cfg, k)
	}
	maps.Copy(cfg, p.cfg)
	ctx, cancel := h.opCtx(r)
	defer cancel()
	if _, red, err := h.put(ctx, name, cfg); err != nil {
		h.fail(w, r, err, red)
		return
	}
	h.writeInfo(w, r, name, http.StatusOK)
}

// GET /connectors/{name}/status
func (h *restHandler) getStatus(w http.ResponseWriter, r *http.Request) {
	st, err := h.status(r.PathValue("name"), nil)
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// GET /connectors/{name}/topics: Kafka Connect's active topics.
func (h *restHandler) getTopics(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	topics, err := h.rt.ActiveTopics(name)
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	writeJSON(w, http.StatusOK, map[string]map[string][]string{name: {"topics": topics}})
}

// PUT /connectors/{name}/topics/reset
func (h *restHandler) resetTopics(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := h.opCtx(r)
	defer cancel()
	if err := h.rt.ResetActiveTopics(ctx, r.PathValue("name")); err != nil {
		h.fail(w, r, err, nil)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// GET /connectors/{name}/tasks
func (h *restHandler) getTasks(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	v, err := h.view(name)
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	out := make([]taskInfo, len(v.tasks))
	for i, tc := range v.tasks {
		out[i] = taskInfo{ID: taskID{Connector: name, Task: i}, Config: v.red.Config(tc)}
	}
	writeJSON(w, http.StatusOK, out)
}

func taskNotFound(name, id string) error {
	return errorf(http.StatusNotFound, "task %s of connector %q not found", id, name)
}

// GET /connectors/{name}/tasks/{id}/status
func (h *restHandler) getTaskStatus(w http.ResponseWriter, r *http.Request) {
	name, sid := r.PathValue("name"), r.PathValue("id")
	st, err := h.status(name, nil)
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	id, err := strconv.Atoi(sid)
	if err != nil || id < 0 || id >= len(st.Tasks) {
		h.fail(w, r, taskNotFound(name, strconv.Quote(sid)), nil)
		return
	}
	for _, t := range st.Tasks {
		if t.ID == id {
			writeJSON(w, http.StatusOK, t)
			return
		}
	}
	h.fail(w, r, taskNotFound(name, sid), nil)
}

// POST /connectors/{name}/restart?includeTasks=&onlyFailed=: 204 when only
// the connector instance restarts, else 202 with the status.
func (h *restHandler) restartConnector(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	includeTasks, err := boolParam(r, "includeTasks")
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	onlyFailed, err := boolParam(r, "onlyFailed")
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	ctx, cancel := h.opCtx(r)
	defer cancel()
	// Kafka Connect restarts a STOPPED connector into STOPPED again: it
	// answers as for any restart and nothing runs.
	if st, err := h.rt.ConnectorStatus(name); err != nil || st.State != connect.StateStopped {
		if err := h.rt.RestartConnector(ctx, name, runtime.RestartOptions{IncludeTasks: includeTasks, OnlyFailed: onlyFailed}); err != nil {
			h.fail(w, r, err, h.redactorOf(name))
			return
		}
	}
	if !includeTasks && !onlyFailed {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	st, err := h.status(name, nil)
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	writeJSON(w, http.StatusAccepted, st)
}

// redactorOf returns the redactor of a connector's secrets, or nil when the
// connector is gone.
func (h *restHandler) redactorOf(name string) *redact.Redactor {
	v, err := h.view(name)
	if err != nil {
		return nil
	}
	return v.red
}

// POST /connectors/{name}/tasks/{id}/restart
func (h *restHandler) restartTask(w http.ResponseWriter, r *http.Request) {
	name, sid := r.PathValue("name"), r.PathValue("id")
	id, err := strconv.Atoi(sid)
	if err != nil {
		if _, verr := h.rt.ConnectorConfig(name); verr != nil {
			h.fail(w, r, verr, nil)
			return
		}
		h.fail(w, r, taskNotFound(name, strconv.Quote(sid)), nil)
		return
	}
	ctx, cancel := h.opCtx(r)
	defer cancel()
	if err := h.rt.RestartTask(ctx, name, id); err != nil {
		h.fail(w, r, err, h.redactorOf(name))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// PUT /connectors/{name}/pause, /resume: 202; /stop: 204, as in Kafka
// Connect.
func (h *restHandler) pause(w http.ResponseWriter, r *http.Request) {
	h.setState(w, r, h.rt.PauseConnector, http.StatusAccepted)
}

func (h *restHandler) resume(w http.ResponseWriter, r *http.Request) {
	h.setState(w, r, h.rt.ResumeConnector, http.StatusAccepted)
}

func (h *restHandler) stop(w http.ResponseWriter, r *http.Request) {
	h.setState(w, r, h.rt.StopConnector, http.StatusNoContent)
}

func (h *restHandler) setState(w http.ResponseWriter, r *http.Request, op func(context.Context, string) error, code int) {
	name := r.PathValue("name")
	ctx, cancel := h.opCtx(r)
	defer cancel()
	if err := op(ctx, name); err != nil {
		h.fail(w, r, err, h.redactorOf(name))
		return
	}
	w.WriteHeader(code)
}
