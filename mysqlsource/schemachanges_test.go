package mysqlsource_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/converter"
	"github.com/openmessaging/connect-go/offset"
)

// Expectations below cite Debezium's MySQL connector documentation,
// "Schema change topic" (documentation/modules/ROOT/partials/modules/
// all-connectors/shared-mariadb-mysql.adoc), and the schemas of its
// SchemaFactory and ConnectTableChangeSerializer, which that section's
// example message follows.

// schemaEvents returns the schema change events among recs, as
// "TYPE db.table" strings.
func schemaEvents(recs []*connect.Record, topic string) []string {
	var out []string
	for _, r := range recs {
		if r.Topic != topic {
			continue
		}
		for _, c := range field(r.Value, "tableChanges").([]any) {
			out = append(out, fmt.Sprintf("%s %s", field(c, "type"), field(c, "id")))
		}
	}
	return out
}

// encodeJSON returns a record's key and value as the JSON converter writes
// them without schemas, decoded into generic maps, and the value's
// members as written (raw JSON text, in the converter's order).
func encodeJSON(t *testing.T, r *connect.Record) (key, value map[string]any, raw map[string]json.RawMessage) {
	t.Helper()
	m, err := converter.NewJSON().Encode(r)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	if err := json.Unmarshal(m.Key, &key); err != nil {
		t.Fatalf("key %s: %v", m.Key, err)
	}
	if err := json.Unmarshal(m.Value, &value); err != nil {
		t.Fatalf("value %s: %v", m.Value, err)
	}
	if err := json.Unmarshal(m.Value, &raw); err != nil {
		t.Fatalf("value %s: %v", m.Value, err)
	}
	return key, value, raw
}

func mustJSONText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSchemaChangeEvents: with include.schema.changes, the snapshot emits
// a CREATE event per captured table before any row ("Debezium emits CREATE
// events during the snapshot"), and DDL of a captured table while
// streaming emits CREATE, ALTER and DROP events with the table's new
// schema, keyed by database, on the schema change topic; tables not
// captured get none. A restart after an event emits neither it again nor
// loses the next.
func TestSchemaChangeEvents(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE a (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20) NOT NULL DEFAULT 'x' COMMENT 'the name', " +
		"d DECIMAL(10,2) UNSIGNED, e ENUM('p','q')) DEFAULT CHARSET=utf8mb4 COMMENT='table a'")
	db.exec("CREATE TABLE skipped (id INT PRIMARY KEY)")
	db.exec("INSERT INTO a (name) VALUES ('one')")
	store := offset.NewMemory()
	cfg := db.config("include.schema.changes", "true", "topic.prefix", "srv.", "table.exclude", db.name+`\.skipped`)
	const topic = "srv.schema_changes" // connect-go's naming: topic.prefix + schema_changes
	r := startRun(t, cfg, store)
	r.pollUntil(20*time.Second, "streaming", streaming(r))

	// "Debezium emits CREATE events during the snapshot": before the rows.
	if len(r.recs) < 2 || r.recs[0].Topic != topic || r.recs[1].Change == nil || r.recs[1].Change.Op != connect.OpRead {
		t.Fatalf("snapshot records: want the CREATE event of a, then its row; got %d records, first on %q", len(r.recs), r.recs[0].Topic)
	}
	if got, want := schemaEvents(r.recs, topic), []string{`CREATE "` + db.name + `"."a"`}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("snapshot schema events %v, want %v", got, want)
	}
	key, value, raw := encodeJSON(t, r.recs[0])
	// The key is {"databaseName": ...} ("The value of databaseName serves
	// as the message key").
	if got, want := mustJSONText(t, key), `{"databaseName":"`+db.name+`"}`; got != want {
		t.Errorf("key %s, want %s", got, want)
	}
	if ddl, _ := value["ddl"].(string); !strings.HasPrefix(ddl, "CREATE TABLE `a`") {
		t.Errorf("snapshot ddl %q, want SHOW CREATE TABLE's text", ddl)
	}
	src := value["source"].(map[string]any)
	if src["snapshot"] != "true" || src["db"] != db.name || src["table"] != "a" {
		t.Errorf("snapshot event source %v, want snapshot true, db and table", src)
	}
	// The table as ConnectTableChangeSerializer writes it: Debezium's
	// example gives INT as jdbcType 4 "INT", autoIncremented and generated
	// true; VARCHAR(255) as jdbcType 12, charsetName utf8mb4, length 255.
	wantA := `{"type":"CREATE","id":"\"` + db.name + `\".\"a\"","table":{"defaultCharsetName":"utf8mb4","primaryKeyColumnNames":["id"],"columns":[` +
		`{"name":"id","jdbcType":4,"nativeType":null,"typeName":"INT","typeExpression":"INT","charsetName":null,"length":11,"scale":null,"position":1,"optional":false,"autoIncremented":true,"generated":true,"comment":null,"defaultValueExpression":null,"enumValues":null},` +
		`{"name":"name","jdbcType":12,"nativeType":null,"typeName":"VARCHAR","typeExpression":"VARCHAR","charsetName":"utf8mb4","length":20,"scale":null,"position":2,"optional":false,"autoIncremented":false,"generated":false,"comment":"the name","defaultValueExpression":"x","enumValues":null},` +
		`{"name":"d","jdbcType":3,"nativeType":null,"typeName":"DECIMAL UNSIGNED","typeExpression":"DECIMAL UNSIGNED","charsetName":null,"length":10,"scale":2,"position":3,"optional":true,"autoIncremented":false,"generated":false,"comment":null,"defaultValueExpression":null,"enumValues":null},` +
		`{"name":"e","jdbcType":1,"nativeType":null,"typeName":"ENUM","typeExpression":"ENUM","charsetName":"utf8mb4","length":null,"scale":null,"position":4,"optional":true,"autoIncremented":false,"generated":false,"comment":null,"defaultValueExpression":null,"enumValues":["p","q"]}` +
		`],"comment":"table a"}}`
	if got := string(raw["tableChanges"]); got != "["+wantA+"]" {
		t.Errorf("snapshot table change\n%s, want\n%s", got, wantA)
	}
	for _, k := range []string{"source", "ts_ms", "databaseName", "schemaName", "ddl", "tableChanges"} {
		if _, ok := value[k]; !ok {
			t.Errorf("value has no %q: %v", k, value)
		}
	}
	// The schema names of the doc's example, io.debezium.connector.mysql.SchemaChangeKey, under
	// the MariaDB connector's name (Debezium 3 has one of its own; source.connector says mariadb)
	// (and SchemaFactory's SchemaChangeValue, Change, Table, Column).
	m, err := converter.NewJSON(converter.WithKeySchemas(true), converter.WithValueSchemas(true)).Encode(r.recs[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{`"name":"io.debezium.connector.mariadb.SchemaChangeKey"`} {
		if !strings.Contains(string(m.Key), name) {
			t.Errorf("key %s lacks %s", m.Key, name)
		}
	}
	for _, name := range []string{"io.debezium.connector.mariadb.SchemaChangeValue", "io.debezium.connector.schema.Change",
		"io.debezium.connector.schema.Table", "io.debezium.connector.schema.Column", "io.debezium.connector.mariadb.Source"} {
		if !strings.Contains(string(m.Value), `"name":"`+name+`"`) {
			t.Errorf("value schema lacks %s", name)
		}
	}
	if value["databaseName"] != db.name || value["schemaName"] != nil {
		t.Errorf("databaseName %v schemaName %v, want %s and null", value["databaseName"], value["schemaName"], db.name)
	}

	db.exec("CREATE TABLE b (id BIGINT PRIMARY KEY, t TEXT)",
		"ALTER TABLE a ADD COLUMN z DATETIME(3) NULL, DROP COLUMN e",
		"CREATE TABLE skipped2 (id INT)", "ALTER TABLE skipped ADD COLUMN v INT",
		"INSERT INTO a (name) VALUES ('two')",
		"DROP TABLE b")
	r.pollUntil(20*time.Second, "the DROP event", func(recs []*connect.Record) bool { return len(schemaEvents(recs, topic)) >= 5 })
	want := []string{`CREATE "` + db.name + `"."a"`, `CREATE "` + db.name + `"."b"`, `ALTER "` + db.name + `"."a"`, `CREATE "` + db.name + `"."skipped2"`, `DROP "` + db.name + `"."b"`}
	if got := schemaEvents(r.recs, topic); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("schema events %v, want %v", got, want)
	}
	var alter, drop *connect.Record
	for _, rec := range r.recs {
		if rec.Topic == topic {
			switch field(field(rec.Value, "tableChanges").([]any)[0], "type") {
			case "ALTER":
				alter = rec
			case "DROP":
				drop = rec
			}
		}
	}
	if alter == nil || drop == nil {
		t.Fatal("no ALTER or DROP event")
	}
	// "tableChanges: A structured representation of the entire table
	// schema after the schema change."
	_, value, _ = encodeJSON(t, alter)
	if got, want := value["ddl"], "ALTER TABLE a ADD COLUMN z DATETIME(3) NULL, DROP COLUMN e"; got != want {
		t.Errorf("ddl %q, want %q", got, want)
	}
	src = value["source"].(map[string]any)
	if src["snapshot"] != "false" || src["db"] != db.name || src["table"] != "a" || src["file"] == nil {
		t.Errorf("ALTER source %v", src)
	}
	var names []string
	for _, c := range value["tableChanges"].([]any)[0].(map[string]any)["table"].(map[string]any)["columns"].([]any) {
		c := c.(map[string]any)
		names = append(names, fmt.Sprintf("%s:%s:%v:%v", c["name"], c["typeName"], c["length"], c["position"]))
	}
	if got, want := strings.Join(names, " "), "id:INT:11:1 name:VARCHAR:20:2 d:DECIMAL UNSIGNED:10:3 z:DATETIME:3:4"; got != want {
		t.Errorf("ALTER columns %s, want %s", got, want)
	}
	// DROP carries no table, as Debezium's TableChanges.drop(id).
	_, _, raw = encodeJSON(t, drop)
	if got, want := string(raw["tableChanges"]), `[{"type":"DROP","id":"\"`+db.name+`\".\"b\"","table":null}]`; got != want {
		t.Errorf("DROP tableChanges %s, want %s", got, want)
	}

	// Restart after the ALTER event was committed: the ALTER is not
	// emitted again, the insert and DROP after it are.
	at := -1
	for i, rec := range r.recs {
		if rec == alter {
			at = i
		}
	}
	r.commit(at)
	r.stop()
	r2 := startRun(t, cfg, store)
	r2.pollUntil(20*time.Second, "the DROP event again", func(recs []*connect.Record) bool { return len(schemaEvents(recs, topic)) >= 2 })
	r2.poll(500 * time.Millisecond)
	if got, want := schemaEvents(r2.recs, topic), []string{`CREATE "` + db.name + `"."skipped2"`, `DROP "` + db.name + `"."b"`}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after a restart at the ALTER: schema events %v, want %v", got, want)
	}
	if ops(r2.recs)[connect.OpCreate] != 1 {
		t.Errorf("after a restart at the ALTER: %d inserts, want 1", ops(r2.recs)[connect.OpCreate])
	}
}

// TestSchemaChangeEventsSnapshotRestart: a restart between the snapshot's
// CREATE events emits the rest of them, not the ones emitted, then the
// rows; a restart after the rows began emits no CREATE event again.
func TestSchemaChangeEventsSnapshotRestart(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE a (id INT PRIMARY KEY)", "CREATE TABLE b (id INT PRIMARY KEY)", "CREATE TABLE c (id INT PRIMARY KEY)",
		"INSERT INTO a VALUES (1), (2)", "INSERT INTO c VALUES (1)")
	store := offset.NewMemory()
	cfg := db.config("include.schema.changes", "true", "poll.max.records", "1", "snapshot.fetch.size", "1")
	const topic = "schema_changes"
	id := func(t string) string { return `CREATE "` + db.name + `"."` + t + `"` }

	r := startRun(t, cfg, store)
	r.pollUntil(20*time.Second, "a CREATE event", func(recs []*connect.Record) bool { return len(recs) >= 1 })
	if got := schemaEvents(r.recs, topic); fmt.Sprint(got) != fmt.Sprint([]string{id("a")}) {
		t.Fatalf("first poll: %v", got)
	}
	r.commit(0)
	r.stop()

	r2 := startRun(t, cfg, store)
	r2.pollUntil(20*time.Second, "a row", func(recs []*connect.Record) bool { return ops(recs)[connect.OpRead] >= 1 })
	if got, want := schemaEvents(r2.recs, topic), []string{id("b"), id("c")}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after a restart at the first CREATE event: %v, want %v", got, want)
	}
	r2.commit(len(r2.recs) - 1)
	r2.stop()

	r3 := startRun(t, cfg, store)
	r3.pollUntil(20*time.Second, "streaming", streaming(r3))
	if got := schemaEvents(r3.recs, topic); len(got) != 0 {
		t.Errorf("after a restart at the first row: schema events %v, want none", got)
	}
	if got := ops(r3.recs)[connect.OpRead]; got != 2 {
		t.Errorf("after a restart at the first row: %d rows, want the other 2", got)
	}
}

// TestSchemaChangeEventsMultiTable: a statement changing two tables gives
// an event per table (Debezium's parser reports a table event each; a
// rename is an ALTER of the new name, TableChanges.rename), and a restart
// between them emits the second only.
func TestSchemaChangeEventsMultiTable(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE x (id INT PRIMARY KEY)", "CREATE TABLE y (id INT PRIMARY KEY)")
	store := offset.NewMemory()
	cfg := db.config("include.schema.changes", "true", "snapshot.mode", "never")
	const topic = "schema_changes"
	r := startRun(t, cfg, store)
	r.pollUntil(20*time.Second, "streaming", streaming(r))
	db.exec("RENAME TABLE x TO x2, y TO y2")
	r.pollUntil(20*time.Second, "two events", func(recs []*connect.Record) bool { return len(schemaEvents(recs, topic)) >= 2 })
	alter := func(t string) string { return `ALTER "` + db.name + `"."` + t + `"` }
	if got, want := schemaEvents(r.recs, topic), []string{alter("x2"), alter("y2")}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("schema events %v, want %v", got, want)
	}
	if cols := field(field(r.recs[0].Value, "tableChanges").([]any)[0], "table"); cols == nil {
		t.Errorf("the renamed table has no schema")
	}
	r.commit(0)
	r.stop()
	r2 := startRun(t, cfg, store)
	db.exec("CREATE TABLE z (id INT PRIMARY KEY)")
	r2.pollUntil(20*time.Second, "the next event", func(recs []*connect.Record) bool { return len(schemaEvents(recs, topic)) >= 2 })
	if got, want := schemaEvents(r2.recs, topic), []string{alter("y2"), `CREATE "` + db.name + `"."z"`}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after a restart at the first: %v, want %v", got, want)
	}
}
