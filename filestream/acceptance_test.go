package filestream_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/filestream"
)

func TestSourceAcceptance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	written := 0
	connecttest.AcceptanceTest(t, connecttest.Driver{
		Connector: func() connect.Connector { return filestream.NewSource() },
		Config:    connect.Config{"file": path, "topic": "lines", "poll.interval": "10ms"},
		WriteSource: func(t testing.TB, n int) []string {
			lines := make([]string, n)
			for i := range lines {
				lines[i] = fmt.Sprint("line ", written)
				written++
			}
			appendFile(t, path, strings.Join(lines, "\n")+"\n")
			return lines
		},
		RecordID: func(r *connect.Record) string { return r.Value.(string) },
	})
}

func TestSinkAcceptance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	connecttest.AcceptanceTest(t, connecttest.Driver{
		Connector: func() connect.Connector { return filestream.NewSink() },
		Config:    connect.Config{"file": path},
		ReadSink:  func(t testing.TB) []string { return readLines(t, path) },
	})
}

func appendFile(t testing.TB, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func readLines(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}
