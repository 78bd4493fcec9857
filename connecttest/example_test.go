package connecttest_test

import (
	"context"
	"fmt"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/offset"
)

// Drive a source task and a sink task by hand, as the runtime would: poll,
// store positions, put, flush; then restart the source from the stored
// positions.
func Example() {
	ctx := context.Background()
	store := offset.NewMemory()
	src := connecttest.NewSliceSource(
		&connect.Record{Value: "a"}, &connect.Record{Value: "b"}, &connect.Record{Value: "c"})
	col := connecttest.NewCollector()

	src.Start(ctx, connecttest.NewConnectorContext(), connect.Config{"batch.size": "2"})
	cfgs, _ := src.TaskConfigs(1)
	task := src.NewTask()
	task.Start(ctx, connecttest.NewSourceTaskContext("letters", 0, store), cfgs[0])
	recs, _ := task.Poll(ctx) // a, b
	task.Stop(ctx)

	sink := col.Connector().NewTask()
	sink.Start(ctx, connecttest.NewSinkTaskContext("out", 0), nil)
	sink.Put(ctx, recs)
	fmt.Println("collected before Flush:", col.Len())
	sink.Flush(ctx)
	fmt.Println("collected after Flush:", col.Len())
	store.Put(ctx, "letters", recs[len(recs)-1].Position)

	// A new task resumes after b.
	task = src.NewTask()
	task.Start(ctx, connecttest.NewSourceTaskContext("letters", 0, store), cfgs[0])
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	recs, _ = task.Poll(pctx)
	task.Stop(ctx)
	for _, r := range recs {
		fmt.Println("after restart:", r.Value, r.Position.Partition, string(r.Position.Offset))
	}
	// Output:
	// collected before Flush: 0
	// collected after Flush: 2
	// after restart: c slice 2
}
