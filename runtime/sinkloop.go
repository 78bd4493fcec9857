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
//	fetch -> decode -> convert -> Put -> Flush -> ack
//
// A message is acknowledged only after the Put that received it and the
// following Flush succeeded. When Put or Flush fail, the batch is nacked so
// the transport delivers it again: after a backoff when the error is
// retriable, to the restarted task otherwise.
//
// While one batch goes through Put, Flush and Ack, the next one is fetched
// and decoded on another goroutine (prefetch), so that decoding overlaps
// the target's work. The prefetched batch reaches Put only after the one
// before it was acknowledged; it is handed back to the transport (nacked,
// so it comes again in order) when that batch failed, when the member's
// queues moved or the task asked for a seek meanwhile (the task is told
// and the seek applied first), and when the task was paused.
//
// A graceful stop (ctx done) stops fetching; the batch in flight still goes
// through Put, Flush and Ack, bounded by the stop's deadline (drainCtx),
// so that a stop neither loses it nor has it delivered again. A prefetched
// batch is handed back.
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
	// Messages a connect.PreCommitter task holds back.
	h := newHeld(task, sub)
	if h != nil {
		if queues != nil {
			queues.onSeek = h.drop
		}
		defer func() {
			if ctx.Err() != nil && h.holding() {
				// A graceful stop: the task may allow more by now.
				if err := t.settle(work, sub, h, nil); err != nil {
					t.log.Warn("pre-commit at stop failed", "error", t.redact.Text(err.Error()))
				}
			}
		}()
	}
	// The prefetch in flight, if any: always waited for (and its batch
	// handed back) before the loop syncs queues, retries, or returns.
	var pre *prefetch
	defer func() {
		if pre != nil {
			t.nack(work, sub, pre.abandon().msgs)
		}
	}()
	t.running()

	retry := newRetrier(t.set.retryTimeout, t.set.retryMax, t.retrying)
	for {
		if pre != nil && t.gate.isPaused() {
			// A paused task holds no messages back.
			t.nack(work, sub, pre.abandon().msgs)
			pre = nil
		}
		if err := t.gate.wait(ctx); err != nil {
			return nil
		}
		var b fetched
		if pre != nil {
			p := pre
			pre = nil
			var err error
			if b, err = t.await(work, sub, p, h); err != nil {
				t.nack(work, sub, p.abandon().msgs)
				return err
			}
			if len(b.msgs) > 0 && queues != nil && queues.pendingSeeks() {
				// The task asked for a seek while this batch was
				// fetched: it goes back before the seek applies.
				t.nack(work, sub, b.msgs)
				continue
			}
		} else {
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
			if h.holding() {
				// Waits for records, asking the task meanwhile.
				p := t.prefetch(ctx, sub)
				var err error
				if b, err = t.await(work, sub, p, h); err != nil {
					t.nack(work, sub, p.abandon().msgs)
					return err
				}
			} else {
				b = t.fetch(ctx, sub)
			}
		}
		msgs, err := b.msgs, b.err
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
			t.nack(work, sub, msgs)
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		if t.gate.isPaused() && ctx.Err() == nil {
			// Paused while the fetch waited: a paused task moves no data.
			t.nack(work, sub, msgs)
			continue
		}
		t.stats.consumed.Add(ctx, int64(len(msgs)), t.stats.attrs)
		rt.topics.note(t.c.name, msgs)
		if ctx.Err() == nil {
			pre = t.prefetch(ctx, sub)
		}
		err = t.deliver(work, task, sub, b, ch, h)
		if err == nil {
			retry.ok()
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		failed := len(msgs)
		if pre != nil {
			// It came after the failed batch: it goes back too, after it,
			// so that the transport delivers both again in order.
			msgs = append(msgs[:len(msgs):len(msgs)], pre.abandon().msgs...)
			pre = nil
		}
		if work.Err() != nil {
			return nil
		}
		// Not acknowledged: delivered again, now or to the restarted task.
		t.nack(work, sub, msgs)
		if ctx.Err() != nil {
			return nil
		}
		if err := retry.retry(ctx, "deliver", err); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		t.stats.retried.Add(ctx, int64(failed), t.stats.attrs)
	}
}

// nack hands msgs back to the transport, to be delivered again.
func (t *taskRunner) nack(ctx context.Context, sub connect.Subscription, msgs []*connect.Message) {
	if len(msgs) == 0 {
		return
	}
	if err := sub.Nack(ctx, msgs...); err != nil {
		t.log.Warn("nack failed", "error", err)
	}
}

// fetched is a batch of messages and their records, decoded.
type fetched struct {
	msgs []*connect.Message
	recs []decoded // recs[i] from msgs[i]
	err  error     // the fetch's
}

type decoded struct {
	r   *connect.Record
	err error
}

// fetch fetches a batch and decodes it.
func (t *taskRunner) fetch(ctx context.Context, sub connect.Subscription) fetched {
	msgs, err := sub.Fetch(ctx, t.set.batchSize)
	b := fetched{msgs: msgs, err: err}
	if len(msgs) == 0 {
		return b
	}
	cv := t.converter()
	b.recs = make([]decoded, len(msgs))
	for i, m := range msgs {
		d := &b.recs[i]
		d.err = safely("decode", func() error {
			var err error
			d.r, err = cv.Decode(m)
			return err
		})
		if d.err == nil {
			d.r.Origin = connect.Origin{Topic: m.Topic, Queue: m.Queue, Offset: m.Offset, Keyed: len(m.Key) > 0}
		}
	}
	return b
}

// prefetch is a fetch running on its own goroutine while the sink loop
// delivers the batch before it.
type prefetch struct {
	cancel context.CancelFunc
	done   chan struct{}
	b      fetched
}

func (t *taskRunner) prefetch(ctx context.Context, sub connect.Subscription) *prefetch {
	ctx, cancel := context.WithCancel(ctx)
	p := &prefetch{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.b = t.fetch(ctx, sub)
	}()
	return p
}

// wait returns the batch once fetched.
func (p *prefetch) wait() fetched {
	<-p.done
	p.cancel()
	return p.b
}

// abandon stops a fetch still waiting for messages and returns what it
// got: messages to hand back.
func (p *prefetch) abandon() fetched {
	p.cancel()
	return p.wait()
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

// deliver transforms (with ch, when not nil), puts, flushes and
// acknowledges one fetched batch: all of it, or what a PreCommitter task
// allows (h not nil). Records the transforms drop are acknowledged with
// the others.
func (t *taskRunner) deliver(ctx context.Context, task connect.SinkTask, sub connect.Subscription, b fetched, ch *chain, h *held) error {
	rt := t.c.rt
	began := time.Now()
	msgs := b.msgs
	ctx, span := rt.inst.tracer.Start(ctx, "connect.sink.batch", trace.WithAttributes(t.stats.kv...))
	defer span.End()
	if span.IsRecording() {
		// Links to the spans that published the batch, read from the
		// messages' headers only when the span is recorded: without a
		// tracer they would cost a header lookup per message.
		for _, l := range traceLinks(msgs) {
			span.AddLink(l)
		}
	}

	records := make([]*connect.Record, 0, len(msgs))
	origin := make([]*connect.Message, 0, len(msgs)) // origin[i] produced records[i]
	// Only with transforms: no cost without.
	var own *transforms.Ownership
	octx := ctx
	if ch != nil {
		own = new(transforms.Ownership)
		octx = own.Context(ctx)
	}
	for i, m := range msgs {
		r, err := b.recs[i].r, b.recs[i].err
		if err != nil {
			err = fmt.Errorf("decode message %s/%d@%d: %w", m.Topic, m.Queue, m.Offset, err)
			if err := t.tolerate(ctx, stageConvert, t.converter(), m, nil, err); err != nil {
				span.RecordError(err)
				return connect.Fatal(err)
			}
			continue
		}
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
	if h != nil {
		if err := t.settle(ctx, sub, h, msgs); err != nil {
			span.RecordError(err)
			return err
		}
	} else if err := sub.Ack(ctx, msgs...); err != nil {
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
