package runtime

import (
	"context"
	"errors"
	"fmt"
	"time"

	connect "github.com/openmessaging/connect-go"
	"go.opentelemetry.io/otel/trace"
)

// runSink runs one sink task until ctx is done or it fails:
//
//	fetch -> convert -> Put -> Flush -> ack
//
// A message is acknowledged only after the Put that received it and the
// following Flush succeeded. When Put or Flush fail, the batch is nacked so
// the transport delivers it again: after a backoff when the error is
// retriable, to the restarted task otherwise.
func (t *taskRunner) runSink(ctx context.Context, task connect.SinkTask) error {
	if err := task.Start(ctx, taskContext{t}, t.cfg); err != nil {
		t.stopTask(task)
		return fmt.Errorf("start: %w", err)
	}
	defer t.stopTask(task)
	rt := t.c.rt
	sub, err := rt.transport.Subscribe(ctx, sinkGroup(t.c.name), t.set.topics...)
	if err != nil {
		return fmt.Errorf("subscribe to %v: %w", t.set.topics, err)
	}
	defer sub.Close()
	t.running()

	retry := newRetrier(t.set.retryTimeout, t.set.retryMax, t.retrying)
	for {
		if err := t.gate.wait(ctx); err != nil {
			return nil
		}
		msgs, err := sub.Fetch(ctx, t.set.batchSize)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if err := retry.retry(ctx, "fetch", err); err != nil {
				return err
			}
			continue
		}
		if len(msgs) == 0 {
			continue
		}
		err = t.deliver(ctx, task, sub, msgs)
		if err == nil {
			retry.ok()
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		t.stats.failed.Add(ctx, int64(len(msgs)), t.stats.attrs)
		// Not acknowledged: delivered again, now or to the restarted task.
		if nerr := sub.Nack(ctx, msgs...); nerr != nil {
			t.log.Warn("nack failed", "error", nerr)
		}
		if err := retry.retry(ctx, "deliver", err); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		t.stats.retried.Add(ctx, int64(len(msgs)), t.stats.attrs)
	}
}

// deliver converts, puts, flushes and acknowledges one fetched batch.
func (t *taskRunner) deliver(ctx context.Context, task connect.SinkTask, sub connect.Subscription, msgs []*connect.Message) error {
	rt := t.c.rt
	began := time.Now()
	ctx, span := rt.inst.tracer.Start(ctx, "connect.sink.batch", trace.WithAttributes(t.stats.kv...))
	defer span.End()

	records := make([]*connect.Record, 0, len(msgs))
	origin := make([]*connect.Message, 0, len(msgs)) // origin[i] produced records[i]
	for _, m := range msgs {
		var r *connect.Record
		err := safely("decode", func() error {
			var err error
			r, err = rt.converter.Decode(m)
			return err
		})
		if err != nil {
			err = fmt.Errorf("decode message %s/%d@%d: %w", m.Topic, m.Queue, m.Offset, err)
			if err := t.tolerate(ctx, stageConvert, m, nil, err); err != nil {
				span.RecordError(err)
				return connect.Fatal(err)
			}
			continue
		}
		records = append(records, r)
		origin = append(origin, m)
	}
	if len(records) > 0 {
		if err := safely("put", func() error { return task.Put(ctx, records) }); err != nil {
			var be *connect.BatchError
			if !errors.As(err, &be) {
				span.RecordError(err)
				return fmt.Errorf("put: %w", err)
			}
			if allRetriable(be) {
				span.RecordError(err)
				return connect.Retriable(fmt.Errorf("put: %w", err))
			}
			for _, f := range be.Failed {
				if f.Index < 0 || f.Index >= len(origin) {
					return connect.Fatal(fmt.Errorf("put: batch error names record %d of %d", f.Index, len(origin)))
				}
				if err := t.tolerate(ctx, stagePut, origin[f.Index], records[f.Index], f.Err); err != nil {
					span.RecordError(err)
					return connect.Fatal(err)
				}
			}
		}
		if err := safely("flush", func() error { return task.Flush(ctx) }); err != nil {
			span.RecordError(err)
			return fmt.Errorf("flush: %w", err)
		}
	}
	if err := sub.Ack(ctx, msgs...); err != nil {
		return connect.Retriable(fmt.Errorf("ack: %w", err))
	}
	t.stats.put.Add(ctx, int64(len(records)), t.stats.attrs)
	t.stats.batchSeconds.Record(ctx, time.Since(began).Seconds(), t.stats.attrs)
	return nil
}

func allRetriable(be *connect.BatchError) bool {
	for _, f := range be.Failed {
		if !connect.IsRetriable(f.Err) {
			return false
		}
	}
	return len(be.Failed) > 0
}
