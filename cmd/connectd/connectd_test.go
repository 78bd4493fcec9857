package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openmessaging/connect-go/connecttest"
)

// buildConnectd builds the binary into a temporary directory, with -race
// when the tests run with it.
func buildConnectd(t *testing.T) string {
	t.Helper()
	return buildConnectdRace(t, raceEnabled)
}

func buildConnectdRace(t *testing.T, race bool) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "connectd")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, ".")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is a running connectd.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	url  string
	logs *connecttest.LogBuffer
	done chan struct{} // closed once the process exited and was waited for
}

// startConnectd starts bin on a free loopback port and waits until it
// listens. env adds variables to a CONNECTD_-free environment.
func startConnectd(t *testing.T, bin, dataDir string, env ...string) *proc {
	t.Helper()
	p := &proc{t: t, logs: &connecttest.LogBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--log-format", "json", "--shutdown-timeout", "10s")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CONNECTD_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	p.cmd.Env = append(p.cmd.Env, env...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.logs.Write(append(sc.Bytes(), '\n'))
			var line struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				addr <- line.Addr
			}
		}
		p.cmd.Wait() //nolint:errcheck // the exit code is read from ProcessState
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	select {
	case a := <-addr:
		p.url = "http://" + a
	case <-p.done:
		t.Fatalf("connectd exited before listening: %v\n%s", p.cmd.ProcessState, p.logs)
	case <-time.After(20 * time.Second):
		t.Fatalf("connectd did not listen in time:\n%s", p.logs)
	}
	return p
}

// terminate sends SIGTERM and returns the exit code and how long the exit
// took.
func (p *proc) terminate() (int, time.Duration) {
	p.t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.t.Fatalf("connectd did not exit after SIGTERM:\n%s", p.logs)
	}
	return p.cmd.ProcessState.ExitCode(), time.Since(start)
}

type client struct {
	t     *testing.T
	http  *http.Client
	token string
}

// call sends a JSON request and returns the status and body.
func (c *client) call(method, url, body string) (int, []byte) {
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
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
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
	return res.StatusCode, b
}

func (c *client) want(code int, method, url, body string) []byte {
	c.t.Helper()
	got, b := c.call(method, url, body)
	if got != code {
		c.t.Fatalf("%s %s: %d %s, want %d", method, url, got, b, code)
	}
	return b
}

func appendLines(t *testing.T, path string, from, to int) []string {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	var b strings.Builder
	for i := from; i < to; i++ {
		l := fmt.Sprintf("line-%05d", i)
		lines = append(lines, l)
		b.WriteString(l + "\n")
	}
	if _, err := f.WriteString(b.String()); err != nil {
		t.Fatal(err)
	}
	return lines
}

// waitOutput waits until the sink's file holds every wanted line, and
// returns how many lines were written more than once.
func waitOutput(t *testing.T, p *proc, path string, want []string) (dups int) {
	t.Helper()
	return waitOutputFor(t, p, path, want, 20*time.Second)
}

func waitOutputFor(t *testing.T, p *proc, path string, want []string, timeout time.Duration) (dups int) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		b, _ := os.ReadFile(path)
		counts := map[string]int{}
		for l := range strings.SplitSeq(strings.TrimSuffix(string(b), "\n"), "\n") {
			counts[l]++
		}
		var missing []string
		for _, l := range want {
			if counts[l] == 0 {
				missing = append(missing, l)
			}
		}
		if len(missing) == 0 {
			for _, n := range counts {
				dups += max(0, n-1)
			}
			return dups
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d lines missing from the output (first %s):\n%s", len(missing), len(want), missing[0], p.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestConnectdBinary builds and runs the real binary: a file source and
// sink created over HTTP move data; SIGTERM stops it cleanly; started again
// on the same data dir, the connectors come back and resume without loss.
func TestConnectdBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildConnectd(t)
	dir := t.TempDir()
	dataDir, in, out := filepath.Join(dir, "data"), filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt")
	c := &client{t: t, http: &http.Client{Timeout: 30 * time.Second}}
	defer c.http.CloseIdleConnections()

	want := appendLines(t, in, 0, 500)
	p := startConnectd(t, bin, dataDir)
	c.want(http.StatusCreated, "PUT", p.url+"/connectors/sink/config",
		fmt.Sprintf(`{"connector.class":"FileStreamSink","file":%q,"topics":"lines"}`, out))
	c.want(http.StatusCreated, "POST", p.url+"/connectors",
		fmt.Sprintf(`{"name":"src","config":{"connector.class":"FileStreamSource","file":%q,"topic":"lines"}}`, in))
	waitOutput(t, p, out, want)
	want = append(want, appendLines(t, in, 500, 1000)...)
	waitOutput(t, p, out, want)

	var plugins []map[string]string
	json.Unmarshal(c.want(http.StatusOK, "GET", p.url+"/connector-plugins", ""), &plugins)
	// The built-ins under their own, Kafka's, Debezium's and the seed's
	// class names.
	types := map[string]string{}
	for _, pl := range plugins {
		types[pl["class"]] = pl["type"]
	}
	for class, typ := range map[string]string{
		"FileStreamSink": "sink", "FileStreamSource": "source", "MySQLSource": "source",
		"org.apache.kafka.connect.file.FileStreamSourceConnector": "source",
		"io.debezium.connector.mysql.MySqlConnector":              "source",
		"io.openmessaging.mysql.connector.MysqlConnector":         "source",
	} {
		if types[class] != typ {
			t.Errorf("plugin %s: type %q, want %q (plugins %v)", class, types[class], typ, plugins)
		}
	}
	if m := string(c.want(http.StatusOK, "GET", p.url+"/metrics", "")); !strings.Contains(m, "connect_source_records_polled") || !strings.Contains(m, "go_goroutines") {
		t.Errorf("metrics lack the runtime's counters:\n%.2000s", m)
	}
	code, took := p.terminate()
	if code != 0 || took > 10*time.Second {
		t.Fatalf("exit code %d after %v:\n%s", code, took, p.logs)
	}
	for _, f := range []string{"connectors.json", "offsets.json"} {
		if fi, err := os.Stat(filepath.Join(dataDir, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, fi, err)
		}
	}

	// Lines written while the worker is down, then a restart with a token.
	want = append(want, appendLines(t, in, 1000, 1500)...)
	p = startConnectd(t, bin, dataDir, "CONNECTD_AUTH_TOKEN=t0ken")
	c.want(http.StatusUnauthorized, "GET", p.url+"/connectors", "")
	c.want(http.StatusOK, "GET", p.url+"/health", "")
	c.token = "t0ken"
	var names []string
	json.Unmarshal(c.want(http.StatusOK, "GET", p.url+"/connectors", ""), &names)
	if !slices.Equal(names, []string{"sink", "src"}) {
		t.Fatalf("connectors after restart: %v", names)
	}
	waitOutput(t, p, out, want)
	want = append(want, appendLines(t, in, 1500, 2000)...)
	dups := waitOutput(t, p, out, want) // counts over the whole file

	// A second worker on the same data dir is refused.
	second := exec.Command(bin, "--listen", "127.0.0.1:0", "--data-dir", dataDir)
	if b, err := second.CombinedOutput(); second.ProcessState.ExitCode() != 1 || !strings.Contains(string(b), "in use") {
		t.Errorf("second worker on the same data dir: %v\n%s", err, b)
	}

	code, took = p.terminate()
	if code != 0 || took > 10*time.Second {
		t.Fatalf("exit code %d after %v:\n%s", code, took, p.logs)
	}
	t.Logf("%d lines delivered, %d duplicates (at-least-once)", len(want), dups)
}

// TestConnectdShutdownUnderLoad stops the worker while lines are moving:
// nothing may be lost across the restart. (It caught runtime.Stop stopping
// sources and sinks together, losing what sat in the in-memory broker.)
func TestConnectdShutdownUnderLoad(t *testing.T) {
	bin := buildConnectd(t)
	dir := t.TempDir()
	dataDir, in, out := filepath.Join(dir, "data"), filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt")
	c := &client{t: t, http: &http.Client{Timeout: 30 * time.Second}}
	defer c.http.CloseIdleConnections()
	want := appendLines(t, in, 0, 10)
	p := startConnectd(t, bin, dataDir)
	c.want(http.StatusCreated, "PUT", p.url+"/connectors/sink/config", fmt.Sprintf(`{"connector.class":"FileStreamSink","file":%q,"topics":"lines"}`, out))
	c.want(http.StatusCreated, "PUT", p.url+"/connectors/src/config", fmt.Sprintf(`{"connector.class":"FileStreamSource","file":%q,"topic":"lines"}`, in))
	waitOutput(t, p, out, want)
	want = append(want, appendLines(t, in, 10, 200000)...)
	time.Sleep(200 * time.Millisecond) // mid-flow
	if code, took := p.terminate(); code != 0 {
		t.Errorf("exit code %d after %v:\n%s", code, took, p.logs)
	}
	p = startConnectd(t, bin, dataDir)
	dups := waitOutput(t, p, out, want)
	t.Logf("%d duplicates", dups)
	p.terminate()
}
