package connect_test

import (
	"context"
	"fmt"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/runtime"
)

// A source and a sink run in-process on the embedded defaults: records go
// through the JSON converter and the in-memory transport.
func Example() {
	ctx := context.Background()
	sink := connecttest.NewCollector()
	rt := runtime.New(
		runtime.WithPlugin("greetings", func() connect.Connector {
			return connecttest.NewSliceSource(
				&connect.Record{Topic: "greetings", Key: "en", Value: map[string]any{"text": "hello"}},
				&connect.Record{Topic: "greetings", Key: "en", Value: map[string]any{"text": "world"}},
			)
		}),
		runtime.WithPlugin("collect", func() connect.Connector { return sink.Connector() }),
	)
	if err := rt.Start(ctx); err != nil {
		panic(err)
	}
	defer rt.Stop(ctx)

	if err := rt.CreateConnector(ctx, "print", connect.Config{"connector.class": "collect", "topics": "greetings"}); err != nil {
		panic(err)
	}
	if err := rt.CreateConnector(ctx, "greet", connect.Config{"connector.class": "greetings"}); err != nil {
		panic(err)
	}
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sink.WaitFor(wait, 2); err != nil {
		panic(err)
	}
	for _, r := range sink.Records() {
		fmt.Println(r.Topic, r.Key, r.Value.(map[string]any)["text"])
	}
	// Output:
	// greetings en hello
	// greetings en world
}

// Config validation names every bad field.
func ExampleConfigSpec_Validate() {
	spec := connect.ConfigSpec{
		{Name: "host", Required: true, Description: "Server host."},
		{Name: "port", Type: connect.FieldInt, Default: "3306", Description: "Server port."},
	}
	err := spec.Validate(connect.Config{"port": "db"})
	fmt.Println(err)
	// Output: invalid config: host: is required; port: must be an integer, got "db"
}
