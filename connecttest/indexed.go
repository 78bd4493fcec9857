package connecttest

import (
	"context"
	"fmt"
	"maps"

	connect "github.com/openmessaging/connect-go"
)

// batchSizeField is the batch.size setting of SliceSource and Generator.
var batchSizeField = connect.Field{
	Name:        "batch.size",
	Type:        connect.TypeInt,
	Default:     "100",
	Description: "Most records one Poll returns.",
	Validate:    connect.IntAtLeast(1),
}

// topicField documents the runtime's topic setting, used for records that
// name no topic of their own.
var topicField = connect.Field{
	Name:        "topic",
	Type:        connect.TypeString,
	Description: "Topic for records that name none.",
}

// indexed is the connector behind SliceSource and Generator: record i of a
// sequence sits at position {partition, i}; a task resumes after the stored
// index and blocks in Poll once the sequence ends.
type indexed struct {
	spec      connect.Spec
	partition string
	// record returns record i, or nil past the end. It is called from the
	// task's Poll goroutine only.
	record func(i int64) *connect.Record

	cfg connect.Config // set by Start
}

// Spec describes the connector.
func (s *indexed) Spec() connect.Spec { return s.spec }

// Start keeps cfg for the task.
func (s *indexed) Start(_ context.Context, _ connect.ConnectorContext, cfg connect.Config) error {
	s.cfg = maps.Clone(cfg)
	return nil
}

// TaskConfigs returns one config: one task replays the whole sequence.
func (s *indexed) TaskConfigs(maxTasks int) ([]connect.Config, error) {
	if maxTasks < 1 {
		return nil, fmt.Errorf("connecttest: %s: maxTasks %d < 1", s.spec.Name, maxTasks)
	}
	return []connect.Config{maps.Clone(s.cfg)}, nil
}

// Stop does nothing.
func (s *indexed) Stop(context.Context) error { return nil }

// NewTask returns a task replaying the sequence.
func (s *indexed) NewTask() connect.SourceTask {
	return &indexedTask{src: s}
}

type indexedTask struct {
	src   *indexed
	batch int
	next  int64
}

func (t *indexedTask) Start(ctx context.Context, tc connect.SourceTaskContext, cfg connect.Config) error {
	cfg = t.src.spec.Config.Apply(cfg)
	if err := t.src.spec.Config.Validate(cfg); err != nil {
		return fmt.Errorf("connecttest: %s: %w", t.src.spec.Name, err)
	}
	t.batch = cfg.Int(batchSizeField.Name)
	p, ok, err := tc.Offset(ctx, t.src.partition)
	if err != nil {
		return fmt.Errorf("connecttest: %s: read offset: %w", t.src.spec.Name, err)
	}
	if ok {
		var last int64
		if err := p.Decode(&last); err != nil {
			return fmt.Errorf("connecttest: %s: %w", t.src.spec.Name, err)
		}
		t.next = last + 1
	}
	return nil
}

func (t *indexedTask) Poll(ctx context.Context) ([]*connect.Record, error) {
	var out []*connect.Record
	for len(out) < t.batch {
		r := t.src.record(t.next)
		if r == nil {
			break
		}
		r = r.Clone()
		r.Position = connect.NewPosition(t.src.partition, t.next)
		out = append(out, r)
		t.next++
	}
	if len(out) > 0 {
		return out, nil
	}
	<-ctx.Done() // the sequence ended: wait like a source with no new data
	return nil, nil
}

func (t *indexedTask) Stop(context.Context) error { return nil }
