package connecttest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/offset"
)

func checkSource(t testing.TB, d *Driver) {
	if d.WriteSource == nil || d.RecordID == nil {
		t.Fatal("connecttest: Driver.WriteSource and Driver.RecordID are required for a source")
	}
	leaks := append([]goleak.Option{goleak.IgnoreCurrent()}, d.GoleakOptions...)
	ctx, cancel := context.WithTimeout(context.Background(), 4*d.Timeout)
	defer cancel()
	store := offset.NewMemory()

	// First run: everything written after Start is polled.
	run1 := startSource(ctx, t, d, store)
	defer run1.stop(ctx, t)
	ids1 := d.WriteSource(t, d.Records)
	got1 := run1.pollUntil(ctx, t, ids1)
	run1.pollIdle(ctx, t, got1)

	// Commit as the runtime does: store the last position of each
	// partition, then tell the task.
	committed := got1.lastPositions()
	if err := store.Put(ctx, acceptanceConnector, committed...); err != nil {
		t.Fatalf("store positions: %v", err)
	}
	if c, ok := run1.task.(connect.SourceCommitter); ok {
		if err := c.Commit(ctx, committed); err != nil {
			t.Errorf("Commit: %v", err)
		}
	}
	run1.stop(ctx, t)

	// Second run, after a restart: resume from the stored positions.
	ids2 := d.WriteSource(t, d.Records)
	run2 := startSource(ctx, t, d, store)
	defer run2.stop(ctx, t)
	got2 := run2.pollUntil(ctx, t, ids2)
	run2.stop(ctx, t)

	var reread, dups int
	var early []string
	for id, n := range got2.count {
		if n > 1 {
			dups += n - 1
		}
		first, ok := got1.at[id]
		if !ok {
			continue
		}
		reread += n
		if !sameOffset(first, got1.last[first.Partition]) {
			early = append(early, id)
		}
	}
	for _, n := range got1.count {
		if n > 1 {
			dups += n - 1
		}
	}
	if len(early) > 0 {
		t.Errorf("after the restart the source polled again %d records from before the stored positions (%s): it must resume from SourceTaskContext.Offset", len(early), sample(early))
	}
	if reread+dups > 0 {
		t.Logf("at-least-once: %d records were polled again after the restart, %d duplicates within a run", reread, dups)
	}
	verifyNoLeaks(t, leaks)
}

// sourceRun is one started connector and task.
type sourceRun struct {
	d       *Driver
	conn    connect.SourceConnector
	task    connect.SourceTask
	stopped bool
}

func startSource(ctx context.Context, t testing.TB, d *Driver, store connect.OffsetStore) *sourceRun {
	t.Helper()
	conn, ok := d.Connector().(connect.SourceConnector)
	if !ok {
		t.Fatal("Driver.Connector returned a connector that is not a connect.SourceConnector")
	}
	if err := validate(ctx, conn, d.Config); err != nil {
		t.Fatalf("Driver.Config does not validate: %v", err)
	}
	if err := conn.Start(ctx, NewConnectorContext(), conn.Spec().Config.Apply(d.Config)); err != nil {
		t.Fatalf("connector Start: %v", err)
	}
	r := &sourceRun{d: d, conn: conn}
	cfgs, err := conn.TaskConfigs(1)
	if err != nil || len(cfgs) != 1 {
		r.stop(ctx, t)
		t.Fatalf("TaskConfigs(1) = %d configs, %v; want 1", len(cfgs), err)
	}
	r.task = conn.NewTask()
	if err := r.task.Start(ctx, NewSourceTaskContext(acceptanceConnector, 0, store), cfgs[0]); err != nil {
		r.stop(ctx, t)
		t.Fatalf("task Start: %v", err)
	}
	return r
}

// stop stops the task and the connector, once. The task is stopped even
// when its Start failed, as the runtime does.
func (r *sourceRun) stop(ctx context.Context, t testing.TB) {
	t.Helper()
	if r.stopped {
		return
	}
	r.stopped = true
	if r.task != nil {
		if err := r.task.Stop(ctx); err != nil {
			t.Errorf("task Stop: %v", err)
		}
	}
	if err := r.conn.Stop(ctx); err != nil {
		t.Errorf("connector Stop: %v", err)
	}
}

// polled is what one run's task emitted.
type polled struct {
	count      map[string]int              // identity -> times polled
	at         map[string]connect.Position // identity -> position when first polled
	last       map[string]connect.Position // partition -> last position
	partitions []string                    // in the order first seen
	badRecords bool
}

func (p *polled) lastPositions() []connect.Position {
	out := make([]connect.Position, len(p.partitions))
	for i, part := range p.partitions {
		out[i] = p.last[part]
	}
	return out
}

func (p *polled) add(t testing.TB, d *Driver, recs []*connect.Record) {
	t.Helper()
	for _, r := range recs {
		if r == nil {
			t.Error("Poll returned a nil record")
			continue
		}
		if r.Position.Partition == "" || !json.Valid(r.Position.Offset) {
			if !p.badRecords {
				t.Errorf("Poll returned a record without a valid Position (%q, %q): the runtime could not resume after it", r.Position.Partition, r.Position.Offset)
			}
			p.badRecords = true
			continue
		}
		id := d.RecordID(r)
		p.count[id]++
		if _, ok := p.at[id]; !ok {
			p.at[id] = r.Position
		}
		if _, ok := p.last[r.Position.Partition]; !ok {
			p.partitions = append(p.partitions, r.Position.Partition)
		}
		p.last[r.Position.Partition] = r.Position
	}
}

// pollUntil polls until every identity in want was polled.
func (r *sourceRun) pollUntil(ctx context.Context, t testing.TB, want []string) *polled {
	t.Helper()
	got := &polled{count: map[string]int{}, at: map[string]connect.Position{}, last: map[string]connect.Position{}}
	deadline := time.Now().Add(r.d.Timeout)
	for {
		var missing []string
		for _, id := range want {
			if got.count[id] == 0 {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 {
			return got
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			t.Fatalf("%d of the %d records written were not polled within %v: %s", len(missing), len(want), r.d.Timeout, sample(missing))
		}
		got.add(t, r.d, r.poll(ctx, t, min(wait, 250*time.Millisecond)))
	}
}

// pollIdle checks that Poll returns promptly when its ctx ends while there
// is nothing (or little) to read; what it returns counts as polled.
func (r *sourceRun) pollIdle(ctx context.Context, t testing.TB, got *polled) {
	t.Helper()
	got.add(t, r.d, r.poll(ctx, t, 100*time.Millisecond))
}

// poll calls Poll with a ctx ending after wait and checks it returns
// promptly then.
func (r *sourceRun) poll(ctx context.Context, t testing.TB, wait time.Duration) []*connect.Record {
	t.Helper()
	pctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	recs, err := r.task.Poll(pctx)
	if dl, _ := pctx.Deadline(); time.Since(dl) > pollGrace {
		t.Errorf("Poll returned %v after its ctx was done; it must return promptly", time.Since(dl).Round(time.Millisecond))
	}
	switch {
	case err == nil:
	case pctx.Err() != nil && errors.Is(err, pctx.Err()):
	case connect.IsRetriable(err):
		t.Logf("Poll: retriable error: %v", err)
	default:
		t.Fatalf("Poll: %v", err)
	}
	return recs
}
