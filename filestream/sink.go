package filestream

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"

	connect "github.com/openmessaging/connect-go"
)

var (
	_ connect.SinkConnector = (*Sink)(nil)
	_ connect.SinkTask      = (*sinkTask)(nil)
)

var sinkSpec = connect.Spec{
	Name:        "FileStreamSink",
	Version:     Version,
	Description: "Appends each record's value to a text file as a line.",
	Config: connect.ConfigSpec{
		{Name: ConfigFile, Required: true, Description: "Path of the file to append to; created if missing, its directory must exist."},
	},
}

// Sink is the FileStreamSink connector. It runs one task: several tasks
// appending to one file could interleave parts of their lines.
type Sink struct {
	cfg connect.Config
}

// NewSink returns the connector; hand it to the runtime as a factory:
//
//	runtime.WithPlugin("file-sink", func() connect.Connector { return filestream.NewSink() })
func NewSink() *Sink { return &Sink{} }

// Spec describes the connector and its settings.
func (s *Sink) Spec() connect.Spec { return sinkSpec }

// Start keeps the config for the task.
func (s *Sink) Start(_ context.Context, _ connect.ConnectorContext, cfg connect.Config) error {
	s.cfg = cfg
	return nil
}

// TaskConfigs returns one config, however many tasks are allowed.
func (s *Sink) TaskConfigs(maxTasks int) ([]connect.Config, error) {
	if maxTasks < 1 {
		return nil, fmt.Errorf("filestream: maxTasks is %d, need 1", maxTasks)
	}
	return []connect.Config{maps.Clone(s.cfg)}, nil
}

// Stop has nothing to release.
func (s *Sink) Stop(context.Context) error { return nil }

// NewTask returns a task appending to the file.
func (s *Sink) NewTask() connect.SinkTask { return &sinkTask{} }

type sinkTask struct {
	path string
	file *os.File
	w    *bufio.Writer
}

// Start opens the file for appending, creating it if needed.
func (t *sinkTask) Start(_ context.Context, _ connect.SinkTaskContext, cfg connect.Config) error {
	t.path = cfg.String(ConfigFile)
	f, err := os.OpenFile(t.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("filestream: open %s: %w", t.path, err)
	}
	t.file, t.w = f, bufio.NewWriter(f)
	return nil
}

// Put buffers one line per record. A record whose value cannot be written as
// a line is reported in a *connect.BatchError; the others are written, as
// the contract asks, and the runtime decides what happens to the failed ones
// (dead-letter topic or task failure, per errors.tolerance).
func (t *sinkTask) Put(_ context.Context, records []*connect.Record) error {
	var failed []connect.RecordError
	for i, r := range records {
		line, err := encodeLine(r)
		if err != nil {
			failed = append(failed, connect.RecordError{Index: i, Err: err})
			continue
		}
		t.w.Write(line) // a write error sticks in t.w and surfaces from Flush
		t.w.WriteByte('\n')
	}
	if failed != nil {
		return &connect.BatchError{Failed: failed}
	}
	return nil
}

// encodeLine turns a record into the bytes of its line: strings and byte
// slices as they are, a change event or any other value as JSON, no value as
// an empty line. A value holding a newline becomes several lines, as in
// Kafka's FileStreamSink.
func encodeLine(r *connect.Record) ([]byte, error) {
	v := r.Value
	if v == nil && r.Change != nil {
		v = changeJSON{r.Change.Op, r.Change.Before, r.Change.After, r.Change.Source}
	}
	switch v := v.(type) {
	case string:
		return []byte(v), nil
	case []byte:
		return v, nil
	case nil:
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("filestream: encode value as JSON: %w", err)
	}
	return b, nil
}

// changeJSON lays a change event out like Debezium's envelope.
type changeJSON struct {
	Op     connect.Operation `json:"op"`
	Before map[string]any    `json:"before"`
	After  map[string]any    `json:"after"`
	Source map[string]any    `json:"source,omitempty"`
}

// Flush writes the buffered lines and fsyncs the file: when it returns, the
// lines survive a crash of the machine, and the runtime acknowledges them.
func (t *sinkTask) Flush(context.Context) error {
	if err := t.w.Flush(); err != nil {
		return fmt.Errorf("filestream: write %s: %w", t.path, err)
	}
	if err := t.file.Sync(); err != nil {
		return fmt.Errorf("filestream: sync %s: %w", t.path, err)
	}
	return nil
}

// Stop closes the file without flushing: lines put since the last Flush
// were not acknowledged and will be delivered again, so writing them now
// would only duplicate them.
func (t *sinkTask) Stop(context.Context) error {
	if t.file == nil {
		return nil
	}
	return t.file.Close()
}
