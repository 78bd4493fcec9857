package mysqlsource

import (
	"context"
	"slices"
	"strings"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/dbzmodes"
)

// DebeziumClass is the class name of Debezium's MySQL connector. A worker
// runs NewDebezium under it, so that a Debezium config works where its
// settings can be honoured.
const DebeziumClass = "io.debezium.connector.mysql.MySqlConnector"

// debeziumAliases are Debezium's names of settings whose meaning is the
// same here; every spec accepts them (as aliases of the native keys).
var debeziumAliases = map[string][]string{
	KeyHost:            {"database.hostname"},
	KeyPort:            {"database.port"},
	KeyUser:            {"database.user"},
	KeyPassword:        {"database.password"},
	KeyDatabaseInclude: {"database.include.list"},
	KeyDatabaseExclude: {"database.exclude.list"},
	KeyTableInclude:    {"table.include.list"},
	KeyTableExclude:    {"table.exclude.list"},
	KeyServerID:        {"database.server.id"},
	KeyPollMaxRecords:  {"max.batch.size"},
	KeyTLSMode:         {"database.ssl.mode"},
}

// Debezium's snapshot modes NewDebezium accepts; no_data (schema_only
// before Debezium 2.6) streams from the current binlog position, which is
// this connector's never. Debezium's own never reads the binlog from its
// beginning, which this connector cannot do.
const (
	debeziumNoData     = "no_data"
	debeziumSchemaOnly = "schema_only"
)

// debeziumUnsupported names the Debezium settings this connector cannot
// honour and why; set, they are field errors rather than ignored.
var debeziumUnsupported = []struct{ key, reason string }{
	{"schema.history.internal.", "is not needed: connect-go keeps table schemas itself, without a schema history topic; remove it"},
	{"database.history.", "is not needed: connect-go keeps table schemas itself, without a schema history topic; remove it"},
	{"database.server.name", "was replaced by topic.prefix in Debezium 2; set topic.prefix"},
	{"database.ssl.keystore", "is not supported: give PEM files in tls.cert and tls.key"},
	{"database.ssl.truststore", "is not supported: give a PEM file in tls.ca"},
	{"column.", "is not supported: every column of a captured table is emitted"},
	{"message.key.columns", "is not supported: keys are the primary key columns"},
	{"snapshot.locking.mode", "is not supported: the snapshot takes a consistent-snapshot transaction"},
	{"snapshot.select.statement.overrides", "is not supported"},
	{"snapshot.include.collection.list", "is not supported: the snapshot reads every captured table"},
	{"gtid.source.", "is not supported: set binlog.resume=gtid to resume from GTID sets"},
	{"heartbeat.interval.ms", "is not supported: set heartbeat.period and heartbeat.topic"},
	{"connect.timeout.ms", "is not supported: set connect.timeout (a duration)"},
	{"signal.", "is not supported: no signalling channel"},
	{"incremental.snapshot.", "is not supported: no incremental snapshots"},
	{"database.initial.statements", "is not supported"},
	{"event.processing.failure.handling.mode", "is not supported: a bad event fails the task (see the runtime's errors.tolerance)"},
	{"converters", "is not supported: no custom converters"},
}

// unsupportedDebezium adds a field error for each Debezium setting of cfg
// this connector cannot honour.
func unsupportedDebezium(cfg connect.Config, errs *connect.ConfigError) {
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// Debezium adjusts two-digit years (YEAR 0 -> 2000); this connector
	// passes years as the server stores them, which only false describes.
	if v, ok := cfg["enable.time.adjuster"]; ok && !strings.EqualFold(strings.TrimSpace(v), "false") {
		errs.Add("enable.time.adjuster", "only false is supported: years are passed as the server stores them (YEAR 0 stays 0)")
	}
	for _, k := range keys {
		for _, u := range debeziumUnsupported {
			if k == u.key || (strings.HasSuffix(u.key, ".") && strings.HasPrefix(k, u.key)) {
				errs.Add(k, "%s", u.reason)
				break
			}
		}
	}
}

func debeziumSpec() connect.ConfigSpec {
	spec := configSpec()
	for i := range spec {
		switch spec[i].Name {
		case KeySnapshotMode:
			spec[i].Allowed = []string{SnapshotInitial, SnapshotWhenNeeded, debeziumNoData, debeziumSchemaOnly}
			spec[i].Description = "Debezium's initial (default), when_needed, or no_data (schema_only): stream from the current binlog position. " +
				"Debezium's never (the binlog from its beginning), initial_only, recovery, always and custom are not supported."
		case KeyTopicPrefix:
			spec[i].Required = true
			spec[i].Description = "Debezium's topic prefix: topics are <topic.prefix>.<database>.<table>, and it is the logical server name (source.name) unless server.name is set."
		case dbzmodes.KeyEncoding:
			spec[i].Default = string(dbzmodes.EncodingDebezium)
			spec[i].Description = "Value encoding whose defaults the mode settings take: debezium (the default under Debezium's class: adaptive_time_microseconds, precise, long, bytes, Bits) or connect_go (lossless)."
		case KeyTombstones, KeyIncludeSchemaChanges:
			spec[i].Default = "true" // Debezium's
		case KeyTopicNaming:
			spec[i].Default = "database.table"
			spec[i].Allowed = []string{"database.table"}
			spec[i].Description = "Always database.table under Debezium's class."
		}
	}
	return spec
}

// fromDebezium turns a config under Debezium's meanings into this
// connector's: topic.prefix gets Debezium's separator and names the
// server, and no_data (schema_only) is never.
func fromDebezium(cfg connect.Config) connect.Config {
	cfg = debeziumSpec().Apply(cfg)
	if p := cfg[KeyTopicPrefix]; p != "" {
		if _, ok := cfg[KeyServerName]; !ok {
			cfg[KeyServerName] = p
		}
		// Debezium's schema change topic is the prefix itself.
		if _, ok := cfg[KeySchemaChangesTopic]; !ok {
			cfg[KeySchemaChangesTopic] = p
		}
		cfg[KeyTopicPrefix] = p + "."
	}
	if m := cfg[KeySnapshotMode]; m == debeziumNoData || m == debeziumSchemaOnly {
		cfg[KeySnapshotMode] = SnapshotNever
	}
	return cfg
}

// NewDebezium returns the connector under Debezium's MySqlConnector
// settings: database.hostname, database.port, database.user,
// database.password, database.include.list, database.exclude.list,
// table.include.list, table.exclude.list, database.server.id,
// max.batch.size, database.ssl.mode, snapshot.mode and topic.prefix
// (required) with Debezium's meanings, and this connector's own keys. The
// Debezium settings it cannot honour are field errors. See the package
// documentation for the table.
func NewDebezium() *Connector {
	c := &Connector{debezium: true}
	c.SourceConnector = connect.NewSource(connect.Spec{
		Name:    "MySQLSource",
		Version: Version,
		Description: "Captures row changes of MySQL and MariaDB tables from the binlog under Debezium's MySqlConnector settings, " +
			"as Debezium change events on <topic.prefix>.<database>.<table>.",
		Config: debeziumSpec(),
	}, func() connect.SourceTask { return &task{} }, connect.WithValidate(c.Validate))
	return c
}

// Start starts the connector; under Debezium's class it hands its tasks the
// config translated to this connector's meanings.
func (c *Connector) Start(ctx context.Context, cc connect.ConnectorContext, cfg connect.Config) error {
	if c.debezium {
		cfg = fromDebezium(cfg)
	}
	return c.SourceConnector.Start(ctx, cc, cfg)
}
