package runtime_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/filestream"
	"github.com/openmessaging/connect-go/internal/testenv"
	"github.com/openmessaging/connect-go/offset"
	"github.com/openmessaging/connect-go/runtime"
)

const crashRecords = 20000

// crashChild runs a worker on the embedded defaults (in-memory transport,
// file offsets): generator -> "nums" -> file sink, the sink paused when
// asked, until the parent kills it.
func crashChild(t *testing.T, dir string, paused bool) {
	ctx := context.Background()
	rt := runtime.New(
		runtime.WithOffsetStore(offset.NewFile(filepath.Join(dir, "offsets.json"))),
		runtime.WithOffsetFlushInterval(5*time.Millisecond),
		runtime.WithPlugin("gen", func() connect.Connector { return connecttest.NewGenerator(nil, crashRecords) }),
		runtime.WithPlugin("file", func() connect.Connector { return filestream.NewSink() }))
	if err := rt.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rt.CreateConnector(ctx, "sink", connect.Config{"connector.class": "file", "topics": "nums",
		filestream.ConfigFile: filepath.Join(dir, "out.txt")}); err != nil {
		t.Fatal(err)
	}
	if paused {
		if err := rt.PauseConnector(ctx, "sink"); err != nil {
			t.Fatal(err)
		}
	}
	if err := rt.CreateConnector(ctx, "src", connect.Config{"connector.class": "gen", "topic": "nums"}); err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	select {} // until killed
}

// With the embedded defaults, a kill -9 while the sink lags (paused) loses
// nothing: source positions are committed only once the records were
// consumed, so the next run replays what the in-memory broker held.
func TestKillWhileSinkPausedLosesNothing(t *testing.T) {
	if dir := os.Getenv("CONNECT_CRASH_DIR"); dir != "" {
		crashChild(t, dir, os.Getenv("CONNECT_CRASH_PAUSED") == "1")
		return
	}
	if testing.Short() {
		t.Skip("spawns worker processes")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out.txt")
	run := func(paused bool, until func()) {
		t.Helper()
		testenv.KillChild(t, "TestKillWhileSinkPausedLosesNothing",
			[]string{"CONNECT_CRASH_DIR=" + dir, "CONNECT_CRASH_PAUSED=" + map[bool]string{true: "1", false: "0"}[paused]}, until)
	}
	for round := range 10 {
		paused := round%2 == 0 || rand.IntN(3) == 0
		run(paused, func() { time.Sleep(time.Duration(50+rand.IntN(400)) * time.Millisecond) })
	}
	// A last run with the sink running, until every record arrived.
	var seen map[int]int
	run(false, func() {
		deadline := time.Now().Add(2 * time.Minute)
		for {
			seen = readNumbers(t, out)
			if len(seen) == crashRecords || time.Now().After(deadline) {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	var missing []int
	dups := 0
	for i := range crashRecords {
		if seen[i] == 0 {
			missing = append(missing, i)
		}
		if seen[i] > 1 {
			dups += seen[i] - 1
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d records lost across 10 kills (first %v)", len(missing), crashRecords, missing[:min(10, len(missing))])
	}
	t.Logf("all %d records arrived; %d duplicates", crashRecords, dups)
}

func readNumbers(t *testing.T, path string) map[int]int {
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	seen := map[int]int{}
	text := string(b)
	if i := strings.LastIndexByte(text, '\n'); i >= 0 {
		text = text[:i] // a write in progress may end in a partial line
	} else {
		text = ""
	}
	for _, line := range strings.Split(text, "\n") {
		if line == "" {
			continue
		}
		n, err := strconv.Atoi(line)
		if err != nil {
			t.Fatalf("garbage line %q in %s", line, path)
		}
		seen[n]++
	}
	return seen
}
