package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"

	connect "github.com/openmessaging/connect-go"
)

// Stages named in the dead-letter headers.
const (
	stageConvert = "convert"
	stagePut     = "put"
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
	HeaderErrorClass     = "__connect.errors.class.name"
	HeaderErrorMessage   = "__connect.errors.exception.message"
)

// tolerate handles a record that failed at stage. Under errors.tolerance=all
// it goes to the dead-letter topic (or, when none is set, is logged and
// counted) and tolerate returns nil; otherwise tolerate returns the error
// that fails the task. orig is the transport message (sink side) and rec the
// record (source side); either may be nil.
func (t *taskRunner) tolerate(ctx context.Context, stage string, orig *connect.Message, rec *connect.Record, cause error) error {
	t.stats.failed.Add(ctx, 1, t.stats.attrs)
	set := t.set
	if !set.tolerateAll {
		return fmt.Errorf("%s failed (errors.tolerance=none): %w", stage, cause)
	}
	if set.logErrors {
		t.log.Warn("record failed; tolerated", "stage", stage, "error", t.redact.text(cause.Error()), "dead_letter_topic", set.deadLetter)
	}
	if set.deadLetter == "" {
		return nil
	}
	dl := t.deadLetterMessage(stage, orig, rec, cause)
	if err := t.c.rt.transport.Publish(ctx, dl); err != nil {
		return fmt.Errorf("send failed record to dead-letter topic %s: %w", set.deadLetter, err)
	}
	t.stats.deadLettered.Add(ctx, 1, t.stats.attrs)
	return nil
}

func (t *taskRunner) deadLetterMessage(stage string, orig *connect.Message, rec *connect.Record, cause error) *connect.Message {
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
	h[HeaderErrorClass] = errorClass(cause)
	h[HeaderErrorMessage] = t.redact.text(cause.Error())
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

// errorClass names the innermost error's type, and whether it was retriable.
func errorClass(err error) string {
	inner := err
	for {
		next := errors.Unwrap(inner)
		if next == nil {
			break
		}
		inner = next
	}
	class := fmt.Sprintf("%T", inner)
	if connect.IsRetriable(err) {
		class += " (retriable)"
	}
	return class
}
