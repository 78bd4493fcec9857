package mysqlsink

import (
	"context"

	connect "github.com/openmessaging/connect-go"
)

// Version is the connector's version.
const Version = "1.0.0"

// DebeziumClass is the class name of Debezium's JDBC sink connector. A
// worker runs NewDebezium under it: Debezium's defaults, and its settings
// where they can be honoured.
const DebeziumClass = "io.debezium.connector.jdbc.JdbcSinkConnector"

// Compile-time checks that the types implement the contracts.
var (
	_ connect.SinkConnector   = (*Connector)(nil)
	_ connect.ConfigValidator = (*Connector)(nil)
	_ connect.SinkTask        = (*task)(nil)
)

// Connector is the MySQL/MariaDB sink connector. Its tasks share the
// subscribed topics' queues (tasks.max of them); the connector only checks
// the config and hands it over.
type Connector struct {
	connect.SinkConnector
	spec connect.ConfigSpec
}

// New returns the connector; hand it to the runtime as a factory:
//
//	runtime.WithPlugin("MySQLSink", func() connect.Connector { return mysqlsink.New() })
func New() *Connector {
	return newConnector(configSpec(), "Writes records and change events into MySQL or MariaDB tables; "+
		"with delivery=exactly_once the consumed transport positions are committed in the transaction that writes the rows.")
}

// NewDebezium returns the connector with the defaults of Debezium's JDBC
// sink (insert.mode=insert, delete.enabled=false, primary.key.mode=none),
// for configs written for io.debezium.connector.jdbc.JdbcSinkConnector.
// Debezium's names are accepted under both constructors; the Debezium
// settings this connector cannot honour are field errors.
func NewDebezium() *Connector {
	spec := configSpec()
	for i := range spec {
		switch spec[i].Name {
		case KeyInsertMode:
			spec[i].Default = InsertModeInsert
		case KeyDeleteEnabled:
			spec[i].Default = "false"
		case KeyPKMode:
			spec[i].Default = PKNone
		}
	}
	return newConnector(spec, "Writes Debezium change events and records into MySQL or MariaDB tables under the settings of Debezium's JDBC sink, "+
		"exactly once with delivery=exactly_once.")
}

func newConnector(spec connect.ConfigSpec, description string) *Connector {
	c := &Connector{spec: spec}
	c.SinkConnector = connect.NewSink(connect.Spec{
		Name:        "MySQLSink",
		Version:     Version,
		Description: description,
		Config:      spec,
	}, func() connect.SinkTask { return &task{spec: spec} },
		connect.WithValidate(c.Validate), connect.WithParallelTasks())
	return c
}

// Validate checks the rules between fields (a primary key for upserts and
// deletes, host or connection.url, TLS files) and rejects the Kafka and
// Debezium settings the connector cannot honour. It does not connect: a
// server that is down is reported by the tasks, which the runtime retries.
func (c *Connector) Validate(_ context.Context, cfg connect.Config) error {
	_, err := parseSettings(c.spec, cfg)
	return err
}
