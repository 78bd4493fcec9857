package connect_test

import (
	"context"
	"fmt"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/runtime"
)

// countdown is the task of the source below: the connector part comes from
// connect.NewSource.
type countdown struct{ n int }

func (t *countdown) Start(_ context.Context, _ connect.SourceTaskContext, cfg connect.Config) error {
	t.n = cfg.Int("from")
	return nil
}

func (t *countdown) Poll(ctx context.Context) ([]*connect.Record, error) {
	if t.n == 0 {
		<-ctx.Done() // nothing left: wait, a source never finishes
		return nil, nil
	}
	t.n--
	// One key: records of a key keep their order (records without a key
	// spread over the topic's queues, whose order is not kept between queues).
	return []*connect.Record{{Topic: "countdown", Key: "n", Value: t.n}}, nil
}

func (t *countdown) Stop(context.Context) error { return nil }

// A complete source is a task type and a spec. (This one does not resume
// where it stopped: it sets no Position.)
func ExampleNewSource() {
	spec := connect.Spec{
		Name:    "Countdown",
		Version: "1.0.0",
		Config:  connect.ConfigSpec{{Name: "from", Type: connect.FieldInt, Default: "3"}},
	}
	col := connecttest.NewCollector()
	rt := runtime.New(
		runtime.WithPlugin("countdown", func() connect.Connector {
			return connect.NewSource(spec, func() connect.SourceTask { return &countdown{} })
		}),
		runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() }),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rt.Start(ctx); err != nil {
		panic(err)
	}
	defer rt.Stop(context.Background())
	rt.CreateConnector(ctx, "collect", connect.Config{"connector.class": "collect", "topics": "countdown"})
	rt.CreateConnector(ctx, "count", connect.Config{"connector.class": "countdown"})
	if err := col.WaitFor(ctx, 3); err != nil {
		panic(err)
	}
	for _, r := range col.Records() {
		fmt.Print(r.Value, " ")
	}
	fmt.Println()
	// Output: 2 1 0
}

// One task per table, at most tasks.max of them.
func ExampleWithSplitList() {
	src := connect.NewSource(connect.Spec{Name: "Tables"}, func() connect.SourceTask { return &countdown{} },
		connect.WithSplitList("tables"))
	src.Start(context.Background(), connecttest.NewConnectorContext(), connect.Config{"tables": "a, b, c, d, e", "host": "db"})
	for _, max := range []int{2, 8} {
		cfgs, _ := src.TaskConfigs(max)
		fmt.Println(max, "tasks allowed:", cfgs)
	}
	// Output:
	// 2 tasks allowed: [map[host:db tables:a,b,c] map[host:db tables:d,e]]
	// 8 tasks allowed: [map[host:db tables:a] map[host:db tables:b] map[host:db tables:c] map[host:db tables:d] map[host:db tables:e]]
}
