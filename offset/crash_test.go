package offset_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/offset"
)

// crashFileEnv makes TestHelperProcess the child of TestFileSurvivesKill.
const crashFileEnv = "CONNECT_OFFSET_CRASH_FILE"

// TestHelperProcess is the child process of TestFileSurvivesKill: it puts an
// increasing counter into the store as fast as it can until it is killed.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(crashFileEnv)
	if path == "" {
		t.Skip("child process of TestFileSurvivesKill")
	}
	ctx := context.Background()
	f := offset.NewFile(path)
	if err := f.Open(ctx); err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	var n int64
	if p, ok, err := f.Get(ctx, "crash", "a"); err != nil || (ok && p.Decode(&n) != nil) {
		fmt.Println("error: read counter:", err)
		os.Exit(2)
	}
	for i := n + 1; ; i++ {
		err := f.Put(ctx, "crash",
			connect.NewPosition("a", i),
			connect.NewPosition("b", i),
			// Vary the file size, so that a torn write would show.
			connect.NewPosition("pad", strings.Repeat("x", int(i%512))))
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(2)
		}
		if i == n+1 {
			fmt.Println("put", i)
		}
	}
}

// TestFileSurvivesKill kills a process writing offsets at random moments and
// checks that the file always opens, holds whole Puts only, and never goes
// back. (kill -9 leaves the page cache alone, so this tests the temporary
// file and rename protocol, not the fsyncs that protect against power loss.)
func TestFileSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "offsets.json")
	var last int64 // the counter stored after the previous kill
	for iter := range 12 {
		early := iter%4 == 3 // sometimes kill before the first Put completed
		firstPut := runAndKill(t, path, early)

		f := offset.NewFile(path)
		if err := f.Open(context.Background()); err != nil {
			t.Fatalf("iteration %d: Open after kill -9: %v", iter, err)
		}
		a := counter(t, f, "a")
		b := counter(t, f, "b")
		f.Close()
		if a != b {
			t.Fatalf("iteration %d: a=%d b=%d: a Put was stored in part", iter, a, b)
		}
		if a < last || a < firstPut {
			t.Fatalf("iteration %d: stored counter %d, but %d was stored before the kill (previous run %d)", iter, a, firstPut, last)
		}
		last = a
	}
	if last == 0 {
		t.Fatal("no child stored anything")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after the last Open, want only the offsets file", len(entries))
	}
}

// runAndKill starts the child and kills it with SIGKILL at a random moment.
// It returns the first counter the child reported stored, or 0 when it was
// killed earlier.
func runAndKill(t *testing.T, path string, early bool) int64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), crashFileEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "put ") || strings.HasPrefix(l, "error:") {
				lines <- l
				break
			}
		}
		io.Copy(io.Discard, out)
	}()

	var first int64
	if early {
		time.Sleep(rand.N(5 * time.Millisecond))
	} else {
		select {
		case l := <-lines:
			if strings.HasPrefix(l, "error:") {
				cmd.Process.Kill()
				<-drained
				cmd.Wait()
				t.Fatalf("child: %s", l)
			}
			first, _ = strconv.ParseInt(strings.TrimPrefix(l, "put "), 10, 64)
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-drained
			cmd.Wait()
			t.Fatal("child stored nothing within 20s")
		}
		time.Sleep(rand.N(40 * time.Millisecond))
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-drained
	cmd.Wait() // "signal: killed"
	return first
}

func counter(t *testing.T, s connect.OffsetStore, partition string) int64 {
	t.Helper()
	p, ok, err := s.Get(context.Background(), "crash", partition)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	if ok {
		if err := p.Decode(&n); err != nil {
			t.Fatal(err)
		}
	}
	return n
}
