package rocketmq

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	connect "github.com/openmessaging/connect-go"
)

var _ connect.Subscription = (*subscription)(nil)

// ErrClientPanicked is matched (errors.Is) by the error Fetch returns once
// a goroutine of the RocketMQ client panicked. The client does not start
// the goroutine again (a queue's puller, say), so the subscription may
// have stopped receiving some of its queues for good. The error is not
// connect.Retriable: close the subscription and subscribe again (the
// runtime restarts the task); the new member reads from the committed
// offsets, so nothing is lost.
var ErrClientPanicked = errors.New("rocketmq: a goroutine of the RocketMQ client panicked")

// Subscribe joins consumer group group on topics, creating topics that do
// not exist yet (with WithDefaultQueues queues; that needs WithBrokerAddrs).
// The subscription is a pull consumer of its own, with its own client
// instance: see "Consumer groups" in the package doc for delivery,
// acknowledgement and redelivery. It closes when ctx is done.
func (t *Transport) Subscribe(ctx context.Context, group string, topics ...string) (connect.Subscription, error) {
	if err := t.ensureOpen(ctx); err != nil {
		return nil, fmt.Errorf("rocketmq: subscribe: %w", err)
	}
	if err := checkName("group", group, 255); err != nil {
		return nil, fmt.Errorf("rocketmq: subscribe: %w", err)
	}
	if len(topics) == 0 {
		return nil, fmt.Errorf("rocketmq: subscribe %s: no topic", group)
	}
	seen := map[string]bool{}
	for _, tp := range topics {
		if err := checkName("topic", tp, 127); err != nil {
			return nil, fmt.Errorf("rocketmq: subscribe %s: %w", group, err)
		}
		if seen[tp] {
			return nil, fmt.Errorf("rocketmq: subscribe %s: topic %s given twice", group, tp)
		}
		seen[tp] = true
	}
	for _, tp := range topics {
		if err := t.ensureTopic(ctx, tp); err != nil {
			return nil, fmt.Errorf("rocketmq: subscribe %s: %w", group, err)
		}
	}
	return t.subscribe(ctx, group, topics, false)
}

// Broadcast reads topic from its beginning with a consumer group of its
// own (WithBroadcastGroupPrefix), so every reader gets every message. Ack
// and Nack are no-ops. It closes when ctx is done.
func (t *Transport) Broadcast(ctx context.Context, topic string) (connect.Subscription, error) {
	if err := t.ensureOpen(ctx); err != nil {
		return nil, fmt.Errorf("rocketmq: broadcast: %w", err)
	}
	if err := checkName("topic", topic, 127); err != nil {
		return nil, fmt.Errorf("rocketmq: broadcast: %w", err)
	}
	if err := t.ensureTopic(ctx, topic); err != nil {
		return nil, fmt.Errorf("rocketmq: broadcast %s: %w", topic, err)
	}
	group := fmt.Sprintf("%s-%s-%s-%d", t.cfg.broadcastPrefix, t.cfg.instanceName, t.nonce, t.nextID.Add(1))
	return t.subscribe(ctx, group, []string{topic}, true)
}

func (t *Transport) subscribe(ctx context.Context, group string, topics []string, broadcast bool) (*subscription, error) {
	instance := fmt.Sprintf("%s-%d", t.cfg.instanceName, t.nextID.Add(1))
	what := "subscribe " + group
	if broadcast {
		what = "broadcast " + topics[0]
	}
	log := t.log.With("group", group, "instance", instance)
	alloc := newAllocator(log, len(topics))
	pc, err := t.newConsumer(group, instance, alloc.allocate)
	if err != nil {
		return nil, connect.Retriable(fmt.Errorf("rocketmq: %s: new consumer: %w", what, err))
	}
	for _, tp := range topics {
		err := guard("Subscribe", func() error {
			return pc.Subscribe(tp, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"})
		})
		if err != nil {
			// Not started: nothing to shut down (the client's Shutdown of an
			// unstarted consumer panics on its missing statistics).
			return nil, fmt.Errorf("rocketmq: %s: subscribe to %s: %w", what, tp, err)
		}
	}
	if err := guard("start consumer", pc.Start); err != nil {
		_ = guard("shut down consumer", pc.Shutdown)
		return nil, connect.Retriable(fmt.Errorf("rocketmq: %s: start consumer: %w", what, err))
	}

	pumpCtx, stopPump := context.WithCancel(context.Background())
	s := &subscription{
		t:         t,
		group:     group,
		broadcast: broadcast,
		pc:        pc,
		alloc:     alloc,
		log:       log,
		pumpCtx:   pumpCtx,
		stopPump:  stopPump,
		pumpDone:  make(chan struct{}),
		acked:     make(chan struct{}, 1),
		broken:    make(chan struct{}),
		committer: make(chan struct{}),
		closing:   make(chan struct{}),
		wake:      make(chan struct{}, 1),
		space:     make(chan struct{}, 1),
		inflight:  map[*connect.Message]*delivery{},
		lags:      map[queueID]*queueLag{},
		sought:    map[primitive.MessageQueue]soughtOffset{},
		linger:    fetchLinger,
	}
	t.mu.Lock()
	if t.closed.Load() {
		t.mu.Unlock()
		stopPump()
		_ = guard("shut down consumer", pc.Shutdown)
		return nil, fmt.Errorf("rocketmq: %s: %w", what, connect.ErrClosed)
	}
	t.subs[s] = struct{}{}
	t.mu.Unlock()
	if !broadcast {
		// Owned is to list the member's queues from the start. The client
		// allocates them at once after Start.
		t := time.NewTimer(firstBalanceWait)
		select {
		case <-alloc.balanced:
		case <-t.C:
			log.Debug("queues not allocated yet; going on", "waited", firstBalanceWait)
		case <-ctx.Done():
		}
		t.Stop()
	}
	go s.pump()
	if broadcast {
		close(s.committer)
	} else {
		go s.commitLoop()
	}
	stop := context.AfterFunc(ctx, func() { s.Close() })
	s.mu.Lock()
	s.stopAfter = stop
	s.mu.Unlock()
	s.log.Debug("subscribed", "topics", topics, "broadcast", broadcast)
	return s, nil
}

// subscription is one pull consumer. A pump goroutine takes what the client
// pulled (ConsumeRequests: a batch of one queue, in queue order) into
// ready; Fetch hands ready messages out and records them in inflight; Ack
// acknowledges a ConsumeRequest to the client once all of its messages are
// acknowledged, which moves the group's offset of its queue past every
// message of the queue acknowledged so far; Nack puts messages back at the
// front of ready.
type subscription struct {
	t         *Transport
	group     string
	broadcast bool
	pc        pullConsumer
	alloc     *allocator
	log       *slog.Logger

	pumpCtx   context.Context
	stopPump  context.CancelFunc
	pumpDone  chan struct{}
	closing   chan struct{}
	wake      chan struct{} // ready grew
	space     chan struct{} // ready shrank
	acked     chan struct{} // an Ack moved an offset
	broken    chan struct{} // closed by fail
	committer chan struct{} // closed when commitLoop ends

	linger     time.Duration // fetchLinger; tests change it
	closeOnce  sync.Once
	seekMu     sync.Mutex   // one Seek at a time
	clientMu   sync.RWMutex // held to call the consumer; Close takes it to shut it down
	shutdown   bool         // under clientMu
	mu         sync.Mutex
	closed     bool
	failed     error // set by fail: what Fetch returns
	stopAfter  func() bool
	ready      []*delivery
	readyBytes int
	inflight   map[*connect.Message]*delivery
	lags       map[queueID]*queueLag                   // by queue taken from; see Lag
	sought     map[primitive.MessageQueue]soughtOffset // offsets Seek set, see assertSought
}

// maxReadyBytes bounds the values a subscription holds before Fetch takes
// them, next to WithFetchBuffer's message count.
const maxReadyBytes = 64 << 20

// delivery is one received message. The first Fetch of it hands out msg
// itself; a redelivery hands out a copy, a value of its own, with Offset
// and Redelivered set again from offset and redelivered (a consumer may
// have changed those of the value it had).
type delivery struct {
	req         *request // nil for broadcast readers
	offset      int64    // msg.Offset as received
	redelivered int32    // msg.Redelivered as received
	count       int32    // times handed out by Fetch
	msg         connect.Message
}

// request is a ConsumeRequest of the client and how many of its messages
// are not acknowledged yet.
type request struct {
	cr    *consumer.ConsumeRequest
	queue queueID
	left  int
	first int64     // offset of its first message
	lag   *queueLag // its queue's state, see Lag
}

type queueID struct {
	topic, broker string
	id            int
}

// pump moves pulled batches into ready, holding at most fetchBuffer
// messages there.
func (s *subscription) pump() {
	defer close(s.pumpDone)
	ctx := s.pumpCtx
	for {
		s.mu.Lock()
		full := len(s.ready) >= s.t.cfg.fetchBuffer || s.readyBytes >= maxReadyBytes
		s.mu.Unlock()
		if full {
			select {
			case <-s.space:
				continue
			case <-ctx.Done():
				return
			}
		}
		var cr *consumer.ConsumeRequest
		err := guard("Poll", func() (err error) {
			cr, err = s.pc.Poll(ctx, time.Hour)
			return err
		})
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if !errors.Is(err, consumer.ErrNoNewMsg) {
				s.log.Warn("poll failed", "error", err)
				if !sleepCtx(ctx, time.Second) {
					return
				}
			}
			continue
		}
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			continue // see Close
		}
		ds := s.deliveries(cr)
		if s.broadcast {
			// Offsets of a throwaway group do not matter; acknowledging at
			// once lets the client free the messages.
			s.ack(cr)
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return
		}
		if len(ds) > 0 {
			s.track(cr, ds[0].req)
		}
		s.ready = append(s.ready, ds...)
		for _, d := range ds {
			s.readyBytes += len(d.msg.Value)
		}
		s.mu.Unlock()
		signal(s.wake)
	}
}

// deliveries decodes a pulled batch.
func (s *subscription) deliveries(cr *consumer.ConsumeRequest) []*delivery {
	exts := cr.GetMsgList()
	mq := cr.GetMQ()
	var req *request
	if !s.broadcast {
		req = &request{cr: cr, queue: queueID{mq.Topic, mq.BrokerName, mq.QueueId}, left: len(exts)}
	}
	// One allocation for the batch's deliveries: they live and die
	// together (the request is acknowledged as a whole).
	slab := make([]delivery, len(exts))
	ds := make([]*delivery, len(exts))
	index := s.t.routes.index(mq.Topic, mq.BrokerName, mq.QueueId)
	var headers headerCache
	for i, ext := range exts {
		topic := ext.Topic
		if strings.HasPrefix(topic, "%RETRY%") {
			// Sent back by a consumer of another kind in this group.
			if orig := ext.GetProperty(primitive.PropertyRetryTopic); orig != "" {
				topic = orig
			}
		}
		key, val, hs := decode(ext, &headers)
		slab[i] = delivery{
			req:         req,
			offset:      ext.QueueOffset,
			redelivered: ext.ReconsumeTimes,
			msg: connect.Message{
				Topic:       topic,
				Key:         key,
				Value:       val,
				Headers:     hs,
				Queue:       index,
				Offset:      ext.QueueOffset,
				Redelivered: int(ext.ReconsumeTimes),
			},
		}
		ds[i] = &slab[i]
	}
	return ds
}

// Fetch returns up to max messages, waiting until at least one is there,
// ctx is done (its error), the subscription closes (connect.ErrClosed) or
// fails (ErrClientPanicked). While the member is behind (its queues hold
// messages it has not taken yet) it waits up to fetchLinger for max
// messages rather than return the one pulled batch (32 messages at most)
// that is there.
// Messages come in queue order per queue: redeliveries after a Nack first.
func (s *subscription) Fetch(ctx context.Context, max int) ([]*connect.Message, error) {
	if max < 1 {
		max = 1
	}
	var (
		out    []*connect.Message
		linger *time.Timer
		expiry <-chan time.Time
	)
	defer func() {
		if linger != nil {
			linger.Stop()
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			if len(out) > 0 {
				return out, nil // taken: theirs now
			}
			return nil, err
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, fmt.Errorf("rocketmq: fetch: %w", connect.ErrClosed)
		}
		if err := s.failed; err != nil && len(out) == 0 {
			s.mu.Unlock()
			return nil, err
		}
		out = s.takeMore(out, max)
		more := len(s.ready) > 0
		wait := len(out) > 0 && len(out) < max && s.failed == nil && s.linger > 0 && s.behind()
		s.mu.Unlock()
		if len(out) > 0 {
			signal(s.space)
			if more {
				signal(s.wake)
			}
		}
		if len(out) > 0 && !wait {
			return out, nil
		}
		if wait && linger == nil {
			linger = time.NewTimer(s.linger)
			expiry = linger.C
		}
		select {
		case <-s.wake:
		case <-expiry:
			return out, nil
		case <-ctx.Done():
		case <-s.closing:
		case <-s.broken:
		}
	}
}

// fetchLinger bounds how long Fetch waits for a fuller batch while the
// member is behind. A sink writes and flushes a batch at a time: batches
// of one pull (up to 32 messages, the broker's cap) would cost it a flush
// every 32 messages. Waiting does not slow the member down: the client
// and the pump go on pulling meanwhile.
const fetchLinger = 10 * time.Millisecond

// behind reports, under s.mu, whether a queue the member reads holds
// messages past those taken from the client, as of the latest pull.
func (s *subscription) behind() bool {
	for _, q := range s.lags {
		if q.end > q.next && !q.pq.IsDroppd() {
			return true
		}
	}
	return false
}

// fail makes every later Fetch return an error matching ErrClientPanicked
// (cause says why), until Close. Ack and Nack go on working, so that what
// was delivered can still be committed.
func (s *subscription) fail(cause error) {
	s.mu.Lock()
	if s.closed || s.failed != nil {
		s.mu.Unlock()
		return
	}
	s.failed = fmt.Errorf("%w (%v): close subscription %s and subscribe again", ErrClientPanicked, cause, s.group)
	s.mu.Unlock()
	close(s.broken)
	s.log.Error("subscription failed: a client goroutine died and the client does not restart it; Fetch fails until the subscription is closed", "cause", cause)
}

// takeMore appends to out up to max-len(out) ready messages. Messages of
// a queue this member no longer owns are dropped: the new owner reads them
// again from the group's offset, which is not past them.
func (s *subscription) takeMore(out []*connect.Message, max int) []*connect.Message {
	n := min(max-len(out), len(s.ready))
	if n <= 0 {
		return out
	}
	// A message's first delivery is the delivery's own; redeliveries are
	// copies (a redelivery is a new value), made in one allocation.
	var slab []connect.Message
	if out == nil {
		out = make([]*connect.Message, 0, n)
	}
	i := 0
	for ; i < len(s.ready) && len(out) < max; i++ {
		d := s.ready[i]
		s.readyBytes -= len(d.msg.Value)
		if d.req != nil && d.req.cr.GetPQ().IsDroppd() {
			continue
		}
		m := &d.msg
		if d.count > 0 {
			if slab == nil {
				slab = make([]connect.Message, 0, n) // never grows: m stays valid
			}
			slab = append(slab, d.msg)
			m = &slab[len(slab)-1]
			m.Offset, m.Redelivered = d.offset, int(d.redelivered)+int(d.count)
		}
		d.count++
		out = append(out, m)
		if d.req != nil {
			s.inflight[m] = d
		}
	}
	clear(s.ready[:i])
	s.ready = s.ready[i:]
	return out
}

// Ack acknowledges msgs (the values Fetch returned; others are ignored).
// The group's offset of a queue moves once whole pulled batches are
// acknowledged; commitLoop writes it to the broker within
// WithCommitInterval.
func (s *subscription) Ack(ctx context.Context, msgs ...*connect.Message) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("rocketmq: ack: %w", connect.ErrClosed)
	}
	var done []*consumer.ConsumeRequest
	for _, m := range msgs {
		d, ok := s.inflight[m]
		if !ok {
			continue
		}
		delete(s.inflight, m)
		if d.req.left--; d.req.left == 0 {
			done = append(done, d.req.cr)
			// Its queue's Lag state may keep the request a while (behind
			// an older batch not acknowledged): not its messages.
			d.req.cr = nil
			d.req.lag.acked()
		}
	}
	s.mu.Unlock()
	if len(done) == 0 {
		return nil
	}
	s.clientMu.RLock()
	defer s.clientMu.RUnlock()
	if s.shutdown {
		return fmt.Errorf("rocketmq: ack: %w", connect.ErrClosed)
	}
	for _, cr := range done {
		s.ack(cr)
	}
	signal(s.acked)
	return nil
}

// commitLoop writes the offsets Acks moved to the broker: at once after an
// Ack, then at most once per commitInterval while Acks keep coming. The
// client alone writes them 10s after the consumer started and every 5s
// then, so a member killed early would leave its group to read again
// everything it acknowledged.
func (s *subscription) commitLoop() {
	defer close(s.committer)
	ctx := s.pumpCtx
	for {
		select {
		case <-s.acked:
		case <-ctx.Done():
			return
		}
		s.commit()
		if !sleepCtx(ctx, s.t.cfg.commitInterval) {
			return
		}
	}
}

// commit writes the consumer's offsets to the brokers (one-way requests:
// one lost on a broken connection is covered by the next).
func (s *subscription) commit() {
	s.clientMu.RLock()
	defer s.clientMu.RUnlock()
	if s.shutdown {
		return
	}
	s.persist()
}

// persist does commit's work, under s.clientMu.
func (s *subscription) persist() {
	s.assertSought()
	err := guard("PersistOffset", func() error {
		return s.pc.PersistOffset(context.Background(), "")
	})
	if err != nil {
		s.log.Warn("commit offsets failed; the client commits again within 5s", "error", err)
	}
}

func (s *subscription) ack(cr *consumer.ConsumeRequest) {
	err := guard("ACK", func() error {
		s.pc.ACK(context.Background(), cr, consumer.ConsumeSuccess)
		return nil
	})
	if err != nil {
		s.log.Warn("acknowledge failed; the messages will be delivered again", "error", err)
	}
}

// Nack delivers msgs again, before anything not fetched yet. Like a rewind
// of their queues: the messages of the same queues fetched after them and
// not acknowledged come again too, in queue order.
func (s *subscription) Nack(ctx context.Context, msgs ...*connect.Message) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("rocketmq: nack: %w", connect.ErrClosed)
	}
	from := map[queueID]int64{}
	for _, m := range msgs {
		d, ok := s.inflight[m]
		if !ok {
			continue
		}
		if off, ok := from[d.req.queue]; !ok || d.offset < off {
			from[d.req.queue] = d.offset
		}
	}
	var back []*delivery
	for m, d := range s.inflight {
		if off, ok := from[d.req.queue]; ok && d.offset >= off {
			back = append(back, d)
			delete(s.inflight, m)
		}
	}
	slices.SortFunc(back, func(a, b *delivery) int {
		qa, qb := a.req.queue, b.req.queue
		return cmp.Or(cmp.Compare(qa.topic, qb.topic), cmp.Compare(qa.broker, qb.broker),
			cmp.Compare(qa.id, qb.id), cmp.Compare(a.offset, b.offset))
	})
	s.ready = append(back, s.ready...)
	for _, d := range back {
		s.readyBytes += len(d.msg.Value)
	}
	s.mu.Unlock()
	if len(back) > 0 {
		signal(s.wake)
	}
	return nil
}

// Close leaves the group: the client commits the offsets of what was
// acknowledged and shuts down; messages fetched and not acknowledged go to
// the members that take over their queues. Close is idempotent.
func (s *subscription) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.ready, s.inflight, s.lags = nil, nil, nil
		stop := s.stopAfter
		s.mu.Unlock()
		if stop != nil {
			stop()
		}
		close(s.closing)
		// Let a rebalance in flight finish before the client shuts down: see
		// allocator. Passing through the allocator's lock afterwards also
		// orders the client's unsynchronised reads of its closed flag, made
		// by rebalances before they call the allocator, before Shutdown
		// writes it, which the race detector otherwise reports. Meanwhile
		// the pump goes on taking (and dropping) what the client pulled:
		// Shutdown closes the client's channels without synchronising with
		// the pulls that send on them, so a batch pulled after the pump
		// stopped would be a data race.
		quiet := s.alloc.close()
		time.Sleep(max(settleTime-quiet, minSettleTime))
		s.alloc.close()
		s.stopPump()
		<-s.pumpDone
		<-s.committer
		s.clientMu.Lock()
		s.shutdown = true
		err = guard("shut down consumer", s.pc.Shutdown)
		s.clientMu.Unlock()
		s.t.forget(s)
		s.log.Debug("closed")
	})
	if err != nil {
		return fmt.Errorf("rocketmq: close subscription %s: %w", s.group, err)
	}
	return nil
}

// firstBalanceWait bounds how long Subscribe waits for the client's first
// allocation of the member's queues.
const firstBalanceWait = 5 * time.Second

// settleTime is how long Close lets a rebalance that changed the queues
// finish before it shuts the consumer down (see allocator); minSettleTime
// is how long it waits for one that may be in flight.
const (
	settleTime    = 300 * time.Millisecond
	minSettleTime = 50 * time.Millisecond
)

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
