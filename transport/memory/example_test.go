package memory_test

import (
	"context"
	"fmt"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/transport/memory"
)

func Example() {
	ctx := context.Background()
	broker := memory.New(memory.WithDefaultQueues(2))
	defer broker.Close()

	// Messages with equal keys keep their order.
	for i := range 3 {
		err := broker.Publish(ctx, &connect.Message{
			Topic: "orders",
			Key:   []byte("customer-7"),
			Value: fmt.Appendf(nil, "order %d", i),
		})
		if err != nil {
			panic(err)
		}
	}

	// A new group starts at the beginning of the topic.
	sub, err := broker.Subscribe(ctx, "billing", "orders")
	if err != nil {
		panic(err)
	}
	defer sub.Close()
	msgs, err := sub.Fetch(ctx, 10)
	if err != nil {
		panic(err)
	}
	for _, m := range msgs {
		fmt.Printf("%s (offset %d)\n", m.Value, m.Offset)
	}
	// Acknowledge after processing; unacknowledged messages are delivered
	// again if this member leaves.
	if err := sub.Ack(ctx, msgs...); err != nil {
		panic(err)
	}
	// Output:
	// order 0 (offset 0)
	// order 1 (offset 1)
	// order 2 (offset 2)
}
