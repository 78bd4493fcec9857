package mysqlsink

import (
	"context"
	"fmt"

	connect "github.com/openmessaging/connect-go"
)

var _ connect.QueueAwareSink = (*task)(nil)

// Open resumes, under exactly_once, each queue the task gets right after
// the last record the target applied (connect.QueueSeeker): the transport
// then delivers only what the target lacks, instead of the task reading
// and skipping what it already holds (after a crash between the commit
// and the transport's ack, or when a queue comes from another task). The
// locking read in each batch's transaction still decides what is new; a
// seek only saves the work.
func (t *task) Open(ctx context.Context, queues []connect.QueueRef) error {
	if t.offs == nil || len(queues) == 0 {
		return nil
	}
	seeker, ok := t.tc.(connect.QueueSeeker)
	if !ok {
		return nil
	}
	qs := make([]queueKey, len(queues))
	for i, q := range queues {
		qs[i] = queueKey{q.Topic, q.Queue}
	}
	stored, err := t.offs.read(ctx, qs)
	if err != nil {
		return classify(fmt.Errorf("mysqlsink: open %d queues: read their stored offsets on %s: %w", len(qs), t.s.addr, err))
	}
	for k, off := range stored {
		if off < 0 {
			continue // a row made ready, nothing applied yet
		}
		if err := seeker.Seek(connect.QueueRef{Topic: k.topic, Queue: k.queue}, off+1); err != nil {
			return fmt.Errorf("mysqlsink: resume %s/%d after offset %d: %w", k.topic, k.queue, off, err)
		}
	}
	return nil
}

// Close has nothing to release: a queue's state is its offset row.
func (t *task) Close(context.Context, []connect.QueueRef) error { return nil }
