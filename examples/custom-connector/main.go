// Command custom-connector is the smallest complete custom source and sink:
// a source that counts from 1 to 10 and a sink that prints what it gets,
// run in-process on the embedded defaults. Each is a task type plus a spec:
// connect.NewSource and connect.NewSink make the connector part, which keeps
// the config and hands it to one task. This file is 159 lines (wc -l);
// writing out the five methods of both connectors took 175.
//
//	go run ./examples/custom-connector
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/runtime"
)

// --- The source -------------------------------------------------------------

// newCounter returns the source connector. A connector only validates the
// config and splits the work into tasks; counting is one stream, so
// connect.NewSource makes one that hands the config to a single task, and
// the task moves the data.
func newCounter() connect.Connector {
	spec := connect.Spec{
		Name:        "Counter",
		Version:     "1.0.0",
		Description: "Emits the numbers 1..limit.",
		Config: connect.ConfigSpec{
			// Every field is typed and described; the runtime rejects bad
			// values with the field's name before anything starts.
			{Name: "limit", Type: connect.FieldInt, Default: "10", Description: "Last number to emit.", Validate: connect.IntAtLeast(1)},
		},
	}
	return connect.NewSource(spec, func() connect.SourceTask { return &counterTask{} })
}

type counterTask struct {
	next, limit int
}

func (t *counterTask) Start(ctx context.Context, tc connect.SourceTaskContext, cfg connect.Config) error {
	t.next, t.limit = 1, cfg.Int("limit")
	// Resume after the last committed position instead of starting over.
	pos, ok, err := tc.Offset(ctx, "counter")
	if err != nil {
		return err
	}
	if ok {
		var last int
		if err := pos.Decode(&last); err != nil {
			return err
		}
		t.next = last + 1
	}
	return nil
}

// Poll returns the next records, or blocks until ctx is done when there is
// nothing left: a source never returns "finished".
func (t *counterTask) Poll(ctx context.Context) ([]*connect.Record, error) {
	if t.next > t.limit {
		<-ctx.Done()
		return nil, nil
	}
	n := t.next
	t.next++
	return []*connect.Record{{
		Topic:    "numbers",
		Key:      fmt.Sprint(n % 2), // equal keys stay in order end to end
		Value:    map[string]any{"n": n, "square": n * n},
		Position: connect.NewPosition("counter", n), // committed once delivered
	}}, nil
}

func (t *counterTask) Stop(context.Context) error { return nil }

// --- The sink ---------------------------------------------------------------

// newPrinter returns a sink connector writing records to out, with one task.
func newPrinter(out io.Writer, seen *sync.WaitGroup) connect.Connector {
	spec := connect.Spec{Name: "Printer", Version: "1.0.0", Description: "Prints records."}
	return connect.NewSink(spec, func() connect.SinkTask { return &printerTask{out: out, seen: seen} })
}

type printerTask struct {
	out     io.Writer
	seen    *sync.WaitGroup
	pending []*connect.Record
}

func (t *printerTask) Start(context.Context, connect.SinkTaskContext, connect.Config) error {
	return nil
}

// Put may buffer; only Flush must make records durable. The runtime
// acknowledges messages to the transport after Flush returns.
func (t *printerTask) Put(_ context.Context, records []*connect.Record) error {
	t.pending = append(t.pending, records...)
	return nil
}

func (t *printerTask) Flush(context.Context) error {
	for _, r := range t.pending {
		v := r.Value.(map[string]any)
		fmt.Fprintf(t.out, "%s: n=%v square=%v\n", r.Topic, v["n"], v["square"])
		t.seen.Done()
	}
	t.pending = t.pending[:0]
	return nil
}

func (t *printerTask) Stop(context.Context) error { return nil }

// --- Running them -----------------------------------------------------------

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "custom-connector:", err)
		os.Exit(1)
	}
}

func run(out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var seen sync.WaitGroup
	seen.Add(10)
	rt := runtime.New(
		runtime.WithPlugin("counter", newCounter),
		runtime.WithPlugin("printer", func() connect.Connector { return newPrinter(out, &seen) }),
	)
	if err := rt.Start(ctx); err != nil {
		return err
	}
	defer rt.Stop(context.Background())

	if err := rt.CreateConnector(ctx, "print-numbers", connect.Config{
		"connector.class": "printer",
		"topics":          "numbers",
	}); err != nil {
		return err
	}
	if err := rt.CreateConnector(ctx, "count", connect.Config{
		"connector.class": "counter",
		"limit":           "10",
	}); err != nil {
		return err
	}
	seen.Wait()
	fmt.Fprintln(out, "done: 10 records moved")
	return nil
}
