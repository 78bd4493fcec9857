package mysqlsource_test

import (
	"context"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/converter"
	"github.com/openmessaging/connect-go/mysqlsource"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/transport/memory"
)

// TestSeedDemo is the seed's quickstart: with the seed's own config keys, an
// update of a row arrives as a change event on the topic named after the
// table, through the runtime and the in-memory transport.
func TestSeedDemo(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE accounts (id INT PRIMARY KEY, owner VARCHAR(40), balance DECIMAL(12,2))",
		"INSERT INTO accounts VALUES (1, 'ada', 100.00)")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	broker := memory.New()
	defer broker.Close()
	rt := runtime.New(
		runtime.WithTransport(broker.Client()),
		runtime.WithPlugin("mysql", func() connect.Connector { return mysqlsource.New() }),
	)
	if err := rt.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer rt.Stop(context.Background())
	sub, err := broker.Broadcast(ctx, "accounts")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	// The seed's keys, as RocketMQ Connect's MySQL connector took them.
	err = rt.CreateConnector(ctx, "mysql-demo", connect.Config{
		"connector.class": "mysql",
		"mysqlAddr":       db.srv.host,
		"mysqlPort":       db.srv.port,
		"mysqlUsername":   db.srv.user,
		"mysqlPassword":   db.srv.password,
		"whiteDataBase":   db.name,
		"whiteTable":      "accounts",
		"server.id":       "4242",
	})
	if err != nil {
		t.Fatal(err)
	}
	json := converter.NewJSON()
	next := func(op connect.Operation) *connect.Record {
		t.Helper()
		for {
			msgs, err := sub.Fetch(ctx, 10)
			if err != nil {
				st, _ := rt.ConnectorStatus("mysql-demo")
				t.Fatalf("waiting for a %q event on topic accounts: %v (status %+v)", op, err, st)
			}
			for _, m := range msgs {
				r, err := json.Decode(m)
				if err != nil {
					t.Fatal(err)
				}
				if r.Change != nil && r.Change.Op == op {
					return r
				}
			}
		}
	}
	if r := next(connect.OpRead); field(r.Change.After, "owner") != "ada" {
		t.Errorf("snapshot row: %v", r.Change.After)
	}
	db.exec("UPDATE accounts SET balance = 250.50 WHERE id = 1")
	r := next(connect.OpUpdate)
	if r.Topic != "accounts" {
		t.Errorf("topic %q, want accounts", r.Topic)
	}
	if field(r.Change.Before, "balance") != "100.00" || field(r.Change.After, "balance") != "250.50" {
		t.Errorf("update: before %v, after %v", r.Change.Before, r.Change.After)
	}
	if k, ok := r.Key.(map[string]any); !ok || k["id"] != int64(1) {
		t.Errorf("key %#v, want {id: 1}", r.Key)
	}
	src, _ := connect.AsMap(r.Change.Source)
	if src["connector"] != "mariadb" || src["db"] != db.name || src["table"] != "accounts" || src["file"] == nil || src["gtid"] == nil {
		t.Errorf("source block: %v", src)
	}
	st, err := rt.ConnectorStatus("mysql-demo")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Tasks) != 1 || st.Tasks[0].Progress["phase"] != "streaming" {
		t.Errorf("task status: %+v", st.Tasks)
	}
}
