package mysqlsource_test

import (
	"context"
	"encoding/json"
	"testing"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/mysqlsource"
)

// debeziumConfig is the MySQL example of Debezium's documentation
// (https://debezium.io/documentation/reference/stable/connectors/mysql.html,
// "MySQL connector configuration example") without its schema history
// settings.
func debeziumConfig(extra ...string) connect.Config {
	cfg := connect.Config{
		"connector.class":       mysqlsource.DebeziumClass,
		"database.hostname":     "192.168.99.100",
		"database.port":         "3306",
		"database.user":         "debezium-user",
		"database.password":     "debezium-user-pw",
		"database.server.id":    "184054",
		"topic.prefix":          "fullfillment",
		"database.include.list": "inventory",
		"table.include.list":    "inventory.orders,inventory.customers",
		"snapshot.mode":         "no_data",
		"max.batch.size":        "2048",
		"skipped.operations":    "none",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		cfg[extra[i]] = extra[i+1]
	}
	return cfg
}

func validateDebezium(cfg connect.Config) error {
	c := mysqlsource.NewDebezium()
	spec := c.Spec().Config
	if err := spec.Validate(cfg); err != nil {
		return err
	}
	return c.Validate(context.Background(), spec.Apply(cfg))
}

func TestDebeziumSettings(t *testing.T) {
	if err := validateDebezium(debeziumConfig()); err != nil {
		t.Fatal(err)
	}
	// What the task is handed: this connector's keys and meanings.
	c := mysqlsource.NewDebezium()
	if err := c.Start(context.Background(), nil, c.Spec().Config.Apply(debeziumConfig())); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	tcs, err := c.TaskConfigs(1)
	if err != nil || len(tcs) != 1 {
		t.Fatalf("task configs %v, %v", tcs, err)
	}
	for k, v := range map[string]string{
		"host": "192.168.99.100", "port": "3306", "user": "debezium-user", "password": "debezium-user-pw",
		"server.id": "184054", "database.include": "inventory", "table.include": "inventory.orders,inventory.customers",
		"topic.prefix": "fullfillment.", "topic.naming": "database.table", "server.name": "fullfillment",
		"snapshot.mode": "never", "poll.max.records": "2048",
		"value.encoding": "debezium", "tombstones.on.delete": "true", // Debezium's defaults
		// Debezium's include.schema.changes default, on its schema change
		// topic: the topic.prefix (MySQL connector documentation, "Schema
		// change topic").
		"include.schema.changes": "true", "schema.changes.topic": "fullfillment",
		"provide.transaction.metadata": "false", "topic.transaction": "transaction",
	} {
		if got := tcs[0][k]; got != v {
			t.Errorf("task config %s = %q, want %q", k, got, v)
		}
	}
	if masked := c.Spec().Config.Mask(debeziumConfig()); masked["database.password"] != connect.Masked {
		t.Errorf("database.password is not masked: %v", masked)
	}

	// Settings it cannot honour are field errors naming them.
	for _, tc := range []struct{ key, value string }{
		{"schema.history.internal.kafka.bootstrap.servers", "kafka:9092"},
		{"database.server.name", "old"},
		{"column.exclude.list", "inventory.customers.email"},
		{"decimal.handling.mode", "exact"},
		{"time.precision.mode", "adaptive"},
		{"include.schema.changes", "maybe"},
		{"provide.transaction.metadata", "yes please"},
		{"topic.transaction", "tx topic"},
		{"enable.time.adjuster", "true"}, // years are passed as stored
		{"snapshot.mode", "never"},       // Debezium's: the binlog from its beginning
		{"snapshot.mode", "initial_only"},
		{"topic.prefix", ""},
	} {
		errs := fieldErrors(validateDebezium(debeziumConfig(tc.key, tc.value)))
		if _, ok := errs[tc.key]; !ok || len(errs) != 1 {
			t.Errorf("%s=%q: field errors %v, want one on %s", tc.key, tc.value, errs, tc.key)
		}
	}
	// The native class accepts Debezium's names where the meaning is the
	// same, and refuses the settings it cannot honour too.
	if err := validate(connect.Config{"database.hostname": "h", "database.user": "u", "table.include.list": "db.t"}); err != nil {
		t.Errorf("Debezium's names under the native class: %v", err)
	}
	if err := validate(connect.Config{"host": "h", "user": "u", "include.schema.changes": "true", "provide.transaction.metadata": "true"}); err != nil {
		t.Errorf("include.schema.changes and provide.transaction.metadata under the native class: %v", err)
	}
	if err := validateDebezium(debeziumConfig("include.schema.changes", "false", "provide.transaction.metadata", "true")); err != nil {
		t.Errorf("include.schema.changes and provide.transaction.metadata under Debezium's class: %v", err)
	}
	if err := validateDebezium(debeziumConfig("enable.time.adjuster", "false")); err != nil {
		t.Errorf("enable.time.adjuster=false, what the connector does: %v", err)
	}
	if errs := fieldErrors(validate(connect.Config{"host": "h", "user": "u", "tombstones.on.delete": "maybe"})); errs["tombstones.on.delete"] == "" {
		t.Errorf("a bad tombstones.on.delete: %v", errs)
	}
}

// Positions in Debezium's MySQL offsets shape, both ways.
func TestKafkaOffsets(t *testing.T) {
	c := mysqlsource.New()
	p := connect.Position{Partition: mysqlsource.Partition("db1"), Offset: []byte(`{"file":"mysql-bin.000003","pos":154,"event":2,"row":1}`)}
	part, off, ok := c.ToKafka(p)
	if !ok || part["server"] != "db1" || off["file"] != "mysql-bin.000003" {
		t.Fatalf("ToKafka: %v %v %v", part, off, ok)
	}
	got, b, err := c.FromKafka(map[string]any{"server": "db1"}, map[string]any{
		"file": "mysql-bin.000003", "pos": json.Number("154"), "event": json.Number("2"), "row": json.Number("1"), "ts_sec": json.Number("1700000000"),
	})
	if err != nil || got != p.Partition || string(b) != string(p.Offset) {
		t.Errorf("FromKafka: %q %s %v, want %q %s", got, b, err, p.Partition, p.Offset)
	}
	// With provide.transaction.metadata Debezium's offsets carry the
	// transaction's id and event counts (TransactionContext.store): the id
	// says its BEGIN was emitted; the counts are made again on resume.
	_, b, err = c.FromKafka(map[string]any{"server": "db1"}, map[string]any{
		"file": "mysql-bin.000003", "pos": json.Number("154"), "event": json.Number("2"), "row": json.Number("1"),
		"transaction_id": "0-1-42", "transaction_data_collection_order_inventory.orders": json.Number("3"),
	})
	if want := `{"file":"mysql-bin.000003","pos":154,"event":2,"row":1,"transaction_id":"0-1-42"}`; err != nil || string(b) != want {
		t.Errorf("FromKafka with transaction metadata: %s %v, want %s", b, err, want)
	}
	for _, bad := range []map[string]any{
		{"pos": json.Number("4")},
		{"file": "f", "pos": json.Number("-1")},
		{"file": "f", "pos": json.Number("4"), "snapshot": true},
	} {
		if _, _, err := c.FromKafka(map[string]any{"server": "db1"}, bad); err == nil {
			t.Errorf("FromKafka %v: no error", bad)
		}
	}
	if got, b, err := c.FromKafka(map[string]any{"server": "db1"}, nil); err != nil || got != p.Partition || b != nil {
		t.Errorf("FromKafka of a deletion: %q %s %v", got, b, err)
	}
}
