package runtime

import (
	"net/http"
	rtdebug "runtime/debug"
	"sync"
)

// modulePath is this module's path, to find its version in the build info.
const modulePath = "github.com/openmessaging/connect-go"

// ServerInfo is the body of GET /: Kafka Connect's fields, with the
// module's version and VCS revision. There is no Kafka cluster; the cluster
// id names the standalone worker group.
type serverInfo struct {
	Version        string `json:"version"`
	Commit         string `json:"commit"`
	KafkaClusterID string `json:"kafka_cluster_id"`
	WorkerID       string `json:"worker_id"`
}

var buildVersion = sync.OnceValues(func() (version, commit string) {
	version, commit = "(devel)", ""
	bi, ok := rtdebug.ReadBuildInfo()
	if !ok {
		return
	}
	if bi.Main.Path == modulePath {
		version = bi.Main.Version
	} else {
		for _, d := range bi.Deps {
			if d.Path == modulePath {
				version = d.Version
			}
		}
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && bi.Main.Path == modulePath {
			commit = s.Value
		}
	}
	if version == "" {
		version = "(devel)"
	}
	return version, commit
})

// GET /
func (h *restHandler) serverInfo(w http.ResponseWriter, r *http.Request) {
	v, c := buildVersion()
	writeJSON(w, http.StatusOK, serverInfo{Version: v, Commit: c, KafkaClusterID: "standalone", WorkerID: h.rt.WorkerID()})
}

type healthBody struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// GET /health, as Kafka Connect's (KIP-1017): 200 once started, 503 before
// and after.
func (h *restHandler) health(w http.ResponseWriter, r *http.Request) {
	started, stopped := h.rt.lifecycle()
	switch {
	case !started:
		writeJSON(w, http.StatusServiceUnavailable, healthBody{"starting", "Worker is still starting up."})
	case stopped:
		writeJSON(w, http.StatusServiceUnavailable, healthBody{"stopping", "Worker is shutting down."})
	default:
		writeJSON(w, http.StatusOK, healthBody{"healthy", "Worker has completed startup and is ready to handle requests."})
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
