// Command mysql-to-rocketmq is the seed's quickstart as a program: the
// changes of a MySQL table arrive as change events on the topic named after
// the table.
//
//	eval "$(scripts/services.sh up mysql)"
//	go run ./examples/mysql-to-rocketmq                          # in-memory transport
//	go run ./examples/mysql-to-rocketmq -rocketmq 127.0.0.1:9876 -broker 127.0.0.1:10911
//
// It creates the database connect_demo with a table orders (unless they
// exist), runs the MySQL source connector with the seed's configuration keys
// (mysqlAddr, mysqlPort, mysqlUsername, mysqlPassword, whiteDataBase,
// whiteTable), consumes topic "orders" and prints every event as the
// Debezium-style JSON that travels on the topic. Then it inserts, updates
// and deletes a row and stops once their events arrived; with -follow it
// keeps printing until interrupted, while you change the table yourself.
//
// Positions are kept in -offsets (a file): run it again and the snapshot is
// not taken again, only the new changes arrive.
//
// The MySQL server defaults to MYSQL_ADDR, MYSQL_USER and MYSQL_PASSWORD,
// and -rocketmq and -broker to ROCKETMQ_NAMESRV and ROCKETMQ_BROKER (what
// scripts/services.sh prints) when they are set.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/mysqlsource"
	"github.com/openmessaging/connect-go/offset"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
	"github.com/openmessaging/connect-go/transport/rocketmq"
)

func main() {
	addr := flag.String("mysql", envOr("MYSQL_ADDR", "127.0.0.1:3306"), "MySQL or MariaDB host:port")
	user := flag.String("user", envOr("MYSQL_USER", "root"), "MySQL user (needs replication grants)")
	password := flag.String("password", os.Getenv("MYSQL_PASSWORD"), "MySQL password")
	namesrv := flag.String("rocketmq", os.Getenv("ROCKETMQ_NAMESRV"), "RocketMQ name servers host:port[,...]; empty: the in-memory transport")
	brokers := flag.String("broker", os.Getenv("ROCKETMQ_BROKER"), "RocketMQ broker host:port[,...] used to create topics (optional with autoCreateTopicEnable)")
	offsets := flag.String("offsets", filepath.Join(os.TempDir(), "connect-go-mysql-demo-offsets.json"), "file keeping the connector's positions")
	follow := flag.Bool("follow", false, "keep printing changes until interrupted")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *addr, *user, *password, *namesrv, *brokers, *offsets, *follow); err != nil {
		fmt.Fprintln(os.Stderr, "mysql-to-rocketmq:", err)
		os.Exit(1)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

const (
	database = "connect_demo"
	table    = "orders"
)

func run(ctx context.Context, addr, user, password, namesrv, brokers, offsets string, follow bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-mysql %q: %w", addr, err)
	}
	db, err := client.Connect(addr, user, password, "")
	if err != nil {
		return fmt.Errorf("connect to %s: %w", addr, err)
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE DATABASE IF NOT EXISTS " + database,
		"CREATE TABLE IF NOT EXISTS " + database + "." + table +
			" (id INT PRIMARY KEY, item VARCHAR(64), qty INT, price DECIMAL(10,2), updated TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3))",
	} {
		if _, err := db.Execute(q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}

	// The transport is ours, shared by the runtime and the printer below.
	var tr connect.MessageTransport = memory.New().Client()
	via := "the in-memory transport"
	if namesrv != "" {
		opts := []rocketmq.Option{rocketmq.WithNameServers(strings.Split(namesrv, ","))}
		if brokers != "" {
			opts = append(opts, rocketmq.WithBrokerAddrs(strings.Split(brokers, ",")))
		}
		tr = rocketmq.New(opts...)
		via = "RocketMQ at " + namesrv
	}
	defer tr.Close()
	rt := runtime.New(
		runtime.WithTransport(tr),
		runtime.WithPlugin("mysql", func() connect.Connector { return mysqlsource.New() }),
		runtime.WithOffsetStore(offset.NewFile(offsets)),
	)
	if err := rt.Start(ctx); err != nil {
		return err
	}
	defer rt.Stop(context.Background())

	// The seed's configuration, key for key.
	err = rt.CreateConnector(ctx, "mysql-demo", connect.Config{
		"connector.class": "mysql",
		"mysqlAddr":       host,
		"mysqlPort":       port,
		"mysqlUsername":   user,
		"mysqlPassword":   password,
		"whiteDataBase":   database,
		"whiteTable":      table,
	})
	if err != nil {
		return err
	}
	fmt.Printf("capturing %s.%s on %s; events go to topic %q through %s\n", database, table, addr, table, via)

	// The source's own output, as any consumer of the topic sees it.
	sub, err := tr.Subscribe(ctx, "mysql-demo-printer", table)
	if err != nil {
		return err
	}
	defer sub.Close()

	// Change the table once the snapshot is over, so that the changes come
	// from the binlog (before that, the snapshot would read their result).
	if err := waitStreaming(ctx, rt); err != nil {
		return err
	}
	id := int(time.Now().Unix() % 1_000_000)
	if !follow {
		for _, q := range []string{
			fmt.Sprintf("INSERT INTO %s.%s (id, item, qty, price) VALUES (%d, 'coffee beans', 1, 12.50)", database, table, id),
			fmt.Sprintf("UPDATE %s.%s SET qty = 3 WHERE id = %d", database, table, id),
			fmt.Sprintf("DELETE FROM %s.%s WHERE id = %d", database, table, id),
		} {
			if _, err := db.Execute(q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
	}
	wait, cancel := context.WithTimeout(ctx, time.Minute)
	if follow {
		wait, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	key := fmt.Sprintf(`{"id":%d}`, id)
	seen := 0
	for follow || seen < 3 {
		msgs, err := sub.Fetch(wait, 100)
		if err != nil {
			if follow && errors.Is(err, context.Canceled) {
				return nil
			}
			st, _ := rt.ConnectorStatus("mysql-demo")
			return fmt.Errorf("waiting for the changes of row %d: %w (connector %s %s)", id, err, st.State, st.Trace)
		}
		for _, m := range msgs {
			fmt.Printf("%s key=%s op=%s\n  %s\n", m.Topic, m.Key, m.Headers.Get("connect.op"), m.Value)
			if string(m.Key) == key {
				seen++
			}
		}
		if err := sub.Ack(wait, msgs...); err != nil {
			return err
		}
	}
	fmt.Printf("the insert, update and delete of row %d arrived on topic %q\n", id, table)
	return nil
}

// waitStreaming waits until the connector's task reads the binlog.
func waitStreaming(ctx context.Context, rt *runtime.Runtime) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		st, err := rt.ConnectorStatus("mysql-demo")
		if err != nil {
			return err
		}
		if len(st.Tasks) > 0 && st.Tasks[0].Progress["phase"] == "streaming" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the connector did not finish its snapshot: %w (state %s %s)", ctx.Err(), st.State, st.Trace)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
