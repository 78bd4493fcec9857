package runtime_test

import (
	"context"
	"fmt"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/runtime"
)

// A runtime on the embedded defaults runs a source and a sink; the status
// API shows their states.
func ExampleNew() {
	ctx := context.Background()
	sink := connecttest.NewCollector()
	rt := runtime.New(
		runtime.WithPlugin("numbers", func() connect.Connector {
			return connecttest.NewGenerator(func(i int64) *connect.Record {
				return &connect.Record{Topic: "numbers", Key: "n", Value: map[string]any{"n": i}}
			}, 3)
		}),
		runtime.WithPlugin("collect", func() connect.Connector { return sink.Connector() }),
	)
	if err := rt.Start(ctx); err != nil {
		panic(err)
	}
	defer rt.Stop(ctx)

	must(rt.CreateConnector(ctx, "sink", connect.Config{"connector.class": "collect", "topics": "numbers"}))
	must(rt.CreateConnector(ctx, "source", connect.Config{"connector.class": "numbers"}))
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	must(sink.WaitFor(wait, 3))

	for _, r := range sink.Records() {
		fmt.Println("got", r.Value.(map[string]any)["n"])
	}
	st, _ := rt.ConnectorStatus("source")
	fmt.Println(st.Name, st.Type, st.State, len(st.Tasks), "task")
	// Output:
	// got 0
	// got 1
	// got 2
	// source source RUNNING 1 task
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
