package rocketmq_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/filestream"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/rocketmq"
)

// Publish records with a key and read them back as a member of a consumer
// group. It needs a broker (scripts/services.sh up rocketmq), so it has no
// Output to check: the package's tests run the same against a real broker.
func Example() {
	ctx := context.Background()
	tr := rocketmq.New(
		rocketmq.WithNameServers([]string{os.Getenv("ROCKETMQ_NAMESRV")}),
		rocketmq.WithBrokerAddrs([]string{os.Getenv("ROCKETMQ_BROKER")}),
		rocketmq.WithLogger(slog.Default()),
	)
	defer tr.Close()
	if err := tr.Open(ctx); err != nil {
		log.Fatal(err)
	}
	if err := tr.CreateTopic(ctx, "orders", 4); err != nil {
		log.Fatal(err)
	}

	// Messages with equal keys stay in order.
	for i := range 3 {
		err := tr.Publish(ctx, &connect.Message{
			Topic:   "orders",
			Key:     []byte("customer-7"),
			Value:   fmt.Appendf(nil, "order %d", i),
			Headers: connect.Headers{"source": "example"},
		})
		if err != nil {
			log.Fatal(err)
		}
	}

	// A new group starts at the beginning of the topic.
	sub, err := tr.Subscribe(ctx, "billing", "orders")
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()
	msgs, err := sub.Fetch(ctx, 10)
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range msgs {
		fmt.Printf("%s (queue %d, offset %d)\n", m.Value, m.Queue, m.Offset)
	}
	// Acknowledge after processing; unacknowledged messages are delivered
	// again, to this member after a Nack or to another one if this one
	// leaves.
	if err := sub.Ack(ctx, msgs...); err != nil {
		log.Fatal(err)
	}
}

// A runtime moving the lines of a file through RocketMQ into another file.
// The runtime opens the transport; the application closes it.
func Example_runtime() {
	ctx := context.Background()
	tr := rocketmq.New(
		rocketmq.WithNameServers([]string{"127.0.0.1:9876"}),
		rocketmq.WithBrokerAddrs([]string{"127.0.0.1:10911"}),
	)
	defer tr.Close()
	rt := runtime.New(
		runtime.WithTransport(tr),
		runtime.WithPlugin("file-source", func() connect.Connector { return filestream.NewSource() }),
		runtime.WithPlugin("file-sink", func() connect.Connector { return filestream.NewSink() }),
	)
	if err := rt.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer rt.Stop(context.Background())
	for name, cfg := range map[string]connect.Config{
		"sink":   {"connector.class": "file-sink", "file": "/tmp/out.txt", "topics": "lines"},
		"source": {"connector.class": "file-source", "file": "/tmp/in.txt", "topic": "lines"},
	} {
		if err := rt.CreateConnector(ctx, name, cfg); err != nil {
			log.Fatal(err)
		}
	}
}
