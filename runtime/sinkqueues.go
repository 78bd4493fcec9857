package runtime

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	connect "github.com/openmessaging/connect-go"
)

// queueTracker follows the queues a sink task's consumer group member
// owns (connect.QueueOwner), tells a connect.QueueAwareSink task about
// the changes, and applies the seeks the task asks for
// (connect.QueueSeeker). It lives as long as the task's subscription.
// Everything but request runs on the sink loop's goroutine.
type queueTracker struct {
	owner connect.QueueOwner
	task  connect.QueueAwareSink // nil when the task does not follow queues

	synced bool
	gen    uint64
	owned  []connect.QueueRef // what the task was told it owns, sorted

	mu    sync.Mutex
	seeks map[connect.QueueRef]int64 // asked for, applied by the next sync

	onSeek func(connect.QueueRef) // called after a seek applied; may be nil
}

// newQueueTracker returns the tracker of a sink task reading sub, nil when
// sub cannot tell its queues.
func newQueueTracker(sub connect.Subscription, task connect.SinkTask) *queueTracker {
	owner, ok := sub.(connect.QueueOwner)
	if !ok {
		return nil
	}
	qa, _ := task.(connect.QueueAwareSink)
	return &queueTracker{owner: owner, task: qa}
}

// request records a seek for the next sync.
func (q *queueTracker) request(ref connect.QueueRef, offset int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.seeks == nil {
		q.seeks = make(map[connect.QueueRef]int64)
	}
	q.seeks[ref] = offset
}

// sync runs before each fetch: when the member's queues changed it calls
// the task's Close with the queues lost and Open with those gained, then
// applies the seeks asked for (in Open or since the last sync) on queues
// the member owns. A failed Close or Open is tried again by the next sync.
func (q *queueTracker) sync(ctx context.Context) error {
	if q.task == nil {
		// A task that does not follow queues may still seek: the queues
		// are looked up only then, not on every batch.
		if q.pendingSeeks() {
			q.owned, _ = q.owner.Owned()
		}
		return q.applySeeks(ctx)
	}
	owned, gen := q.owner.Owned()
	if !q.synced || gen != q.gen {
		if lost := missingFrom(q.owned, owned); len(lost) > 0 {
			if err := q.call(ctx, "close", q.taskClose, lost); err != nil {
				return err
			}
			q.owned = slices.DeleteFunc(q.owned, func(r connect.QueueRef) bool { return slices.Contains(lost, r) })
		}
		if got := missingFrom(owned, q.owned); len(got) > 0 {
			if err := q.call(ctx, "open", q.taskOpen, got); err != nil {
				return err
			}
		}
		q.owned, q.gen, q.synced = owned, gen, true
	}
	return q.applySeeks(ctx)
}

func (q *queueTracker) pendingSeeks() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.seeks) > 0
}

// applySeeks applies the seeks asked for on queues the member owns.
func (q *queueTracker) applySeeks(ctx context.Context) error {
	q.mu.Lock()
	seeks := q.seeks
	q.seeks = nil
	q.mu.Unlock()
	for ref, off := range seeks {
		if !slices.Contains(q.owned, ref) {
			delete(seeks, ref)
			continue // moved away: its new owner resumes it
		}
		if err := q.owner.Seek(ctx, ref, off); err != nil {
			if errors.Is(err, connect.ErrConflict) {
				delete(seeks, ref)
				continue // moved away since Owned
			}
			q.requeue(seeks)
			return fmt.Errorf("seek %s/%d to %d: %w", ref.Topic, ref.Queue, off, err)
		}
		delete(seeks, ref)
		if q.onSeek != nil {
			q.onSeek(ref)
		}
	}
	return nil
}

// requeue puts seeks that were not applied back for the next sync, unless
// the task asked again for the same queue meanwhile: a failed seek is
// tried again, never dropped, so that the task's records do not arrive
// from where it did not ask.
func (q *queueTracker) requeue(seeks map[connect.QueueRef]int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.seeks == nil {
		q.seeks = make(map[connect.QueueRef]int64, len(seeks))
	}
	for ref, off := range seeks {
		if _, newer := q.seeks[ref]; !newer {
			q.seeks[ref] = off
		}
	}
}

// moved reports whether the member's queues changed since the last sync:
// a batch fetched meanwhile may hold records of queues the task was not
// told about, and is handed back.
func (q *queueTracker) moved() bool {
	if q.task == nil {
		return false // the task is told nothing about queues
	}
	_, gen := q.owner.Owned()
	return gen != q.gen
}

// closeAll tells the task it loses every queue, before it stops.
func (q *queueTracker) closeAll(ctx context.Context) error {
	if q.task == nil || len(q.owned) == 0 {
		return nil
	}
	owned := q.owned
	q.owned = nil
	return q.call(ctx, "close", q.taskClose, owned)
}

func (q *queueTracker) taskOpen(ctx context.Context, refs []connect.QueueRef) error {
	return q.task.Open(ctx, refs)
}

func (q *queueTracker) taskClose(ctx context.Context, refs []connect.QueueRef) error {
	return q.task.Close(ctx, refs)
}

func (q *queueTracker) call(ctx context.Context, what string, f func(context.Context, []connect.QueueRef) error, refs []connect.QueueRef) error {
	if q.task == nil {
		return nil
	}
	if err := safely("task "+what, func() error { return f(ctx, refs) }); err != nil {
		return fmt.Errorf("%s %s: %w", what, queueList(refs), err)
	}
	return nil
}

// missingFrom returns the queues of a that b lacks.
func missingFrom(a, b []connect.QueueRef) []connect.QueueRef {
	var out []connect.QueueRef
	for _, r := range a {
		if !slices.Contains(b, r) {
			out = append(out, r)
		}
	}
	return out
}

func compareQueueRefs(a, b connect.QueueRef) int {
	return cmp.Or(strings.Compare(a.Topic, b.Topic), cmp.Compare(a.Queue, b.Queue))
}

func queueList(refs []connect.QueueRef) string {
	refs = slices.SortedFunc(slices.Values(refs), compareQueueRefs)
	parts := make([]string, len(refs))
	for i, r := range refs {
		parts[i] = fmt.Sprintf("%s/%d", r.Topic, r.Queue)
	}
	return "queues " + strings.Join(parts, ",")
}

// Seek implements connect.QueueSeeker for sink tasks.
func (tc taskContext) Seek(ref connect.QueueRef, offset int64) error {
	q := tc.t.queues.Load()
	if q == nil {
		return fmt.Errorf("seek %s/%d: the task has no subscription that can seek (call Seek from Open or Put, on a transport whose subscriptions implement connect.QueueOwner)", ref.Topic, ref.Queue)
	}
	q.request(ref, offset)
	return nil
}
