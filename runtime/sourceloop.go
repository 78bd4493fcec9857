package runtime

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/offsets"
	"github.com/openmessaging/connect-go/transforms"
	"go.opentelemetry.io/otel/trace"
)

// pubBatch is a polled batch on its way to the transport: records until a
// converter turned them into msgs (or err) and closed converted.
type pubBatch struct {
	records   []*connect.Record
	msgs      []*connect.Message
	err       error
	converted chan struct{}
	handle    *offsets.Batch
	polled    time.Time
	span      trace.Span
}

// errSkipped marks a batch not converted because the task is stopping.
var errSkipped = errors.New("skipped: task stopping")

// runSource runs one source task until ctx is done or it fails:
//
//	poll -> converters (in parallel) -> publish, in poll order -> ack in tracker
//	                          committer: tracker -> offset store -> task.Commit
//
// Polling runs in this goroutine, converting in a few workers and
// publishing in one goroutine that takes batches in poll order, so that
// batches convert in parallel while earlier ones are published. The queues
// between them are bounded, so a slow transport slows polling
// (backpressure).
func (t *taskRunner) runSource(ctx context.Context, task connect.SourceTask) error {
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
	t.running()

	rt := t.c.rt
	l := &sourceLoop{t: t, task: task, tracker: offsets.New(), set: t.set, topics: map[string]bool{}, chain: ch}
	l.committer, _ = task.(connect.SourceCommitter)
	if dt, ok := rt.transport.(connect.DeliveryTracker); ok {
		l.delivery, l.consumed = dt, make(chan struct{}, 1)
	}

	pollCtx, stopPolling := context.WithCancelCause(ctx)
	defer stopPolling(nil)
	// Converting and publishing outlive pollCtx so that a graceful stop can
	// drain what was polled; they are cancelled when the drain deadline
	// passes, or at once by a crash.
	pubCtx, stopPublishing := context.WithCancel(rt.ctx)
	defer stopPublishing()

	workers := rt.cfg.converters
	work := make(chan *pubBatch, rt.cfg.pipelineDepth)
	ordered := make(chan *pubBatch, rt.cfg.pipelineDepth+workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { l.convertAll(pubCtx, work) })
	}
	wg.Go(func() { l.publish(pubCtx, ordered, stopPolling) })
	commitStop := make(chan struct{})
	var cwg sync.WaitGroup
	cwg.Add(1)
	go func() {
		defer cwg.Done()
		l.commitEvery(pubCtx, rt.cfg.offsetFlushInterval, commitStop)
	}()

	pollErr := l.poll(pollCtx, ordered, work)
	finished := errors.Is(pollErr, errFinished)
	if finished {
		pollErr = nil // drain and commit as for a stop
	}
	close(ordered)
	close(work)
	if rt.crashed.Load() {
		// Crash simulation: no drain, no final commit.
		stopPublishing()
		wg.Wait()
		close(commitStop)
		cwg.Wait()
		return pollErr
	}
	drain := t.drainCtx()
	if pollErr != nil {
		// The task failed: publish nothing more; what was polled is
		// replayed from the last committed position after the restart.
		stopPublishing()
	}
	unbind := context.AfterFunc(drain, stopPublishing)
	wg.Wait()
	unbind()
	if pollErr == nil {
		l.awaitConsumed(drain)
	}
	close(commitStop)
	cwg.Wait()
	if err := l.commit(drain); err != nil && pollErr == nil {
		pollErr = err
	}
	if pollErr == nil {
		if cause := context.Cause(pollCtx); cause != nil && !errors.Is(cause, context.Canceled) {
			pollErr = cause
		}
	}
	if pollErr == nil && finished {
		return errFinished
	}
	return pollErr
}

// errFinished ends a source task whose Poll returned connect.ErrEndOfInput.
var errFinished = errors.New("end of input")

type sourceLoop struct {
	t         *taskRunner
	task      connect.SourceTask
	committer connect.SourceCommitter
	tracker   *offsets.Tracker
	set       settings
	chain     *chain     // nil without transforms
	commitMu  sync.Mutex // serialises periodic and final commits

	// delivery is set when the transport holds messages only in memory: a
	// batch is then acknowledged in the tracker once every consumer group
	// consumed it (not when Publish returns), so that a crash replays what
	// the sinks had not yet taken. consumed is signalled each time.
	delivery connect.DeliveryTracker
	consumed chan struct{}
	topicsMu sync.Mutex
	topics   map[string]bool // topics published to, for awaitConsumed
}

// awaitConsumed waits, when acknowledgements come from the consumers, until
// every published batch was consumed, while a sink of this runtime that
// reads one of the task's topics is running, acknowledgements keep coming
// (none for consumeIdle ends the wait: a group of another runtime, or a
// paused one, may never take them) and ctx allows. What was not consumed
// is not committed, so it is replayed after a restart.
func (l *sourceLoop) awaitConsumed(ctx context.Context) {
	if l.delivery == nil {
		return
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	idle := time.NewTimer(consumeIdle)
	defer idle.Stop()
	for l.tracker.Pending() > 0 {
		l.topicsMu.Lock()
		topics := slices.Collect(maps.Keys(l.topics))
		l.topicsMu.Unlock()
		if !l.t.c.rt.sinkRunningOn(topics) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-idle.C:
			return
		case <-l.consumed:
			idle.Reset(consumeIdle)
		case <-tick.C:
		}
	}
}

// consumeIdle is how long a stopping source waits for its records to be
// consumed without any progress.
const consumeIdle = time.Second

// publishBatch publishes b's messages. With a DeliveryTracker the batch is
// acknowledged once consumed, else once published.
func (l *sourceLoop) publishBatch(ctx context.Context, b *pubBatch) error {
	l.t.c.rt.topics.note(l.t.c.name, b.msgs)
	if l.delivery == nil {
		return l.t.c.rt.transport.Publish(ctx, b.msgs...)
	}
	l.topicsMu.Lock()
	for _, m := range b.msgs {
		l.topics[m.Topic] = true
	}
	l.topicsMu.Unlock()
	handle := b.handle
	return l.delivery.PublishTracked(ctx, func() {
		l.tracker.Ack(handle)
		select {
		case l.consumed <- struct{}{}:
		default:
		}
	}, b.msgs...)
}

// poll returns nil when ctx is cancelled (stop) and an error when the task
// must fail. The cause of a publisher failure arrives as ctx's cause. Each
// batch goes to ordered (the publisher's queue, in poll order) and to work
// (the converters').
func (l *sourceLoop) poll(ctx context.Context, ordered, work chan<- *pubBatch) error {
	t := l.t
	retry := newRetrier(l.set.retryTimeout, l.set.retryMax, t.retrying)
	for {
		if err := t.gate.wait(ctx); err != nil {
			return causeOrNil(ctx)
		}
		var records []*connect.Record
		pollErr := safely("poll", func() error {
			var err error
			records, err = l.task.Poll(ctx)
			return err
		})
		if ctx.Err() != nil && len(records) == 0 {
			return causeOrNil(ctx)
		}
		// Records returned with an error were read: they are delivered
		// first, then the error is handled (SourceTask.Poll's contract).
		if len(records) > 0 {
			if err := l.submit(ctx, records, ordered, work); err != nil {
				return err
			}
			if ctx.Err() != nil {
				return causeOrNil(ctx)
			}
		}
		if errors.Is(pollErr, connect.ErrEndOfInput) {
			return errFinished
		}
		if pollErr != nil {
			t.stats.error(ctx, "poll")
			if err := retry.retry(ctx, "poll", pollErr); err != nil {
				if ctx.Err() != nil {
					return causeOrNil(ctx)
				}
				return err
			}
			continue
		}
		retry.ok()
	}
}

// submit hands polled records to the converters and the publisher in
// batches of at most batch.size.max. It returns an error when the task
// must fail, and nil when ctx is done (stop).
func (l *sourceLoop) submit(ctx context.Context, records []*connect.Record, ordered, work chan<- *pubBatch) error {
	t := l.t
	rt := t.c.rt
	polled := time.Now()
	t.stats.polled.Add(ctx, int64(len(records)), t.stats.attrs)
	if l.set.topic == "" {
		for _, r := range records {
			if r.Topic == "" {
				return connect.Fatal(fmt.Errorf("record at %s names no topic and the connector config sets no %q: set %q to the topic this connector's records go to",
					describePosition(r.Position), KeyTopic, KeyTopic))
			}
		}
	}
	for len(records) > 0 {
		n := min(len(records), l.set.batchSize)
		chunk := records[:n]
		records = records[n:]
		handle, err := l.tracker.Submit(chunk)
		if err != nil {
			return connect.Fatal(err)
		}
		_, span := rt.inst.tracer.Start(ctx, "connect.source.batch", trace.WithAttributes(t.stats.kv...))
		b := &pubBatch{records: chunk, converted: make(chan struct{}), handle: handle, polled: polled, span: span}
		select {
		case ordered <- b:
		case <-ctx.Done():
			span.End()
			return causeOrNil(ctx)
		}
		select {
		case work <- b:
		case <-ctx.Done():
			b.err = errSkipped
			close(b.converted)
			return causeOrNil(ctx)
		}
	}
	return nil
}

// causeOrNil is nil for a plain cancel (stop) and the failure otherwise.
func causeOrNil(ctx context.Context) error {
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) && !errors.Is(c, context.DeadlineExceeded) {
		return c
	}
	return nil
}

// convertAll converts batches until in is closed. Several run at once; the
// publisher restores the order.
func (l *sourceLoop) convertAll(ctx context.Context, in <-chan *pubBatch) {
	var tr *transformScratch
	if l.chain != nil {
		tr = &transformScratch{}
		tr.ctx = tr.own.Context(ctx)
	}
	for b := range in {
		if ctx.Err() != nil {
			b.err = errSkipped
		} else {
			b.msgs, b.err = l.convert(ctx, b.records, tr)
			injectTrace(b.span, b.msgs)
		}
		b.records = nil
		close(b.converted)
	}
}

// convert runs records through the transforms, if any, and encodes them;
// a record that cannot be transformed or encoded goes to the dead-letter
// topic or fails the task, per errors.tolerance. The batch's positions
// were submitted to the tracker as polled, so the positions of records the
// transforms drop are committed with the others'.
func (l *sourceLoop) convert(ctx context.Context, records []*connect.Record, tr *transformScratch) ([]*connect.Message, error) {
	t := l.t
	msgs := make([]*connect.Message, 0, len(records))
	if tr != nil && len(tr.copies) < len(records) {
		tr.copies = make([]connect.Record, len(records))
	}
	for i, r := range records {
		if tr != nil {
			out, err := l.transform(tr.ctx, &tr.own, r, &tr.copies[i])
			if err != nil {
				if ctx.Err() != nil {
					return nil, errSkipped // stopping: replayed from the committed position
				}
				return nil, err
			}
			if out == nil {
				continue
			}
			r = out
		}
		m, err := l.encode(r)
		if err != nil {
			if err := t.tolerate(ctx, stageConvert, t.converter(), nil, r, err); err != nil {
				return nil, err
			}
			continue
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// transformScratch is what a converting goroutine reuses from batch to
// batch to transform records (sources only: nil without transforms).
type transformScratch struct {
	// copies hold the records the chain works on: a source may hand the
	// same record again (after a restart), so the polled ones stay as
	// they were. Nothing keeps them once their batch is encoded.
	copies []connect.Record
	own    transforms.Ownership
	ctx    context.Context // carries own
}

// transform runs r, a copy of src, through the chain, with the
// connector's topic when src names none. The maps of src are the
// source's: the transforms copy them before changing them.
func (l *sourceLoop) transform(ctx context.Context, own *transforms.Ownership, src, r *connect.Record) (*connect.Record, error) {
	*r = *src
	if r.Topic == "" {
		r.Topic = l.set.topic
	}
	own.Reset(r, false)
	return l.t.transform(ctx, l.chain, own, r, src, nil)
}

func (l *sourceLoop) encode(r *connect.Record) (*connect.Message, error) {
	if r.Topic == "" { // submit checked that the connector sets a topic
		r = r.Clone()
		r.Topic = l.set.topic
	}
	var m *connect.Message
	err := safely("encode", func() error {
		var err error
		m, err = l.t.converter().Encode(r)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("encode record at %s for topic %s: %w", describePosition(r.Position), r.Topic, err)
	}
	return m, nil
}

func describePosition(p connect.Position) string {
	if p.IsZero() {
		return "unknown position"
	}
	return fmt.Sprintf("%s %s", p.Partition, p.Offset)
}

// publish sends batches in order; on a failure it stops polling with the
// cause and drops what is queued (those positions are never committed).
func (l *sourceLoop) publish(ctx context.Context, in <-chan *pubBatch, fail context.CancelCauseFunc) {
	t := l.t
	retry := newRetrier(l.set.retryTimeout, l.set.retryMax, t.retrying)
	failed := false
	for b := range in {
		<-b.converted // converters finish every batch they take, quickly once ctx is done
		if b.err != nil && !failed && !errors.Is(b.err, errSkipped) {
			b.span.RecordError(b.err)
			fail(b.err)
		}
		// Nothing goes out after a batch that did not (a failed or
		// skipped one), nor once publishing is cancelled (a transport may
		// still send then): each queue must hold a gap-free prefix of
		// what the task polled, so that the restarted task's records
		// follow it in order.
		if b.err != nil || ctx.Err() != nil {
			failed = true
		}
		if failed {
			b.span.End()
			continue
		}
		for len(b.msgs) > 0 {
			err := l.publishBatch(ctx, b)
			if err == nil {
				retry.ok()
				break
			}
			if ctx.Err() != nil {
				failed = true
				break
			}
			t.stats.error(ctx, "publish")
			t.stats.retried.Add(ctx, int64(len(b.msgs)), t.stats.attrs)
			if err := retry.retry(ctx, "publish", err); err != nil {
				b.span.RecordError(err)
				fail(err)
				failed = true
				break
			}
		}
		if !failed {
			if l.delivery == nil || len(b.msgs) == 0 {
				l.tracker.Ack(b.handle)
			}
			t.stats.published.Add(ctx, int64(len(b.msgs)), t.stats.attrs)
			t.stats.batchSeconds.Record(ctx, time.Since(b.polled).Seconds(), t.stats.attrs)
		}
		b.span.End()
	}
}

func (l *sourceLoop) commitEvery(ctx context.Context, every time.Duration, stop <-chan struct{}) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
			l.commit(ctx) //nolint:errcheck // shown in the task's status; retried next tick
		}
	}
}

// commit writes every position whose records are all acknowledged to the
// offset store, then tells the task.
func (l *sourceLoop) commit(ctx context.Context) error {
	l.commitMu.Lock()
	defer l.commitMu.Unlock()
	positions := l.tracker.Committable()
	if len(positions) == 0 {
		return nil
	}
	t := l.t
	began := time.Now()
	if err := t.c.rt.offsets.Put(ctx, t.c.name, positions...); err != nil {
		l.tracker.Restore(positions)
		t.stats.error(ctx, "offset.commit")
		err = fmt.Errorf("commit offsets: %w", err)
		t.commitFailed(err)
		return err
	}
	t.commitFailed(nil)
	t.stats.commitSecs.Record(ctx, time.Since(began).Seconds(), t.stats.attrs)
	if l.committer != nil {
		if err := safely("commit", func() error { return l.committer.Commit(ctx, positions) }); err != nil {
			t.log.Warn("source task commit hook failed", "error", err)
		}
	}
	return nil
}
