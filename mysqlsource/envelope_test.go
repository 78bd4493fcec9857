package mysqlsource_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/converter"
	"github.com/openmessaging/connect-go/mysqlsource"
)

// TestEnvelopeAndSource: snapshot and streamed events are written by the
// JSON converter as Debezium 3's MySQL and MariaDB connectors write them:
// the envelope's members in Debezium's order with the processing time in
// ts_ms, ts_us and ts_ns and a null transaction, and the source block with
// Debezium's fields in the order of its Source schema (version, connector,
// name, ts_ms, snapshot, db, sequence, ts_us, ts_ns, table, server_id,
// gtid, file, pos, row, thread, query; Debezium's documentation, "Data
// change events", and SchemaFactory.sourceInfoSchemaBuilder), connector
// "mariadb" for this MariaDB server (Debezium's MariaDB connector) and
// sequence null, as Debezium's MySQL and MariaDB connectors leave it.
func TestEnvelopeAndSource(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT)", "INSERT INTO t VALUES (1, 1)")
	r := startRun(t, db.config(), nil)
	r.pollUntil(20*time.Second, "the snapshot", func(recs []*connect.Record) bool { return ops(recs)[connect.OpRead] == 1 })
	db.exec("INSERT INTO t VALUES (2, 2)")
	r.pollUntil(20*time.Second, "the insert", func(recs []*connect.Record) bool { return ops(recs)[connect.OpCreate] == 1 })

	enc := converter.NewJSON(converter.WithValueSchemas(true))
	wantSource := []string{"version", "connector", "name", "ts_ms", "snapshot", "db", "sequence", "ts_us", "ts_ns",
		"table", "server_id", "gtid", "file", "pos", "row", "thread", "query"}
	for _, rec := range r.recs {
		if rec.Change.At.IsZero() {
			t.Errorf("%s event without a processing time (Change.At)", rec.Change.Op)
		}
		m, err := enc.Encode(rec)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Schema  json.RawMessage `json:"schema"`
			Payload json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(m.Value, &env); err != nil {
			t.Fatal(err)
		}
		if got, want := keysOf(t, env.Payload), "before after source transaction op ts_ms ts_us ts_ns"; got != want {
			t.Errorf("%s envelope members %s, want %s", rec.Change.Op, got, want)
		}
		var p struct {
			Source      json.RawMessage `json:"source"`
			Transaction json.RawMessage `json:"transaction"`
			TsMs        int64           `json:"ts_ms"`
			TsUs        int64           `json:"ts_us"`
			TsNs        int64           `json:"ts_ns"`
		}
		if err := json.Unmarshal(env.Payload, &p); err != nil {
			t.Fatal(err)
		}
		if string(p.Transaction) != "null" {
			t.Errorf("transaction %s, want null", p.Transaction)
		}
		if p.TsUs != p.TsNs/1000 || p.TsMs != p.TsNs/1_000_000 || p.TsNs != rec.Change.At.UnixNano() {
			t.Errorf("envelope ts_ms %d, ts_us %d, ts_ns %d: not Change.At %v", p.TsMs, p.TsUs, p.TsNs, rec.Change.At)
		}
		if got, want := keysOf(t, p.Source), strings.Join(wantSource, " "); got != want {
			t.Errorf("%s source fields %s, want %s", rec.Change.Op, got, want)
		}
		var src map[string]any
		d := json.NewDecoder(bytes.NewReader(p.Source))
		d.UseNumber()
		if err := d.Decode(&src); err != nil {
			t.Fatal(err)
		}
		snapshot := "false"
		if rec.Change.Op == connect.OpRead {
			snapshot = "last" // the snapshot's only row
		}
		if src["connector"] != "mariadb" || src["version"] != mysqlsource.SourceVersion() || src["sequence"] != nil ||
			src["snapshot"] != snapshot || src["table"] != "t" {
			t.Errorf("%s source %s", rec.Change.Op, p.Source)
		}
		ms, _ := src["ts_ms"].(json.Number).Int64()
		us, _ := src["ts_us"].(json.Number).Int64()
		ns, _ := src["ts_ns"].(json.Number).Int64()
		if us/1000 != ms || ns/1000 != us {
			t.Errorf("source ts_ms %d, ts_us %d, ts_ns %d: not the same time", ms, us, ns)
		}
		if rec.Change.Op == connect.OpCreate && ms%1000 != 0 {
			t.Errorf("streamed source ts_ms %d: the binlog header's time has whole seconds", ms)
		}
		for _, want := range []string{
			`"name":"io.debezium.connector.mariadb.Source"`,
			`{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"field":"snapshot"}`,
			`{"type":"string","optional":true,"field":"sequence"},{"type":"int64","optional":true,"field":"ts_us"},{"type":"int64","optional":true,"field":"ts_ns"}`,
			`{"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"},{"type":"int64","optional":true,"field":"ts_us"},{"type":"int64","optional":true,"field":"ts_ns"}`,
		} {
			if !strings.Contains(string(env.Schema), want) {
				t.Errorf("the envelope schema lacks %s:\n%s", want, env.Schema)
			}
		}
	}
	if s := mysqlsource.SourceSchema("mysql"); s.Name != "io.debezium.connector.mysql.Source" || s.FieldIndex("sequence") != 6 {
		t.Errorf("MySQL source schema %s", s)
	}
}

// keysOf returns the member names of a JSON object, in order.
func keysOf(t *testing.T, obj json.RawMessage) string {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", obj)
	}
	var keys []string
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return strings.Join(keys, " ")
}
