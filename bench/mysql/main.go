// Command mysql measures the MySQL source against a baseline in the same
// run.
//
//	eval "$(scripts/services.sh up mysql)"
//	go run ./bench/mysql [-rows 1000000] [-batch 5000] [-rounds 2]
//
// It fills a 5-column table with -rows rows in multi-row INSERTs of -batch
// rows each, then reads the binlog they produced four ways:
//
//   - parse only: go-mysql's BinlogSyncer parsing the events and counting
//     the rows, nothing else;
//   - parse+encode: the same, plus encoding each row, in the same
//     goroutine, as the change event the connector makes of it (key,
//     Debezium envelope with the source block) with the project's JSON
//     converter, from a record built as cheaply as possible (one record
//     reused, the rows' values taken as go-mysql decoded them): the least
//     work any CDC pipeline must do, and the baseline of the targets;
//   - stream: the mysqlsource connector in the runtime, from the binlog
//     position before the inserts, through the JSON converter into the
//     in-memory transport, drained by a consumer group that acknowledges
//     without decoding; timed until the consumer saw every row;
//   - snapshot: the same pipeline reading the table with a snapshot.
//
// It prints rows/s and peak heap of each, stream/(parse+encode) and
// snapshot/stream, and checks that the stream's message of the row with
// id 1 is byte for byte the one parse+encode wrote, but for the envelope's
// processing time (ts_ms, ts_us, ts_ns). The server comes from
// MYSQL_ADDR, MYSQL_USER and MYSQL_PASSWORD. -cpuprofile and -heapprofile
// write profiles, -only runs some of the measurements, -queue-capacity
// sizes the in-memory transport's queues.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"regexp"
	goruntime "runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/heapwatch"
	"github.com/openmessaging/connect-go/mysqlsource"
	"github.com/openmessaging/connect-go/offset"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
)

type server struct{ host, port, user, password string }

func main() {
	rows := flag.Int("rows", 1_000_000, "rows to insert and read")
	batch := flag.Int("batch", 5000, "rows per INSERT (one transaction each)")
	rounds := flag.Int("rounds", 2, "runs of each measurement; the best is reported")
	cpuprofile := flag.String("cpuprofile", "", "write CPU profiles of the last round's runs to PREFIX-encode.prof, PREFIX-stream.prof and PREFIX-snapshot.prof")
	heapprofile := flag.String("heapprofile", "", "write a heap profile of the last stream run, taken when half the rows were received, to this file")
	keep := flag.Bool("keep", false, "keep the benchmark database")
	queueCap := flag.Int("queue-capacity", 8192, "messages each queue of the in-memory transport holds (memory.WithQueueCapacity; 8192 is its default): the transport's 4 queues hold up to 4x this many encoded messages in the heap while the consumer is behind")
	only := flag.String("only", "", "run only these measurements, comma-separated (parse, encode, stream, snapshot), for profiling")
	flag.Parse()

	addr := os.Getenv("MYSQL_ADDR")
	if addr == "" {
		fail(errors.New(`MYSQL_ADDR is not set: run eval "$(scripts/services.sh up mysql)"`))
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		fail(err)
	}
	srv := server{host, port, os.Getenv("MYSQL_USER"), os.Getenv("MYSQL_PASSWORD")}
	conn, err := client.Connect(addr, srv.user, srv.password, "")
	if err != nil {
		fail(err)
	}
	defer conn.Close()
	db := fmt.Sprintf("bench_mysql_%d", os.Getpid())
	exec(conn, "CREATE DATABASE "+db)
	if !*keep {
		defer exec(conn, "DROP DATABASE "+db)
	}
	exec(conn, "CREATE TABLE "+db+".t (id BIGINT PRIMARY KEY, name VARCHAR(64), email VARCHAR(64), score DOUBLE, status VARCHAR(40))")

	file, pos := masterStatus(conn)
	began := time.Now()
	fill(conn, db, *rows, *batch)
	fmt.Printf("inserted %d rows (5 columns, %d per INSERT) in %s; binlog %s:%d onwards\n",
		*rows, *batch, time.Since(began).Round(time.Millisecond), file, pos)
	fmt.Printf("GOMAXPROCS=%d\n", goruntime.GOMAXPROCS(0))

	var base, encode, stream, snap result
	var encoded, streamed []byte
	run := func(name string) bool { return *only == "" || slices.Contains(strings.Split(*only, ","), name) }
	for i := 0; i < *rounds; i++ {
		last := *cpuprofile != "" && i == *rounds-1
		if run("parse") {
			base = best(base, measure(*rows, func() { baseline(srv, db, file, pos, *rows) }))
		}
		if run("encode") {
			encode = best(encode, measure(*rows, profiled(last, *cpuprofile+"-encode.prof", func() { encoded = parseEncode(srv, db, file, pos, *rows) })))
		}
		if run("stream") {
			stream = best(stream, measure(*rows, profiled(last, *cpuprofile+"-stream.prof", func() {
				streamed = pipeline(srv, db, file, pos, *rows, false, *queueCap, heapAt(i == *rounds-1, *heapprofile))
			})))
		}
		if run("snapshot") {
			snap = best(snap, measure(*rows, profiled(last, *cpuprofile+"-snapshot.prof", func() { pipeline(srv, db, file, pos, *rows, true, *queueCap, "") })))
		}
	}
	fmt.Printf("%-58s %10.0f rows/s  peak heap %6.1f MB\n", "parse only:   go-mysql BinlogSyncer", base.rate, base.peakMB)
	fmt.Printf("%-58s %10.0f rows/s  peak heap %6.1f MB\n", "parse+encode: go-mysql + JSON change events, one goroutine", encode.rate, encode.peakMB)
	fmt.Printf("%-58s %10.0f rows/s  peak heap %6.1f MB\n", "stream:   binlog -> mysqlsource -> runtime -> JSON -> memory", stream.rate, stream.peakMB)
	fmt.Printf("%-58s %10.0f rows/s  peak heap %6.1f MB\n", "snapshot: table -> mysqlsource -> runtime -> JSON -> memory", snap.rate, snap.peakMB)
	fmt.Printf("stream / parse only: %.0f%%   stream / parse+encode: %.0f%% (target >= 80%%)   snapshot / stream: %.0f%% (target >= 100%%)\n",
		100*stream.rate/base.rate, 100*stream.rate/encode.rate, 100*snap.rate/stream.rate)
	if run("encode") && run("stream") && !bytes.Equal(withoutProcessingTime(encoded), withoutProcessingTime(streamed)) {
		fmt.Printf("the stream's event of id 1 differs from parse+encode's:\n  stream:       %s\n  parse+encode: %s\n", streamed, encoded)
	}
}

// processingTime is the end of a change event's envelope: the processing
// time (Change.At), which differs between two runs.
var processingTime = regexp.MustCompile(`,"ts_ms":\d+,"ts_us":\d+,"ts_ns":\d+(\}*)$`)

// withoutProcessingTime returns an encoded change event without its
// processing time, to compare two runs' events byte for byte.
func withoutProcessingTime(b []byte) []byte {
	return processingTime.ReplaceAll(b, []byte("$1"))
}

// profiled wraps run in a CPU profile written to path when on.
func profiled(on bool, path string, run func()) func() {
	if !on {
		return run
	}
	return func() {
		f, err := os.Create(path)
		if err != nil {
			fail(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer pprof.StopCPUProfile()
		run()
	}
}

// heapAt returns path when on, else "".
func heapAt(on bool, path string) string {
	if !on {
		return ""
	}
	return path
}

// writeHeapProfile writes the live heap (as of a GC run now) to path.
func writeHeapProfile(path string) {
	f, err := os.Create(path)
	if err != nil {
		fail(err)
	}
	defer f.Close()
	goruntime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/mysql:", err)
	os.Exit(1)
}

func exec(conn *client.Conn, q string) {
	if _, err := conn.Execute(q); err != nil {
		fail(fmt.Errorf("%s: %w", q, err))
	}
}

func masterStatus(conn *client.Conn) (string, uint32) {
	res, err := conn.Execute("SHOW MASTER STATUS")
	if err != nil {
		fail(err)
	}
	file, _ := res.GetString(0, 0)
	pos, _ := res.GetUint(0, 1)
	return strings.Clone(file), uint32(pos)
}

func fill(conn *client.Conn, db string, rows, batch int) {
	var b strings.Builder
	for id := 1; id <= rows; {
		b.Reset()
		b.WriteString("INSERT INTO " + db + ".t VALUES ")
		for i := 0; i < batch && id <= rows; i, id = i+1, id+1 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d,'customer-%d-of-the-benchmark','customer%d@example.com',%g,'active, subscribed')",
				id, id%100000, id%100000, float64(id%1000)/7)
		}
		exec(conn, b.String())
	}
}

type result struct{ rate, peakMB float64 }

func best(a, b result) result {
	if b.rate > a.rate {
		return b
	}
	return a
}

func measure(rows int, run func()) result {
	goruntime.GC()
	peak := heapwatch.Start()
	began := time.Now()
	run()
	secs := time.Since(began).Seconds()
	return result{rate: float64(rows) / secs, peakMB: peak() / 1e6}
}

// baseline reads the binlog with go-mysql alone, counting the table's rows.
func baseline(srv server, db, file string, pos uint32, rows int) {
	p, _ := strconv.Atoi(srv.port)
	syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID: 999_001, Flavor: mysql.MariaDBFlavor, Host: srv.host, Port: uint16(p),
		User: srv.user, Password: srv.password, ParseTime: true, Logger: slog.New(slog.DiscardHandler),
	})
	defer syncer.Close()
	st, err := syncer.StartSync(mysql.Position{Name: file, Pos: pos})
	if err != nil {
		fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	n := 0
	for n < rows {
		ev, err := st.GetEvent(ctx)
		if err != nil {
			fail(fmt.Errorf("baseline: %d of %d rows: %w", n, rows, err))
		}
		if e, ok := ev.Event.(*replication.RowsEvent); ok && string(e.Table.Schema) == db {
			n += len(e.Rows)
		}
	}
}

// pipeline runs the connector in the runtime and waits until a consumer of
// the table's topic received rows messages. It returns the value of the
// message of the row whose id is 1.
func pipeline(srv server, db, file string, pos uint32, rows int, snapshot bool, queueCap int, heapProfile string) []byte {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	broker := memory.New(memory.WithQueueCapacity(queueCap))
	defer broker.Close()
	store := offset.NewMemory()
	cfg := connect.Config{
		"connector.class":     "mysql",
		"host":                srv.host,
		"port":                srv.port,
		"user":                srv.user,
		"password":            srv.password,
		"database.include":    db,
		"server.id":           "999002",
		"server.name":         "bench",
		"snapshot.fetch.size": "10000",
		"batch.size.max":      "2000",
	}
	if !snapshot {
		// Stream from before the inserts: as if the connector had stored
		// that position.
		store.Put(ctx, "bench", connect.Position{
			Partition: mysqlsource.Partition("bench"),
			Offset:    []byte(fmt.Sprintf(`{"file":%q,"pos":%d}`, file, pos)),
		})
	}
	rt := runtime.New(
		runtime.WithTransport(broker.Client()),
		runtime.WithOffsetStore(store),
		runtime.WithPlugin("mysql", func() connect.Connector { return mysqlsource.New() }),
	)
	if err := rt.Start(ctx); err != nil {
		fail(err)
	}
	defer rt.Stop(context.Background())
	sub, err := broker.Subscribe(ctx, "drain", "t")
	if err != nil {
		fail(err)
	}
	defer sub.Close()
	var got atomic.Int64
	var wg sync.WaitGroup
	var first []byte
	wg.Go(func() {
		for got.Load() < int64(rows) {
			msgs, err := sub.Fetch(ctx, 4096)
			if err != nil {
				return
			}
			if first == nil {
				for _, m := range msgs {
					if string(m.Key) == `{"id":1}` {
						first = m.Value
					}
				}
			}
			if n := got.Add(int64(len(msgs))); heapProfile != "" && n >= int64(rows/2) {
				writeHeapProfile(heapProfile)
				heapProfile = ""
			}
			if err := sub.Ack(ctx, msgs...); err != nil {
				return
			}
		}
	})
	if err := rt.CreateConnector(ctx, "bench", cfg); err != nil {
		fail(err)
	}
	wg.Wait()
	if n := got.Load(); n < int64(rows) {
		st, _ := rt.ConnectorStatus("bench")
		fail(fmt.Errorf("received %d of %d rows: %v (status %+v)", n, rows, ctx.Err(), st))
	}
	return first
}
