package rocketmq

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	rmqerrors "github.com/apache/rocketmq-client-go/v2/errors"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/cenkalti/backoff/v4"
	connect "github.com/openmessaging/connect-go"
)

// Publish sends msgs and returns once the broker stored all of them. See
// "Publishing" in the package doc: messages are grouped by topic and queue
// (the queue of a message with a key is fixed by its key; messages without
// key go together to the next queue in turn), each group is sent in order
// as batches of at most WithMaxBatchBytes, different queues concurrently.
// A failed send is retried WithSendRetries times with backoff; then Publish
// returns a connect.Retriable error, except for messages the broker can
// never take (too large, an invalid topic name), which fail at once with a
// plain error. Any subset of msgs may have been stored when Publish fails.
//
// Publish does not keep msgs after it returns.
func (t *Transport) Publish(ctx context.Context, msgs ...*connect.Message) error {
	if err := t.ensureOpen(ctx); err != nil {
		return fmt.Errorf("rocketmq: publish: %w", err)
	}
	if len(msgs) == 0 {
		return nil
	}
	topics, err := t.prepare(msgs)
	if err != nil {
		return err
	}
	var groups []*sendGroup
	for _, tp := range topics {
		g, err := t.plan(ctx, tp)
		if err != nil {
			return err
		}
		groups = append(groups, g...)
	}
	if len(groups) == 1 {
		return t.sendGroup(ctx, groups[0])
	}
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for i, g := range groups {
		wg.Go(func() { errs[i] = t.sendGroup(ctx, g) })
	}
	wg.Wait()
	// A failure retrying cannot fix decides: the runtime should not retry
	// the whole batch for the sake of the queues that were only busy.
	var permanent []error
	for _, err := range errs {
		if err != nil && !connect.IsRetriable(err) {
			permanent = append(permanent, err)
		}
	}
	if len(permanent) > 0 {
		return errors.Join(permanent...)
	}
	return errors.Join(errs...)
}

// outgoing is one message converted for the client.
type outgoing struct {
	msg  *primitive.Message
	key  []byte
	size int // bytes on the wire, about
}

type topicMsgs struct {
	topic string
	msgs  []outgoing
}

// sendGroup is what goes to one queue of a topic, in order.
type sendGroup struct {
	topic   string
	queue   *primitive.MessageQueue // nil: the selector decides
	keyless bool
	msgs    []outgoing
}

// prepare converts msgs and splits them by topic, keeping their order.
func (t *Transport) prepare(msgs []*connect.Message) ([]*topicMsgs, error) {
	var (
		out     []*topicMsgs
		index   = map[string]*topicMsgs{}
		slab    = make([]primitive.Message, len(msgs)) // one allocation for the batch
		headers headerCache
	)
	for i, m := range msgs {
		if m == nil {
			return nil, fmt.Errorf("rocketmq: publish: message %d is nil", i)
		}
		if len(m.Value) > t.cfg.maxMessageBytes {
			return nil, fmt.Errorf("rocketmq: publish: message %d to %s: value of %d bytes exceeds the %d allowed (WithMaxMessageBytes)",
				i, m.Topic, len(m.Value), t.cfg.maxMessageBytes)
		}
		props, psize, err := properties(m, t.cfg.headerPerProp, &headers)
		if err != nil {
			return nil, fmt.Errorf("rocketmq: publish: message %d to %s: %w", i, m.Topic, err)
		}
		pm := &slab[i]
		pm.Topic, pm.Body = m.Topic, body(m.Value, &props)
		pm.WithProperties(props)
		tm := index[m.Topic]
		if tm == nil {
			if err := checkName("topic", m.Topic, 127); err != nil {
				return nil, fmt.Errorf("rocketmq: publish: message %d: %w", i, err)
			}
			tm = &topicMsgs{topic: m.Topic}
			if len(out) == 0 {
				tm.msgs = make([]outgoing, 0, len(msgs)) // usually all go to one topic
			}
			index[m.Topic] = tm
			out = append(out, tm)
		}
		tm.msgs = append(tm.msgs, outgoing{msg: pm, key: m.Key, size: len(m.Value) + psize + 24})
	}
	return out, nil
}

// plan groups a topic's messages by queue. The first publish to a topic
// through this transport sends one message on its own first: the selector
// learns the topic's queues from it (creating the topic on the broker when
// it is new).
func (t *Transport) plan(ctx context.Context, tm *topicMsgs) ([]*sendGroup, error) {
	msgs := tm.msgs
	qs := t.routes.get(tm.topic)
	if qs == nil {
		first := &sendGroup{topic: tm.topic, keyless: len(msgs[0].key) == 0, msgs: msgs[:1]}
		if err := t.sendGroup(ctx, first); err != nil {
			return nil, err
		}
		msgs = msgs[1:]
		qs = t.routes.get(tm.topic)
		if len(msgs) == 0 {
			return nil, nil
		}
		if qs == nil {
			// Only if the client bypassed the selector; keep order by
			// sending the rest as one group.
			return []*sendGroup{{topic: tm.topic, msgs: msgs}}, nil
		}
	}
	var (
		groups  []*sendGroup
		byQueue = make([]*sendGroup, len(qs))
		keyless = -1 // the queue of this call's messages without key
	)
	for _, m := range msgs {
		var q int
		if len(m.key) > 0 {
			q = pick(m.key, len(qs))
		} else {
			if keyless < 0 {
				keyless = int(t.nextQueue.Add(1) % uint32(len(qs)))
			}
			q = keyless
		}
		g := byQueue[q]
		if g == nil {
			size := len(msgs) // messages without key go together
			if len(m.key) > 0 {
				size = len(msgs)*5/(4*len(qs)) + 1 // keys spread over the queues
			}
			g = &sendGroup{topic: tm.topic, queue: qs[q], keyless: true, msgs: make([]outgoing, 0, size)}
			byQueue[q] = g
			groups = append(groups, g)
		}
		g.keyless = g.keyless && len(m.key) == 0
		g.msgs = append(g.msgs, m)
	}
	return groups, nil
}

// sendGroup sends g's messages in order, in batches of at most
// maxBatchBytes.
func (t *Transport) sendGroup(ctx context.Context, g *sendGroup) error {
	msgs := g.msgs
	for len(msgs) > 0 {
		n, size := 1, msgs[0].size
		for n < len(msgs) && size+msgs[n].size <= t.cfg.maxBatchBytes {
			size += msgs[n].size
			n++
		}
		if err := t.sendBatch(ctx, g, msgs[:n]); err != nil {
			return err
		}
		msgs = msgs[n:]
	}
	return nil
}

// sendBatch sends one batch, retrying with backoff. A batch without keys
// moves to the next queue on a retry (another broker, maybe); a batch with
// keys stays on its queue, or the keys' order would break.
func (t *Transport) sendBatch(ctx context.Context, g *sendGroup, batch []outgoing) error {
	pms := make([]*primitive.Message, len(batch))
	for i, o := range batch {
		pms[i] = o.msg
	}
	nextDelay := t.retryDelays()
	for attempt := 0; ; attempt++ {
		if !g.keyless && g.queue != nil && !t.routes.has(g.topic, g.queue) {
			// The queue the keys hash to is gone: only a new plan over
			// the new route keeps each key on one queue.
			return connect.Retriable(fmt.Errorf("rocketmq: publish to %s: queue %s/%d left the route; publish again",
				g.topic, g.queue.BrokerName, g.queue.QueueId))
		}
		for _, m := range pms {
			m.Queue = g.queue
		}
		err := t.sendOnce(ctx, pms)
		if err == nil {
			return nil
		}
		where := g.topic
		if g.queue != nil {
			where = fmt.Sprintf("%s queue %s/%d", g.topic, g.queue.BrokerName, g.queue.QueueId)
		}
		err = fmt.Errorf("rocketmq: publish %d messages to %s: %w", len(pms), where, err)
		switch {
		case t.closed.Load():
			return fmt.Errorf("%w (%w)", err, connect.ErrClosed)
		case !retriable(err):
			return err
		case attempt >= t.cfg.sendRetries || ctx.Err() != nil:
			return connect.Retriable(err)
		}
		delay := nextDelay()
		t.log.Warn("send failed, retrying", "topic", g.topic, "attempt", attempt+1, "delay", delay, "error", err)
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return connect.Retriable(err)
		case <-t.done:
			timer.Stop()
			return fmt.Errorf("%w (%w)", err, connect.ErrClosed)
		case <-timer.C:
		}
		if g.keyless && g.queue != nil {
			if qs := t.routes.get(g.topic); len(qs) > 1 {
				g.queue = qs[int(t.nextQueue.Add(1)%uint32(len(qs)))]
			}
		}
	}
}

// retryDelays returns the delays between the attempts of one send: from
// about retryBackoff, doubling up to retryBackoffMax, each randomized by up
// to ±retryJitter so that senders that failed together (a broker restart)
// do not retry in step. Attempts are bounded by sendRetries, not by time.
func (t *Transport) retryDelays() func() time.Duration {
	bo := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(t.cfg.retryBackoff),
		backoff.WithMaxInterval(t.cfg.retryBackoffMax),
		backoff.WithMultiplier(2),
		backoff.WithRandomizationFactor(retryJitter),
		backoff.WithMaxElapsedTime(0),
	)
	// The package caps the interval before it randomizes it.
	return func() time.Duration { return min(bo.NextBackOff(), t.cfg.retryBackoffMax) }
}

// retryJitter is the randomization factor of the send retry delays.
const retryJitter = 0.5

func (t *Transport) sendOnce(ctx context.Context, pms []*primitive.Message) error {
	ctx, cancel := context.WithTimeout(ctx, t.cfg.sendTimeout)
	defer cancel()
	var res *primitive.SendResult
	err := t.call("SendSync", func() (err error) {
		res, err = t.producer.SendSync(ctx, pms...)
		return err
	})
	if err != nil {
		return err
	}
	if res == nil {
		return errors.New("no send result")
	}
	if res.Status != primitive.SendOK {
		// Stored on the master but not flushed or replicated as the broker
		// is configured to: not durable yet, so send again (a duplicate at
		// worst).
		return fmt.Errorf("broker answered %s", sendStatus(res.Status))
	}
	return nil
}

func sendStatus(s primitive.SendStatus) string {
	switch s {
	case primitive.SendFlushDiskTimeout:
		return "FLUSH_DISK_TIMEOUT"
	case primitive.SendFlushSlaveTimeout:
		return "FLUSH_SLAVE_TIMEOUT"
	case primitive.SendSlaveNotAvailable:
		return "SLAVE_NOT_AVAILABLE"
	}
	return fmt.Sprintf("status %d", s)
}

// retriable reports whether sending again may succeed. Everything is, but
// broker answers that reject the message itself (13 MESSAGE_ILLEGAL, 3
// REQUEST_CODE_NOT_SUPPORTED) and a producer that was shut down.
func retriable(err error) bool {
	if errors.Is(err, rmqerrors.ErrNotRunning) {
		return false
	}
	msg := err.Error()
	for _, code := range []string{"CODE: 13,", "CODE: 3,"} {
		if strings.Contains(msg, code) {
			return false
		}
	}
	return true
}
