package runtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/topiclog"
	"github.com/openmessaging/connect-go/offset"
)

// ClusterTopics names a cluster's internal topics.
type ClusterTopics struct {
	Configs, Members, Status, Offsets string
}

// DefaultClusterTopics returns the internal topic names of cluster id.
func DefaultClusterTopics(id string) ClusterTopics {
	p := "connect-" + id + "-"
	return ClusterTopics{Configs: p + "configs", Members: p + "members", Status: p + "status", Offsets: p + "offsets"}
}

type clusterConfig struct {
	id       string
	topics   ClusterTopics
	lease    time.Duration
	snapshot time.Duration
}

// WithCluster makes the runtime a worker of cluster id on its transport:
// runtimes with the same cluster id on the same transport share their
// connectors, split them and take over from a dead worker (see the package
// doc, "Cluster mode"). Connector configs, offsets and statuses then live
// in the cluster's internal topics: WithConnectorStore and WithOffsetStore
// are refused with it. The transport must reach every worker: the
// runtime's own in-memory broker (no WithTransport) cannot, and is refused.
// Default: standalone.
func WithCluster(id string) Option {
	return optionFunc(func(c *config) {
		if id == "" {
			return
		}
		if c.cluster == nil {
			c.cluster = &clusterConfig{lease: 3 * time.Second, snapshot: 10 * time.Minute}
		}
		c.cluster.id = id
		if c.cluster.topics == (ClusterTopics{}) {
			c.cluster.topics = DefaultClusterTopics(id)
		}
	})
}

// WithClusterLease sets how long a worker may go unheard before the others
// take its connectors over; heartbeats go every lease/6 and a worker stops
// its connectors by itself when it has not read its own heartbeats back
// for lease/2. Default: 3s. Only with WithCluster.
func WithClusterLease(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 && c.cluster != nil {
			c.cluster.lease = d
		}
	})
}

// WithClusterTopics overrides the names of the internal topics (empty
// names keep the default). Only with WithCluster.
func WithClusterTopics(t ClusterTopics) Option {
	return optionFunc(func(c *config) {
		if c.cluster == nil {
			return
		}
		d := DefaultClusterTopics(c.cluster.id)
		for _, p := range []struct {
			dst    *string
			v, def string
		}{
			{&c.cluster.topics.Configs, t.Configs, d.Configs}, {&c.cluster.topics.Members, t.Members, d.Members},
			{&c.cluster.topics.Status, t.Status, d.Status}, {&c.cluster.topics.Offsets, t.Offsets, d.Offsets},
		} {
			*p.dst = p.def
			if p.v != "" {
				*p.dst = p.v
			}
		}
	})
}

// WithClusterSnapshotInterval sets how often the cluster re-publishes its
// configs and positions so that they outlive the transport's retention.
// Default: 10m. Only with WithCluster.
func WithClusterSnapshotInterval(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 && c.cluster != nil {
			c.cluster.snapshot = d
		}
	})
}

// Member is a live worker of the cluster.
type Member struct {
	ID            string
	LastHeartbeat time.Time
	Leader        bool
}

// ClusterID returns the cluster id, or "" for a standalone runtime.
func (rt *Runtime) ClusterID() string {
	if rt.cfg.cluster == nil {
		return ""
	}
	return rt.cfg.cluster.id
}

// Members returns the live workers of the cluster, by id; a standalone
// runtime returns itself.
func (rt *Runtime) Members() []Member {
	if rt.cl == nil {
		return []Member{{ID: rt.workerID, LastHeartbeat: time.Now(), Leader: true}}
	}
	return rt.cl.liveMembers()
}

// Records of the internal topics, keyed by kind.
const (
	recConnector  = "connector"
	recDelete     = "delete"
	recRestart    = "restart"
	recHeartbeat  = "heartbeat"
	recLeave      = "leave"
	recAssignment = "assignment"
	recStatus     = "status"
)

type connectorRecord struct {
	Name   string         `json:"name"`
	Config connect.Config `json:"config,omitempty"`
	Target connect.State  `json:"target,omitempty"`
	// AsOf is set on re-published records: the offset of the record it
	// copies. Such a record never overrides a newer one.
	AsOf int64 `json:"as_of,omitempty"`
}

type restartRecord struct {
	Name         string `json:"name"`
	IncludeTasks bool   `json:"include_tasks,omitempty"`
	OnlyFailed   bool   `json:"only_failed,omitempty"`
	Task         int    `json:"task"` // -1: the connector
	ID           string `json:"id"`   // to find the result
}

type heartbeatRecord struct {
	Worker      string   `json:"worker"`
	Incarnation string   `json:"incarnation"`
	Seq         int64    `json:"seq"`
	Generation  int64    `json:"generation"`
	Running     []string `json:"running"`
	Plugins     []string `json:"plugins"`
	// Rejoin asks the leader for a new generation: this worker's lease
	// lapsed and came back.
	Rejoin bool `json:"rejoin,omitempty"`
}

type assignmentRecord struct {
	Generation int64      `json:"generation"`
	Leader     string     `json:"leader"`
	Assignment assignment `json:"assignment"`
}

type statusRecord struct {
	Worker      string                  `json:"worker"`
	Incarnation string                  `json:"incarnation"`
	Status      connect.ConnectorStatus `json:"status"`
	TaskConfigs []connect.Config        `json:"task_configs,omitempty"`
	Topics      []string                `json:"topics,omitempty"` // active topics
}

// clusterConn is a connector as the configs topic has it; immutable once
// stored.
type clusterConn struct {
	cfg     connect.Config
	target  connect.State
	version int64 // offset of the record that set it
}

type member struct {
	hb       heartbeatRecord
	joined   int64     // offset of its first heartbeat of this incarnation
	lastSeen time.Time // when its last heartbeat was read
}

// cluster is the coordination of one worker.
type cluster struct {
	rt  *Runtime
	cfg clusterConfig
	me  string
	inc string

	configs, members, status *topiclog.Log
	offsets                  *offset.Topic

	wake    chan struct{} // reconcile
	stopRec chan struct{} // ends reconcileLoop
	stopHB  chan struct{} // ends heartbeatLoop
	recWG   sync.WaitGroup
	hbWG    sync.WaitGroup
	seq     atomic.Int64
	fenced  atomic.Bool
	// rejoinGen is, after a lapsed lease came back, the generation this
	// worker had then: it runs nothing until it reads a newer one (which
	// the leader publishes on seeing Rejoin), so that it never restarts
	// from an assignment the others moved on from. -1 otherwise.
	rejoinGen atomic.Int64
	caughtUp  atomic.Bool // the members topic was read to its end once
	startedAt time.Time
	applied   atomic.Int64             // newest generation reconciled
	running   atomic.Pointer[[]string] // connectors running here
	results   sync.Map                 // restart id -> chan error

	mu         sync.Mutex
	conns      map[string]*clusterConn
	tombstones map[string]int64 // deleted connector -> offset of the delete
	peers      map[string]*member
	sent       map[int64]time.Time // own heartbeat seq -> send time
	leaseUntil time.Time
	gen        int64
	assign     assignment
	pending    int64 // generation this worker published as leader, not yet read back
	pendingAt  time.Time
	statuses   map[string]statusRecord
	restarts   []restartRecord
	lastStatus map[string]string // connector -> last published status JSON
	lastSent   map[string]time.Time
}

func (c *cluster) heartbeatEvery() time.Duration { return c.cfg.lease / 6 }
func (c *cluster) selfLease() time.Duration      { return c.cfg.lease / 2 }

// startCluster opens the internal topics and joins the cluster. Called by
// Start without rt.mu.
func (rt *Runtime) startCluster(ctx context.Context) (*cluster, error) {
	cc := *rt.cfg.cluster
	if rt.ownTransport {
		return nil, errors.New("runtime: cluster mode needs a transport every worker reaches (WithTransport); the runtime's own in-memory broker cannot span processes")
	}
	if rt.cfg.connectorStore != nil {
		return nil, errors.New("runtime: cluster mode keeps connectors in the configs topic; do not set WithConnectorStore")
	}
	if !rt.ownOffsets {
		return nil, errors.New("runtime: cluster mode keeps positions in the offsets topic; do not set WithOffsetStore")
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	c := &cluster{
		rt: rt, cfg: cc, me: rt.workerID, inc: hex.EncodeToString(b),
		wake: make(chan struct{}, 1), stopRec: make(chan struct{}), stopHB: make(chan struct{}),
		conns: map[string]*clusterConn{}, tombstones: map[string]int64{}, peers: map[string]*member{},
		sent: map[int64]time.Time{}, statuses: map[string]statusRecord{}, lastStatus: map[string]string{},
		lastSent: map[string]time.Time{},
	}
	empty := []string{}
	c.running.Store(&empty)
	c.rejoinGen.Store(-1)
	// No lease yet: it runs nothing until it read back its own heartbeat,
	// and then a generation published after that.
	c.fenced.Store(true)
	if tr, ok := rt.transport.(connect.TopicRetention); ok {
		// The in-memory broker keeps broadcast-only topics until they are
		// full; with a time retention, snapshots (every minute at most)
		// keep what matters readable.
		cc.snapshot = min(cc.snapshot, time.Minute)
		keep := 3 * cc.snapshot
		for _, t := range []string{cc.topics.Configs, cc.topics.Members, cc.topics.Status, cc.topics.Offsets} {
			// Created with one queue first: SetRetention would create
			// it with the transport's default, and the log needs one.
			if err := rt.transport.CreateTopic(ctx, t, 1); err != nil {
				return nil, fmt.Errorf("runtime: cluster: create %s: %w", t, err)
			}
			if err := tr.SetRetention(ctx, t, keep); err != nil {
				return nil, fmt.Errorf("runtime: cluster: retention of %s: %w", t, err)
			}
		}
		c.cfg.snapshot = cc.snapshot
	}
	log := rt.log.With("component", "cluster", "cluster", cc.id)
	var err error
	open := func(topic string, apply func(topiclog.Record)) *topiclog.Log {
		if err != nil {
			return nil
		}
		var l *topiclog.Log
		l, err = topiclog.Open(ctx, rt.transport, topic, apply, topiclog.WithLogger(log))
		if err != nil {
			err = fmt.Errorf("runtime: cluster: open %s: %w", topic, err)
		}
		return l
	}
	c.configs = open(cc.topics.Configs, c.applyConfig)
	c.status = open(cc.topics.Status, c.applyStatus)
	c.members = open(cc.topics.Members, c.applyMember)
	c.caughtUp.Store(true)
	if err == nil {
		c.offsets = offset.NewTopic(rt.transport, cc.topics.Offsets, offset.WithLogger(log), offset.WithSnapshotInterval(cc.snapshot))
		if oerr := c.offsets.Open(ctx); oerr != nil {
			err = fmt.Errorf("runtime: cluster: open %s: %w", cc.topics.Offsets, oerr)
		}
	}
	if err != nil {
		c.closeLogs()
		return nil, err
	}
	rt.offsets, rt.ownOffsets = c.offsets, true
	return c, nil
}

// run starts the coordination goroutines, once rt.ctx exists.
func (c *cluster) run() {
	c.startedAt = time.Now()
	c.hbWG.Add(1)
	go c.heartbeatLoop()
	c.recWG.Add(1)
	go c.reconcileLoop()
}

// stopReconciling ends the reconcile loop: the worker starts and stops
// nothing more on the cluster's behalf. Idempotent.
func (c *cluster) stopReconciling() {
	select {
	case <-c.stopRec:
	default:
		close(c.stopRec)
	}
	c.recWG.Wait()
}

func (c *cluster) closeLogs() {
	for _, l := range []*topiclog.Log{c.configs, c.status, c.members} {
		if l != nil {
			l.Close()
		}
	}
	if c.offsets != nil {
		c.offsets.Close()
	}
}

// leave stops the coordination, tells the others this worker is gone and
// closes the topics. The connectors were stopped before.
func (c *cluster) leave(ctx context.Context) {
	c.stopReconciling()
	close(c.stopHB)
	c.hbWG.Wait()
	b, _ := json.Marshal(heartbeatRecord{Worker: c.me, Incarnation: c.inc})
	if err := c.members.Append(ctx, recLeave, b); err != nil {
		c.rt.log.Warn("cluster: publish leave", "error", err)
	}
	c.closeLogs()
}

// abandon stops the coordination without a word, as a dead process would
// (tests).
func (c *cluster) abandon() {
	c.stopReconciling()
	close(c.stopHB)
	c.hbWG.Wait()
	c.closeLogs()
}

func (c *cluster) kick() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// applyConfig applies a record of the configs topic.
func (c *cluster) applyConfig(r topiclog.Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch r.Key {
	case recConnector:
		var cr connectorRecord
		if err := json.Unmarshal(r.Value, &cr); err != nil || cr.Name == "" {
			c.rt.log.Warn("cluster: skipping a malformed connector record", "offset", r.Offset, "error", err)
			return
		}
		version := r.Offset
		if cr.AsOf > 0 {
			version = cr.AsOf
			if cur := c.conns[cr.Name]; cur != nil && cur.version >= version {
				return
			}
			if d, ok := c.tombstones[cr.Name]; ok && d >= version {
				return
			}
		}
		if cr.Config == nil {
			if cur := c.conns[cr.Name]; cur != nil && cr.Target != "" {
				// Replaced, never modified: reconcile reads it unlocked.
				c.conns[cr.Name] = &clusterConn{cfg: cur.cfg, target: cr.Target, version: version}
			}
		} else {
			target := cr.Target
			if target == "" {
				target = connect.StateRunning
			}
			c.conns[cr.Name] = &clusterConn{cfg: cr.Config, target: target, version: version}
			delete(c.tombstones, cr.Name)
		}
	case recDelete:
		var cr connectorRecord
		if err := json.Unmarshal(r.Value, &cr); err != nil || cr.Name == "" {
			c.rt.log.Warn("cluster: skipping a malformed delete record", "offset", r.Offset, "error", err)
			return
		}
		version := r.Offset
		if cr.AsOf > 0 {
			version = cr.AsOf
		}
		if cur := c.conns[cr.Name]; cur != nil && cur.version > version {
			return
		}
		delete(c.conns, cr.Name)
		c.tombstones[cr.Name] = version
	case recRestart:
		var rr restartRecord
		if err := json.Unmarshal(r.Value, &rr); err != nil || rr.Name == "" {
			c.rt.log.Warn("cluster: skipping a malformed restart record", "offset", r.Offset, "error", err)
			return
		}
		c.restarts = append(c.restarts, rr)
	default:
		c.rt.log.Warn("cluster: skipping an unknown record in the configs topic", "offset", r.Offset, "kind", r.Key)
		return
	}
	c.kick()
}

// applyMember applies a record of the members topic.
func (c *cluster) applyMember(r topiclog.Record) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	switch r.Key {
	case recHeartbeat:
		var hb heartbeatRecord
		if err := json.Unmarshal(r.Value, &hb); err != nil || hb.Worker == "" {
			c.rt.log.Warn("cluster: skipping a malformed heartbeat", "offset", r.Offset, "error", err)
			return
		}
		if hb.Worker == c.me && hb.Incarnation != c.inc {
			return // a former incarnation of this worker
		}
		m := c.peers[hb.Worker]
		if m == nil || m.hb.Incarnation != hb.Incarnation {
			m = &member{joined: r.Offset}
			c.peers[hb.Worker] = m
		}
		if hb.Seq < m.hb.Seq {
			return
		}
		m.hb = hb
		if c.caughtUp.Load() {
			// Heartbeats read while catching up at start are history:
			// their workers count as live only once heard from again.
			m.lastSeen = now
		}
		if hb.Worker == c.me && hb.Incarnation == c.inc {
			if sent, ok := c.sent[hb.Seq]; ok {
				if until := sent.Add(c.selfLease()); until.After(c.leaseUntil) {
					c.leaseUntil = until
				}
				for s := range c.sent {
					if s <= hb.Seq {
						delete(c.sent, s)
					}
				}
				if c.fenced.Load() {
					c.kick()
				}
			}
		}
	case recLeave:
		var hb heartbeatRecord
		if err := json.Unmarshal(r.Value, &hb); err != nil {
			c.rt.log.Warn("cluster: skipping a malformed leave record", "offset", r.Offset, "error", err)
			return
		}
		if m := c.peers[hb.Worker]; m != nil && m.hb.Incarnation == hb.Incarnation {
			delete(c.peers, hb.Worker)
		}
	case recAssignment:
		var ar assignmentRecord
		if err := json.Unmarshal(r.Value, &ar); err != nil {
			c.rt.log.Warn("cluster: skipping a malformed assignment", "offset", r.Offset, "error", err)
			return
		}
		if ar.Generation >= c.pending {
			c.pending = 0
		}
		if ar.Generation <= c.gen {
			return // a second leader's, or a repeat
		}
		c.gen, c.assign = ar.Generation, ar.Assignment
		if rg := c.rejoinGen.Load(); rg >= 0 && ar.Generation > rg {
			c.rejoinGen.Store(-1)
		}
		c.kick()
	default:
		c.rt.log.Warn("cluster: skipping an unknown record in the members topic", "offset", r.Offset, "kind", r.Key)
	}
}

// applyStatus applies a record of the status topic.
func (c *cluster) applyStatus(r topiclog.Record) {
	var sr statusRecord
	if r.Key != recStatus || json.Unmarshal(r.Value, &sr) != nil || sr.Status.Name == "" {
		c.rt.log.Warn("cluster: skipping a malformed status record", "offset", r.Offset)
		return
	}
	c.mu.Lock()
	c.statuses[sr.Status.Name] = sr
	c.mu.Unlock()
}

// liveLocked returns the live workers in join order.
func (c *cluster) liveLocked(now time.Time) []*member {
	var out []*member
	for _, m := range c.peers {
		if now.Sub(m.lastSeen) < c.cfg.lease {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].joined < out[j].joined })
	return out
}

func (c *cluster) liveMembers() []Member {
	c.mu.Lock()
	defer c.mu.Unlock()
	live := c.liveLocked(time.Now())
	out := make([]Member, 0, len(live))
	for i, m := range live {
		out = append(out, Member{ID: m.hb.Worker, LastHeartbeat: m.lastSeen, Leader: i == 0})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// heartbeatLoop publishes heartbeats, watches this worker's own lease and,
// on the leader, publishes assignments.
func (c *cluster) heartbeatLoop() {
	defer c.hbWG.Done()
	tick := time.NewTicker(c.heartbeatEvery())
	defer tick.Stop()
	plugins := c.rt.Plugins()
	lastSnapshot := time.Now()
	for {
		seq := c.seq.Add(1)
		hb := heartbeatRecord{Worker: c.me, Incarnation: c.inc, Seq: seq, Generation: c.applied.Load(),
			Running: *c.running.Load(), Plugins: plugins, Rejoin: c.rejoinGen.Load() >= 0}
		b, _ := json.Marshal(hb)
		c.mu.Lock()
		now := time.Now()
		c.sent[seq] = now
		for s, at := range c.sent {
			if now.Sub(at) > c.cfg.lease {
				delete(c.sent, s) // never read back
			}
		}
		c.mu.Unlock()
		ctx, cancel := context.WithTimeout(c.rt.ctx, c.heartbeatEvery())
		if err := c.members.Append(ctx, recHeartbeat, b); err != nil {
			c.rt.log.Debug("cluster: heartbeat not published", "error", err)
		}
		cancel()
		c.checkLease()
		if c.lead() && time.Since(lastSnapshot) >= c.cfg.snapshot {
			lastSnapshot = time.Now()
			ctx, cancel := context.WithTimeout(c.rt.ctx, c.cfg.lease)
			c.snapshot(ctx)
			cancel()
		}
		c.publishStatuses()
		select {
		case <-c.stopHB:
			return
		case <-tick.C:
		}
	}
}

// checkLease fences this worker when it has not read back its own
// heartbeats for the self lease.
func (c *cluster) checkLease() {
	c.mu.Lock()
	expired := time.Now().After(c.leaseUntil)
	c.mu.Unlock()
	if expired && !c.fenced.Load() {
		if len(*c.running.Load()) > 0 {
			c.rt.log.Error("cluster: lost contact with the cluster (own heartbeats not read back); stopping every connector here")
		}
		c.fenced.Store(true)
		c.kick()
	} else if !expired && c.fenced.Load() {
		c.mu.Lock()
		c.rejoinGen.Store(c.gen)
		c.mu.Unlock()
		c.fenced.Store(false)
		c.kick()
	}
}

// lead publishes the next assignment when this worker is the leader and
// it differs from the current one. It reports whether this worker leads.
func (c *cluster) lead() bool {
	if c.fenced.Load() {
		return false
	}
	now := time.Now()
	c.mu.Lock()
	live := c.liveLocked(now)
	if len(live) == 0 || live[0].hb.Worker != c.me || live[0].hb.Incarnation != c.inc {
		c.mu.Unlock()
		return false
	}
	if c.pending != 0 && now.Sub(c.pendingAt) < c.cfg.lease {
		c.mu.Unlock()
		return true // wait for the last one to come back
	}
	views := make([]memberView, 0, len(live))
	for _, m := range live {
		mv := memberView{id: m.hb.Worker, plugins: map[string]bool{}, running: map[string]bool{}, gen: m.hb.Generation}
		for _, p := range m.hb.Plugins {
			mv.plugins[p] = true
		}
		for _, r := range m.hb.Running {
			mv.running[r] = true
		}
		views = append(views, mv)
	}
	units := make([]unitView, 0, len(c.conns))
	for name, cc := range c.conns {
		units = append(units, unitView{name: name, class: cc.cfg[KeyConnectorClass]})
	}
	sort.Slice(units, func(i, j int) bool { return units[i].name < units[j].name })
	next := nextAssignment(c.assign, c.gen, views, units)
	rejoin := false
	for _, m := range live {
		rejoin = rejoin || m.hb.Rejoin
	}
	if next.equal(c.assign) && !rejoin {
		c.mu.Unlock()
		return true
	}
	gen := c.gen + 1
	c.pending, c.pendingAt = gen, now
	c.mu.Unlock()
	b, _ := json.Marshal(assignmentRecord{Generation: gen, Leader: c.me, Assignment: next})
	ctx, cancel := context.WithTimeout(c.rt.ctx, c.cfg.lease)
	defer cancel()
	if err := c.members.Append(ctx, recAssignment, b); err != nil {
		c.rt.log.Warn("cluster: publish assignment", "generation", gen, "error", err)
	}
	return true
}

// reconcileLoop makes the connectors running here match the assignment.
func (c *cluster) reconcileLoop() {
	defer c.recWG.Done()
	tick := time.NewTicker(c.heartbeatEvery())
	defer tick.Stop()
	for {
		select {
		case <-c.stopRec:
			return
		case <-c.wake:
		case <-tick.C:
		}
		c.reconcile()
	}
}

// reconcile stops what this worker must not run, applies config changes
// and restart requests to what it runs, and starts what it was given.
func (c *cluster) reconcile() {
	rt := c.rt
	c.mu.Lock()
	gen := c.gen
	want := map[string]*clusterConn{}
	if rg := c.rejoinGen.Load(); !c.fenced.Load() && (rg < 0 || gen > rg) {
		for _, name := range c.assign[c.me] {
			if cc := c.conns[name]; cc != nil {
				want[name] = cc
			}
		}
	}
	restarts := c.restarts
	c.restarts = nil
	c.mu.Unlock()

	rt.mu.Lock()
	local := maps.Clone(rt.connectors)
	rt.mu.Unlock()
	budget := rt.cfg.shutdownTimeout
	if c.fenced.Load() {
		// Cut off: the others take these connectors over a lease after
		// they last heard from this worker, so they must stop now, not
		// drain (their positions could not be committed anyway).
		budget = c.heartbeatEvery()
	}
	ctx, cancel := context.WithTimeout(rt.ctx, budget)
	defer cancel()

	// Stop first: what was revoked, deleted, or everything when fenced.
	for name, r := range local {
		if _, ok := want[name]; ok {
			continue
		}
		rt.mu.Lock()
		if rt.connectors[name] == r {
			delete(rt.connectors, name)
		}
		rt.mu.Unlock()
		if err := r.shutdown(ctx); err != nil {
			rt.log.Warn("cluster: stop connector", "connector", name, "error", err)
		}
		c.forgetStatus(name)
	}
	c.setRunning(want, local)
	if !c.fenced.Load() {
		c.applied.Store(gen)
	}
	if len(want) == 0 {
		c.answerRestarts(restarts, nil)
		return
	}
	// Start what is new, after reading the offsets topic to its end.
	synced := false
	for name, cc := range want {
		r := local[name]
		kind := rt.kindOf(cc.cfg)
		if r == nil {
			if !synced {
				if err := c.offsets.Sync(ctx); err != nil {
					rt.log.Warn("cluster: read the offsets topic before starting connectors", "error", err)
					return // retried at the next tick
				}
				synced = true
			}
			r = newConnectorRunner(rt, name, maps.Clone(cc.cfg), kind, cc.target)
			r.version = cc.version
			rt.mu.Lock()
			rt.connectors[name] = r
			rt.mu.Unlock()
			r.mu.lock()
			r.startLocked(ctx)
			r.unlock()
			rt.log.Info("cluster: connector assigned here", "connector", name)
			continue
		}
		if r.version == cc.version {
			continue
		}
		r.mu.lock()
		if !maps.Equal(r.cfg, cc.cfg) {
			r.reconfigureWithLocked(ctx, cc.cfg, kind)
		}
		if r.target != cc.target {
			if err := r.setTargetLocked(ctx, cc.target); err != nil {
				rt.log.Warn("cluster: change target state", "connector", name, "error", err)
			}
		}
		r.version = cc.version
		r.unlock()
	}
	c.answerRestarts(restarts, want)
}

// answerRestarts carries out the restart requests for connectors running
// here and answers the requests made on this worker.
func (c *cluster) answerRestarts(rs []restartRecord, here map[string]*clusterConn) {
	rt := c.rt
	for _, rr := range rs {
		if _, ok := here[rr.Name]; !ok {
			continue
		}
		rt.mu.Lock()
		r := rt.connectors[rr.Name]
		rt.mu.Unlock()
		if r == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(rt.ctx, rt.cfg.shutdownTimeout)
		r.mu.lock()
		var err error
		switch {
		case rr.Task == resetTopicsTask:
			rt.topics.reset(rr.Name)
		case rr.Task >= 0:
			err = r.restartTaskLocked(ctx, rr.Task)
		default:
			err = r.restartLocked(ctx, RestartOptions{IncludeTasks: rr.IncludeTasks, OnlyFailed: rr.OnlyFailed})
		}
		r.unlock()
		cancel()
		if err != nil {
			rt.log.Warn("cluster: restart", "connector", rr.Name, "error", err)
		}
		if ch, ok := c.results.LoadAndDelete(rr.ID); ok {
			ch.(chan error) <- err
		}
	}
}

func (c *cluster) setRunning(want map[string]*clusterConn, local map[string]*connectorRunner) {
	var names []string
	c.rt.mu.Lock()
	for name := range c.rt.connectors {
		names = append(names, name)
	}
	c.rt.mu.Unlock()
	for name := range want {
		if !slices.Contains(names, name) {
			names = append(names, name) // about to start
		}
	}
	sort.Strings(names)
	c.running.Store(&names)
}

// publishStatuses publishes the status of each connector running here when
// it changed, and every few seconds anyway.
func (c *cluster) publishStatuses() {
	rt := c.rt
	rt.mu.Lock()
	local := slices.Collect(maps.Values(rt.connectors))
	rt.mu.Unlock()
	now := time.Now()
	for _, r := range local {
		sr := statusRecord{Worker: c.me, Incarnation: c.inc, Status: r.status(), TaskConfigs: r.taskConfigs(), Topics: rt.topics.list(r.name)}
		b, _ := json.Marshal(sr)
		key := string(b)
		c.mu.Lock()
		same := c.lastStatus[r.name] == key && now.Sub(c.lastSent[r.name]) < 5*time.Second
		if !same {
			c.lastStatus[r.name], c.lastSent[r.name] = key, now
		}
		c.mu.Unlock()
		if same {
			continue
		}
		ctx, cancel := context.WithTimeout(rt.ctx, c.heartbeatEvery())
		if err := c.status.Append(ctx, recStatus, b); err != nil {
			rt.log.Debug("cluster: status not published", "connector", r.name, "error", err)
		}
		cancel()
	}
}

func (c *cluster) forgetStatus(name string) {
	c.mu.Lock()
	delete(c.lastStatus, name)
	delete(c.lastSent, name)
	c.mu.Unlock()
}

// The runtime's API in cluster mode.

func (c *cluster) publishConfig(ctx context.Context, kind string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := c.configs.AppendSync(ctx, kind, b); err != nil {
		return fmt.Errorf("runtime: cluster: publish to %s: %w: %w", c.cfg.topics.Configs, ErrUnavailable, err)
	}
	return nil
}

func (c *cluster) lookup(name string) (*clusterConn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cc := c.conns[name]
	if cc == nil {
		return nil, fmt.Errorf("runtime: connector %q: %w", name, connect.ErrNotFound)
	}
	return &clusterConn{cfg: cc.cfg, target: cc.target, version: cc.version}, nil
}

func (c *cluster) create(ctx context.Context, name string, cfg connect.Config, target connect.State) error {
	if err := c.configs.Sync(ctx); err != nil {
		return fmt.Errorf("runtime: cluster: read %s: %w: %w", c.cfg.topics.Configs, ErrUnavailable, err)
	}
	if _, err := c.lookup(name); err == nil {
		return fmt.Errorf("runtime: connector %q: %w", name, connect.ErrAlreadyExists)
	}
	if err := c.publishConfig(ctx, recConnector, connectorRecord{Name: name, Config: cfg, Target: target}); err != nil {
		return err
	}
	c.rt.log.Info("connector created", "connector", name, "class", cfg[KeyConnectorClass], "target", target)
	return nil
}

func (c *cluster) put(ctx context.Context, name string, cfg connect.Config) (bool, error) {
	cur, err := c.lookup(name)
	if errors.Is(err, connect.ErrNotFound) {
		return true, c.create(ctx, name, cfg, connect.StateRunning)
	}
	return false, c.publishConfig(ctx, recConnector, connectorRecord{Name: name, Config: cfg, Target: cur.target})
}

func (c *cluster) setTarget(ctx context.Context, name string, target connect.State) error {
	if _, err := c.lookup(name); err != nil {
		return err
	}
	return c.publishConfig(ctx, recConnector, connectorRecord{Name: name, Target: target})
}

func (c *cluster) delete(ctx context.Context, name string) error {
	if _, err := c.lookup(name); err != nil {
		return err
	}
	return c.publishConfig(ctx, recDelete, connectorRecord{Name: name})
}

// restart asks the worker running the connector to restart it (task < 0)
// or one task, and waits for the answer when this worker runs it.
func (c *cluster) restart(ctx context.Context, name string, o RestartOptions, task int) error {
	cc, err := c.lookup(name)
	if err != nil {
		return err
	}
	if cc.target == connect.StateStopped && task != resetTopicsTask {
		return fmt.Errorf("runtime: restart connector %q: it is STOPPED; resume it: %w", name, connect.ErrConflict)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	ch := make(chan error, 1)
	c.results.Store(id, ch)
	defer c.results.Delete(id)
	if err := c.publishConfig(ctx, recRestart, restartRecord{Name: name, IncludeTasks: o.IncludeTasks, OnlyFailed: o.OnlyFailed, Task: task, ID: id}); err != nil {
		return err
	}
	c.mu.Lock()
	owner := c.assign.owner(name)
	c.mu.Unlock()
	if owner != c.me {
		return nil // carried out by its worker
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *cluster) names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	names := slices.Collect(maps.Keys(c.conns))
	sort.Strings(names)
	return names
}

// statusOf answers a status from this worker's runner or the status topic.
func (c *cluster) statusOf(name string) (connect.ConnectorStatus, []connect.Config, error) {
	if _, err := c.lookup(name); err != nil {
		return connect.ConnectorStatus{}, nil, err
	}
	c.rt.mu.Lock()
	r := c.rt.connectors[name]
	c.rt.mu.Unlock()
	if r != nil {
		return r.status(), r.taskConfigs(), nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	owner := c.assign.owner(name)
	sr, ok := c.statuses[name]
	live := false
	if m := c.peers[owner]; m != nil && time.Since(m.lastSeen) < c.cfg.lease {
		live = true
	}
	if ok && live && sr.Worker == owner {
		return sr.Status, sr.TaskConfigs, nil
	}
	kind := c.rt.kindOf(c.conns[name].cfg)
	return connect.ConnectorStatus{Name: name, Type: kind, State: connect.StateUnassigned, WorkerID: owner, Tasks: []connect.TaskStatus{}}, nil, nil
}

// stoppedEverywhere reports whether the connector's target is STOPPED and
// no worker runs it.
func (c *cluster) stoppedEverywhere(name string) error {
	cc, err := c.lookup(name)
	if err != nil {
		return err
	}
	st, _, err := c.statusOf(name)
	if err != nil {
		return err
	}
	if cc.target != connect.StateStopped || (st.State != connect.StateStopped && st.State != connect.StateUnassigned) {
		return fmt.Errorf("runtime: connector %q is %s; stop it first: %w", name, st.State, connect.ErrConflict)
	}
	return nil
}

// snapshot re-publishes the connectors' records on the leader, so that
// they outlive the transport's retention.
func (c *cluster) snapshot(ctx context.Context) {
	c.mu.Lock()
	var recs []connectorRecord
	for name, cc := range c.conns {
		recs = append(recs, connectorRecord{Name: name, Config: cc.cfg, Target: cc.target, AsOf: cc.version})
	}
	var dels []connectorRecord
	for name, off := range c.tombstones {
		dels = append(dels, connectorRecord{Name: name, AsOf: off})
	}
	assign := assignmentRecord{Generation: c.gen, Leader: c.me, Assignment: c.assign}
	c.mu.Unlock()
	// The current assignment too, for workers that join after retention
	// dropped it (it is ignored by those that have it).
	if b, err := json.Marshal(assign); err == nil {
		if err := c.members.Append(ctx, recAssignment, b); err != nil {
			c.rt.log.Warn("cluster: snapshot", "error", err)
		}
	}
	for _, r := range recs {
		b, _ := json.Marshal(r)
		if err := c.configs.Append(ctx, recConnector, b); err != nil {
			c.rt.log.Warn("cluster: snapshot", "error", err)
			return
		}
	}
	for _, r := range dels {
		b, _ := json.Marshal(r)
		if err := c.configs.Append(ctx, recDelete, b); err != nil {
			c.rt.log.Warn("cluster: snapshot", "error", err)
			return
		}
	}
}
