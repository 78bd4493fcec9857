package main

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/runtime"
)

// watch polls rt's view of the cluster every 20ms and reports changes:
// the status of every connector (state, worker, whether all its tasks run)
// and the live members. It returns when stop is closed.
func watch(rt *runtime.Runtime, rep reporter, stop <-chan struct{}) {
	me := rt.WorkerID()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	last := map[string]string{}
	lastMembers := "?"
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		now := time.Now()
		var ids []string
		for _, m := range rt.Members() {
			if m.Leader {
				ids = append(ids, "*"+m.ID) // the leader
			} else {
				ids = append(ids, m.ID)
			}
		}
		if j := strings.Join(ids, ","); j != lastMembers {
			lastMembers = j
			rep.members(me, ids, now)
		}
		for _, name := range rt.Connectors() {
			st, err := rt.ConnectorStatus(name)
			if err != nil {
				continue
			}
			all := len(st.Tasks) > 0
			for _, ts := range st.Tasks {
				all = all && ts.State == connect.StateRunning
			}
			key := string(st.State) + " " + st.WorkerID + " " + boolStr(all)
			if last[name] != key {
				last[name] = key
				rep.status(me, name, st.State, st.WorkerID, all, now)
			}
		}
	}
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

type statusEvent struct {
	observer, conn, worker string
	state                  connect.State
	all                    bool
	at                     time.Time
}

type memberEvent struct {
	observer string
	ids      []string
	at       time.Time
}

type firstEvent struct {
	tag, worker, conn string
	started, at       time.Time
	n                 int64
}

// collector keeps what the workers report, for the parent's decisions.
type collector struct {
	mu         sync.Mutex
	statuses   []statusEvent
	view       map[string]map[string]statusEvent // observer -> connector -> latest
	memberView map[string][]string               // observer -> live member ids
	memberLog  []memberEvent
	leader     map[string]string // observer -> leader
	// highs: tag -> *atomic.Int64, the highest record number a sink
	// received from that task instance. The memory run's sinks write it
	// directly; children report it.
	highs      sync.Map
	firsts     []firstEvent
	lastChange time.Time
}

func newCollector() *collector {
	return &collector{view: map[string]map[string]statusEvent{}, memberView: map[string][]string{}, leader: map[string]string{}}
}

func (c *collector) status(observer, conn string, st connect.State, worker string, all bool, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := statusEvent{observer: observer, conn: conn, worker: worker, state: st, all: all, at: at}
	c.statuses = append(c.statuses, e)
	if c.view[observer] == nil {
		c.view[observer] = map[string]statusEvent{}
	}
	c.view[observer][conn] = e
	c.touch(at)
}

func (c *collector) members(observer string, ids []string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids = slices.Clone(ids)
	c.leader[observer] = ""
	for i, id := range ids {
		if l, ok := strings.CutPrefix(id, "*"); ok {
			ids[i], c.leader[observer] = l, l
		}
	}
	sort.Strings(ids)
	c.memberView[observer] = ids
	c.memberLog = append(c.memberLog, memberEvent{observer: observer, ids: ids, at: at})
	c.touch(at)
}

func (c *collector) first(tag string, n int64, at time.Time) {
	w, started, conn, ok := parseTag(tag)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.firsts = append(c.firsts, firstEvent{tag: tag, worker: w, conn: conn, started: started, at: at, n: n})
}

func (c *collector) touch(at time.Time) {
	if at.After(c.lastChange) {
		c.lastChange = at
	}
}

// placement returns observer's view: connector -> worker running it with
// all its tasks ("" when it is not RUNNING with all tasks).
func (c *collector) placement(observer string) map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]string{}
	for conn, e := range c.view[observer] {
		if e.state == connect.StateRunning && e.all {
			out[conn] = e.worker
		} else {
			out[conn] = ""
		}
	}
	return out
}

// settled reports whether, as observer sees it, the live workers are
// exactly live, every connector runs with all its tasks on a live worker,
// the connectors are balanced (counts differ by at most one), every
// source's newest records come from the worker running it, and nothing
// changed for quiet.
func (c *collector) settled(observer string, live, conns, sources []string, quiet time.Duration) bool {
	p := c.placement(observer)
	c.mu.Lock()
	defer c.mu.Unlock()
	want := slices.Clone(live)
	sort.Strings(want)
	if !slices.Equal(c.memberView[observer], want) {
		return false
	}
	per := map[string]int{}
	for _, conn := range conns {
		w := p[conn]
		if w == "" || !slices.Contains(live, w) {
			return false
		}
		per[w]++
	}
	lo, hi := len(conns), 0
	for _, w := range live {
		lo, hi = min(lo, per[w]), max(hi, per[w])
	}
	if hi-lo > 1 {
		return false
	}
	for _, s := range sources {
		var newest firstEvent
		for _, f := range c.firsts {
			if f.conn == s && f.started.After(newest.started) {
				newest = f
			}
		}
		if newest.worker != p[s] {
			return false
		}
	}
	return time.Since(c.lastChange) >= quiet
}

// runningElsewhere returns when some observer other than dead first saw
// conn RUNNING with all its tasks on a worker other than dead, after t0.
func (c *collector) runningElsewhere(conn, dead string, t0 time.Time) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var best time.Time
	for _, e := range c.statuses {
		if e.conn != conn || e.observer == dead || e.worker == dead || e.worker == "" || !e.at.After(t0) ||
			e.state != connect.StateRunning || !e.all {
			continue
		}
		if best.IsZero() || e.at.Before(best) {
			best = e.at
		}
	}
	return best, !best.IsZero()
}

// flowing returns when a sink first received a record of conn from a task
// instance started after t0 (necessarily on another worker than the dead
// one), and the record's number.
func (c *collector) flowing(conn string, t0 time.Time) (firstEvent, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var best firstEvent
	for _, f := range c.firsts {
		if f.conn != conn || !f.started.After(t0) {
			continue
		}
		if best.at.IsZero() || f.at.Before(best.at) {
			best = f
		}
	}
	return best, !best.at.IsZero()
}

// goneFrom returns when a survivor first listed the members without dead,
// after t0.
func (c *collector) goneFrom(dead string, t0 time.Time) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var best time.Time
	for _, e := range c.memberLog {
		if e.observer != dead && e.at.After(t0) && !slices.Contains(e.ids, dead) && (best.IsZero() || e.at.Before(best)) {
			best = e.at
		}
	}
	return best, !best.IsZero()
}

// leaderOf returns the leader as observer sees it.
func (c *collector) leaderOf(observer string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.leader[observer]
}

// membersOf returns observer's latest member list.
func (c *collector) membersOf(observer string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.memberView[observer]
}

// high records that a sink received record n of tag.
func (c *collector) high(tag string, n int64) {
	v, _ := c.highs.LoadOrStore(tag, new(atomic.Int64))
	h := v.(*atomic.Int64)
	for cur := h.Load(); n > cur && !h.CompareAndSwap(cur, n); cur = h.Load() {
	}
}

// highestBefore returns the highest record number of conn that a sink
// received from task instances started before t0, or -1.
func (c *collector) highestBefore(conn string, t0 time.Time) int64 {
	c.mu.Lock()
	var tags []string
	for _, f := range c.firsts {
		if f.conn == conn && f.started.Before(t0) {
			tags = append(tags, f.tag)
		}
	}
	c.mu.Unlock()
	h := int64(-1)
	for _, t := range tags {
		if v, ok := c.highs.Load(t); ok {
			h = max(h, v.(*atomic.Int64).Load())
		}
	}
	return h
}
