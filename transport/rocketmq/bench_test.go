package rocketmq_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"testing"

	rmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	connect "github.com/openmessaging/connect-go"
)

// BenchmarkPublish compares Transport.Publish with the raw client's
// SendSync of the same batches of 100 messages on a real broker (see also
// the command bench/rocketmq, which adds the end-to-end figures).
func BenchmarkPublish(b *testing.B) {
	namesrv, _ := services(b)
	tr := open(b)
	raw, err := rmq.NewProducer(producer.WithNameServer([]string{namesrv}), producer.WithGroupName("bench-raw"),
		producer.WithInstanceName(uniqueName("raw")))
	if err != nil {
		b.Fatal(err)
	}
	if err := raw.Start(); err != nil {
		b.Fatal(err)
	}
	defer raw.Shutdown()
	ctx := context.Background()
	const batch = 100
	for _, size := range []int{150, 1024} {
		payload := make([]byte, size)
		rand.Read(payload)
		topic := uniqueName("bench")
		if err := tr.CreateTopic(ctx, topic, 4); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("raw/%dB", size), func(b *testing.B) {
			b.SetBytes(int64(size * batch))
			for b.Loop() {
				msgs := make([]*primitive.Message, batch)
				for i := range msgs {
					msgs[i] = primitive.NewMessage(topic, payload)
				}
				if _, err := raw.SendSync(ctx, msgs...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
		})
		for _, keyed := range []bool{false, true} {
			name := fmt.Sprintf("transport/%dB", size)
			if keyed {
				name += "/keyed"
			}
			b.Run(name, func(b *testing.B) {
				b.SetBytes(int64(size * batch))
				n := 0
				for b.Loop() {
					msgs := make([]*connect.Message, batch)
					for i := range msgs {
						msgs[i] = &connect.Message{Topic: topic, Value: payload}
						if keyed {
							msgs[i].Key = []byte("key-" + strconv.Itoa(n%1000))
							n++
						}
					}
					if err := tr.Publish(ctx, msgs...); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}
