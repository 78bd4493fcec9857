package mysqlsource_test

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"sync"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/mysqlsource"
	"github.com/openmessaging/connect-go/offset"
)

// progressLog is a task context keeping every progress the task published.
type progressLog struct {
	*connecttest.SourceTaskContext
	mu  sync.Mutex
	all []map[string]any
}

func (p *progressLog) SetProgress(m map[string]any) {
	p.SourceTaskContext.SetProgress(m)
	p.mu.Lock()
	p.all = append(p.all, maps.Clone(m))
	p.mu.Unlock()
}

// first returns the first progress published with connected == c.
func (p *progressLog) first(c bool) map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.all {
		if m["connected"] == c {
			return m
		}
	}
	return nil
}

func startWatched(t *testing.T, cfg connect.Config, store connect.OffsetStore) (*run, *progressLog) {
	t.Helper()
	var log *progressLog
	r := startRunWith(t, cfg, store, func(tc *connecttest.SourceTaskContext) connect.SourceTaskContext {
		log = &progressLog{SourceTaskContext: tc}
		return log
	})
	return r, log
}

// watch polls as the runtime does, calling Poll again as soon as it
// returns (after a pause on a retriable error), until cond holds or d has
// passed; it reports whether cond held. Poll waits for records, so the
// progress a test sees here is only what the task publishes while it
// waits.
func (r *run) watch(d time.Duration, cond func() bool) bool {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var fatal error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			recs, err := r.task.Poll(ctx)
			r.recs = append(r.recs, recs...)
			if err != nil && !connect.IsRetriable(err) {
				fatal = err
				return
			}
			if err != nil {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	held := cond()
	for !held && ctx.Err() == nil {
		select {
		case <-tick.C:
			held = cond()
		case <-ctx.Done():
		}
	}
	cancel()
	<-done
	if fatal != nil {
		r.t.Fatalf("poll: %v", fatal)
	}
	return held
}

// TestProgressAfterRestart: a task resuming on an idle database shows that
// it is connected, and the position it resumed from, without waiting for a
// row change.
func TestProgressAfterRestart(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE t (id INT PRIMARY KEY)")
	st := db.rows("SHOW MASTER STATUS")
	file, pos := st[0][0], st[0][1]
	store := offset.NewMemory()
	stored := connect.Position{Partition: mysqlsource.Partition(db.name), Offset: fmt.Appendf(nil, `{"file":%q,"pos":%s}`, file, pos)}
	if err := store.Put(context.Background(), testConnector, stored); err != nil {
		t.Fatal(err)
	}

	r, progress := startWatched(t, db.config(), store)
	if p := r.tc.Progress(); p["connected"] != false {
		t.Errorf("progress before the first poll: %v, want connected: false", p)
	}
	var last map[string]any
	if !r.watch(30*time.Second, func() bool { last = r.tc.Progress(); return progress.first(true) != nil }) {
		t.Fatalf("progress %v after Poll waited 30s on an idle database, want connected: true", last)
	}
	want := map[string]any{"phase": "streaming", "binlog": file + ":" + pos, "connected": true}
	if got := progress.first(true); !maps.Equal(got, want) {
		t.Errorf("first progress once connected: %v, want %v", got, want)
	}
	if len(r.recs) != 0 {
		t.Errorf("%d records polled from an idle database", len(r.recs))
	}
}

// TestProgressDisconnected: while the server cannot be reached the
// progress says connected: false, and true again once it can.
func TestProgressDisconnected(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE t (id INT PRIMARY KEY)")
	p := startProxy(t, db.srv.addr())
	host, port, _ := net.SplitHostPort(p.addr)
	r := startRun(t, db.config("host", host, "port", port, "snapshot.mode", "never"), nil)
	var last map[string]any // what the conditions saw while Poll waited
	connected := func() bool { last = r.tc.Progress(); return last["connected"] == true }
	disconnected := func() bool { return !connected() }
	if !r.watch(30*time.Second, connected) {
		t.Fatalf("progress %v after 30s, want connected: true", last)
	}

	p.stop()
	if !r.watch(30*time.Second, disconnected) {
		t.Fatalf("progress %v 30s after the server became unreachable, want connected: false", last)
	}
	if r.watch(time.Second, connected) { // reconnecting fails meanwhile
		t.Fatalf("progress %v with the server unreachable", last)
	}

	p.start(t)
	if !r.watch(30*time.Second, connected) {
		t.Fatalf("progress %v 30s after the server came back, want connected: true", last)
	}
	db.exec("INSERT INTO t VALUES (1)")
	r.pollUntil(30*time.Second, "the insert", hasRecord("t", isSentinel(1)))
}

// proxy forwards TCP connections to a server until stopped, when it
// closes them all and stops listening: the server is then unreachable at
// addr.
type proxy struct {
	addr, target string
	ln           net.Listener
	mu           sync.Mutex
	conns        map[net.Conn]bool
	wg           sync.WaitGroup
}

func startProxy(t *testing.T, target string) *proxy {
	p := &proxy{addr: "127.0.0.1:0", target: target}
	p.start(t)
	return p
}

// start listens at p.addr (again).
func (p *proxy) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.ln, p.addr, p.conns = ln, ln.Addr().String(), map[net.Conn]bool{}
	t.Cleanup(p.stop)
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Go(func() { p.forward(c) })
		}
	})
}

func (p *proxy) forward(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil || !p.track(c, s) {
		c.Close()
		if s != nil {
			s.Close()
		}
		return
	}
	var wg sync.WaitGroup
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		dst.Close()
		src.Close()
	}
	wg.Go(func() { pipe(s, c) })
	pipe(c, s)
	wg.Wait()
}

// track registers the two ends of a forwarded connection, false once the
// proxy is stopped.
func (p *proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		return false
	}
	for _, c := range cs {
		p.conns[c] = true
	}
	return true
}

// stop closes the listener and every forwarded connection, and waits for
// the proxy's goroutines.
func (p *proxy) stop() {
	p.mu.Lock()
	p.ln.Close()
	for c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}
