package connecttest

import (
	"context"
	"fmt"

	connect "github.com/openmessaging/connect-go"
)

// batchSizeField is the batch.size setting of SliceSource and Generator.
var batchSizeField = connect.Field{
	Name:        "batch.size",
	Type:        connect.FieldInt,
	Default:     "100",
	Description: "Most records one Poll returns.",
	Validate:    connect.IntAtLeast(1),
}

// topicField documents the runtime's topic setting, used for records that
// name no topic of their own.
var topicField = connect.Field{
	Name:        "topic",
	Type:        connect.FieldString,
	Description: "Topic for records that name none.",
}

// indexed is the sequence behind SliceSource and Generator: record i sits at
// position {partition, i}; a task resumes after the stored index and blocks
// in Poll once the sequence ends.
type indexed struct {
	spec      connect.Spec
	partition string
	// record returns record i, or nil past the end. It is called from the
	// task's Poll goroutine only.
	record func(i int64) *connect.Record
}

// connector returns a source whose single task replays the whole sequence.
func (s *indexed) connector() connect.SourceConnector {
	return connect.NewSource(s.spec, func() connect.SourceTask { return &indexedTask{src: s} })
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
