package connect

import "time"

// State is the lifecycle state of a connector or task. The names and
// meanings follow Kafka Connect. Unlike Kafka Connect, a failed connector
// or task is restarted automatically: it stays FAILED (with the reason and
// the time of the next attempt) while it waits out its backoff, and is
// RESTARTING while it starts again.
type State string

// States.
const (
	StateUnassigned State = "UNASSIGNED" // created, not yet started on a worker
	StateRunning    State = "RUNNING"
	StatePaused     State = "PAUSED"     // tasks started but not moving data
	StateStopped    State = "STOPPED"    // tasks shut down, config kept
	StateFailed     State = "FAILED"     // see Trace; restarted automatically with backoff
	StateRestarting State = "RESTARTING" // starting again after a failure or a restart request
)

// ConnectorType says whether a connector reads or writes.
type ConnectorType string

// Connector types.
const (
	TypeSource ConnectorType = "source"
	TypeSink   ConnectorType = "sink"
)

// ConnectorStatus is a connector's state and its tasks' states.
type ConnectorStatus struct {
	Name     string        `json:"name"`
	Type     ConnectorType `json:"type"`
	State    State         `json:"state"`
	WorkerID string        `json:"worker_id"`
	// Trace is the last error, when State is FAILED.
	Trace string       `json:"trace,omitempty"`
	Tasks []TaskStatus `json:"tasks"`
}

// TaskStatus is one task's state.
type TaskStatus struct {
	ID       int    `json:"id"`
	State    State  `json:"state"`
	WorkerID string `json:"worker_id"`
	// Trace is the error that failed the task most recently; it stays set
	// while the task is RESTARTING.
	Trace string `json:"trace,omitempty"`
	// Restarts counts automatic restarts since the task was created.
	Restarts int `json:"restarts"`
	// NextRestart is when a FAILED task starts again.
	NextRestart time.Time `json:"next_restart,omitzero"`
	// Progress is what the task published with SetProgress.
	Progress map[string]any `json:"progress,omitempty"`
	// OffsetCommitError is set while a source task's positions cannot be
	// written to the offset store (a full or read-only disk, say): they
	// stop moving, so a crash would replay more and more. The task keeps
	// running; the next successful commit clears it.
	OffsetCommitError string `json:"offset_commit_error,omitempty"`
	// OffsetCommitFailingSince is when commits began to fail.
	OffsetCommitFailingSince time.Time `json:"offset_commit_failing_since,omitzero"`
}
