package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openmessaging/connect-go/internal/testenv"
)

// clusterStatus is the part of GET /connectors/{name}/status the cluster
// test reads.
type clusterStatus struct {
	Connector struct {
		State    string `json:"state"`
		WorkerID string `json:"worker_id"`
	} `json:"connector"`
	Tasks []struct {
		State    string `json:"state"`
		WorkerID string `json:"worker_id"`
	} `json:"tasks"`
}

// runningOn returns the worker the status shows the connector and all its
// tasks RUNNING on, or "".
func (s clusterStatus) runningOn() string {
	if s.Connector.State != "RUNNING" || len(s.Tasks) == 0 {
		return ""
	}
	for _, t := range s.Tasks {
		if t.State != "RUNNING" || t.WorkerID != s.Connector.WorkerID {
			return ""
		}
	}
	return s.Connector.WorkerID
}

// TestConnectdCluster runs three connectd processes as one cluster over
// RocketMQ: connectors created through one worker are seen through the
// others; kill -9 of the worker running the source moves it to a survivor,
// which resumes from the committed position without losing a line; the
// killed worker rejoins; and a whole new cluster with empty data dirs
// brings the connectors back from the internal topics alone and resumes
// where the old one stopped.
func TestConnectdCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs three binaries against RocketMQ")
	}
	namesrv, broker := testenv.RocketMQ(t)
	// Without -race: see TestConnectdRocketMQ (rocketmq-client-go races on
	// shutdown).
	bin := buildConnectdRace(t, false)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt")
	// Topics and consumer groups outlive the test in the broker: fresh names.
	id := fmt.Sprintf("%06x", rand.Uint32()&0xffffff)
	clusterID, topic, sink, src := "ct_"+id, "cluster_test_"+id, "sink_"+id, "src_"+id
	env := []string{"CONNECTD_ROCKETMQ_NAMESRV=" + namesrv, "CONNECTD_ROCKETMQ_BROKER=" + broker, "CONNECTD_CLUSTER_ID=" + clusterID}
	c := &client{t: t, http: &http.Client{Timeout: 30 * time.Second}}
	defer c.http.CloseIdleConnections()
	testStart := time.Now()

	workerIDs := []string{"w1", "w2", "w3"}
	dataDirs := map[string]string{}
	for _, w := range workerIDs {
		dataDirs[w] = filepath.Join(dir, "data-"+w)
	}
	procs := map[string]*proc{}
	type started struct {
		id string
		p  *proc
	}
	var all []started // every process, for the lease check at the end
	start := func(w string) {
		procs[w] = startConnectd(t, bin, dataDirs[w], append(slices.Clone(env), "CONNECTD_WORKER_ID="+w)...)
		all = append(all, started{w, procs[w]})
	}
	logs := func() string {
		var b strings.Builder
		for _, w := range workerIDs {
			if p := procs[w]; p != nil {
				fmt.Fprintf(&b, "--- %s:\n%s", w, p.logs)
			}
		}
		return b.String()
	}
	// eventually polls f every interval until it returns "" and fails the
	// test with f's last answer after timeout.
	eventually := func(what string, timeout, interval time.Duration, f func() string) time.Duration {
		t.Helper()
		begin := time.Now()
		for {
			why := f()
			if why == "" {
				return time.Since(begin)
			}
			if time.Since(begin) > timeout {
				t.Fatalf("%s: not after %v: %s\n%s", what, timeout, why, logs())
			}
			time.Sleep(interval)
		}
	}
	members := func(p *proc) []string {
		var info struct {
			Status int              `json:"status"`
			Body   map[string]int64 `json:"body"`
		}
		if err := json.Unmarshal(c.want(http.StatusOK, "GET", p.url+"/getClusterInfo", ""), &info); err != nil {
			t.Fatal(err)
		}
		return slices.Sorted(maps.Keys(info.Body))
	}
	wantMembers := func(p *proc, want ...string) func() string {
		return func() string {
			if got := members(p); !slices.Equal(got, want) {
				return fmt.Sprintf("getClusterInfo lists %v, want %v", got, want)
			}
			return ""
		}
	}
	status := func(p *proc, name string) clusterStatus {
		var s clusterStatus
		code, b := c.call("GET", p.url+"/connectors/"+name+"/status", "")
		if code == http.StatusOK {
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatalf("status %s: %v: %s", name, err, b)
			}
		}
		return s
	}
	size := func() int64 {
		fi, err := os.Stat(out)
		if err != nil {
			return 0
		}
		return fi.Size()
	}

	// 1. Three workers, one cluster.
	for _, w := range workerIDs {
		start(w)
	}
	for _, w := range workerIDs {
		eventually("3 members seen by "+w, 20*time.Second, 100*time.Millisecond, wantMembers(procs[w], workerIDs...))
		var info struct {
			KafkaClusterID string `json:"kafka_cluster_id"`
			WorkerID       string `json:"worker_id"`
		}
		json.Unmarshal(c.want(http.StatusOK, "GET", procs[w].url+"/", ""), &info)
		if info.KafkaClusterID != clusterID || info.WorkerID != w {
			t.Errorf("GET / on %s: %+v, want cluster %s", w, info, clusterID)
		}
	}
	t.Logf("3 workers joined cluster %s after %v", clusterID, time.Since(testStart).Round(time.Millisecond))

	// 2. Connectors created through w1, seen through w2 and w3.
	const total = 200_000
	want := appendLines(t, in, 0, total)
	var wantBytes int64
	for _, l := range want {
		wantBytes += int64(len(l) + 1)
	}
	configs := map[string]map[string]string{
		sink: {"connector.class": "FileStreamSink", "file": out, "topics": topic},
		src:  {"connector.class": "FileStreamSource", "file": in, "topic": topic},
	}
	for _, name := range []string{sink, src} {
		b, _ := json.Marshal(configs[name])
		c.want(http.StatusCreated, "PUT", procs["w1"].url+"/connectors/"+name+"/config", string(b))
	}
	created := time.Now()
	owner := map[string]string{}
	for _, name := range []string{sink, src} {
		for _, w := range []string{"w2", "w3"} {
			eventually(name+" config through "+w, 5*time.Second, 50*time.Millisecond, func() string {
				code, b := c.call("GET", procs[w].url+"/connectors/"+name+"/config", "")
				var got map[string]string
				json.Unmarshal(b, &got)
				for k, v := range configs[name] {
					if got[k] != v {
						return fmt.Sprintf("%d %s", code, b)
					}
				}
				return ""
			})
		}
		eventually(name+" RUNNING as seen by w2 and w3", 15*time.Second, 50*time.Millisecond, func() string {
			s2, s3 := status(procs["w2"], name), status(procs["w3"], name)
			if on := s2.runningOn(); on == "" || on != s3.runningOn() {
				return fmt.Sprintf("w2: %+v, w3: %+v", s2, s3)
			}
			owner[name] = s2.runningOn()
			return ""
		})
	}
	t.Logf("both connectors RUNNING %v after creation: source on %s, sink on %s",
		time.Since(created).Round(time.Millisecond), owner[src], owner[sink])

	// 3. kill -9 of the source's worker while lines move.
	eventually("first lines in the output", time.Minute, 20*time.Millisecond, func() string {
		if size() == 0 {
			return "empty"
		}
		return ""
	})
	victim := owner[src]
	var moving []string // connectors that ran on the victim
	for _, name := range []string{src, sink} {
		if owner[name] == victim {
			moving = append(moving, name)
		}
	}
	var survivor *proc
	for _, w := range workerIDs {
		if w != victim {
			survivor = procs[w]
			break
		}
	}
	atKill := size()
	if err := procs[victim].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	<-procs[victim].done
	t.Logf("killed %s (running %v) with %d of %d bytes in the output", victim, moving, atKill, wantBytes)

	// Poll every 50 ms: the statuses until every moved connector runs on
	// another worker, the output's size until it is complete.
	moved := map[string]time.Duration{}
	var (
		last, lastGrowth  = atKill, killed
		longestStall      time.Duration
		stallEnd          time.Duration // since the kill
		resumed           time.Duration // first growth once everything moved
		allMoved          time.Duration
		pollDeadline      = killed.Add(3 * time.Minute)
		movedAll, didGrow bool
	)
	for {
		now := time.Now()
		if !movedAll {
			for _, name := range moving {
				if _, ok := moved[name]; ok {
					continue
				}
				if on := status(survivor, name).runningOn(); on != "" && on != victim {
					moved[name] = now.Sub(killed)
					owner[name] = on
				}
			}
			if len(moved) == len(moving) {
				movedAll, allMoved = true, now.Sub(killed)
			}
		}
		if s := size(); s > last {
			if stall := now.Sub(lastGrowth); stall > longestStall {
				longestStall, stallEnd = stall, now.Sub(killed)
			}
			if movedAll && !didGrow {
				didGrow, resumed = true, now.Sub(killed)
			}
			last, lastGrowth = s, now
		}
		if movedAll && last >= wantBytes {
			break
		}
		if now.After(pollDeadline) {
			t.Fatalf("after the kill: moved %v of %v, output %d of %d bytes\n%s", moved, moving, last, wantBytes, logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	delete(procs, victim)
	dups := waitOutputFor(t, survivor, out, want, 3*time.Minute)
	t.Logf("failover of %s: RUNNING elsewhere after %v (%v; now on %v); output: longest stall %v, ending %v after the kill; first growth after the move %v after the kill (resumed=%v)",
		victim, allMoved.Round(time.Millisecond), moved, owner, longestStall.Round(time.Millisecond), stallEnd.Round(time.Millisecond),
		resumed.Round(time.Millisecond), didGrow)
	t.Logf("%d lines delivered %v after creation, %d duplicates", total, time.Since(created).Round(time.Millisecond), dups)

	// 4. The killed worker rejoins on its data dir.
	rejoin := time.Now()
	start(victim)
	for _, w := range workerIDs {
		eventually("3 members after the rejoin, seen by "+w, 20*time.Second, 100*time.Millisecond, wantMembers(procs[w], workerIDs...))
	}
	t.Logf("%s rejoined in %v", victim, time.Since(rejoin).Round(time.Millisecond))

	// 5. The whole cluster again, on empty data dirs.
	before, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	stop := time.Now()
	for _, w := range workerIDs {
		if err := procs[w].cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range workerIDs {
		select {
		case <-procs[w].done:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s did not exit after SIGTERM:\n%s", w, logs())
		}
		if code := procs[w].cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("%s: exit code %d\n%s", w, code, procs[w].logs)
		}
	}
	t.Logf("cluster stopped in %v", time.Since(stop).Round(time.Millisecond))
	restart := time.Now()
	for _, w := range workerIDs {
		dataDirs[w] = filepath.Join(dir, "data2-"+w)
		start(w)
	}
	eventually("3 members after the cluster restart", 20*time.Second, 100*time.Millisecond, wantMembers(procs["w1"], workerIDs...))
	var names []string
	json.Unmarshal(c.want(http.StatusOK, "GET", procs["w2"].url+"/connectors", ""), &names)
	if want := slices.Sorted(slices.Values([]string{sink, src})); !slices.Equal(names, want) {
		t.Fatalf("connectors after the cluster restart: %v, want %v", names, want)
	}
	for _, name := range []string{sink, src} {
		eventually(name+" RUNNING after the cluster restart", 20*time.Second, 50*time.Millisecond, func() string {
			if s := status(procs["w3"], name); s.runningOn() == "" {
				return fmt.Sprintf("%+v", s)
			}
			return ""
		})
	}
	t.Logf("cluster restarted on empty data dirs, connectors RUNNING after %v", time.Since(restart).Round(time.Millisecond))

	more := appendLines(t, in, total, total+1000)
	waitOutputFor(t, procs["w1"], out, append(want, more...), time.Minute)
	after, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(after), string(before)) {
		t.Fatalf("the output changed before its end: %d bytes, then %d", len(before), len(after))
	}
	isNew := map[string]bool{}
	for _, l := range more {
		isNew[l] = true
	}
	newCount := map[string]int{}
	oldAgain := 0
	for l := range strings.SplitSeq(strings.TrimSuffix(string(after[len(before):]), "\n"), "\n") {
		if isNew[l] {
			newCount[l]++
		} else {
			oldAgain++
		}
	}
	newDups := 0
	for _, n := range newCount {
		newDups += n - 1
	}
	// The source resumes from its committed position: a restart from the
	// start would write all 200k old lines again.
	if oldAgain > 1000 {
		t.Errorf("after the cluster restart %d old lines were written again: the source did not resume from its committed position", oldAgain)
	}
	t.Logf("after the cluster restart: %d new lines arrived (%d duplicated), %d old lines written again", len(newCount), newDups, oldAgain)
	for _, w := range workerIDs {
		if code, _ := procs[w].terminate(); code != 0 {
			t.Errorf("%s: exit code %d\n%s", w, code, procs[w].logs)
		}
	}
	// No worker lost contact with the cluster in this test; a worker that
	// says so stopped its connectors for nothing (as a starting worker did
	// when it ran its id's connectors before it had a lease).
	var fenced []string
	for _, s := range all {
		if n := strings.Count(s.p.logs.String(), "lost contact with the cluster"); n > 0 {
			fenced = append(fenced, fmt.Sprintf("%s×%d", s.id, n))
		}
	}
	t.Logf("total %v", time.Since(testStart).Round(time.Millisecond))
	if len(fenced) > 0 {
		t.Errorf("workers stopped their connectors for lost contact, which nothing in this test causes: %v", fenced)
	}
}
