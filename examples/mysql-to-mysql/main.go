// Command mysql-to-mysql replicates the tables of one MySQL or MariaDB
// database into another, exactly once: the MySQL source reads the snapshot
// and then the binlog of -from, the change events travel over the
// transport (in memory, or RocketMQ with -rocketmq), and the MySQL sink
// applies them to -to, committing the transport positions it consumed in
// the same transaction as the rows.
//
//	eval "$(scripts/services.sh up mysql)"
//	go run ./examples/mysql-to-mysql -from shop -to shop_copy
//	go run ./examples/mysql-to-mysql -from shop -to shop_copy -rocketmq 127.0.0.1:9876 -broker 127.0.0.1:10911
//
// Tables missing in -to are created with the definition of their source
// table (SHOW CREATE TABLE), so that the copy has the same column types
// and compares equal with CHECKSUM TABLE; columns added later in the
// source are added by the sink (auto.evolve). It prints the tables'
// checksums every -report until interrupted.
//
// With RocketMQ the sink applies every change it reads exactly once. When
// this program is killed and started again, the source publishes again
// the changes after its last stored position, which the sink applies again
// in order: the tables end as the source's. (An insert-only target would
// need mysqlsink's source.dedupe, which this program does not set: it
// mirrors TRUNCATE, which source.dedupe excludes.) With the
// in-memory transport, whose offsets start again at 0 in every process,
// it runs at_least_once (upserts by primary key, a replay after a restart
// rewrites rows with the values they end with).
//
// The source server defaults to MYSQL_ADDR, MYSQL_USER and MYSQL_PASSWORD;
// -target to the same server. The source user needs replication grants
// (see mysqlsource), the target user CREATE, ALTER, SELECT, INSERT,
// UPDATE and DELETE on -to.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/mysqlsink"
	"github.com/openmessaging/connect-go/mysqlsource"
	"github.com/openmessaging/connect-go/offset"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
	"github.com/openmessaging/connect-go/transport/rocketmq"
)

// options are the program's settings.
type options struct {
	source, target     server
	from, to           string
	tables             []string // empty: every table of from
	namesrv, brokers   string
	offsets            string
	delivery           string
	report             time.Duration
	reportTo           func(string) // where checksum lines go
	connectorSuffix    string       // keeps connectors of test runs apart
	sourceServerID     string
	sinkTasks          int
	snapshotFetchSize  string
	sourceTopicPrefix  string
	createTargetTables bool
}

type server struct{ addr, user, password string }

func main() {
	o := options{reportTo: func(s string) { fmt.Println(s) }, createTargetTables: true}
	flag.StringVar(&o.source.addr, "source", envOr("MYSQL_ADDR", "127.0.0.1:3306"), "source server host:port")
	flag.StringVar(&o.source.user, "user", envOr("MYSQL_USER", "root"), "source user (replication grants)")
	flag.StringVar(&o.source.password, "password", os.Getenv("MYSQL_PASSWORD"), "source password")
	flag.StringVar(&o.target.addr, "target", "", "target server host:port (default: the source server)")
	flag.StringVar(&o.target.user, "target-user", "", "target user (default: -user)")
	flag.StringVar(&o.target.password, "target-password", "", "target password (default: -password)")
	flag.StringVar(&o.from, "from", "", "source database (required)")
	flag.StringVar(&o.to, "to", "", "target database, created when missing (required)")
	tables := flag.String("tables", "", "comma-separated tables of -from to replicate (default: every table)")
	flag.StringVar(&o.namesrv, "rocketmq", os.Getenv("ROCKETMQ_NAMESRV"), "RocketMQ name servers host:port[,...]; empty: the in-memory transport")
	flag.StringVar(&o.brokers, "broker", os.Getenv("ROCKETMQ_BROKER"), "RocketMQ broker host:port[,...] to create topics on")
	flag.StringVar(&o.offsets, "offsets", filepath.Join(os.TempDir(), "connect-go-mysql-to-mysql-offsets.json"), "file keeping the source's positions")
	flag.StringVar(&o.delivery, "delivery", "", "exactly_once or at_least_once (default: exactly_once on RocketMQ, at_least_once in memory)")
	flag.DurationVar(&o.report, "report", 5*time.Second, "how often to print the tables' checksums")
	flag.Parse()
	if o.from == "" || o.to == "" {
		fmt.Fprintln(os.Stderr, "mysql-to-mysql: -from and -to are required")
		os.Exit(2)
	}
	if *tables != "" {
		o.tables = strings.Split(*tables, ",")
	}
	if o.target.addr == "" {
		o.target.addr = o.source.addr
	}
	if o.delivery == "" {
		// The sink's exactly-once positions are the transport's offsets.
		// The in-memory transport starts them again at 0 in every
		// process, so stored positions from an earlier run would skip
		// the new run's records; upserts by primary key make a replay
		// harmless instead.
		o.delivery = mysqlsink.DeliveryExactlyOnce
		if o.namesrv == "" {
			o.delivery = mysqlsink.DeliveryAtLeastOnce
		}
	}
	if o.target.user == "" {
		o.target.user, o.target.password = o.source.user, o.source.password
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "mysql-to-mysql:", err)
		os.Exit(1)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// run replicates until ctx is done.
func run(ctx context.Context, o options) error {
	src, err := openDB(o.source)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := openDB(o.target)
	if err != nil {
		return err
	}
	defer dst.Close()
	if len(o.tables) == 0 {
		if o.tables, err = listTables(ctx, src, o.from); err != nil {
			return err
		}
		if len(o.tables) == 0 {
			return fmt.Errorf("database %s has no tables", o.from)
		}
	}
	if _, err := dst.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+quote(o.to)); err != nil {
		return err
	}
	if o.createTargetTables {
		if err := copyDefinitions(ctx, src, dst, o.from, o.to, o.tables); err != nil {
			return err
		}
	}

	var tr connect.MessageTransport = memory.New()
	if o.namesrv != "" {
		rtr := rocketmq.New(rocketmq.WithNameServers(strings.Split(o.namesrv, ",")),
			rocketmq.WithBrokerAddrs(splitNonEmpty(o.brokers)))
		if err := rtr.Open(ctx); err != nil {
			return err
		}
		tr = rtr
	}
	defer tr.Close()
	rt := runtime.New(runtime.WithTransport(tr),
		runtime.WithOffsetStore(offset.NewFile(o.offsets)),
		runtime.WithPlugin("MySQLSource", func() connect.Connector { return mysqlsource.New() }),
		runtime.WithPlugin("MySQLSink", func() connect.Connector { return mysqlsink.New() }))
	if err := rt.Start(ctx); err != nil {
		return err
	}
	defer rt.Stop(context.WithoutCancel(ctx))

	// Topics are "<from>_<table>" (RocketMQ allows no dots): the sink
	// reads them all.
	prefix := o.sourceTopicPrefix
	if prefix == "" {
		prefix = o.from + "_"
	}
	topics := make([]string, len(o.tables))
	include := make([]string, len(o.tables))
	for i, t := range o.tables {
		topics[i] = prefix + t
		include[i] = o.from + `\.` + t
	}
	srcHost, srcPort, _ := net.SplitHostPort(o.source.addr)
	dstHost, dstPort, _ := net.SplitHostPort(o.target.addr)
	sourceCfg := connect.Config{
		"connector.class": "MySQLSource",
		"host":            srcHost, "port": srcPort, "user": o.source.user, "password": o.source.password,
		"database.include": o.from,
		"table.include":    strings.Join(include, ","),
		"topic.prefix":     prefix,
		// Typed rows with their schemas on the wire, so that the sink
		// writes every column type exactly.
		"key.converter":                  "org.apache.kafka.connect.json.JsonConverter",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable":   "true",
		"value.converter.schemas.enable": "true",
	}
	if o.sourceServerID != "" {
		sourceCfg["server.id"] = o.sourceServerID
	}
	if o.snapshotFetchSize != "" {
		sourceCfg["snapshot.fetch.size"] = o.snapshotFetchSize
	}
	sinkTasks := max(o.sinkTasks, 1)
	sinkCfg := connect.Config{
		"connector.class": "MySQLSink",
		"topics":          strings.Join(topics, ","),
		"tasks.max":       fmt.Sprint(sinkTasks),
		"host":            dstHost, "port": dstPort, "user": o.target.user, "password": o.target.password,
		"database":          o.to,
		"table.name.format": "${source.table}",
		"insert.mode":       "upsert",
		"delete.enabled":    "true",
		"truncate.enabled":  "true",
		"auto.create":       "true",
		"auto.evolve":       "true",
		"delivery":          o.delivery,
		// A target that is down or locked is retried for as long as it
		// takes; nothing is skipped.
		"errors.retry.timeout": "-1",
	}
	if err := rt.CreateConnector(ctx, "mysql-to-mysql-sink"+o.connectorSuffix, sinkCfg); err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	if err := rt.CreateConnector(ctx, "mysql-to-mysql-source"+o.connectorSuffix, sourceCfg); err != nil {
		return fmt.Errorf("source: %w", err)
	}
	tick := time.NewTicker(o.report)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		var parts []string
		for _, t := range o.tables {
			a, errA := checksum(ctx, src, o.from, t)
			b, errB := checksum(ctx, dst, o.to, t)
			if err := errors.Join(errA, errB); err != nil {
				parts = append(parts, fmt.Sprintf("%s: %v", t, err))
				continue
			}
			state := "behind"
			if a == b {
				state = "equal"
			}
			parts = append(parts, fmt.Sprintf("%s %s (%s)", t, state, a))
		}
		o.reportTo(strings.Join(parts, "; "))
	}
}

func splitNonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func openDB(s server) (*sql.DB, error) {
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User, cfg.Passwd = "tcp", s.addr, s.user, s.password
	cfg.Logger = &mysql.NopLogger{}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(2)
	return db, nil
}

func quote(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

func listTables(ctx context.Context, db *sql.DB, database string) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", database)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// copyDefinitions creates the tables missing in to with the definitions
// of their source tables.
func copyDefinitions(ctx context.Context, src, dst *sql.DB, from, to string, tables []string) error {
	for _, t := range tables {
		var name, ddl string
		if err := src.QueryRowContext(ctx, "SHOW CREATE TABLE "+quote(from)+"."+quote(t)).Scan(&name, &ddl); err != nil {
			return fmt.Errorf("read the definition of %s.%s: %w", from, t, err)
		}
		ddl = strings.Replace(ddl, "CREATE TABLE "+quote(t), "CREATE TABLE IF NOT EXISTS "+quote(to)+"."+quote(t), 1)
		if _, err := dst.ExecContext(ctx, ddl); err != nil {
			return fmt.Errorf("create %s.%s: %w", to, t, err)
		}
	}
	return nil
}

// checksum returns CHECKSUM TABLE of db.table.
func checksum(ctx context.Context, db *sql.DB, database, table string) (string, error) {
	var name string
	var sum sql.NullString
	if err := db.QueryRowContext(ctx, "CHECKSUM TABLE "+quote(database)+"."+quote(table)).Scan(&name, &sum); err != nil {
		return "", err
	}
	return sum.String, nil
}
