package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// hdrTag is the header every record of the numbered source carries: the
// tag of the task instance that produced it, WORKER@STARTNANOS@CONNECTOR/TASK.
const hdrTag = "bench.tag"

// padding makes a record's value about 100 bytes.
var padding = strings.Repeat("x", 90)

// reporter receives what the bench observes: connector statuses and
// members as a worker sees them, and the first record of each source task
// instance that a sink receives.
type reporter interface {
	status(observer, conn string, st connect.State, worker string, tasksRunning bool, at time.Time)
	members(observer string, ids []string, at time.Time)
	first(tag string, n int64, at time.Time)
}

// parseTag splits a tag into the producing worker, the start time of the
// task instance and the connector.
func parseTag(tag string) (worker string, started time.Time, conn string, ok bool) {
	parts := strings.SplitN(tag, "@", 3)
	if len(parts) != 3 {
		return "", time.Time{}, "", false
	}
	ns, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return "", time.Time{}, "", false
	}
	conn, _, _ = strings.Cut(parts[2], "/")
	return parts[0], time.Unix(0, ns), conn, true
}

// numbered is a source whose tasks emit numbered records (value "N:xxx…",
// one of 64 keys), resuming after their stored position, at "rate" records/s
// per task (0: as fast as the pipeline takes them) in polls of at most
// "batch" records.
type numbered struct {
	worker string
	cfg    connect.Config
}

func (s *numbered) Spec() connect.Spec {
	return connect.Spec{Name: "Numbered", Version: "bench", Description: "Emits numbered records, resuming from its position."}
}

func (s *numbered) Start(_ context.Context, _ connect.ConnectorContext, cfg connect.Config) error {
	s.cfg = cfg
	return nil
}

func (s *numbered) TaskConfigs(max int) ([]connect.Config, error) {
	out := make([]connect.Config, max)
	for i := range out {
		c := connect.Config{"task": strconv.Itoa(i)}
		for _, k := range []string{"rate", "batch"} {
			c[k] = s.cfg[k]
		}
		out[i] = c
	}
	return out, nil
}

func (s *numbered) Stop(context.Context) error  { return nil }
func (s *numbered) NewTask() connect.SourceTask { return &numberedTask{worker: s.worker} }

type numberedTask struct {
	worker    string
	part, tag string
	next      int64
	rate      float64
	batch     int
	began     time.Time
	sent      int64
}

func (t *numberedTask) Start(ctx context.Context, tc connect.SourceTaskContext, cfg connect.Config) error {
	t.part = tc.Connector() + "/" + cfg["task"]
	p, ok, err := tc.Offset(ctx, t.part)
	if err != nil {
		return err
	}
	if ok {
		n, _ := strconv.ParseInt(string(p.Offset), 10, 64)
		t.next = n + 1
	}
	t.rate, _ = strconv.ParseFloat(cfg["rate"], 64)
	t.batch, _ = strconv.Atoi(cfg["batch"])
	if t.batch < 1 {
		t.batch = 500
	}
	t.began = time.Now()
	t.tag = t.worker + "@" + strconv.FormatInt(t.began.UnixNano(), 10) + "@" + t.part
	return nil
}

func (t *numberedTask) Poll(ctx context.Context) ([]*connect.Record, error) {
	n := t.batch
	if t.rate > 0 {
		due := int64(time.Since(t.began).Seconds()*t.rate) - t.sent
		if due < 1 {
			select {
			case <-time.After(max(time.Duration(float64(time.Second)/t.rate), 5*time.Millisecond)):
			case <-ctx.Done():
			}
			return nil, nil
		}
		n = int(min(due, int64(t.batch)))
	}
	out := make([]*connect.Record, n)
	for i := range out {
		k := t.next
		t.next++
		out[i] = &connect.Record{
			Key:      strconv.FormatInt(k%64, 10),
			Value:    strconv.FormatInt(k, 10) + ":" + padding,
			Headers:  connect.Headers{hdrTag: t.tag},
			Position: connect.Position{Partition: t.part, Offset: []byte(strconv.FormatInt(k, 10))},
		}
	}
	t.sent += int64(n)
	return out, nil
}

func (t *numberedTask) Stop(context.Context) error { return nil }

// counting is a sink that counts and drops records and reports the first
// record of every source task instance (tag) this process receives.
type counting struct {
	count *atomic.Int64
	seen  *sync.Map // tag -> *atomic.Int64, the highest record number received
	rep   reporter  // nil: count only
}

func (c *counting) Spec() connect.Spec {
	return connect.Spec{Name: "Counting", Version: "bench", Description: "Counts and drops records."}
}
func (c *counting) Start(context.Context, connect.ConnectorContext, connect.Config) error { return nil }
func (c *counting) TaskConfigs(max int) ([]connect.Config, error) {
	return make([]connect.Config, max), nil
}
func (c *counting) Stop(context.Context) error { return nil }
func (c *counting) NewTask() connect.SinkTask  { return countingTask{c} }

type countingTask struct{ *counting }

func (countingTask) Start(context.Context, connect.SinkTaskContext, connect.Config) error { return nil }
func (countingTask) Flush(context.Context) error                                          { return nil }
func (countingTask) Stop(context.Context) error                                           { return nil }

func (c countingTask) Put(_ context.Context, rs []*connect.Record) error {
	c.count.Add(int64(len(rs)))
	if c.rep == nil {
		return nil
	}
	var last string
	var high *atomic.Int64
	for _, r := range rs {
		tag := r.Headers.Get(hdrTag)
		s, _, _ := strings.Cut(fmt.Sprint(r.Value), ":")
		n, _ := strconv.ParseInt(s, 10, 64)
		if tag != last || high == nil {
			last = tag
			v, dup := c.seen.Load(tag)
			if !dup {
				h := new(atomic.Int64)
				h.Store(-1)
				if v, dup = c.seen.LoadOrStore(tag, h); !dup {
					c.rep.first(tag, n, time.Now())
				}
			}
			high = v.(*atomic.Int64)
		}
		for cur := high.Load(); n > cur && !high.CompareAndSwap(cur, n); cur = high.Load() {
		}
	}
	return nil
}
