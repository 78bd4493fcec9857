package rest

import (
	"github.com/openmessaging/connect-go/runtime"
	"net/http"
	"strings"
)

// ServerInfo is the body of GET /: Kafka Connect's fields, with the
// module's version and VCS revision. There is no Kafka cluster; the cluster
// id is the cluster's (runtime.WithCluster), "standalone" without one.
type serverInfo struct {
	Version        string `json:"version"`
	Commit         string `json:"commit"`
	KafkaClusterID string `json:"kafka_cluster_id"`
	WorkerID       string `json:"worker_id"`
}

func (h *restHandler) serverInfo(w http.ResponseWriter, r *http.Request) {
	v, c := runtime.Version()
	cluster := h.rt.ClusterID()
	if cluster == "" {
		cluster = "standalone"
	}
	writeJSON(w, http.StatusOK, serverInfo{Version: v, Commit: c, KafkaClusterID: cluster, WorkerID: h.rt.WorkerID()})
}

type healthBody struct {
	Status  string   `json:"status"`
	Message string   `json:"message"`
	Reasons []string `json:"reasons,omitempty"`
}

// GET /health, as Kafka Connect's (KIP-1017): 200 once started, 503 before
// and after. A degraded worker (offsets that cannot be saved) answers 200
// with status "degraded" and the reasons: it still serves, and restarting
// it would not help, but monitoring that reads the body sees it.
func (h *restHandler) health(w http.ResponseWriter, r *http.Request) {
	hs := h.rt.Health()
	switch hs.Status {
	case runtime.HealthStarting:
		writeJSON(w, http.StatusServiceUnavailable, healthBody{Status: hs.Status, Message: "Worker is still starting up."})
	case runtime.HealthStopping:
		writeJSON(w, http.StatusServiceUnavailable, healthBody{Status: hs.Status, Message: "Worker is shutting down."})
	case runtime.HealthDegraded:
		writeJSON(w, http.StatusOK, healthBody{Status: hs.Status, Message: "Worker is running, but: " + strings.Join(hs.Reasons, "; "), Reasons: hs.Reasons})
	default:
		writeJSON(w, http.StatusOK, healthBody{Status: hs.Status, Message: "Worker has completed startup and is ready to handle requests."})
	}
}

// clusterInfoBody is RocketMQ Connect's answer to GET /getClusterInfo: its
// HttpResponse envelope around the live workers, worker id -> time of the
// last heartbeat in Unix milliseconds.
type clusterInfoBody struct {
	Status int              `json:"status"`
	Body   map[string]int64 `json:"body"`
}

// GET /getClusterInfo
func (h *restHandler) clusterInfo(w http.ResponseWriter, r *http.Request) {
	ws := h.cfg.workers(r.Context())
	out := clusterInfoBody{Status: http.StatusOK, Body: make(map[string]int64, len(ws))}
	for _, wi := range ws {
		out.Body[wi.ID] = wi.LastHeartbeat.UnixMilli()
	}
	writeJSON(w, http.StatusOK, out)
}
