package mysqlsink_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/testenv"
)

// buildConnectd builds cmd/connectd (without -race: the RocketMQ client's
// shutdown race, apache/rocketmq-client-go#1051, is not ours).
func buildConnectd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "connectd")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/openmessaging/connect-go/cmd/connectd").CombinedOutput()
	if err != nil {
		t.Fatalf("go build connectd: %v\n%s", err, out)
	}
	return bin
}

// connectdWorker is the replication's worker as the connectd binary over
// the test's RocketMQ: its connectors are created through the REST API on
// its first start and kept in its data directory, as are its source
// positions.
type connectdWorker struct {
	bin, dataDir string
	connectors   map[string]connect.Config
	created      bool
}

// run starts connectd, creates the connectors the first time, calls until
// and kills the process with SIGKILL.
func (w *connectdWorker) run(t *testing.T, until func()) {
	t.Helper()
	namesrv, broker := testenv.RocketMQ(t)
	cmd := exec.Command(w.bin, "--listen", "127.0.0.1:0", "--data-dir", w.dataDir, "--log-format", "json")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CONNECTD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "CONNECTD_ROCKETMQ_NAMESRV="+namesrv, "CONNECTD_ROCKETMQ_BROKER="+broker)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	addr := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			logs.write(sc.Bytes())
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				addr <- line.Addr
			}
		}
	}()
	kill := func() {
		cmd.Process.Kill()
		<-done
		cmd.Wait() //nolint:errcheck // killed
	}
	defer kill()
	var url string
	select {
	case a := <-addr:
		url = "http://" + a
	case <-done:
		t.Fatalf("connectd exited before listening:\n%s", logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("connectd did not listen in time:\n%s", logs.String())
	}
	if !w.created {
		for name, cfg := range w.connectors {
			body, _ := json.Marshal(cfg)
			req, _ := http.NewRequest(http.MethodPut, url+"/connectors/"+name+"/config", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("create %s: %v", name, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("create %s: %s\n%s", name, resp.Status, logs.String())
			}
		}
		w.created = true
	}
	until()
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) write(line []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(line)
	b.buf.WriteByte('\n')
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
