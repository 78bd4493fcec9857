package filestream_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/filestream"
)

// Copy the lines of one file to another through the two connectors, driving
// their tasks by hand as the runtime would.
func Example() {
	dir, _ := os.MkdirTemp("", "filestream")
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt")
	os.WriteFile(in, []byte("hello\nworld\nunfinished"), 0o644)
	ctx := context.Background()

	src := filestream.NewSource()
	src.Start(ctx, connecttest.NewConnectorContext(), src.Spec().Config.Apply(connect.Config{"file": in, "topic": "lines"}))
	cfgs, _ := src.TaskConfigs(1)
	reader := src.NewTask()
	if err := reader.Start(ctx, connecttest.NewSourceTaskContext("copy", 0, nil), cfgs[0]); err != nil {
		fmt.Println(err)
		return
	}
	defer reader.Stop(ctx)
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	recs, _ := reader.Poll(pctx) // "unfinished" has no newline yet: not emitted

	sink := filestream.NewSink()
	sink.Start(ctx, connecttest.NewConnectorContext(), connect.Config{"file": out})
	cfgs, _ = sink.TaskConfigs(1)
	writer := sink.NewTask()
	if err := writer.Start(ctx, connecttest.NewSinkTaskContext("copy", 0), cfgs[0]); err != nil {
		fmt.Println(err)
		return
	}
	defer writer.Stop(ctx)
	writer.Put(ctx, recs)
	writer.Flush(ctx)

	b, _ := os.ReadFile(out)
	fmt.Print(string(b))
	fmt.Println("position of the last line:", string(recs[len(recs)-1].Position.Offset))
	// Output:
	// hello
	// world
	// position of the last line: {"pos":12}
}
