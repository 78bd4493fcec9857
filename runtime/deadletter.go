package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/token"
	"maps"
	"reflect"
	"strconv"

	connect "github.com/openmessaging/connect-go"
)

// Stages named in the dead-letter headers: Kafka Connect's Stage names.
// The converters turn a whole record into a message, so conversion failures
// are VALUE_CONVERTER's.
const (
	stageConvert = "VALUE_CONVERTER"
	stagePut     = "TASK_PUT"
	// stageTransform (TRANSFORMATION) is in transforms.go.
)

// Headers added to a dead-letter message, under Kafka Connect's names so
// that tools reading Kafka dead-letter queues read ours.
const (
	HeaderErrorTopic     = "__connect.errors.topic"
	HeaderErrorQueue     = "__connect.errors.partition"
	HeaderErrorOffset    = "__connect.errors.offset"
	HeaderErrorConnector = "__connect.errors.connector.name"
	HeaderErrorTask      = "__connect.errors.task.id"
	HeaderErrorStage     = "__connect.errors.stage"
	// HeaderErrorClass names what ran the failed stage: the converter's or
	// the sink task's type, as "import/path.Type", or the configured type
	// name of a transform (Kafka's class name for the built-ins).
	HeaderErrorClass = "__connect.errors.class.name"
	// HeaderErrorExceptionClass names the error: see errorClass.
	HeaderErrorExceptionClass = "__connect.errors.exception.class.name"
	HeaderErrorMessage        = "__connect.errors.exception.message"
)

// tolerate handles a record that failed at stage. Under errors.tolerance=all
// it goes to the dead-letter topic (or, when none is set, is logged and
// counted) and tolerate returns nil; otherwise tolerate returns the error
// that fails the task. orig is the transport message (sink side) and rec the
// record (source side); either may be nil.
func (t *taskRunner) tolerate(ctx context.Context, stage string, executing any, orig *connect.Message, rec *connect.Record, cause error) error {
	t.stats.failed.Add(ctx, 1, t.stats.attrs)
	set := t.set
	if !set.tolerateAll {
		return fmt.Errorf("record failed at stage %s (errors.tolerance=none): %w", stage, cause)
	}
	if set.logErrors {
		t.log.Warn("record failed; tolerated", "stage", stage, "error", t.redact.Text(cause.Error()), "dead_letter_topic", set.deadLetter)
	}
	if set.deadLetter == "" {
		return nil
	}
	dl := t.deadLetterMessage(stage, executing, orig, rec, cause)
	if err := t.c.rt.transport.Publish(ctx, dl); err != nil {
		return fmt.Errorf("send failed record to dead-letter topic %s: %w", set.deadLetter, err)
	}
	t.stats.deadLettered.Add(ctx, 1, t.stats.attrs)
	return nil
}

func (t *taskRunner) deadLetterMessage(stage string, executing any, orig *connect.Message, rec *connect.Record, cause error) *connect.Message {
	dl := &connect.Message{Topic: t.set.deadLetter}
	h := connect.Headers{}
	switch {
	case orig != nil:
		dl.Key, dl.Value = orig.Key, orig.Value
		maps.Copy(h, orig.Headers)
		h[HeaderErrorTopic] = orig.Topic
		h[HeaderErrorQueue] = strconv.Itoa(orig.Queue)
		h[HeaderErrorOffset] = strconv.FormatInt(orig.Offset, 10)
	case rec != nil:
		// The record could not be encoded, so carry what can be shown of it.
		maps.Copy(h, rec.Headers)
		h[HeaderErrorTopic] = rec.Topic
		dl.Value = describeRecord(rec)
	}
	h[HeaderErrorConnector] = t.c.name
	h[HeaderErrorTask] = strconv.Itoa(t.id)
	h[HeaderErrorStage] = stage
	h[HeaderErrorClass] = typeName(executing)
	h[HeaderErrorExceptionClass] = errorClass(stage, cause)
	h[HeaderErrorMessage] = t.redact.Text(cause.Error())
	dl.Headers = h
	return dl
}

// describeRecord renders a record that failed encoding: JSON where possible,
// Go syntax otherwise.
func describeRecord(r *connect.Record) []byte {
	v := map[string]any{"key": r.Key, "value": r.Value, "position": r.Position}
	if r.Change != nil {
		v["change"] = r.Change
	}
	if b, err := json.Marshal(v); err == nil {
		return b
	}
	return fmt.Appendf(nil, "%#v", v)
}

// errorClass names what failed for HeaderErrorClass, the way Kafka Connect
// names the exception class: the outermost error of an exported type that
// is more than a wrapper (an *strconv.NumError, a *mysql.MySQLError), as
// "import/path.Type"; when the chain holds only wrappers and errors.New
// values, the kind of failure: connect.RetriableError, connect.FatalError,
// or the stage's (connect.ConversionError, connect.TransformationError,
// connect.WriteError).
func errorClass(stage string, err error) string {
	if name := meaningfulType(err); name != "" {
		return name
	}
	switch {
	case connect.IsRetriable(err):
		return "connect.RetriableError"
	case errors.Is(err, connect.ErrFatal):
		return "connect.FatalError"
	case stage == stageConvert:
		return "connect.ConversionError"
	case stage == stageTransform:
		return "connect.TransformationError"
	default:
		return "connect.WriteError"
	}
}

// typeName names v's type as "import/path.Type".
func typeName(v any) string {
	if c, ok := v.(stageClass); ok {
		return string(c)
	}
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return ""
	}
	if t.PkgPath() == "" {
		return t.String()
	}
	return t.PkgPath() + "." + t.Name()
}

// meaningfulType walks err's tree breadth first, outermost first, and
// names the first error of an exported type outside the errors and fmt
// packages.
func meaningfulType(err error) string {
	queue := []error{err}
	for len(queue) > 0 {
		e := queue[0]
		queue = queue[1:]
		if e == nil {
			continue
		}
		t := reflect.TypeOf(e)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if pkg := t.PkgPath(); t.Name() != "" && token.IsExported(t.Name()) && pkg != "errors" && pkg != "fmt" {
			return pkg + "." + t.Name()
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			queue = append(queue, u.Unwrap())
		case interface{ Unwrap() []error }:
			queue = append(queue, u.Unwrap()...)
		}
	}
	return ""
}
