package runtime

import (
	"context"
	"fmt"
	"slices"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// held keeps the messages of a connect.PreCommitter sink task that were
// flushed but that the task has not allowed to be acknowledged yet, per
// queue in the order they were delivered. It lives as long as the task's
// subscription, on the sink loop's goroutine.
type held struct {
	task  connect.PreCommitter
	owner connect.QueueOwner // nil when the subscription cannot tell its queues
	msgs  map[connect.QueueRef][]*connect.Message
}

// newHeld returns nil when task decides nothing about acknowledgements.
func newHeld(task connect.SinkTask, sub connect.Subscription) *held {
	pc, ok := task.(connect.PreCommitter)
	if !ok {
		return nil
	}
	owner, _ := sub.(connect.QueueOwner)
	return &held{task: pc, owner: owner, msgs: map[connect.QueueRef][]*connect.Message{}}
}

func (h *held) holding() bool { return h != nil && len(h.msgs) > 0 }

func (h *held) add(msgs []*connect.Message) {
	for _, m := range msgs {
		q := connect.QueueRef{Topic: m.Topic, Queue: m.Queue}
		h.msgs[q] = append(h.msgs[q], m)
	}
}

// remove stops holding msgs: acknowledged, or handed back.
func (h *held) remove(msgs []*connect.Message) {
	if len(msgs) == 0 || len(h.msgs) == 0 {
		return
	}
	gone := make(map[*connect.Message]bool, len(msgs))
	for _, m := range msgs {
		gone[m] = true
	}
	for q, ms := range h.msgs {
		if ms = slices.DeleteFunc(ms, func(m *connect.Message) bool { return gone[m] }); len(ms) == 0 {
			delete(h.msgs, q)
		} else {
			h.msgs[q] = ms
		}
	}
}

// drop stops holding the messages of queue q, which was sought: the
// transport no longer expects them acknowledged (connect.QueueOwner.Seek).
func (h *held) drop(q connect.QueueRef) { delete(h.msgs, q) }

// allowed asks the task which held messages may be acknowledged and
// returns them, still held. Queues the member lost are dropped first.
func (h *held) allowed(ctx context.Context) ([]*connect.Message, error) {
	if h.owner != nil && len(h.msgs) > 0 {
		owned, _ := h.owner.Owned()
		for q := range h.msgs {
			if !slices.Contains(owned, q) {
				delete(h.msgs, q) // its new owner gets them again
			}
		}
	}
	if len(h.msgs) == 0 {
		return nil, nil
	}
	current := make(map[connect.QueueRef]int64, len(h.msgs))
	for q, ms := range h.msgs {
		current[q] = ms[len(ms)-1].Offset + 1
	}
	var allow map[connect.QueueRef]int64
	err := safely("pre-commit", func() error {
		var err error
		allow, err = h.task.PreCommit(ctx, current)
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []*connect.Message
	for q, ms := range h.msgs {
		limit, ok := allow[q]
		if !ok {
			continue
		}
		for _, m := range ms {
			if m.Offset >= limit {
				break
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// settle acknowledges what a PreCommitter task allows of the messages the
// runtime holds for it, including msgs, which were just flushed. A
// retriable error of the task acknowledges nothing; any other is returned,
// as is a failed Ack, and then msgs are no longer held (the caller hands
// them back).
func (t *taskRunner) settle(ctx context.Context, sub connect.Subscription, h *held, msgs []*connect.Message) error {
	h.add(msgs)
	ack, err := h.allowed(ctx)
	if err != nil {
		t.stats.error(ctx, "pre-commit")
		if connect.IsRetriable(err) {
			t.log.Warn("pre-commit failed; acknowledging nothing this time", "error", t.redact.Text(err.Error()))
			return nil
		}
		h.remove(msgs)
		return connect.Fatal(fmt.Errorf("pre-commit: %w", err))
	}
	if len(ack) == 0 {
		return nil
	}
	if err := sub.Ack(ctx, ack...); err != nil {
		h.remove(msgs)
		t.stats.error(ctx, "ack")
		return connect.Retriable(fmt.Errorf("ack: %w", err))
	}
	h.remove(ack)
	return nil
}

// await returns p's batch. While it waits and h holds messages back, it
// asks the task again every offset flush interval, as Kafka Connect calls
// preCommit on its commit interval whether or not records come. A failure
// the task cannot go on after is returned; then p is still running.
func (t *taskRunner) await(ctx context.Context, sub connect.Subscription, p *prefetch, h *held) (fetched, error) {
	for h.holding() {
		timer := time.NewTimer(t.c.rt.cfg.offsetFlushInterval)
		select {
		case <-p.done:
			timer.Stop()
			return p.wait(), nil
		case <-timer.C:
			if err := t.settle(ctx, sub, h, nil); err != nil && !connect.IsRetriable(err) {
				return fetched{}, err
			}
		}
	}
	return p.wait(), nil
}
