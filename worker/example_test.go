package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/worker"
)

// The whole main of a worker with the team's own connector next to the
// built-in ones: the same flags, environment, data directory, REST API and
// shutdown as connectd.
func ExampleMain() {
	worker.Main(
		worker.WithName("team-connectd"),
		worker.WithPlugin("Numbers", func() connect.Connector { return connecttest.NewGenerator(nil, 0) }),
	)
}

// Run is Main for a program that does more: here it serves on a free port,
// the program lists the plugins over the REST API once the worker is ready,
// and stops it by cancelling ctx.
func ExampleRun() {
	dataDir, _ := os.MkdirTemp("", "worker-example")
	defer os.RemoveAll(dataDir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	err := worker.Run(ctx, []string{"--listen", "127.0.0.1:0", "--data-dir", dataDir},
		worker.WithPlugin("Numbers", func() connect.Connector { return connecttest.NewGenerator(nil, 0) }),
		worker.WithOutput(io.Discard), // no logs in the example's output
		worker.WithReady(func(addr net.Addr) {
			defer cancel()
			res, err := http.Get("http://" + addr.String() + "/connector-plugins")
			if err != nil {
				fmt.Println(err)
				return
			}
			defer http.DefaultClient.CloseIdleConnections()
			defer res.Body.Close()
			var plugins []struct{ Class, Type string }
			json.NewDecoder(res.Body).Decode(&plugins)
			for _, p := range plugins {
				fmt.Println(p.Class, p.Type)
			}
		}),
	)
	fmt.Println("stopped:", err)
	// Output:
	// FileStreamSink sink
	// FileStreamSinkConnector sink
	// FileStreamSource source
	// FileStreamSourceConnector source
	// MySQLSink sink
	// MySQLSource source
	// Numbers source
	// io.debezium.connector.jdbc.JdbcSinkConnector sink
	// io.debezium.connector.mysql.MySqlConnector source
	// io.openmessaging.mysql.connector.MysqlConnector source
	// org.apache.kafka.connect.file.FileStreamSinkConnector sink
	// org.apache.kafka.connect.file.FileStreamSourceConnector source
	// org.apache.rocketmq.mysql.connector.MysqlConnector source
	// stopped: <nil>
}
