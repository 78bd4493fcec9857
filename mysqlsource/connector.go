package mysqlsource

import (
	"context"
	"fmt"
	"maps"

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
// ordered stream, so it runs a single task, which does the work.
type Connector struct {
	cfg connect.Config
}

// New returns the connector; hand it to the runtime as a factory:
//
//	runtime.WithPlugin("mysql", func() connect.Connector { return mysqlsource.New() })
func New() *Connector { return &Connector{} }

// Spec describes the connector and its settings.
func (c *Connector) Spec() connect.Spec {
	return connect.Spec{
		Name:    "MySQLSource",
		Version: Version,
		Description: "Captures row changes of MySQL and MariaDB tables from the binlog, after an initial consistent snapshot, " +
			"as Debezium-style change events on a topic per table.",
		Config: configSpec(),
	}
}

// Validate checks the rules between fields (read.timeout above
// heartbeat.period, table patterns, TLS files). It does not connect: a
// server that is down when the connector is created is reported by the
// task, which retries.
func (c *Connector) Validate(_ context.Context, cfg connect.Config) error {
	_, err := parseSettings(cfg)
	return err
}

// Start keeps the config for the task.
func (c *Connector) Start(_ context.Context, _ connect.ConnectorContext, cfg connect.Config) error {
	if _, err := parseSettings(cfg); err != nil {
		return err
	}
	c.cfg = maps.Clone(cfg)
	return nil
}

// TaskConfigs returns one config, however many tasks are allowed: a binlog
// is read by one reader, in order.
func (c *Connector) TaskConfigs(maxTasks int) ([]connect.Config, error) {
	if maxTasks < 1 {
		return nil, fmt.Errorf("mysqlsource: maxTasks is %d, need 1", maxTasks)
	}
	return []connect.Config{maps.Clone(c.cfg)}, nil
}

// Stop has nothing to release: the task holds the connections.
func (c *Connector) Stop(context.Context) error { return nil }

// NewTask returns a task reading the server's binlog.
func (c *Connector) NewTask() connect.SourceTask { return &task{} }
