package mysqlsource

import (
	"context"

	connect "github.com/openmessaging/connect-go"
)

// Version is the connector's version, also written to source.version.
const Version = "1.0.0"

// Compile-time checks that the types implement the contracts.
var (
	_ connect.SourceConnector = (*Connector)(nil)
	_ connect.ConfigValidator = (*Connector)(nil)
	_ connect.SourceTask      = (*task)(nil)
)

// Connector is the MySQL/MariaDB binlog source connector. One binlog is one
// ordered stream, so it runs a single task, which does the work and holds
// the connections; the connector only checks the config and hands it over.
type Connector struct {
	connect.SourceConnector
	debezium bool // Debezium's meanings (NewDebezium)
}

// New returns the connector; hand it to the runtime as a factory:
//
//	runtime.WithPlugin("mysql", func() connect.Connector { return mysqlsource.New() })
func New() *Connector {
	c := &Connector{}
	c.SourceConnector = connect.NewSource(connect.Spec{
		Name:    "MySQLSource",
		Version: Version,
		Description: "Captures row changes of MySQL and MariaDB tables from the binlog, after an initial consistent snapshot, " +
			"as Debezium-style change events on a topic per table.",
		Config: configSpec(),
	}, func() connect.SourceTask { return &task{} }, connect.WithValidate(c.Validate))
	return c
}

// Validate checks the rules between fields (read.timeout above
// heartbeat.period, table patterns, TLS files). It does not connect: a
// server that is down when the connector is created is reported by the
// task, which retries. Start checks the same.
func (c *Connector) Validate(_ context.Context, cfg connect.Config) error {
	if c.debezium {
		cfg = fromDebezium(cfg)
	}
	_, err := parseSettings(cfg)
	return err
}
