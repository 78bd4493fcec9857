package rocketmq_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/runtime"
)

// servicesScript returns the path of scripts/services.sh, which started the
// test broker.
func servicesScript(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "scripts", "services.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the fault test restarts the broker with scripts/services.sh: %v", err)
	}
	return p
}

func servicePID(t *testing.T, script, service string) int {
	t.Helper()
	out, err := exec.Command(script, "pid", service).Output()
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	if pid > 0 && syscall.Kill(pid, 0) != nil {
		return 0
	}
	return pid
}

// startRocketMQ starts a dead name server or broker again (the broker on
// the same store) and returns how long it took until the broker served
// routes.
func startRocketMQ(script string) (time.Duration, error) {
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, script, "up", "rocketmq").CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%s up rocketmq: %v\n%s", script, err, out)
	}
	return time.Since(began), nil
}

// The broker is killed (kill -9) while records stream from a source to a
// sink and started again on the same store: the pipeline recovers by itself
// and every record arrives, in order per key; duplicates are counted.
func TestBrokerKilledMidStream(t *testing.T) {
	_, broker := services(t)
	killMidStream(t, "broker", broker)
}

// The same with the name server: clients go on with the routes they have.
func TestNameServerKilledMidStream(t *testing.T) {
	namesrv, _ := services(t)
	killMidStream(t, "namesrv", namesrv)
}

func killMidStream(t *testing.T, service, addr string) {
	const total, keys = 60_000, 200
	script := servicesScript(t)
	if servicePID(t, script, service) == 0 {
		t.Fatalf("the %s is not running", service)
	}
	// Whatever happens, the service runs again when the test ends.
	t.Cleanup(func() {
		if servicePID(t, script, service) == 0 {
			if _, err := startRocketMQ(script); err != nil {
				t.Error(err)
			}
		}
	})

	tr := open(t)
	topic := uniqueName("fault")
	if err := tr.CreateTopic(context.Background(), topic, 4); err != nil {
		t.Fatal(err)
	}
	col := connecttest.NewCollector()
	gen := keyedRecords(topic, keys, pacer(6000))
	rt := startRuntime(t, tr,
		runtime.WithPlugin("gen", func() connect.Connector { return connecttest.NewGenerator(gen, total) }),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }))
	createConnector(t, rt, "sink", connect.Config{"connector.class": "collect", "topics": topic, "tasks.max": "2"})
	createConnector(t, rt, "source", connect.Config{"connector.class": "gen", "batch.size": "200"})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := col.WaitFor(ctx, total/4); err != nil {
		t.Fatal(err)
	}
	pid := servicePID(t, script, service)
	killedAt := col.Len()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", pid, err)
	}
	killed := time.Now()
	// Wait until the process is gone and its port closed, or the script
	// refuses to start another one.
	for time.Since(killed) < 30*time.Second {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil && syscall.Kill(pid, 0) != nil {
			break
		}
		if err == nil {
			conn.Close()
		}
		time.Sleep(100 * time.Millisecond)
	}
	type result struct {
		took time.Duration
		err  error
	}
	restarted := make(chan result, 1)
	go func() {
		took, err := startRocketMQ(script)
		restarted <- result{took, err}
	}()
	// While the service is down, the tasks' status shows what goes wrong.
	seen := map[string]bool{}
	var r result
	for waiting := true; waiting; {
		select {
		case r = <-restarted:
			waiting = false
		case <-time.After(200 * time.Millisecond):
			for _, name := range []string{"source", "sink"} {
				st, err := rt.ConnectorStatus(name)
				if err != nil {
					continue
				}
				for _, ts := range st.Tasks {
					if ts.State != connect.StateRunning || ts.Trace != "" {
						line := fmt.Sprintf("%s task %d %s: %.200s", name, ts.ID, ts.State, ts.Trace)
						if !seen[line] {
							seen[line] = true
							t.Logf("status while the %s is down: %s", service, line)
						}
					}
				}
			}
		}
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Logf("%s killed at %d of %d records collected; up again after %v", service, killedAt, total, r.took.Round(time.Millisecond))

	check := checkCollected(t, col, total, 4*time.Minute)
	t.Logf("all %d records collected %v after the kill; %d duplicates (%.2f%%)",
		total, time.Since(killed).Round(time.Millisecond), check.duplicates, 100*float64(check.duplicates)/total)
}
