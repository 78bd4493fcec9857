// Command quickstart moves the lines of a generated file through the
// in-memory transport into another file, on the embedded defaults, and
// prints a short summary.
//
//	go run ./examples/quickstart [-lines 5000] [-dir DIR]
//
// It is the data path of Kafka Connect's quickstart: a FileStreamSource
// connector tails input.txt onto topic "lines", a FileStreamSink connector
// consumes the topic and appends to output.txt.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/filestream"
	"github.com/openmessaging/connect-go/offset"
	"github.com/openmessaging/connect-go/runtime"
)

func main() {
	lines := flag.Int("lines", 5000, "lines to generate and move")
	dir := flag.String("dir", "", "working directory (default: a new temporary one)")
	flag.Parse()
	if err := run(*lines, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(lines int, dir string) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "connect-go-quickstart-")
		if err != nil {
			return err
		}
		dir = d
	}
	in, out := filepath.Join(dir, "input.txt"), filepath.Join(dir, "output.txt")
	if err := writeInput(in, lines); err != nil {
		return err
	}
	if err := os.Remove(out); err != nil && !os.IsNotExist(err) {
		return err
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rt := runtime.New(
		// Plugins are handed in explicitly: no global registry.
		runtime.WithPlugin("FileStreamSource", func() connect.Connector { return filestream.NewSource() }),
		runtime.WithPlugin("FileStreamSink", func() connect.Connector { return filestream.NewSink() }),
		// Positions survive a restart: run the quickstart twice with the
		// same -dir and the second run moves nothing again.
		runtime.WithOffsetStore(offset.NewFile(filepath.Join(dir, "offsets.json"))),
	)
	if err := rt.Start(ctx); err != nil {
		return err
	}
	began := time.Now()
	if err := rt.CreateConnector(ctx, "local-file-sink", connect.Config{
		"connector.class": "FileStreamSink",
		"file":            out,
		"topics":          "lines",
	}); err != nil {
		return err
	}
	if err := rt.CreateConnector(ctx, "local-file-source", connect.Config{
		"connector.class": "FileStreamSource",
		"file":            in,
		"topic":           "lines",
	}); err != nil {
		return err
	}

	moved, err := waitForLines(ctx, out, lines)
	took := time.Since(began)
	if stopErr := rt.Stop(context.Background()); err == nil {
		err = stopErr
	}
	if err != nil {
		return err
	}
	fmt.Printf("moved %d records from %s to %s in %s (%.0f records/s)\n",
		moved, in, out, took.Round(time.Millisecond), float64(moved)/took.Seconds())
	return nil
}

func writeInput(path string, lines int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for i := 1; i <= lines; i++ {
		fmt.Fprintf(w, "line %d: the quick brown fox jumps over the lazy dog\n", i)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// waitForLines polls the output file until it holds want lines.
func waitForLines(ctx context.Context, path string, want int) (int, error) {
	for {
		n, err := countLines(path)
		if err != nil && !os.IsNotExist(err) {
			return n, err
		}
		if n >= want {
			return n, nil
		}
		select {
		case <-ctx.Done():
			return n, fmt.Errorf("only %d of %d lines arrived: %w", n, want, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
	}
	return n, sc.Err()
}
