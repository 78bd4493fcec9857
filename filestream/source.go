package filestream

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// Compile-time checks that the types implement the contracts.
var (
	_ connect.SourceConnector = (*Source)(nil)
	_ connect.SourceTask      = (*sourceTask)(nil)
)

// Source config keys.
const (
	ConfigFile         = "file"
	ConfigTopic        = "topic"
	ConfigBatchSize    = "batch.size"
	ConfigPollInterval = "poll.interval"
)

// Version is the version of both connectors.
const Version = "1.0.0"

// sourceSpec is declared once: the runtime validates configs against it and
// applies its defaults before Start, so the code below never checks a value
// again.
var sourceSpec = connect.Spec{
	Name:        "FileStreamSource",
	Version:     Version,
	Description: "Emits each line appended to a text file as a record, like tail -f.",
	Config: connect.ConfigSpec{
		{Name: ConfigFile, Required: true, Description: "Path of the file to read. It must exist when the task starts."},
		{Name: ConfigTopic, Required: true, Description: "Topic the lines are published to."},
		{Name: ConfigBatchSize, Type: connect.FieldInt, Default: "2000", Validate: connect.IntAtLeast(1),
			Description: "Most lines returned by one poll."},
		{Name: ConfigPollInterval, Type: connect.FieldDuration, Default: "100ms", Validate: positive,
			Description: "How long to wait before reading again at the end of the file."},
	},
}

func positive(v string) error {
	if d, err := time.ParseDuration(v); err != nil || d <= 0 {
		return fmt.Errorf("must be a positive duration, got %q", v)
	}
	return nil
}

// Source is the FileStreamSource connector. It has nothing to split, so it
// runs one task, which does the work: one file is read by one reader.
type Source struct {
	connect.SourceConnector
}

// NewSource returns the connector; hand it to the runtime as a factory:
//
//	runtime.WithPlugin("file-source", func() connect.Connector { return filestream.NewSource() })
func NewSource() *Source {
	return &Source{connect.NewSource(sourceSpec, func() connect.SourceTask { return &sourceTask{} })}
}

// sourceOffset is the task's position in the file: the byte offset just
// after the last line it emitted, where the next line starts.
type sourceOffset struct {
	Pos int64 `json:"pos"`
}

type sourceTask struct {
	path      string // absolute, so that the partition does not depend on the working directory
	partition string
	topic     string
	batchSize int
	interval  time.Duration

	file    *os.File
	reader  *bufio.Reader
	pos     int64  // byte offset after the last emitted line
	partial []byte // start of a line whose newline has not been written yet
}

// Start opens the file and seeks to the stored position. A missing file is
// an error, not a wait: the runtime restarts a failed task with backoff, so
// the task starts once the file appears, and the status shows why until then.
func (t *sourceTask) Start(ctx context.Context, tc connect.SourceTaskContext, cfg connect.Config) error {
	path, err := filepath.Abs(cfg.Get(ConfigFile))
	if err != nil {
		return fmt.Errorf("filestream: %w", err)
	}
	t.path, t.partition = path, partitionPrefix+path
	t.topic = cfg.Get(ConfigTopic)
	t.batchSize = cfg.Int(ConfigBatchSize)
	t.interval = cfg.Duration(ConfigPollInterval)

	pos, found, err := tc.Offset(ctx, t.partition)
	if err != nil {
		return fmt.Errorf("filestream: read stored position of %s: %w", path, err)
	}
	if found {
		var off sourceOffset
		if err := pos.Decode(&off); err != nil {
			return fmt.Errorf("filestream: %w", err)
		}
		t.pos = off.Pos
	}

	if t.file, err = os.Open(path); err != nil {
		return fmt.Errorf("filestream: open %s: %w", path, err)
	}
	if err := t.checkNotTruncated(); err != nil {
		return err
	}
	if _, err := t.file.Seek(t.pos, io.SeekStart); err != nil {
		return fmt.Errorf("filestream: seek %s to %d: %w", path, t.pos, err)
	}
	t.reader = bufio.NewReader(t.file)
	return nil
}

// checkNotTruncated fails when the file is shorter than the position
// reached: it was truncated or replaced, and reading on from the position
// would silently skip data. Fatal, because retrying cannot fix it; deleting
// the connector's offsets (reading the file from the start) can.
func (t *sourceTask) checkNotTruncated() error {
	st, err := t.file.Stat()
	if err != nil {
		return fmt.Errorf("filestream: stat %s: %w", t.path, err)
	}
	if st.Size() < t.pos {
		return connect.Fatal(fmt.Errorf("filestream: %s has %d bytes but %d were already read: the file was truncated or replaced; reset the connector's offsets to read it again", t.path, st.Size(), t.pos))
	}
	return nil
}

// Poll returns the complete lines available, up to batch.size. At the end of
// the file it waits poll.interval and reads again, until a line arrives or
// ctx is done.
func (t *sourceTask) Poll(ctx context.Context) ([]*connect.Record, error) {
	for {
		recs, err := t.readLines()
		if err != nil || len(recs) > 0 {
			return recs, err
		}
		if err := t.checkNotTruncated(); err != nil {
			return nil, err
		}
		timer := time.NewTimer(t.interval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, nil
		case <-timer.C:
		}
	}
}

// readLines reads complete lines until the end of the file or batch.size.
// A last line without its newline yet is kept in t.partial and completed by
// a later read: a line being written is never emitted half-way.
func (t *sourceTask) readLines() ([]*connect.Record, error) {
	var recs []*connect.Record
	for len(recs) < t.batchSize {
		chunk, err := t.reader.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			t.partial = append(t.partial, chunk...)
			return recs, nil
		}
		if err != nil {
			// The task fails and restarts from the committed position, so
			// dropping the lines read so far loses nothing.
			return nil, fmt.Errorf("filestream: read %s: %w", t.path, err)
		}
		line := append(t.partial, chunk...)
		t.partial = nil
		t.pos += int64(len(line))
		recs = append(recs, &connect.Record{
			Topic: t.topic,
			// The key is the file's path: records with equal keys share a
			// transport queue, so the file's lines arrive in order. (Kafka's
			// FileStreamSource leaves the key null and loses the order on
			// a topic with several partitions.)
			Key:      t.path,
			Value:    string(bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))),
			Position: connect.NewPosition(t.partition, sourceOffset{Pos: t.pos}),
		})
	}
	return recs, nil
}

// Stop closes the file. It also runs after a failed Start.
func (t *sourceTask) Stop(context.Context) error {
	if t.file == nil {
		return nil
	}
	return t.file.Close()
}
