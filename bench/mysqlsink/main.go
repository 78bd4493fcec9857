// Command mysqlsink measures the MySQL sink through the runtime against a
// baseline in the same run, on a real MariaDB or MySQL server.
//
//	eval "$(scripts/services.sh up mysql)"
//	go run ./bench/mysqlsink [-rows 200000] [-batch 1000] [-rounds 2] [-tasks 1]
//
// It reports rows/s, and the CPU time per row this process used, of:
//
//   - baseline: the same rows written with the same driver
//     (go-sql-driver/mysql, client-side interpolation, as the sink uses it)
//     as multi-row INSERT ... ON DUPLICATE KEY UPDATE statements of -batch
//     rows, one statement per transaction, one connection;
//   - exactly_once and at_least_once: the records, published to the
//     in-memory transport beforehand (JSON converter, 16 keys), read by one
//     sink task of the runtime (batch.size.max=-batch), upserted by primary
//     key, from creating the connector until the task reported every row
//     committed;
//   - exactly_once_cdc: exactly_once with source.dedupe and the rows as
//     streamed change events of the MySQL source instead (op c, Debezium's
//     envelope with a source block of a binlog position per row, and the
//     binlog header), whose positions source.dedupe checks and stores;
//   - end to end: the baseline's first table copied by the MySQL source
//     (its snapshot, typed rows with their schemas in Kafka's JSON
//     envelope) through the in-memory transport into another table by the
//     sink (exactly_once), from creating the connectors until every row
//     was committed.
//
// Every measurement writes into a fresh table; each runs -rounds times,
// alternating, and the best round is reported, with the sink's rates as a
// share of the baseline's best, and the median of each round's share of
// that round's baseline (steadier when other work loads the machine). Absolute figures on a shared machine are
// noisy: read the ratios.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/converter"
	"github.com/openmessaging/connect-go/mysqlsink"
	"github.com/openmessaging/connect-go/mysqlsource"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
)

var (
	rows   = flag.Int("rows", 200000, "rows per measurement")
	batch  = flag.Int("batch", 1000, "rows per transaction (baseline) and per Put (sink's batch.size.max)")
	rounds = flag.Int("rounds", 2, "rounds of each measurement; the best is reported")
	tasks  = flag.Int("tasks", 1, "sink tasks (tasks.max); the baseline has one connection")
	only   = flag.String("only", "", "run only this measurement (baseline, exactly_once, exactly_once_cdc, at_least_once, e2e)")
	cpu    = flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	mem    = flag.String("memprofile", "", "write the allocations of the sink measurements (not their publishing) to this file")
)

const tableDDL = `(id BIGINT PRIMARY KEY, name VARCHAR(40) NOT NULL, price DECIMAL(10,2) NOT NULL,
	qty INT NOT NULL, at DATETIME(6) NOT NULL, note VARCHAR(100))`

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mysqlsink bench:", err)
		os.Exit(1)
	}
}

type server struct{ host, port, user, password string }

func run() error {
	addr, user := os.Getenv("MYSQL_ADDR"), os.Getenv("MYSQL_USER")
	if addr == "" || user == "" {
		return fmt.Errorf(`set MYSQL_ADDR and MYSQL_USER: eval "$(scripts/services.sh up mysql)"`)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	srv := server{host, port, user, os.Getenv("MYSQL_PASSWORD")}
	db, err := openDB(srv)
	if err != nil {
		return err
	}
	defer db.Close()
	name := fmt.Sprintf("bench_mysqlsink_%06x", rand.Uint32()&0xffffff)
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		return err
	}
	defer db.Exec("DROP DATABASE " + name)

	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("%d rows, %d per transaction, best of %d rounds\n", *rows, *batch, *rounds)
	best := map[string]float64{}
	// ratios holds each round's rate as a share of the same round's
	// baseline: measured seconds apart, they suffer the same load.
	ratios := map[string][]float64{}
	var roundBase float64
	order := []string{"baseline", mysqlsink.DeliveryExactlyOnce, exactlyOnceCDC, mysqlsink.DeliveryAtLeastOnce}
	n := 0
	for round := range *rounds {
		for _, m := range order {
			if *only != "" && m != *only {
				continue
			}
			n++
			table := fmt.Sprintf("%s.t%d", name, n)
			if _, err := db.Exec("CREATE TABLE " + table + " " + tableDDL); err != nil {
				return err
			}
			var rate, cpu float64
			if m == "baseline" {
				rate, cpu, err = baseline(db, table)
			} else {
				rate, cpu, err = sink(srv, name, fmt.Sprintf("t%d", n), m)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", m, err)
			}
			fmt.Printf("  round %d %-16s %9.0f rows/s  %5.2f us CPU/row in this process\n", round+1, m, rate, cpu)
			best[m] = max(best[m], rate)
			if m == "baseline" {
				roundBase = rate
			} else if roundBase > 0 {
				ratios[m] = append(ratios[m], rate/roundBase)
			}
		}
	}
	if *only == "" || *only == "e2e" {
		rate, err := endToEnd(db, srv, name)
		if err != nil {
			return fmt.Errorf("e2e: %w", err)
		}
		fmt.Printf("  end to end     %9.0f rows/s (MySQL source snapshot -> memory transport -> sink, exactly_once, typed rows)\n", rate)
	}
	fmt.Println("best:")
	for _, m := range order {
		if best[m] == 0 {
			continue
		}
		fmt.Printf("  %-16s %9.0f rows/s  %5.1f%% of baseline", m, best[m], 100*best[m]/max(best["baseline"], 1))
		if r := ratios[m]; len(r) > 0 {
			slices.Sort(r)
			fmt.Printf("  (median of the rounds' shares of their own baseline: %.1f%%)", 100*r[len(r)/2])
		}
		fmt.Println()
	}
	return nil
}

func openDB(srv server) (*sql.DB, error) {
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User, cfg.Passwd = "tcp", net.JoinHostPort(srv.host, srv.port), srv.user, srv.password
	cfg.InterpolateParams = true
	cfg.Loc = time.UTC
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(2)
	return db, db.Ping()
}

// values returns row i, as both measurements write it.
func values(i int) (id int64, name, price string, qty int64, at time.Time, note string) {
	return int64(i), fmt.Sprintf("item %d", i), fmt.Sprintf("%d.%02d", i%10000, i%100), int64(i % 1000),
		time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond), "benchmark row"
}

// cpuTime returns the CPU time (user and system) this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// perRow returns the CPU time used since cpu0, in microseconds per row.
func perRow(cpu0 time.Duration) float64 {
	return float64(cpuTime()-cpu0) / float64(time.Microsecond) / float64(*rows)
}

// baseline writes the rows as multi-row upserts, one per transaction, and
// returns rows/s and its CPU time per row.
func baseline(db *sql.DB, table string) (float64, float64, error) {
	ctx := context.Background()
	debug.FreeOSMemory()
	began, cpu0 := time.Now(), cpuTime()
	var b strings.Builder
	args := make([]any, 0, 6**batch)
	for i := 0; i < *rows; i += *batch {
		b.Reset()
		args = args[:0]
		b.WriteString("INSERT INTO " + table + " (id,name,price,qty,at,note) VALUES ")
		for j := i; j < min(*rows, i+*batch); j++ {
			if j > i {
				b.WriteByte(',')
			}
			b.WriteString("(?,?,?,?,?,?)")
			id, name, price, qty, at, note := values(j)
			args = append(args, id, name, price, qty, at.Format("2006-01-02 15:04:05.999999"), note)
		}
		b.WriteString(" ON DUPLICATE KEY UPDATE name=VALUES(name),price=VALUES(price),qty=VALUES(qty),at=VALUES(at),note=VALUES(note)")
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, 0, err
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			tx.Rollback()
			return 0, 0, err
		}
		if err := tx.Commit(); err != nil {
			return 0, 0, err
		}
	}
	return float64(*rows) / time.Since(began).Seconds(), perRow(cpu0), nil
}

// endToEnd replicates a table of -rows rows from a snapshot of the MySQL
// source through the in-memory transport into another table, typed rows
// with their schemas on the wire, and returns rows/s from creating the
// connectors until the sink committed every row.
func endToEnd(db *sql.DB, srv server, database string) (float64, error) {
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE " + database + ".e2e_src " + tableDDL,
		"CREATE TABLE " + database + ".e2e_dst " + tableDDL,
		"INSERT INTO " + database + ".e2e_src SELECT * FROM " + database + ".t1",
	} {
		if _, err := db.Exec(q); err != nil {
			return 0, err
		}
	}
	tr := memory.New()
	defer tr.Close()
	rt := runtime.New(runtime.WithTransport(tr),
		runtime.WithPlugin("MySQLSource", func() connect.Connector { return mysqlsource.New() }),
		runtime.WithPlugin("MySQLSink", func() connect.Connector { return mysqlsink.New() }))
	if err := rt.Start(ctx); err != nil {
		return 0, err
	}
	defer rt.Stop(ctx)
	began := time.Now()
	if err := rt.CreateConnector(ctx, "e2e-sink", connect.Config{"connector.class": "MySQLSink", "topics": "e2e_src",
		"host": srv.host, "port": srv.port, "user": srv.user, "password": srv.password, "database": database,
		"table.name.format": "e2e_dst", "delivery": "exactly_once", "batch.size.max": fmt.Sprint(*batch), "batch.size": fmt.Sprint(*batch)}); err != nil {
		return 0, err
	}
	if err := rt.CreateConnector(ctx, "e2e-source", connect.Config{"connector.class": "MySQLSource",
		"host": srv.host, "port": srv.port, "user": srv.user, "password": srv.password,
		"database.include": database, "table.include": database + `\.e2e_src`,
		"key.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter": "org.apache.kafka.connect.json.JsonConverter"}); err != nil {
		return 0, err
	}
	return waitWritten(rt, "e2e-sink", began)
}

// waitWritten waits until the tasks of connector name committed -rows
// rows and returns rows/s since began.
func waitWritten(rt *runtime.Runtime, name string, began time.Time) (float64, error) {
	for {
		st, err := rt.ConnectorStatus(name)
		if err != nil {
			return 0, err
		}
		var written int64
		for _, task := range st.Tasks {
			if task.State == connect.StateFailed {
				return 0, fmt.Errorf("task %d failed: %s", task.ID, task.Trace)
			}
			w, _ := task.Progress["written"].(int64)
			written += w
		}
		if written >= int64(*rows) {
			return float64(*rows) / time.Since(began).Seconds(), nil
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// exactlyOnceCDC is the measurement of exactly_once over change events.
const exactlyOnceCDC = "exactly_once_cdc"

// sink publishes the rows to an in-memory transport, then runs the sink
// over them until it committed every one, and returns rows/s and its CPU
// time per row (the publishing before it not counted). Under
// exactlyOnceCDC the rows are change events, written exactly_once.
func sink(srv server, database, table, delivery string) (float64, float64, error) {
	cdc := delivery == exactlyOnceCDC
	if cdc {
		delivery = mysqlsink.DeliveryExactlyOnce
	}
	ctx := context.Background()
	tr := memory.New(memory.WithQueueCapacity(*rows)) // every row published before the sink starts
	defer tr.Close()
	if err := tr.CreateTopic(ctx, table, 4); err != nil {
		return 0, 0, err
	}
	cv := converter.NewJSON()
	msgs := make([]*connect.Message, 0, 1000)
	for i := range *rows {
		id, name, price, qty, at, note := values(i)
		rec := &connect.Record{Topic: table, Key: map[string]any{"id": id},
			Value: map[string]any{"id": id, "name": name, "price": price, "qty": qty, "at": at, "note": note}}
		if cdc { // 100 rows per row event, 10 events per binlog file
			rec.Change = &connect.Change{Op: connect.OpCreate, After: rec.Value, Source: map[string]any{
				"connector": "mysql", "name": "bench", "server_id": int64(1), "file": fmt.Sprintf("mysql-bin.%06d", 1+i/1000),
				"pos": int64(4 + 10000*(i/100%10)), "row": int64(i % 100), "snapshot": "false", "db": database, "table": "src"}}
			rec.Value = nil
			rec.Headers = connect.Headers{mysqlsource.HeaderBinlogServer: "1"}
		}
		m, err := cv.Encode(rec)
		if err != nil {
			return 0, 0, err
		}
		if msgs = append(msgs, m); len(msgs) == cap(msgs) || i == *rows-1 {
			if err := tr.Publish(ctx, msgs...); err != nil {
				return 0, 0, err
			}
			msgs = msgs[:0]
		}
	}
	rt := runtime.New(runtime.WithTransport(tr),
		runtime.WithPlugin("MySQLSink", func() connect.Connector { return mysqlsink.New() }))
	if err := rt.Start(ctx); err != nil {
		return 0, 0, err
	}
	defer rt.Stop(ctx)
	debug.FreeOSMemory() // the publishing's garbage is not the sink's
	stopMem := memProfile()
	began, cpu0 := time.Now(), cpuTime()
	if err := rt.CreateConnector(ctx, "bench-"+table, connect.Config{"connector.class": "MySQLSink", "topics": table,
		"host": srv.host, "port": srv.port, "user": srv.user, "password": srv.password, "database": database,
		"table.name.format": table, "delivery": delivery, "batch.size.max": fmt.Sprint(*batch), "batch.size": fmt.Sprint(*batch),
		"tasks.max": fmt.Sprint(*tasks), "source.dedupe": fmt.Sprint(cdc)}); err != nil {
		return 0, 0, err
	}
	rate, err := waitWritten(rt, "bench-"+table, began)
	cpuRow := perRow(cpu0)
	if err == nil {
		err = stopMem()
	}
	if err == nil && cdc {
		err = checkPositions(srv, database, "bench-"+table)
	}
	return rate, cpuRow, err
}

// checkPositions makes sure source.dedupe was at work in the run of
// connector: the sink stored source positions with its offsets.
func checkPositions(srv server, database, connector string) error {
	db, err := openDB(srv)
	if err != nil {
		return err
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM "+database+".connect_sink_offsets WHERE connector = ? AND source_positions IS NOT NULL", connector).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s stored no source positions: source.dedupe did not run", connector)
	}
	return nil
}

// memProfile, for -memprofile, writes the allocations so far to
// -memprofile.base when the first sink measurement starts, and the
// function it returns writes them to -memprofile when one ends: go tool
// pprof -base x.base x shows those of the sink measurements (with -only,
// of nothing else).
func memProfile() func() error {
	if *mem == "" {
		return func() error { return nil }
	}
	if !memBase {
		memBase = true
		if err := writeAllocs(*mem + ".base"); err != nil {
			return func() error { return err }
		}
	}
	return func() error { return writeAllocs(*mem) }
}

var memBase bool

func writeAllocs(name string) error {
	goruntime.GC() // the profile is as of the last GC
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}
