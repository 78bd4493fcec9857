package filestream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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
	connect.SinkConnector
}

// NewSink returns the connector; hand it to the runtime as a factory:
//
//	runtime.WithPlugin("file-sink", func() connect.Connector { return filestream.NewSink() })
func NewSink() *Sink {
	return &Sink{connect.NewSink(sinkSpec, func() connect.SinkTask { return &sinkTask{} })}
}

type sinkTask struct {
	path string
	log  *slog.Logger
	file *os.File
	buf  []byte // the lines put since the last Flush, each ending in '\n'
	size int64  // the file's size after the last Flush: whole lines only
	torn bool   // a failed write could not be undone: repair before writing
}

// Start opens the file for appending, creating it if needed, and cuts off a
// partial last line: a task killed inside a write leaves one, and its
// records were not acknowledged, so they are delivered again.
func (t *sinkTask) Start(_ context.Context, tc connect.SinkTaskContext, cfg connect.Config) error {
	t.path = cfg.Get(ConfigFile)
	t.log = tc.Logger()
	f, err := os.OpenFile(t.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("filestream: open %s: %w", t.path, err)
	}
	t.file = f
	return t.repair()
}

// repair truncates the file after its last newline and records its size.
func (t *sinkTask) repair() error {
	st, err := t.file.Stat()
	if err != nil {
		return fmt.Errorf("filestream: stat %s: %w", t.path, err)
	}
	end, err := lastLineEnd(t.file, st.Size())
	if err != nil {
		return fmt.Errorf("filestream: read %s: %w", t.path, err)
	}
	if end < st.Size() {
		if err := t.file.Truncate(end); err != nil {
			return fmt.Errorf("filestream: truncate the partial last line of %s: %w", t.path, err)
		}
		t.log.Warn("cut a partial last line, left by an interrupted write; its records are delivered again",
			"file", t.path, "bytes", st.Size()-end)
	}
	t.size, t.torn = end, false
	return nil
}

// lastLineEnd returns the offset just after the last newline among the
// first size bytes of f, 0 when there is none.
func lastLineEnd(f *os.File, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for end := size; end > 0; {
		n := min(end, int64(len(buf)))
		if _, err := f.ReadAt(buf[:n], end-n); err != nil {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return end - n + int64(i) + 1, nil
		}
		end -= n
	}
	return 0, nil
}

// Put buffers one line per record in memory: only Flush writes to the file,
// so that a line is never left half-written between batches. A record whose
// value cannot be written as a line is reported in a *connect.BatchError; the others are written, as
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
		t.buf = append(append(t.buf, line...), '\n')
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
	Before any               `json:"before"`
	After  any               `json:"after"`
	Source any               `json:"source,omitempty"`
}

// Flush writes the buffered lines and fsyncs the file: when it returns, the
// lines survive a crash of the machine, and the runtime acknowledges them.
// A failed write (a full disk, say) is undone, so that the file keeps whole
// lines only, and the lines are dropped: the runtime delivers their records
// again.
func (t *sinkTask) Flush(context.Context) error {
	if t.torn {
		if err := t.repair(); err != nil {
			t.buf = t.buf[:0]
			return err
		}
	}
	if len(t.buf) > 0 {
		n, err := t.file.Write(t.buf)
		t.buf = t.buf[:0]
		if err != nil {
			if terr := t.file.Truncate(t.size); terr != nil {
				t.torn = true
				err = errors.Join(err, fmt.Errorf("truncate the partial write: %w", terr))
			}
			return fmt.Errorf("filestream: write %s: %w", t.path, err)
		}
		t.size += int64(n)
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
