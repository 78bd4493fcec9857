package mysqlsink_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/internal/testenv"
	"github.com/openmessaging/connect-go/mysqlsink"
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
	db   *sql.DB
}

var dbSeq atomic.Int64

func newTestDB(t testing.TB) *testDB {
	t.Helper()
	srv := needServer(t)
	name := fmt.Sprintf("cgsink_%s_%d_%d", strings.ToLower(sanitize(t.Name())), time.Now().UnixNano()%1e6, dbSeq.Add(1))
	if len(name) > 60 {
		name = "cgsink_" + name[len(name)-53:]
	}
	d := &testDB{t: t, srv: srv, name: name}
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User, cfg.Passwd = "tcp", srv.addr(), srv.user, srv.password
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	cfg.Loc = time.UTC
	cfg.Logger = &mysql.NopLogger{}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d.db = sql.OpenDB(conn)
	d.db.SetMaxIdleConns(1)
	d.exec("CREATE DATABASE " + name)
	t.Cleanup(func() {
		if err := retry(func() error { _, err := d.db.Exec("DROP DATABASE IF EXISTS " + name); return err }); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
		d.db.Close()
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

// serverDown reports whether err says the server is restarting or away
// (other tests of the shared server restart it).
func serverDown(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1053 || me.Number == 1927 || me.Number == 2006 || me.Number == 2013
	}
	var ne net.Error
	return errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, driver.ErrBadConn) || errors.As(err, &ne) ||
		strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "EOF")
}

// retry runs fn again while the server is down, for up to a minute.
func retry(fn func() error) error {
	deadline := time.Now().Add(time.Minute)
	for {
		err := fn()
		if err == nil || !serverDown(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// exec runs statements in the test database (names are qualified with it
// by USE on a dedicated connection), each again while the server restarts.
func (d *testDB) exec(stmts ...string) {
	d.t.Helper()
	ctx := context.Background()
	for _, q := range stmts {
		err := retry(func() error {
			c, err := d.db.Conn(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			if !strings.HasPrefix(q, "CREATE DATABASE") {
				if _, err := c.ExecContext(ctx, "USE "+d.name); err != nil {
					return err
				}
			}
			_, err = c.ExecContext(ctx, q)
			return err
		})
		if err != nil {
			d.t.Fatalf("%s: %v", q, err)
		}
	}
}

// rows returns the result of q (in the test database) as strings, NULL as
// "NULL".
func (d *testDB) rows(q string, args ...any) [][]string {
	d.t.Helper()
	var out [][]string
	if err := retry(func() (err error) { out, err = d.query(q, args...); return err }); err != nil {
		d.t.Fatalf("%s: %v", q, err)
	}
	return out
}

func (d *testDB) query(q string, args ...any) ([][]string, error) {
	ctx := context.Background()
	c, err := d.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "USE "+d.name); err != nil {
		return nil, err
	}
	rs, err := c.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out [][]string
	for rs.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			if v.Valid {
				row[i] = v.String
			} else {
				row[i] = "NULL"
			}
		}
		out = append(out, row)
	}
	return out, rs.Err()
}

// config returns a sink config writing into the test database.
func (d *testDB) config(kv ...string) connect.Config {
	cfg := connect.Config{
		"host":     d.srv.host,
		"port":     d.srv.port,
		"user":     d.srv.user,
		"password": d.srv.password,
		"database": d.name,
		"delivery": "exactly_once",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[kv[i]] = kv[i+1]
	}
	return cfg
}

// sinkTask is a started task of the connector, driven by hand.
type sinkTask struct {
	connect.SinkTask
	t  testing.TB
	tc *connecttest.SinkTaskContext
}

// startTask starts a task of New with cfg under connector name name.
func startTask(t testing.TB, name string, cfg connect.Config) *sinkTask {
	t.Helper()
	c := mysqlsink.New()
	cfg = c.Spec().Config.Apply(cfg)
	if err := c.Validate(context.Background(), cfg); err != nil {
		t.Fatalf("config: %v", err)
	}
	task := c.NewTask()
	tc := connecttest.NewSinkTaskContext(name, 0)
	if err := task.Start(context.Background(), tc, cfg); err != nil {
		t.Fatalf("start: %v", err)
	}
	st := &sinkTask{SinkTask: task, t: t, tc: tc}
	t.Cleanup(func() { st.Stop(context.Background()) })
	return st
}

// write puts records and flushes, failing the test on an error.
func (s *sinkTask) write(records ...*connect.Record) {
	s.t.Helper()
	if err := s.Put(context.Background(), records); err != nil {
		s.t.Fatalf("put: %v", err)
	}
	if err := s.Flush(context.Background()); err != nil {
		s.t.Fatalf("flush: %v", err)
	}
}

// origins gives records consecutive transport origins on topic's queue q,
// from offset from; keyed, as the runtime says, when they have a key.
func origins(topic string, q int, from int64, records ...*connect.Record) []*connect.Record {
	for i, r := range records {
		r.Origin = connect.Origin{Topic: topic, Queue: q, Offset: from + int64(i), Keyed: r.Key != nil}
		if r.Topic == "" {
			r.Topic = topic
		}
	}
	return records
}

func row(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func change(op connect.Operation, key any, before, after any) *connect.Record {
	return &connect.Record{Key: key, Change: &connect.Change{Op: op, Before: before, After: after,
		Source: map[string]any{"db": "src", "table": "items"}}}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// rowsVia returns the first column of the first row of q on conn.
func (d *testDB) rowsVia(conn *sql.Conn, q string) string {
	d.t.Helper()
	var s string
	if err := conn.QueryRowContext(context.Background(), q).Scan(&s); err != nil {
		d.t.Fatal(err)
	}
	return s
}
