package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/mysqlsource"
	"github.com/openmessaging/connect-go/runtime"
)

// env returns a getenv over the key, value pairs kv: tests do not see the
// process's CONNECTD_ variables.
func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func withEnv(getenv func(string) string) Option {
	return optionFunc(func(o *options) { o.getenv = getenv })
}

// withSignals makes Run stop on what sigs delivers instead of SIGINT and
// SIGTERM.
func withSignals(sigs <-chan os.Signal) Option {
	return optionFunc(func(o *options) { o.signals = sigs })
}

// run runs the worker as Main does, and returns the exit code.
func run(args []string, getenv func(string) string, out io.Writer, sigs <-chan os.Signal, opts ...Option) int {
	return exitCode(Run(context.Background(), args, append([]Option{withEnv(getenv), WithOutput(out), withSignals(sigs)}, opts...)...))
}

type client struct {
	t    *testing.T
	http *http.Client
}

func (c *client) want(code int, method, url, body string) []byte {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if res.StatusCode != code {
		c.t.Fatalf("%s %s: %d %s, want %d", method, url, res.StatusCode, b, code)
	}
	return b
}

// TestRunInProcess runs the worker in the test process: startup, the REST
// API and /metrics on one listener, a clean stop on a signal.
func TestRunInProcess(t *testing.T) {
	logs := &connecttest.LogBuffer{}
	sigs := make(chan os.Signal, 2)
	exit := make(chan int, 1)
	dataDir := t.TempDir()
	go func() {
		exit <- run([]string{"--listen", "127.0.0.1:0", "--data-dir", dataDir, "--log-format", "json", "--worker-id", "w-test"}, env(), logs, sigs)
	}()
	var url string
	deadline := time.Now().Add(10 * time.Second)
	for url == "" {
		for l := range strings.SplitSeq(logs.String(), "\n") {
			var line struct {
				Msg, Addr string
			}
			if json.Unmarshal([]byte(l), &line) == nil && line.Msg == "listening" {
				url = "http://" + line.Addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not listening:\n%s", logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	c := &client{t: t, http: &http.Client{Timeout: 10 * time.Second}}
	defer c.http.CloseIdleConnections()
	var info map[string]string
	json.Unmarshal(c.want(http.StatusOK, "GET", url+"/", ""), &info)
	if info["worker_id"] != "w-test" {
		t.Errorf("GET /: %v", info)
	}
	c.want(http.StatusOK, "GET", url+"/metrics", "")
	c.want(http.StatusNotFound, "GET", url+"/connectors/x", "")

	// A second worker on the same data dir fails to start.
	var out bytes.Buffer
	if code := run([]string{"--listen", "127.0.0.1:0", "--data-dir", dataDir}, env(), &out, nil); code != 1 || !strings.Contains(out.String(), "in use") {
		t.Errorf("second worker: exit %d: %s", code, out.String())
	}

	sigs <- syscall.SIGTERM
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("exit code %d:\n%s", code, logs)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("run did not return:\n%s", logs)
	}
}

// TestRunWithPlugins starts a worker with Run and two plugins of the
// application's own, listed next to the built-ins, creates connectors of
// them over the REST API and sees records flow from one to the other; a
// cancelled ctx stops the worker cleanly.
func TestRunWithPlugins(t *testing.T) {
	col := connecttest.NewCollector()
	logs := &connecttest.LogBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan net.Addr, 1)
	exit := make(chan error, 1)
	go func() {
		exit <- Run(ctx, []string{"--listen", "127.0.0.1:0", "--data-dir", t.TempDir()},
			withEnv(env()), WithOutput(logs), withSignals(make(chan os.Signal)),
			WithPlugin("Numbers", func() connect.Connector { return connecttest.NewGenerator(nil, 100) }),
			WithPlugin("Collector", func() connect.Connector { return col.Connector() }),
			WithRuntimeOptions(runtime.WithOffsetFlushInterval(10*time.Millisecond)),
			WithReady(func(addr net.Addr) { ready <- addr }),
		)
	}()
	var url string
	select {
	case addr := <-ready:
		url = "http://" + addr.String()
	case err := <-exit:
		t.Fatalf("Run: %v\n%s", err, logs)
	}
	c := &client{t: t, http: &http.Client{Timeout: 10 * time.Second}}
	defer c.http.CloseIdleConnections()

	var plugins []struct{ Class, Type string }
	json.Unmarshal(c.want(http.StatusOK, "GET", url+"/connector-plugins", ""), &plugins)
	var got []string
	for _, p := range plugins {
		got = append(got, p.Class+":"+p.Type)
	}
	// Kafka's and the seed's class names of the built-ins are listed too.
	if want := []string{"Collector:sink", "FileStreamSink:sink", "FileStreamSinkConnector:sink", "FileStreamSource:source",
		"FileStreamSourceConnector:source", "MySQLSink:sink", "MySQLSource:source", "Numbers:source",
		"io.debezium.connector.jdbc.JdbcSinkConnector:sink", "io.debezium.connector.mysql.MySqlConnector:source", "io.openmessaging.mysql.connector.MysqlConnector:source", "org.apache.kafka.connect.file.FileStreamSinkConnector:sink",
		"org.apache.kafka.connect.file.FileStreamSourceConnector:source", "org.apache.rocketmq.mysql.connector.MysqlConnector:source"}; !slices.Equal(got, want) {
		t.Errorf("GET /connector-plugins: %v, want %v", got, want)
	}
	c.want(http.StatusCreated, "PUT", url+"/connectors/sink/config", `{"connector.class":"Collector","topics":"numbers"}`)
	c.want(http.StatusCreated, "PUT", url+"/connectors/numbers/config", `{"connector.class":"Numbers","topic":"numbers"}`)
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	if err := col.WaitFor(wctx, 100); err != nil {
		t.Fatalf("%v: %d of 100 records arrived\n%s", err, col.Len(), logs)
	}
	var status struct{ Connector struct{ State string } }
	json.Unmarshal(c.want(http.StatusOK, "GET", url+"/connectors/numbers/status", ""), &status)
	if status.Connector.State != "RUNNING" {
		t.Errorf("status of numbers: %+v", status)
	}

	cancel()
	select {
	case err := <-exit:
		if err != nil {
			t.Errorf("Run after cancel: %v\n%s", err, logs)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("Run did not return after cancel:\n%s", logs)
	}
}

// TestPluginOptions: -h lists the plugins; WithPlugin of a built-in's name
// replaces it (and says so); WithoutBuiltins leaves the built-ins out.
func TestPluginOptions(t *testing.T) {
	numbers := func() connect.Connector { return connecttest.NewGenerator(nil, 0) }
	var out bytes.Buffer
	if code := run([]string{"-h"}, env(), &out, nil, WithName("team-connectd"), WithVersion("v1.2.3"), WithPlugin("Numbers", numbers)); code != 0 {
		t.Errorf("-h exit code %d", code)
	}
	if s := out.String(); !strings.Contains(s, "Usage: team-connectd [flags]") || !strings.Contains(s, "team-connectd v1.2.3.") ||
		!strings.Contains(s, "Connector plugins: FileStreamSink, FileStreamSinkConnector, FileStreamSource, FileStreamSourceConnector, MySQLSink, MySQLSource, Numbers, io.debezium.connector.jdbc.JdbcSinkConnector, io.debezium.connector.mysql.MySqlConnector, io.openmessaging.mysql.connector.MysqlConnector, ") {
		t.Errorf("usage:\n%s", s)
	}
	out.Reset()
	if code := run([]string{"--nope"}, env(), &out, nil, WithName("team-connectd")); code != 2 || !strings.Contains(out.String(), "team-connectd: flag provided but not defined") {
		t.Errorf("bad flag: exit %d: %s", code, out.String())
	}

	for _, tc := range []struct {
		name string
		opts []Option
		want []string
		log  string
	}{
		{"replace", []Option{WithPlugin("MySQLSource", numbers)}, []string{"FileStreamSink", "FileStreamSinkConnector", "FileStreamSource",
			"FileStreamSourceConnector", "MySQLSink", "MySQLSource", "io.debezium.connector.jdbc.JdbcSinkConnector",
			"io.debezium.connector.mysql.MySqlConnector", "io.openmessaging.mysql.connector.MysqlConnector",
			"org.apache.kafka.connect.file.FileStreamSinkConnector", "org.apache.kafka.connect.file.FileStreamSourceConnector",
			"org.apache.rocketmq.mysql.connector.MysqlConnector"}, "plugin replaces the built-in"},
		{"no builtins", []Option{WithoutBuiltins(), WithPlugin("Numbers", numbers)}, []string{"Numbers"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &connecttest.LogBuffer{}
			var got []string
			// The worker stops as soon as it listed its plugins.
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			err := Run(ctx, []string{"--listen", "127.0.0.1:0", "--data-dir", t.TempDir()},
				append(tc.opts, withEnv(env()), WithOutput(logs), withSignals(make(chan os.Signal)),
					WithReady(func(addr net.Addr) {
						c := &client{t: t, http: &http.Client{Timeout: 10 * time.Second}}
						defer c.http.CloseIdleConnections()
						var plugins []struct{ Class, Version string }
						json.Unmarshal(c.want(http.StatusOK, "GET", "http://"+addr.String()+"/connector-plugins", ""), &plugins)
						for _, p := range plugins {
							got = append(got, p.Class)
							// Aliases follow; Debezium's class is a built-in of its own
							// (its settings mean other things).
							if strings.Contains(strings.ToLower(p.Class), "mysql") && !strings.Contains(p.Class, "Sink") && p.Class != mysqlsource.DebeziumClass && p.Version != "test" {
								t.Errorf("MySQLSource not replaced: %+v", p)
							}
						}
						cancel()
					}))...)
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, logs)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("plugins %v, want %v", got, tc.want)
			}
			if !strings.Contains(logs.String(), tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, logs)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	for err, want := range map[error]int{
		nil:                                     0,
		fmt.Errorf("x: %w", ErrInterrupted):     1,
		usageError{fmt.Errorf("bad")}:           2,
		fmt.Errorf("worker: start: %w", io.EOF): 1,
		fmt.Errorf("flag: %w", ErrUsage):        2,
	} {
		if got := exitCode(err); got != want {
			t.Errorf("exitCode(%v) = %d, want %d", err, got, want)
		}
	}
}

// The worker's log levels change at run time through /admin/loggers: root
// starts at --log-level, a PUT lowers one logger's.
func TestAdminLoggers(t *testing.T) {
	logs := &connecttest.LogBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := Run(ctx, []string{"--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--log-level", "warn"},
		withEnv(env()), WithOutput(logs), withSignals(make(chan os.Signal)),
		WithReady(func(addr net.Addr) {
			defer cancel()
			c := &client{t: t, http: &http.Client{Timeout: 10 * time.Second}}
			defer c.http.CloseIdleConnections()
			base := "http://" + addr.String()
			if got := string(c.want(http.StatusOK, "GET", base+"/admin/loggers/root", "")); !strings.Contains(got, `"level":"WARN"`) {
				t.Errorf("root: %s", got)
			}
			c.want(http.StatusOK, "PUT", base+"/admin/loggers/runtime", `{"level":"DEBUG"}`)
			c.want(http.StatusCreated, "PUT", base+"/connectors/f/config",
				`{"connector.class":"FileStreamSink","file":"`+filepath.Join(t.TempDir(), "out")+`","topics":"t"}`)
		}))
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, logs)
	}
	// The runtime's DEBUG request line of the REST API now shows.
	if !strings.Contains(logs.String(), "/connectors/f/config") {
		t.Errorf("no DEBUG line of the runtime after PUT /admin/loggers/runtime:\n%s", logs)
	}
}
