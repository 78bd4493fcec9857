package offset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/topiclog"
)

var (
	_ connect.OffsetStore = (*Topic)(nil)
	_ connect.Opener      = (*Topic)(nil)
)

// Topic is an OffsetStore kept in a topic of a connect.MessageTransport: the
// store of cluster mode, where the workers of a cluster share positions and a
// task moved to another worker resumes where it stopped. Every Topic on the
// same topic and transport applies the same records in the same order (see
// internal/topiclog: one queue, read from the oldest retained message by a
// broadcast reader), and answers Get and List from that applied state.
//
// # Records
//
// Each change is one message, JSON in its value, keyed by connector:
//
//	{"kind":"put","connector":"c","positions":[{"partition":"p","offset":{"pos":1}}]}
//	{"kind":"delete","connector":"c","partitions":["p"]}
//	{"kind":"deleteAll","connector":"c"}
//	{"kind":"snapshot","asOf":41,"connectors":{"c":{"p":{"at":17,"offset":{"pos":1}}}}}
//
// A Put is one record holding all its positions, so it is atomic; Put,
// Delete and DeleteAll return once this store applied their record, so a Get
// right after sees it. Another store sees it after its own Sync (the cluster
// calls Sync before a moved task starts). A record that is not JSON or of an
// unknown kind is logged at Warn and skipped.
//
// # Snapshots and retention
//
// A transport does not keep messages forever (RocketMQ deletes them after 72
// hours by default), so every WithSnapshotInterval the store publishes a
// snapshot of its whole state, unless a snapshot of another store came less
// than half an interval ago. A reader that starts from the oldest retained
// message then always meets a complete snapshot before the records that
// follow it. The interval must be well below the transport's retention. A
// snapshot is one message: its size is bounded by the transport's largest
// message (4 MiB on a default RocketMQ broker), about 30,000 positions of 100
// bytes; a snapshot that cannot be published is logged at Warn.
//
// A snapshot is built as of the last record its store applied, X, and lands
// later, after records others published meanwhile. So the store remembers,
// for each partition, the log offset of the record that last changed it (a
// deleted one leaves a tombstone with that offset; a DeleteAll marks its
// connector) and applies a snapshot taken as of X to partitions whose entry
// is at or before X only: later changes stand, and every other entry at or
// before X becomes what the snapshot says. A snapshot older than one already
// applied is ignored, and applying one drops the tombstones it covers. A
// store whose reader found messages missing (retention removed them before
// it read them: Record.Gap) publishes no snapshot until one taken as of a
// point after the gap made its state whole again.
type Topic struct {
	tr    connect.MessageTransport
	topic string
	cfg   topicConfig

	openMu   sync.Mutex // serializes Open and Close
	stop     context.CancelFunc
	loopDone chan struct{}

	mu     sync.RWMutex
	log    *topiclog.Log // nil until opened
	closed bool
	st     topicState
}

// TopicOption configures a Topic store. Nil options are ignored.
type TopicOption interface {
	applyTopic(*topicConfig)
}

type topicOptionFunc func(*topicConfig)

func (f topicOptionFunc) applyTopic(c *topicConfig) { f(c) }

type topicConfig struct {
	snapshotEvery time.Duration
	logger        *slog.Logger
}

func defaultTopicConfig() topicConfig {
	return topicConfig{snapshotEvery: time.Hour, logger: slog.New(slog.DiscardHandler)}
}

// WithSnapshotInterval sets how often the store publishes a snapshot of its
// state (see Topic). 0 disables snapshots: then the topic must keep its
// messages forever. Negative values are ignored. Default 1 hour.
func WithSnapshotInterval(d time.Duration) TopicOption {
	return topicOptionFunc(func(c *topicConfig) {
		if d >= 0 {
			c.snapshotEvery = d
		}
	})
}

// WithLogger sets where the store logs skipped records and failed snapshots
// (Warn). A nil logger is ignored. Default: nothing is logged.
func WithLogger(l *slog.Logger) TopicOption {
	return topicOptionFunc(func(c *topicConfig) {
		if l != nil {
			c.logger = l
		}
	})
}

// NewTopic returns a store kept in topic of tr. Nothing is read or created
// until Open. Closing the store leaves tr open.
func NewTopic(tr connect.MessageTransport, topic string, opts ...TopicOption) *Topic {
	cfg := defaultTopicConfig()
	for _, o := range opts {
		if o != nil {
			o.applyTopic(&cfg)
		}
	}
	return &Topic{tr: tr, topic: topic, cfg: cfg}
}

// The record kinds.
const (
	kindPut       = "put"
	kindDelete    = "delete"
	kindDeleteAll = "deleteAll"
	kindSnapshot  = "snapshot"
)

// topicRecord is the value of every message of the topic.
type topicRecord struct {
	Kind       string                              `json:"kind"`
	Connector  string                              `json:"connector,omitempty"`
	Positions  []connect.Position                  `json:"positions,omitempty"`
	Partitions []string                            `json:"partitions,omitempty"`
	AsOf       *int64                              `json:"asOf,omitempty"`
	Connectors map[string]map[string]snapshotEntry `json:"connectors,omitempty"`
}

type snapshotEntry struct {
	At     int64           `json:"at"` // offset of the record that set it
	Offset json.RawMessage `json:"offset"`
}

// topicState is what the records applied so far add up to.
type topicState struct {
	live positions
	// at holds, per connector and partition, the offset of the record
	// that last put or deleted it; a partition in at but not in live is a
	// tombstone.
	at map[string]map[string]int64
	// cleared holds the offset of a connector's last DeleteAll until a
	// snapshot as of a later point is applied.
	cleared map[string]int64
	applied int64 // offset of the last record applied; -1 before any
	asOf    int64 // as-of offset of the last snapshot applied; -1 before any
	// complete is false while messages the reader never saw (offsets
	// below missedBefore) may be missing from the state.
	complete     bool
	missedBefore int64
	lastSnapshot time.Time // when a snapshot was last applied
}

func newTopicState() topicState {
	return topicState{live: positions{}, at: map[string]map[string]int64{}, cleared: map[string]int64{},
		applied: -1, asOf: -1, complete: true}
}

// Open reads the topic to its end (creating it with one queue first) and
// starts the snapshot timer. Calling another method before Open opens the
// store with that method's ctx. Open is idempotent; after a failed Open the
// next call tries again.
func (t *Topic) Open(ctx context.Context) error {
	t.openMu.Lock()
	defer t.openMu.Unlock()
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return connect.ErrClosed
	}
	if t.log != nil {
		t.mu.Unlock()
		return nil
	}
	t.st = newTopicState()
	t.mu.Unlock()
	l, err := topiclog.Open(ctx, t.tr, t.topic, t.apply, topiclog.WithLogger(t.cfg.logger))
	if err != nil {
		return fmt.Errorf("offset: open topic %s: %w", t.topic, err)
	}
	t.mu.Lock()
	t.log = l
	t.mu.Unlock()
	if t.cfg.snapshotEvery > 0 {
		ctx, cancel := context.WithCancel(context.Background())
		t.stop, t.loopDone = cancel, make(chan struct{})
		go t.snapshotEvery(ctx, l)
	}
	return nil
}

// ready returns the open log, opening it if needed.
func (t *Topic) ready(ctx context.Context) (*topiclog.Log, error) {
	t.mu.RLock()
	l, closed := t.log, t.closed
	t.mu.RUnlock()
	if closed {
		return nil, connect.ErrClosed
	}
	if l != nil {
		return l, nil
	}
	if err := t.Open(ctx); err != nil {
		return nil, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.closed {
		return nil, connect.ErrClosed
	}
	return t.log, nil
}

// Get returns the position of partition as this store applied it, and false
// when none is. It does not read the topic: call Sync first to see what
// other stores put.
func (t *Topic) Get(ctx context.Context, connector, partition string) (connect.Position, bool, error) {
	if _, err := t.ready(ctx); err != nil {
		return connect.Position{}, false, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.closed {
		return connect.Position{}, false, connect.ErrClosed
	}
	p, ok := t.st.live.get(connector, partition)
	return p, ok, nil
}

// List returns every position of connector as this store applied them,
// sorted by partition.
func (t *Topic) List(ctx context.Context, connector string) ([]connect.Position, error) {
	if _, err := t.ready(ctx); err != nil {
		return nil, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.closed {
		return nil, connect.ErrClosed
	}
	return t.st.live.list(connector), nil
}

// Put publishes positions as one record and returns once this store applied
// it; when a partition appears twice the later position wins. A Put that
// returns an error (ctx done while waiting, say) may still be applied later.
func (t *Topic) Put(ctx context.Context, connector string, ps ...connect.Position) error {
	ps, err := normalize(connector, ps)
	if err != nil {
		return err
	}
	l, err := t.ready(ctx)
	if err != nil || len(ps) == 0 {
		return err
	}
	return t.append(ctx, l, "put", topicRecord{Kind: kindPut, Connector: connector, Positions: ps})
}

// Delete publishes the removal of the given partitions of connector and
// returns once this store applied it. Unknown partitions are ignored; no
// partitions deletes nothing and publishes nothing.
func (t *Topic) Delete(ctx context.Context, connector string, partitions ...string) error {
	l, err := t.ready(ctx)
	if err != nil || len(partitions) == 0 || connector == "" {
		return err
	}
	return t.append(ctx, l, "delete", topicRecord{Kind: kindDelete, Connector: connector, Partitions: partitions})
}

// DeleteAll publishes the removal of every partition of connector and
// returns once this store applied it.
func (t *Topic) DeleteAll(ctx context.Context, connector string) error {
	l, err := t.ready(ctx)
	if err != nil || connector == "" {
		return err
	}
	return t.append(ctx, l, "delete all", topicRecord{Kind: kindDeleteAll, Connector: connector})
}

func (t *Topic) append(ctx context.Context, l *topiclog.Log, op string, rec topicRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("offset: %s %q: encode: %w", op, rec.Connector, err)
	}
	if err := l.AppendSync(ctx, rec.Connector, b); err != nil {
		return fmt.Errorf("offset: %s %q: %w", op, rec.Connector, err)
	}
	return nil
}

// Sync reads the topic to its end: when it returns, everything any store
// published before Sync was called is applied here. The cluster calls it
// before a task that moved from another worker starts.
func (t *Topic) Sync(ctx context.Context) error {
	l, err := t.ready(ctx)
	if err != nil {
		return err
	}
	if err := l.Sync(ctx); err != nil {
		return fmt.Errorf("offset: sync topic %s: %w", t.topic, err)
	}
	return nil
}

// Close stops the snapshot timer and the reader. It leaves the transport
// open and the topic as it is. Close is idempotent; other methods return
// connect.ErrClosed after it.
func (t *Topic) Close() error {
	t.openMu.Lock()
	defer t.openMu.Unlock()
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	l := t.log
	t.mu.Unlock()
	if t.stop != nil {
		t.stop()
		<-t.loopDone
	}
	if l != nil {
		l.Close()
	}
	t.mu.Lock()
	t.st = topicState{}
	t.mu.Unlock()
	return nil
}

// apply is the log's apply function: it runs on the log's reader goroutine.
func (t *Topic) apply(r topiclog.Record) {
	var rec topicRecord
	decodeErr := json.Unmarshal(r.Value, &rec)
	t.mu.Lock()
	defer t.mu.Unlock()
	st := &t.st
	if r.Gap {
		st.complete, st.missedBefore = false, r.Offset
	}
	st.applied = r.Offset
	skip := func(reason string, err error) {
		t.cfg.logger.Warn("offset: skipping a record of the offsets topic: "+reason,
			"topic", t.topic, "offset", r.Offset, "key", r.Key, "error", err)
	}
	if decodeErr != nil {
		skip("not JSON", decodeErr)
		return
	}
	switch rec.Kind {
	case kindPut:
		ps, err := normalize(rec.Connector, rec.Positions)
		if err != nil {
			skip("bad put", err)
			return
		}
		st.put(r.Offset, rec.Connector, ps)
	case kindDelete:
		st.delete(r.Offset, rec.Connector, rec.Partitions)
	case kindDeleteAll:
		st.deleteAll(r.Offset, rec.Connector)
	case kindSnapshot:
		if rec.AsOf == nil || *rec.AsOf >= r.Offset {
			skip("bad snapshot", errors.New("asOf missing or not before the snapshot"))
			return
		}
		conns, err := normalizeSnapshot(rec.Connectors)
		if err != nil {
			skip("bad snapshot", err)
			return
		}
		if *rec.AsOf < st.asOf {
			return // superseded by one already applied
		}
		st.applySnapshot(*rec.AsOf, conns)
	default:
		skip("unknown kind", fmt.Errorf("kind %q", rec.Kind))
	}
}

func (s *topicState) put(off int64, connector string, ps []connect.Position) {
	next, changed := s.live.withPut(connector, ps)
	if changed {
		s.live.set(connector, next)
	}
	at := s.atOf(connector)
	for _, p := range ps {
		at[p.Partition] = off
	}
}

func (s *topicState) delete(off int64, connector string, partitions []string) {
	if connector == "" {
		return
	}
	if next, changed := s.live.withDelete(connector, partitions); changed {
		s.live.set(connector, next)
	}
	// Tombstones also for partitions this store does not know: a snapshot
	// taken before the delete may hold them.
	at := s.atOf(connector)
	for _, p := range partitions {
		if p != "" {
			at[p] = off
		}
	}
}

func (s *topicState) deleteAll(off int64, connector string) {
	if connector == "" {
		return
	}
	if next, changed := s.live.withDeleteAll(connector); changed {
		s.live.set(connector, next)
	}
	delete(s.at, connector)
	s.cleared[connector] = off
}

func (s *topicState) atOf(connector string) map[string]int64 {
	at := s.at[connector]
	if at == nil {
		at = map[string]int64{}
		s.at[connector] = at
	}
	return at
}

// applySnapshot installs a snapshot taken as of offset asOf: entries changed
// after asOf stay, every other entry becomes what the snapshot holds.
func (s *topicState) applySnapshot(asOf int64, conns map[string]map[string]snapshotEntry) {
	names := map[string]bool{}
	for c := range s.at {
		names[c] = true
	}
	for c := range s.live {
		names[c] = true
	}
	for c := range s.cleared {
		names[c] = true
	}
	for c := range conns {
		names[c] = true
	}
	for c := range names {
		snap := conns[c]
		if cl, ok := s.cleared[c]; ok {
			if cl > asOf {
				snap = nil // the connector was cleared after the snapshot
			} else {
				delete(s.cleared, c)
			}
		}
		cur, live := s.at[c], s.live[c]
		nextLive := map[string]json.RawMessage{}
		nextAt := map[string]int64{}
		for p, at := range cur {
			if at > asOf {
				nextAt[p] = at
				if off, ok := live[p]; ok {
					nextLive[p] = off
				}
			}
		}
		for p, e := range snap {
			if _, newer := nextAt[p]; !newer {
				nextLive[p], nextAt[p] = e.Offset, e.At
			}
		}
		s.live.set(c, nextLive)
		if len(nextAt) == 0 {
			delete(s.at, c)
		} else {
			s.at[c] = nextAt
		}
	}
	s.asOf = asOf
	s.lastSnapshot = time.Now()
	if !s.complete && asOf >= s.missedBefore-1 {
		s.complete = true
	}
}

// normalizeSnapshot validates a snapshot's entries as Put validates
// positions and compacts their offsets.
func normalizeSnapshot(conns map[string]map[string]snapshotEntry) (map[string]map[string]snapshotEntry, error) {
	out := make(map[string]map[string]snapshotEntry, len(conns))
	for c, parts := range conns {
		ps := make([]connect.Position, 0, len(parts))
		for p, e := range parts {
			ps = append(ps, connect.Position{Partition: p, Offset: e.Offset})
		}
		ps, err := normalize(c, ps)
		if err != nil {
			return nil, err
		}
		m := make(map[string]snapshotEntry, len(ps))
		for _, p := range ps {
			m[p.Partition] = snapshotEntry{At: parts[p.Partition].At, Offset: p.Offset}
		}
		out[c] = m
	}
	return out, nil
}

// errIncomplete is returned by a forced snapshot of a store whose state
// may miss records.
var errIncomplete = errors.New("offset: state may miss records that retention removed; no snapshot until another store's snapshot fills it")

// snapshotEvery publishes a snapshot every interval until ctx is done.
func (t *Topic) snapshotEvery(ctx context.Context, l *topiclog.Log) {
	defer close(t.loopDone)
	tick := time.NewTicker(t.cfg.snapshotEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := t.snapshot(ctx, l, false); err != nil && ctx.Err() == nil {
			t.cfg.logger.Warn("offset: cannot publish a snapshot of the offsets topic", "topic", t.topic, "error", err)
		}
	}
}

// snapshot publishes the state, unless it may be incomplete or, when not
// forced, another snapshot was applied less than half an interval ago.
func (t *Topic) snapshot(ctx context.Context, l *topiclog.Log, force bool) error {
	t.mu.RLock()
	st := &t.st
	switch {
	case !st.complete:
		t.mu.RUnlock()
		if force {
			return errIncomplete
		}
		t.cfg.logger.Debug("offset: no snapshot while the state may miss records", "topic", t.topic)
		return nil
	case !force && !st.lastSnapshot.IsZero() && time.Since(st.lastSnapshot) < t.cfg.snapshotEvery/2:
		t.mu.RUnlock()
		return nil
	}
	asOf := st.applied
	conns := make(map[string]map[string]snapshotEntry, len(st.live))
	for c, parts := range st.live {
		m := make(map[string]snapshotEntry, len(parts))
		for p, off := range parts {
			m[p] = snapshotEntry{At: st.at[c][p], Offset: off}
		}
		conns[c] = m
	}
	b, err := json.Marshal(topicRecord{Kind: kindSnapshot, AsOf: &asOf, Connectors: conns})
	t.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("offset: encode snapshot: %w", err)
	}
	return l.Append(ctx, "", b)
}
