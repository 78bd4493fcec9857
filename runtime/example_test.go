package runtime_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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

// The REST handler speaks Kafka Connect's API; mount it on any server.
func ExampleRuntime_Handler() {
	ctx := context.Background()
	rt := runtime.New(runtime.WithPlugin("collect", func() connect.Connector { return connecttest.NewCollector().Connector() }))
	if err := rt.Start(ctx); err != nil {
		panic(err)
	}
	defer rt.Stop(ctx)
	srv := httptest.NewServer(rt.Handler())
	defer srv.Close()

	body := `{"name": "sink", "config": {"connector.class": "collect", "topics": "numbers"}}`
	resp, err := http.Post(srv.URL+"/connectors", "application/json", strings.NewReader(body))
	must(err)
	resp.Body.Close()
	fmt.Println(resp.Status)

	resp, err = http.Get(srv.URL + "/connectors")
	must(err)
	names, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(strings.TrimSpace(string(names)))
	// Output:
	// 201 Created
	// ["sink"]
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
