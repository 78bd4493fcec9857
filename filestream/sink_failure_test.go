//go:build linux

package filestream_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// childEnv makes the test binary, run again by a test, play the child's
// part of that test: what happens there must not happen to the parent.
const childEnv = "FILESTREAM_CHILD"

// runChild runs test in a child process with childEnv=role and returns it
// started; its stdout is returned as a reader.
func runChild(t *testing.T, test, role string, env ...string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(append(os.Environ(), childEnv+"="+role), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("child stderr:\n%s", stderr.Bytes())
		}
	})
	return cmd, bufio.NewReader(out)
}

// testLine is a line that shows when it was cut or glued to another:
// "n:" n times 'x' ":n".
func testLine(n int) string {
	return strconv.Itoa(n) + ":" + strings.Repeat("x", n) + ":" + strconv.Itoa(n)
}

func validLine(s string) bool {
	f := strings.Split(s, ":")
	return len(f) == 3 && f[0] == f[2] && f[0] == strconv.Itoa(len(f[1])) && strings.Trim(f[1], "x") == ""
}

// checkWholeLines fails unless the file holds whole lines made by testLine,
// and returns them.
func checkWholeLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		i := bytes.LastIndexByte(b, '\n')
		t.Fatalf("%s ends in a partial line %.40q...", path, b[i+1:])
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(b) == 0 {
		lines = nil
	}
	for i, l := range lines {
		if !validLine(l) {
			t.Fatalf("line %d of %s is torn: %.60q...", i+1, path, l)
		}
	}
	return lines
}

// TestSinkKilledMidWrite kills a child writing through the sink with
// SIGKILL at random moments; a sink started after each kill leaves whole
// lines only, and the next child appends after them.
func TestSinkKilledMidWrite(t *testing.T) {
	if os.Getenv(childEnv) == "writer" {
		writeForever(t, os.Getenv("FILESTREAM_PATH"))
		return
	}
	path := filepath.Join(t.TempDir(), "out.txt")
	ctx := context.Background()
	lines, torn := 0, 0
	for round := range 8 {
		cmd, out := runChild(t, "TestSinkKilledMidWrite", "writer", "FILESTREAM_PATH="+path)
		if _, err := out.ReadString('\n'); err != nil {
			t.Fatalf("round %d: the child did not start its sink: %v", round, err)
		}
		time.Sleep(time.Duration(rand.IntN(40_000)) * time.Microsecond)
		cmd.Process.Kill()
		cmd.Wait()

		if b, err := os.ReadFile(path); err == nil && len(b) > 0 && b[len(b)-1] != '\n' {
			torn++
		}
		task := startSink(t, path)
		task.Stop(ctx)
		got := checkWholeLines(t, path)
		if len(got) < lines {
			t.Fatalf("round %d: %d lines, %d before", round, len(got), lines)
		}
		lines = len(got)
	}
	if lines == 0 {
		t.Fatal("no line was ever flushed: the children were killed too early to test anything")
	}
	t.Logf("%d lines; %d of the kills left a partial line", lines, torn)
}

// writeForever is the child of TestSinkKilledMidWrite: it puts and flushes
// batches of lines of random lengths until it is killed.
func writeForever(t *testing.T, path string) {
	ctx := context.Background()
	task := startSink(t, path)
	fmt.Println("started")
	for {
		recs := make([]*connect.Record, 500)
		for i := range recs {
			recs[i] = &connect.Record{Value: testLine(rand.IntN(2000))}
		}
		if err := task.Put(ctx, recs); err != nil {
			t.Fatal(err)
		}
		if err := task.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSinkFullDisk: a Flush that runs out of space fails and leaves whole
// lines only; once there is space again, a restarted task given the same
// records again completes the file. The child process lowers its file size
// limit (RLIMIT_FSIZE), so writes past it fail with EFBIG as on a full disk.
func TestSinkFullDisk(t *testing.T) {
	if os.Getenv(childEnv) == "fulldisk" {
		fullDisk(t)
		return
	}
	cmd, out := runChild(t, "TestSinkFullDisk", "fulldisk")
	b, _ := out.ReadString(0)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v\n%s", err, b)
	}
}

func fullDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	ctx := context.Background()
	batch := func(from, n int) []*connect.Record {
		recs := make([]*connect.Record, n)
		for i := range recs {
			recs[i] = &connect.Record{Value: testLine(from + i)}
		}
		return recs
	}
	first, second := batch(100, 20), batch(200, 40) // about 2 KB, then 10 KB

	task := startSink(t, path)
	task.Put(ctx, first)
	if err := task.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}

	signal.Ignore(syscall.SIGXFSZ) // else the write kills the process
	var limit syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
		t.Fatal(err)
	}
	full := limit
	full.Cur = uint64(st.Size()) + 3000 // room for a few lines of the second batch
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &full); err != nil {
		t.Skipf("cannot lower RLIMIT_FSIZE: %v", err)
	}
	task.Put(ctx, second)
	err = task.Flush(ctx)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
		t.Fatal(err)
	}
	if err == nil {
		t.Fatal("Flush past the file size limit returned no error")
	}
	t.Log(err)
	checkWholeLines(t, path)
	task.Stop(ctx)

	// Space again; the records of the failed Flush come again.
	task = startSink(t, path)
	task.Put(ctx, second)
	if err := task.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range slices.Concat(first, second) {
		want = append(want, r.Value.(string))
	}
	if got := checkWholeLines(t, path); !slices.Equal(got, want) {
		t.Fatalf("after the retry the file has %d lines, want %d:\n%q", len(got), len(want), got)
	}
}
