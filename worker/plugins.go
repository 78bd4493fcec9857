package worker

import (
	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/filestream"
	"github.com/openmessaging/connect-go/mysqlsink"
	"github.com/openmessaging/connect-go/mysqlsource"
	"github.com/openmessaging/connect-go/runtime"
)

// builtins returns the connector plugins built into every worker, by the
// names a connector's connector.class gives. Register a new built-in
// connector here; an application adds its own with WithPlugin.
func builtins() map[string]runtime.Factory {
	return map[string]runtime.Factory{
		"FileStreamSource": func() connect.Connector { return filestream.NewSource() },
		"FileStreamSink":   func() connect.Connector { return filestream.NewSink() },
		"MySQLSource":      func() connect.Connector { return mysqlsource.New() },
		// Debezium's class, with Debezium's meanings of its settings (not
		// an alias: topic.prefix and snapshot.mode mean other things).
		mysqlsource.DebeziumClass: func() connect.Connector { return mysqlsource.NewDebezium() },
		"MySQLSink":               func() connect.Connector { return mysqlsink.New() },
		// Debezium's JDBC sink, with its defaults (insert.mode=insert,
		// primary.key.mode=none, delete.enabled=false); its settings
		// that cannot be honoured are field errors. Confluent's
		// io.confluent.connect.jdbc.JdbcSinkConnector is not listed: its
		// table.name.format reads a dotted topic as database.table and
		// its pk.mode=kafka columns and defaults differ in ways a silent
		// mapping would get wrong.
		mysqlsink.DebeziumClass: func() connect.Connector { return mysqlsink.NewDebezium() },
	}
}

// aliases are other class names of the built-in connectors, those Kafka
// Connect's and RocketMQ Connect's users know: Kafka's full and simple
// class names of its FileStream connectors, and the seed's MySQL connector
// (whose settings mysqlsource accepts as aliases). An alias runs whatever
// plugin its target names, a WithPlugin replacement included; they are
// listed as plugins of their own, as Kafka Connect lists every class name.
var aliases = map[string]string{
	"FileStreamSourceConnector":                               "FileStreamSource",
	"org.apache.kafka.connect.file.FileStreamSourceConnector": "FileStreamSource",
	"FileStreamSinkConnector":                                 "FileStreamSink",
	"org.apache.kafka.connect.file.FileStreamSinkConnector":   "FileStreamSink",
	"io.openmessaging.mysql.connector.MysqlConnector":         "MySQLSource",
	"org.apache.rocketmq.mysql.connector.MysqlConnector":      "MySQLSource",
}
