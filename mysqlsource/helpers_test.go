package mysqlsource_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/internal/testenv"
	"github.com/openmessaging/connect-go/mysqlsource"
	"github.com/openmessaging/connect-go/offset"
)

// server is the MariaDB the tests run against (testenv.MySQL).
type server struct {
	host, port, user, password string
}

func (s server) addr() string { return net.JoinHostPort(s.host, s.port) }

// needServer returns the test server; see testenv (fails in CI, skips
// elsewhere, when MYSQL_ADDR is not set).
func needServer(t testing.TB) server {
	t.Helper()
	s := testenv.MySQL(t)
	return server{host: s.Host, port: s.Port, user: s.User, password: s.Password}
}

// testDB is a database of one test, dropped when it ends.
type testDB struct {
	t    testing.TB
	srv  server
	name string
	mu   sync.Mutex
	conn *client.Conn
}

var dbSeq atomic.Int64

func newTestDB(t testing.TB) *testDB {
	t.Helper()
	srv := needServer(t)
	name := fmt.Sprintf("cg_%s_%d_%d", strings.ToLower(sanitize(t.Name())), time.Now().UnixNano()%1e6, dbSeq.Add(1))
	if len(name) > 60 {
		name = name[len(name)-60:]
		name = "cg" + name[2:]
	}
	d := &testDB{t: t, srv: srv, name: name}
	d.conn = d.connect()
	d.exec("CREATE DATABASE " + name)
	t.Cleanup(func() {
		c := d.connect()
		defer c.Close()
		if _, err := c.Execute("DROP DATABASE IF EXISTS " + name); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
		d.mu.Lock()
		if d.conn != nil {
			d.conn.Close()
		}
		d.mu.Unlock()
	})
	return d
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// connect opens a new connection, retrying while the server restarts.
func (d *testDB) connect() *client.Conn {
	d.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := client.Connect(d.srv.addr(), d.srv.user, d.srv.password, "")
		if err == nil {
			if _, err = c.Execute("SET NAMES utf8mb4"); err == nil {
				return c
			}
			c.Close()
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("connect to %s: %v", d.srv.addr(), err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// exec runs statements (in the test database unless qualified), retrying on
// a lost connection.
func (d *testDB) exec(stmts ...string) {
	d.t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, q := range stmts {
		for attempt := 0; ; attempt++ {
			if d.conn == nil {
				d.conn = d.connect()
			}
			if d.conn.GetDB() != d.name && !strings.HasPrefix(q, "CREATE DATABASE") {
				if err := d.conn.UseDB(d.name); err != nil && attempt < 50 {
					d.conn.Close()
					d.conn = nil
					continue
				}
			}
			_, err := d.conn.Execute(q)
			if err == nil {
				break
			}
			var me *mysql.MyError
			if errors.As(err, &me) && me.Code != 1053 && me.Code != 1927 || attempt >= 100 {
				d.t.Fatalf("%s: %v", q, err)
			}
			// The server is restarting: reconnect and try again.
			d.conn.Close()
			d.conn = nil
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// rows returns the result of q as strings.
func (d *testDB) rows(q string) [][]string {
	d.t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil {
		d.conn = d.connect()
	}
	if err := d.conn.UseDB(d.name); err != nil {
		d.t.Fatal(err)
	}
	res, err := d.conn.Execute(q)
	if err != nil {
		d.t.Fatalf("%s: %v", q, err)
	}
	defer res.Close()
	out := make([][]string, len(res.Values))
	for i := range res.Values {
		out[i] = make([]string, len(res.Values[i]))
		for j := range out[i] {
			if res.Values[i][j].Value() == nil {
				out[i][j] = "<nil>"
				continue
			}
			v, _ := res.GetString(i, j)
			out[i][j] = strings.Clone(v)
		}
	}
	return out
}

var serverIDs atomic.Uint32

func init() { serverIDs.Store(uint32(7_000_000 + rand.IntN(1_000_000))) }

// config returns a connector config capturing the test database only.
func (d *testDB) config(extra ...string) connect.Config {
	cfg := connect.Config{
		"host":             d.srv.host,
		"port":             d.srv.port,
		"user":             d.srv.user,
		"password":         d.srv.password,
		"database.include": d.name,
		"server.id":        fmt.Sprint(serverIDs.Add(1)),
		"server.name":      d.name,
		"heartbeat.period": "1s",
		"read.timeout":     "5s",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		cfg[extra[i]] = extra[i+1]
	}
	return cfg
}

// run is a started connector and task driven by hand.
type run struct {
	t     testing.TB
	conn  *mysqlsource.Connector
	task  connect.SourceTask
	tc    *connecttest.SourceTaskContext
	store connect.OffsetStore
	recs  []*connect.Record
}

const testConnector = "mysql-test"

func startRun(t testing.TB, cfg connect.Config, store connect.OffsetStore) *run {
	t.Helper()
	return startRunLogged(t, cfg, store, nil)
}

// loggedContext is a task context whose logger is log.
type loggedContext struct {
	*connecttest.SourceTaskContext
	log *slog.Logger
}

func (c loggedContext) Logger() *slog.Logger { return c.log }

// startRunLogged is startRun with the task logging to log (when not nil).
func startRunLogged(t testing.TB, cfg connect.Config, store connect.OffsetStore, log *slog.Logger) *run {
	t.Helper()
	if log == nil {
		return startRunWith(t, cfg, store, nil)
	}
	return startRunWith(t, cfg, store, func(tc *connecttest.SourceTaskContext) connect.SourceTaskContext {
		return loggedContext{tc, log}
	})
}

// startRunWith is startRun with the task given wrap(r.tc) as its context
// (when wrap is not nil).
func startRunWith(t testing.TB, cfg connect.Config, store connect.OffsetStore, wrap func(*connecttest.SourceTaskContext) connect.SourceTaskContext) *run {
	t.Helper()
	if store == nil {
		store = offset.NewMemory()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn := mysqlsource.New()
	spec := conn.Spec().Config
	if err := spec.Validate(cfg); err != nil {
		t.Fatalf("config: %v", err)
	}
	if err := conn.Validate(ctx, spec.Apply(cfg)); err != nil {
		t.Fatalf("config: %v", err)
	}
	if err := conn.Start(ctx, connecttest.NewConnectorContext(), spec.Apply(cfg)); err != nil {
		t.Fatalf("connector start: %v", err)
	}
	cfgs, err := conn.TaskConfigs(1)
	if err != nil {
		t.Fatal(err)
	}
	r := &run{t: t, conn: conn, task: conn.NewTask(), tc: connecttest.NewSourceTaskContext(testConnector, 0, store), store: store}
	var tc connect.SourceTaskContext = r.tc
	if wrap != nil {
		tc = wrap(r.tc)
	}
	if err := r.task.Start(ctx, tc, cfgs[0]); err != nil {
		r.task.Stop(ctx)
		t.Fatalf("task start: %v", err)
	}
	t.Cleanup(r.stop)
	return r
}

func (r *run) stop() {
	if r.task == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.task.Stop(ctx); err != nil {
		r.t.Errorf("task stop: %v", err)
	}
	r.conn.Stop(ctx)
	r.task = nil
}

// poll polls once for up to wait; retriable errors are logged and count as
// nothing polled.
func (r *run) poll(wait time.Duration) []*connect.Record {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	recs, err := r.task.Poll(ctx)
	if err != nil {
		if !connect.IsRetriable(err) {
			r.t.Fatalf("poll: %v", err)
		}
		r.t.Logf("poll: retriable: %v", err)
		time.Sleep(100 * time.Millisecond)
	}
	r.recs = append(r.recs, recs...)
	return recs
}

// pollUntil polls until done holds for the records polled so far.
func (r *run) pollUntil(timeout time.Duration, what string, done func(recs []*connect.Record) bool) {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	for !done(r.recs) {
		if time.Now().After(deadline) {
			r.t.Fatalf("after %v, %d records polled: still waiting for %s", timeout, len(r.recs), what)
		}
		r.poll(200 * time.Millisecond)
	}
}

// commit stores the position of the i-th record polled (as the runtime
// would once it and all before it were published).
func (r *run) commit(i int) {
	r.t.Helper()
	if err := r.store.Put(context.Background(), testConnector, r.recs[i].Position); err != nil {
		r.t.Fatal(err)
	}
}

// hasRecord reports whether a record of table matches the predicate.
func hasRecord(table string, pred func(r *connect.Record) bool) func([]*connect.Record) bool {
	return func(recs []*connect.Record) bool {
		for _, r := range recs {
			if r.Change != nil && field(r.Change.Source, "table") == table && pred(r) {
				return true
			}
		}
		return false
	}
}

// keyID returns the "id" of a record's key.
func keyID(r *connect.Record) any {
	return field(r.Key, "id")
}

// replay applies change events of table to a map keyed by primary key, as
// a consumer keeping a copy of the table would.
func replay(table string, recs ...[]*connect.Record) map[string]map[string]any {
	state := map[string]map[string]any{}
	for _, rs := range recs {
		for _, r := range rs {
			if r.Change == nil || field(r.Change.Source, "table") != table {
				continue
			}
			switch r.Change.Op {
			case connect.OpCreate, connect.OpRead, connect.OpUpdate:
				state[fmt.Sprint(keyID(r))], _ = connect.AsMap(r.Change.After)
			case connect.OpDelete:
				delete(state, fmt.Sprint(keyID(r)))
			case connect.OpTruncate:
				clear(state)
			}
		}
	}
	return state
}

// checkReplay compares a replayed table (columns id and v) with the
// database.
func checkReplay(t testing.TB, db *testDB, table string, got map[string]map[string]any) {
	t.Helper()
	want := map[string]string{}
	for _, r := range db.rows("SELECT id, v FROM " + table) {
		want[r[0]] = r[1]
	}
	var diffs []string
	for id, v := range want {
		row, ok := got[id]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("id %s missing (want v=%s)", id, v))
		case fmt.Sprint(row["v"]) != v:
			diffs = append(diffs, fmt.Sprintf("id %s: v=%v, want %s", id, row["v"], v))
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			diffs = append(diffs, fmt.Sprintf("id %s should not exist (v=%v)", id, got[id]["v"]))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		if len(diffs) > 10 {
			diffs = append(diffs[:10], fmt.Sprintf("and %d more", len(diffs)-10))
		}
		t.Errorf("replaying the events of %s does not give the table (%d rows, replay has %d):\n%s", table, len(want), len(got), strings.Join(diffs, "\n"))
	}
}

// ops counts records by operation.
func ops(recs []*connect.Record) map[connect.Operation]int {
	m := map[connect.Operation]int{}
	for _, r := range recs {
		if r.Change != nil {
			m[r.Change.Op]++
		}
	}
	return m
}

func newTaskContext() *connecttest.SourceTaskContext {
	return connecttest.NewSourceTaskContext(testConnector, 0, nil)
}

func connecttestContext(store connect.OffsetStore) *connecttest.SourceTaskContext {
	return connecttest.NewSourceTaskContext(testConnector, 0, store)
}

// field returns the value named name in a row (nil when absent).
func field(row any, name string) any {
	v, _ := connect.Lookup(row, name)
	return v
}

// sameSchemas checks that two records of one table, one from the snapshot
// and one from the binlog, have equal row and key schemas.
func sameSchemas(t testing.TB, snap, bin *connect.Record) {
	t.Helper()
	for _, p := range []struct {
		what     string
		got, too any
	}{{"row", snap.Change.After, bin.Change.After}, {"key", snap.Key, bin.Key}} {
		a, ok1 := p.got.(*connect.Struct)
		b, ok2 := p.too.(*connect.Struct)
		if !ok1 || !ok2 {
			t.Errorf("%s: %T from the snapshot, %T from the binlog, want *connect.Struct", p.what, p.got, p.too)
			continue
		}
		if !a.Schema.Equal(b.Schema) {
			t.Errorf("%s schema from the snapshot differs from the binlog's:\n%s\n%s", p.what, a.Schema, b.Schema)
		}
	}
}
