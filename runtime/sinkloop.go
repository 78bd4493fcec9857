package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/transforms"
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
//
// A graceful stop (ctx done) stops fetching; the batch in flight still goes
// through Put, Flush and Ack, bounded by the stop's deadline (drainCtx),
// so that a stop neither loses it nor has it delivered again.
func (t *taskRunner) runSink(ctx context.Context, task connect.SinkTask) error {
	ch, err := t.startChain()
	if err != nil {
		return err
	}
	if ch != nil {
		defer ch.close(t)
	}
	if err := task.Start(ctx, taskContext{t}, t.cfg); err != nil {
		t.stopTask(task)
		return fmt.Errorf("start: %w", err)
	}
	defer t.stopTask(task)
	rt := t.c.rt
	// The subscription and the in-flight batch outlive ctx until the drain
	// deadline: Close would hand the unacked batch to another member.
	work, stopWork := t.drainingCtx(ctx)
	defer stopWork()
	sub, err := rt.transport.Subscribe(work, sinkGroup(t.c.name), t.set.topics...)
	if err != nil {
		return fmt.Errorf("subscribe to %v: %w", t.set.topics, err)
	}
	defer sub.Close()
	t.sub.Store(&sub)
	defer t.sub.Store(nil)
	queues := newQueueTracker(sub, task)
	if queues != nil {
		t.queues.Store(queues)
		defer t.queues.Store(nil)
		defer func() {
			if err := queues.closeAll(t.drainCtx()); err != nil {
				t.log.Warn("closing the task's queues failed", "error", t.redact.Text(err.Error()))
			}
		}()
	}
	t.running()

	retry := newRetrier(t.set.retryTimeout, t.set.retryMax, t.retrying)
	for {
		if err := t.gate.wait(ctx); err != nil {
			return nil
		}
		if queues != nil {
			if err := queues.sync(ctx); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				if err := retry.retry(ctx, "queues", err); err != nil {
					return err
				}
				continue
			}
		}
		msgs, err := sub.Fetch(ctx, t.set.batchSize)
		if ctx.Err() != nil {
			if len(msgs) == 0 {
				return nil
			}
			// Fetched as the stop came: deliver them rather than have
			// them redelivered.
			err = nil
		}
		if err != nil {
			t.stats.error(ctx, "fetch")
			if err := retry.retry(ctx, "fetch", err); err != nil {
				return err
			}
			continue
		}
		if len(msgs) == 0 {
			continue
		}
		if queues != nil && queues.moved() {
			// Queues moved while the fetch waited: the task is told first
			// (or, stopping, never gets them).
			if err := sub.Nack(work, msgs...); err != nil {
				t.log.Warn("nack failed", "error", err)
			}
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		if t.gate.isPaused() && ctx.Err() == nil {
			// Paused while the fetch waited: a paused task moves no data.
			if err := sub.Nack(work, msgs...); err != nil {
				t.log.Warn("nack failed", "error", err)
			}
			continue
		}
		t.stats.consumed.Add(ctx, int64(len(msgs)), t.stats.attrs)
		rt.topics.note(t.c.name, msgs)
		err = t.deliver(work, task, sub, msgs, ch)
		if err == nil {
			retry.ok()
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		if work.Err() != nil {
			return nil
		}
		// Not acknowledged: delivered again, now or to the restarted task.
		if nerr := sub.Nack(work, msgs...); nerr != nil {
			t.log.Warn("nack failed", "error", nerr)
		}
		if ctx.Err() != nil {
			return nil
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

// drainingCtx returns a context that outlives ctx until the deadline of
// the graceful stop that cancelled it (drainCtx), or a crash of the runtime.
func (t *taskRunner) drainingCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	rt := t.c.rt
	work, cancel := context.WithCancel(rt.ctx)
	var unbindDrain func() bool
	var mu sync.Mutex
	unbind := context.AfterFunc(ctx, func() {
		if rt.crashed.Load() {
			cancel()
			return
		}
		mu.Lock()
		unbindDrain = context.AfterFunc(t.drainCtx(), cancel)
		mu.Unlock()
	})
	return work, func() {
		unbind()
		mu.Lock()
		if unbindDrain != nil {
			unbindDrain()
		}
		mu.Unlock()
		cancel()
	}
}

// deliver converts, transforms (with ch, when not nil), puts, flushes and
// acknowledges one fetched batch. Records the transforms drop are
// acknowledged with the others.
func (t *taskRunner) deliver(ctx context.Context, task connect.SinkTask, sub connect.Subscription, msgs []*connect.Message, ch *chain) error {
	rt := t.c.rt
	began := time.Now()
	ctx, span := rt.inst.tracer.Start(ctx, "connect.sink.batch", trace.WithAttributes(t.stats.kv...), trace.WithLinks(traceLinks(msgs)...))
	defer span.End()

	records := make([]*connect.Record, 0, len(msgs))
	origin := make([]*connect.Message, 0, len(msgs)) // origin[i] produced records[i]
	// Only with transforms: no cost without.
	var own *transforms.Ownership
	octx := ctx
	if ch != nil {
		own = new(transforms.Ownership)
		octx = own.Context(ctx)
	}
	for _, m := range msgs {
		var r *connect.Record
		err := safely("decode", func() error {
			var err error
			r, err = t.converter().Decode(m)
			return err
		})
		if err != nil {
			err = fmt.Errorf("decode message %s/%d@%d: %w", m.Topic, m.Queue, m.Offset, err)
			if err := t.tolerate(ctx, stageConvert, t.converter(), m, nil, err); err != nil {
				span.RecordError(err)
				return connect.Fatal(err)
			}
			continue
		}
		r.Origin = connect.Origin{Topic: m.Topic, Queue: m.Queue, Offset: m.Offset}
		if ch != nil {
			// Just decoded: the record's maps are the chain's to change.
			own.Reset(r, true)
			tctx := connect.ContextWithOrigin(octx, r.Origin)
			out, err := t.transform(tctx, ch, own, r, nil, m)
			if err != nil {
				span.RecordError(err)
				if ctx.Err() != nil {
					return err
				}
				return connect.Fatal(err)
			}
			if out == nil {
				continue
			}
			r = out
		}
		records = append(records, r)
		origin = append(origin, m)
	}
	written := 0
	if len(records) > 0 {
		var err error
		if written, err = t.put(ctx, task, records, origin); err != nil {
			span.RecordError(err)
			t.stats.error(ctx, "put")
			return err
		}
		if err := safely("flush", func() error { return task.Flush(ctx) }); err != nil {
			span.RecordError(err)
			t.stats.error(ctx, "flush")
			return fmt.Errorf("flush: %w", err)
		}
	}
	if err := sub.Ack(ctx, msgs...); err != nil {
		t.stats.error(ctx, "ack")
		return connect.Retriable(fmt.Errorf("ack: %w", err))
	}
	t.stats.put.Add(ctx, int64(written), t.stats.attrs)
	t.stats.batchSeconds.Record(ctx, time.Since(began).Seconds(), t.stats.attrs)
	return nil
}

// put hands records to the task. A *connect.BatchError is settled here:
// records failed with a permanent error go to the dead-letter topic (or
// fail the task) per errors.tolerance, once; when some failed with a
// retriable error, every record but the permanently failed ones is put
// again after a backoff (so a key's later records are written again after
// its retried one, keeping per-key order for idempotent writes), until the
// retry timeout. Any other error fails the whole batch.
func (t *taskRunner) put(ctx context.Context, task connect.SinkTask, records []*connect.Record, origin []*connect.Message) (written int, err error) {
	retry := newRetrier(t.set.retryTimeout, t.set.retryMax, t.retrying)
	for {
		err := safely("put", func() error { return task.Put(ctx, records) })
		if err == nil {
			retry.ok()
			return len(records), nil
		}
		var be *connect.BatchError
		if !errors.As(err, &be) {
			return 0, fmt.Errorf("put: %w", err)
		}
		var dropped map[int]bool
		retriable := false
		for _, f := range be.Failed {
			if f.Index < 0 || f.Index >= len(records) {
				return 0, connect.Fatal(fmt.Errorf("put: batch error names record %d of %d", f.Index, len(records)))
			}
			if connect.IsRetriable(f.Err) {
				retriable = true
				continue
			}
			if err := t.tolerate(ctx, stagePut, task, origin[f.Index], records[f.Index], f.Err); err != nil {
				return 0, connect.Fatal(err)
			}
			if dropped == nil {
				dropped = make(map[int]bool)
			}
			dropped[f.Index] = true
		}
		if !retriable {
			return len(records) - len(dropped), nil
		}
		if len(dropped) > 0 {
			keep, keepOrigin := records[:0:0], origin[:0:0]
			for i := range records {
				if !dropped[i] {
					keep, keepOrigin = append(keep, records[i]), append(keepOrigin, origin[i])
				}
			}
			records, origin = keep, keepOrigin
		}
		t.stats.retried.Add(ctx, int64(len(records)), t.stats.attrs)
		t.stats.error(ctx, "put")
		if err := retry.retry(ctx, "put", connect.Retriable(be)); err != nil {
			return 0, connect.Fatal(err)
		}
	}
}
