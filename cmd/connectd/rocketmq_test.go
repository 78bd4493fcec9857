package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/openmessaging/connect-go/internal/testenv"
)

// TestConnectdRocketMQ runs the binary over a real RocketMQ broker and stops
// it while lines are moving: every line arrives after the restart.
func TestConnectdRocketMQ(t *testing.T) {
	namesrv, broker := testenv.RocketMQ(t)
	// Without -race: rocketmq-client-go v2.1.2 closes a pull consumer's
	// message channel while its pull goroutine may still send on it
	// (apache/rocketmq-client-go#1051, open), which the detector reports on
	// every shutdown. connectd's own code is raced by the other tests.
	bin := buildConnectdRace(t, false)
	dir := t.TempDir()
	dataDir, in, out := filepath.Join(dir, "data"), filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt")
	env := []string{"CONNECTD_ROCKETMQ_NAMESRV=" + namesrv, "CONNECTD_ROCKETMQ_BROKER=" + broker}
	// Topics and consumer groups outlive the test in the broker.
	id := fmt.Sprintf("%06x", rand.Uint32()&0xffffff)
	topic, sink, src := "connectd_test_"+id, "sink_"+id, "src_"+id
	c := &client{t: t, http: &http.Client{Timeout: 30 * time.Second}}
	defer c.http.CloseIdleConnections()

	want := appendLines(t, in, 0, 100)
	p := startConnectd(t, bin, dataDir, env...)
	c.want(http.StatusCreated, "PUT", p.url+"/connectors/"+sink+"/config",
		fmt.Sprintf(`{"connector.class":"FileStreamSink","file":%q,"topics":%q}`, out, topic))
	c.want(http.StatusCreated, "PUT", p.url+"/connectors/"+src+"/config",
		fmt.Sprintf(`{"connector.class":"FileStreamSource","file":%q,"topic":%q}`, in, topic))
	waitOutputFor(t, p, out, want, 60*time.Second)

	want = append(want, appendLines(t, in, 100, 20100)...)
	time.Sleep(100 * time.Millisecond) // stop mid-flow
	if code, took := p.terminate(); code != 0 || took > 15*time.Second {
		t.Fatalf("exit code %d after %v:\n%s", code, took, p.logs)
	}
	p = startConnectd(t, bin, dataDir, env...)
	dups := waitOutputFor(t, p, out, want, 60*time.Second)
	if code, _ := p.terminate(); code != 0 {
		t.Errorf("exit code %d:\n%s", code, p.logs)
	}
	t.Logf("%d lines delivered, %d duplicates (at-least-once)", len(want), dups)
}
