package topiclog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	connect "github.com/openmessaging/connect-go"
)

// Headers the log puts on its own messages; apply never sees them.
const (
	headerSync = "topiclog.sync" // a marker: not a record
	headerID   = "topiclog.id"   // a record an AppendSync waits for
)

// fetchMax is how many messages the reader asks for at a time.
const fetchMax = 256

// Record is one message of the log as apply sees it. Value and Headers are
// shared with the transport: treat them as read-only.
type Record struct {
	// Offset is the message's position in the topic's queue
	// (connect.Message.Offset). It grows with every message.
	Offset  int64
	Key     string
	Value   []byte
	Headers map[string]string // nil when the message had none of its own
	// Gap is true when the reader did not read every message between the
	// previous record it applied and this one (or, for the first record,
	// from the topic's first offset 0): retention removed them first. The
	// state built so far may miss what they held.
	Gap bool
}

// Log is a totally ordered log over one topic with a single queue: every Log
// on the same topic and transport applies the same records in the same
// order.
//
// Append, AppendSync and Sync are safe for concurrent use. apply runs on the
// Log's reader goroutine, one record at a time; it must not call Sync,
// AppendSync or Close of its own Log (they wait for that goroutine).
type Log struct {
	tr    connect.MessageTransport
	topic string
	apply func(Record)
	cfg   config
	id    string        // unique per Log: prefix of its waiter ids
	seq   atomic.Uint64 // numbers waiter ids

	mu      sync.Mutex
	waiters map[string]chan struct{} // closed when the reader passes the id
	closed  bool
	err     error // why the reader stopped; set before done is closed

	cancel    context.CancelFunc
	done      chan struct{} // closed when the reader goroutine returned
	closeOnce sync.Once

	// Reader state, touched by the reader goroutine only.
	last   map[int]int64 // per queue, the offset of the last message read
	gap    bool          // messages were missed since the last record
	warned bool          // a second queue was reported
}

// Open creates topic with one queue (CreateTopic), starts a broadcast reader
// from the oldest retained message, calls apply for each record in order
// from one goroutine, and returns once it has read to the end, as Sync: the
// records published before Open was called are applied when it returns.
// ctx bounds Open only; the reader runs until Close. When Open fails, it has
// stopped everything it started.
func Open(ctx context.Context, tr connect.MessageTransport, topic string, apply func(Record), opts ...Option) (*Log, error) {
	if tr == nil || apply == nil || topic == "" {
		panic("topiclog: Open needs a transport, a topic and an apply function")
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if err := tr.CreateTopic(ctx, topic, 1); err != nil {
		return nil, fmt.Errorf("topiclog: create topic %s: %w", topic, err)
	}
	var idb [8]byte
	rand.Read(idb[:])
	l := &Log{
		tr:      tr,
		topic:   topic,
		apply:   apply,
		cfg:     cfg,
		id:      hex.EncodeToString(idb[:]),
		waiters: map[string]chan struct{}{},
		done:    make(chan struct{}),
		last:    map[int]int64{},
	}
	readCtx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	// The reader outlives Open's ctx, but Open must not wait past it for
	// the transport to start one.
	stop := context.AfterFunc(ctx, cancel)
	sub, err := tr.Broadcast(readCtx, topic)
	stop()
	if err != nil {
		cancel()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("topiclog: read topic %s: %w", topic, err)
	}
	go l.run(readCtx, sub)
	if err := l.Sync(ctx); err != nil {
		l.Close()
		return nil, fmt.Errorf("topiclog: open %s: %w", topic, err)
	}
	return l, nil
}

// Topic returns the topic the log is kept in.
func (l *Log) Topic() string { return l.topic }

// Append publishes a record and returns once the transport accepted it,
// without waiting for any Log to apply it. The transport keeps value: the
// caller must not modify it afterwards. A publish the transport retried may
// be stored, and applied, twice; a duplicate always lands before Append
// returns.
func (l *Log) Append(ctx context.Context, key string, value []byte) error {
	if err := l.check(); err != nil {
		return err
	}
	if err := l.tr.Publish(ctx, &connect.Message{Topic: l.topic, Key: []byte(key), Value: value}); err != nil {
		return fmt.Errorf("topiclog: append to %s: %w", l.topic, err)
	}
	return nil
}

// AppendSync is Append, then waits until this Log applied the record
// (read-your-writes), ctx is done, or the log is closed. When ctx ends
// after the publish, the record may still be applied later.
func (l *Log) AppendSync(ctx context.Context, key string, value []byte) error {
	id, ch, err := l.register()
	if err != nil {
		return err
	}
	msg := &connect.Message{Topic: l.topic, Key: []byte(key), Value: value, Headers: connect.Headers{headerID: id}}
	if err := l.tr.Publish(ctx, msg); err != nil {
		l.forget(id)
		return fmt.Errorf("topiclog: append to %s: %w", l.topic, err)
	}
	if err := l.wait(ctx, id, ch); err != nil {
		return fmt.Errorf("topiclog: append to %s: %w", l.topic, err)
	}
	return nil
}

// Sync returns once everything appended to the topic (by any Log) before
// Sync was called is applied by this Log, or with an error when ctx is done
// or the log is closed. It publishes a marker and waits for the reader to
// pass it.
func (l *Log) Sync(ctx context.Context) error {
	id, ch, err := l.register()
	if err != nil {
		return err
	}
	// An empty key: on the single queue any key would do.
	msg := &connect.Message{Topic: l.topic, Headers: connect.Headers{headerSync: id}}
	if err := l.tr.Publish(ctx, msg); err != nil {
		l.forget(id)
		return fmt.Errorf("topiclog: sync %s: %w", l.topic, err)
	}
	if err := l.wait(ctx, id, ch); err != nil {
		return fmt.Errorf("topiclog: sync %s: %w", l.topic, err)
	}
	return nil
}

// Close stops the reader and waits for its goroutine; pending Sync and
// AppendSync calls return an error matching connect.ErrClosed, and so do
// later calls. Close is idempotent and returns nil.
func (l *Log) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		l.cancel()
		<-l.done
	})
	return nil
}

func (l *Log) check() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.checkLocked()
}

func (l *Log) checkLocked() error {
	if l.closed {
		return fmt.Errorf("topiclog: %s: %w", l.topic, connect.ErrClosed)
	}
	if l.err != nil {
		return l.err
	}
	return nil
}

// register makes a waiter before the message is published, so the reader
// cannot pass it unnoticed.
func (l *Log) register() (string, chan struct{}, error) {
	id := l.id + "-" + strconv.FormatUint(l.seq.Add(1), 10)
	ch := make(chan struct{})
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.checkLocked(); err != nil {
		return "", nil, err
	}
	l.waiters[id] = ch
	return id, ch, nil
}

func (l *Log) forget(id string) {
	l.mu.Lock()
	delete(l.waiters, id)
	l.mu.Unlock()
}

func (l *Log) release(id string) {
	l.mu.Lock()
	if ch, ok := l.waiters[id]; ok {
		close(ch)
		delete(l.waiters, id)
	}
	l.mu.Unlock()
}

func (l *Log) wait(ctx context.Context, id string, ch chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		l.forget(id)
		return ctx.Err()
	case <-l.done:
		select {
		case <-ch:
			return nil
		default:
		}
		l.forget(id)
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.err != nil {
			return l.err
		}
		return connect.ErrClosed
	}
}

// run is the reader goroutine: fetch, skip what was read already, apply.
func (l *Log) run(ctx context.Context, sub connect.Subscription) {
	defer close(l.done)
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = l.cfg.minBackoff
	b.MaxInterval = l.cfg.maxBackoff
	b.MaxElapsedTime = 0
	b.Reset()
	for {
		if sub == nil {
			s, err := l.tr.Broadcast(ctx, l.topic)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				if errors.Is(err, connect.ErrClosed) {
					l.stop(fmt.Errorf("topiclog: read %s: %w", l.topic, err))
					return
				}
				l.cfg.logger.Warn("topiclog: cannot read the topic; retrying", "topic", l.topic, "error", err)
				if !sleep(ctx, b.NextBackOff()) {
					return
				}
				continue
			}
			sub = s
		}
		msgs, err := sub.Fetch(ctx, fetchMax)
		if err != nil {
			if ctx.Err() != nil {
				sub.Close()
				return
			}
			l.cfg.logger.Warn("topiclog: fetch failed; retrying", "topic", l.topic, "error", err)
			if !connect.IsRetriable(err) {
				// A new reader starts at the oldest retained message;
				// handle skips what was read already.
				sub.Close()
				sub = nil
			}
			if !sleep(ctx, b.NextBackOff()) {
				if sub != nil {
					sub.Close()
				}
				return
			}
			continue
		}
		b.Reset()
		for _, m := range msgs {
			l.handle(m)
		}
	}
}

func (l *Log) stop(err error) {
	l.mu.Lock()
	l.err = err
	l.mu.Unlock()
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (l *Log) handle(m *connect.Message) {
	if m.Queue != 0 && !l.warned {
		l.warned = true
		l.cfg.logger.Error("topiclog: the topic has more than one queue, so its records have no total order; recreate it with one queue",
			"topic", l.topic, "queue", m.Queue)
	}
	last, seen := l.last[m.Queue]
	if seen && m.Offset <= last {
		return // read again by a new broadcast reader
	}
	if (!seen && m.Offset > 0) || (seen && m.Offset > last+1) {
		l.gap = true
	}
	l.last[m.Queue] = m.Offset
	if id, ok := m.Headers[headerSync]; ok {
		l.release(id)
		return
	}
	rec := Record{
		Offset:  m.Offset,
		Key:     string(m.Key),
		Value:   m.Value,
		Headers: userHeaders(m.Headers),
		Gap:     l.gap,
	}
	l.gap = false
	l.safeApply(rec)
	if id, ok := m.Headers[headerID]; ok {
		l.release(id)
	}
}

func userHeaders(h connect.Headers) map[string]string {
	_, hasID := h[headerID]
	if len(h) == 0 || (hasID && len(h) == 1) {
		return nil
	}
	if !hasID {
		return h
	}
	out := maps.Clone(h)
	delete(out, headerID)
	return out
}

func (l *Log) safeApply(r Record) {
	defer func() {
		if p := recover(); p != nil {
			l.cfg.logger.Error("topiclog: apply panicked; record skipped",
				"topic", l.topic, "offset", r.Offset, "key", r.Key, "panic", p, "stack", string(debug.Stack()))
		}
	}()
	l.apply(r)
}
