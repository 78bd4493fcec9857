package testenv

import (
	"bufio"
	"os"
	"os/exec"
	"testing"
)

// KillChild runs this test binary again as a child process that runs only
// test (the name of a top-level test, which in the child sees env among
// its environment variables), waits until the child prints the line
// "ready", calls until, then kills the child with SIGKILL (kill -9) and
// waits for it to end. The child's stderr is the test's; the rest of its
// stdout is read and dropped. Crash tests use it to kill a worker at a
// moment they choose.
func KillChild(t testing.TB, test string, env []string, until func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill() // SIGKILL
		cmd.Wait()
	}()
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && sc.Text() != "ready" {
	}
	go func() {
		for sc.Scan() {
		}
	}()
	until()
}
