package mysqlsource_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
)

// TestSharedTopicWarning: with topic.naming=table, tables of the same name
// in two captured databases share a topic, which the task warns about once
// (snapshot and binlog alike); database.table, Debezium's naming, keeps
// them apart without a warning.
func TestSharedTopicWarning(t *testing.T) {
	const warning = "share a topic: set topic.naming"
	for _, naming := range []string{"table", "database.table"} {
		a, b := newTestDB(t), newTestDB(t)
		for _, db := range []*testDB{a, b} {
			db.exec("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)")
		}
		var logs connecttest.LogBuffer
		cfg := a.config("database.include", a.name+","+b.name, "topic.naming", naming)
		r := startRunLogged(t, cfg, nil, slog.New(slog.NewTextHandler(&logs, nil)))
		r.pollUntil(20*time.Second, "the snapshot", func(recs []*connect.Record) bool { return ops(recs)[connect.OpRead] == 2 })
		a.exec("INSERT INTO t VALUES (2)")
		b.exec("INSERT INTO t VALUES (2)")
		r.pollUntil(20*time.Second, "the inserts", func(recs []*connect.Record) bool { return ops(recs)[connect.OpCreate] == 2 })
		topics := map[string]bool{}
		for _, rec := range r.recs {
			topics[rec.Topic] = true
		}
		n := strings.Count(logs.String(), warning)
		switch {
		case naming == "table" && (n != 1 || len(topics) != 1):
			t.Errorf("topic.naming=table: %d warnings, topics %v; want 1 warning, 1 topic", n, topics)
		case naming == "database.table" && (n != 0 || len(topics) != 2):
			t.Errorf("topic.naming=database.table: %d warnings, topics %v; want none, 2 topics", n, topics)
		}
	}
}

// TestOwnTopicWarning: under connect-go's naming (the bare table name), a
// captured table named like the schema change topic shares it with the
// schema change events: the task warns once.
func TestOwnTopicWarning(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE schema_changes (id INT PRIMARY KEY)", "INSERT INTO schema_changes VALUES (1)")
	var logs connecttest.LogBuffer
	r := startRunLogged(t, db.config("include.schema.changes", "true"), nil, slog.New(slog.NewTextHandler(&logs, nil)))
	r.pollUntil(20*time.Second, "the snapshot", func(recs []*connect.Record) bool { return ops(recs)[connect.OpRead] == 1 })
	db.exec("INSERT INTO schema_changes VALUES (2)")
	r.pollUntil(20*time.Second, "the insert", func(recs []*connect.Record) bool { return ops(recs)[connect.OpCreate] == 1 })
	if n := strings.Count(logs.String(), "share a topic: set topic.naming"); n != 1 {
		t.Errorf("%d warnings, want 1; log:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "schema change events") {
		t.Errorf("the warning does not name the schema change events; log:\n%s", logs.String())
	}
}
