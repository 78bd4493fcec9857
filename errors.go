package connect

import (
	"errors"
	"fmt"
	"strings"
)

// Error sentinels, matched with errors.Is.
var (
	// ErrRetriable marks a transient failure: the runtime retries the
	// operation with exponential backoff instead of failing the task. Wrap
	// with Retriable.
	ErrRetriable = errors.New("retriable")
	// ErrFatal marks a failure retrying cannot fix. The runtime fails the
	// task at once (and restarts it with backoff).
	ErrFatal = errors.New("fatal")
	// ErrNotFound is returned for unknown connectors, tasks, plugins, topics
	// and offsets.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists is returned when creating a connector whose name is
	// taken.
	ErrAlreadyExists = errors.New("already exists")
	// ErrClosed is returned by transports, subscriptions, stores and the
	// runtime once they are closed or stopped.
	ErrClosed = errors.New("closed")
	// ErrInvalidConfig is matched by every *ConfigError.
	ErrInvalidConfig = errors.New("invalid config")
	// ErrConflict is returned when an operation does not fit the current
	// state (altering offsets of a running connector, say).
	ErrConflict = errors.New("conflict")
	// ErrEndOfInput is returned by SourceTask.Poll of a bounded source that
	// has read everything (benthos' ErrEndOfInput). The runtime delivers the
	// records returned with it, commits their positions and stops the task,
	// which shows STOPPED and is not restarted until its connector is
	// restarted or resumed.
	ErrEndOfInput = errors.New("end of input")
)

// Retriable wraps err so that errors.Is(err, ErrRetriable) holds. It returns
// nil for a nil err.
func Retriable(err error) error {
	if err == nil {
		return nil
	}
	return &markedError{err: err, mark: ErrRetriable}
}

// Fatal wraps err so that errors.Is(err, ErrFatal) holds. It returns nil for
// a nil err.
func Fatal(err error) error {
	if err == nil {
		return nil
	}
	return &markedError{err: err, mark: ErrFatal}
}

// IsRetriable reports whether err is marked retriable and not fatal.
func IsRetriable(err error) bool {
	return errors.Is(err, ErrRetriable) && !errors.Is(err, ErrFatal)
}

type markedError struct {
	err  error
	mark error
}

func (e *markedError) Error() string   { return e.err.Error() }
func (e *markedError) Unwrap() []error { return []error{e.err, e.mark} }

// FieldError is one configuration field that failed validation.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Reason }

// ConfigError lists every field of a configuration that failed validation.
// It matches ErrInvalidConfig.
type ConfigError struct {
	Fields []FieldError
}

func (e *ConfigError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Error()
	}
	return "invalid config: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalidConfig) hold.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// Add records a bad field.
func (e *ConfigError) Add(field, format string, args ...any) {
	e.Fields = append(e.Fields, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// Err returns e when it names at least one field, else nil.
func (e *ConfigError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// RecordError is one record of a batch that a SinkTask could not write.
type RecordError struct {
	Index int // index of the record in the batch passed to Put
	Err   error
}

// BatchError reports a partial failure of SinkTask.Put: the records it names
// were not written, every other record of the batch was. The runtime settles
// each named record by its error: one failed permanently goes to the
// dead-letter topic or fails the task, according to errors.tolerance, once;
// when any failed with a Retriable error, the runtime puts the batch again
// after a backoff, without the permanently failed records (so a key's later
// records are written again after its retried one, keeping per-key order;
// writes should be idempotent), until errors.retry.timeout.
type BatchError struct {
	Failed []RecordError
}

func (e *BatchError) Error() string {
	if len(e.Failed) == 0 {
		return "batch: no failed records"
	}
	return fmt.Sprintf("%d records failed; first (index %d): %v", len(e.Failed), e.Failed[0].Index, e.Failed[0].Err)
}
