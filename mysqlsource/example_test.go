package mysqlsource_test

import (
	"context"
	"fmt"
	"log"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/mysqlsource"
	"github.com/openmessaging/connect-go/runtime"
)

// Capture the tables of database shop: each table's changes go to a topic
// named after the table, as Debezium-style change events.
func Example() {
	ctx := context.Background()
	rt := runtime.New(runtime.WithPlugin("mysql", func() connect.Connector { return mysqlsource.New() }))
	if err := rt.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer rt.Stop(ctx)
	err := rt.CreateConnector(ctx, "shop-cdc", connect.Config{
		"connector.class":  "mysql",
		"host":             "127.0.0.1",
		"port":             "3306",
		"user":             "cdc",
		"password":         "secret",
		"database.include": "shop",
		"table.exclude":    `shop\.audit_.*`,
		"server.id":        "5401",
	})
	if err != nil {
		log.Fatal(err)
	}
}

// The seed's configuration keys are aliases of the connector's own.
func Example_seedKeys() {
	spec := mysqlsource.New().Spec().Config
	cfg := spec.Apply(connect.Config{
		"mysqlAddr":     "127.0.0.1",
		"mysqlPort":     "3306",
		"mysqlUsername": "root",
		"mysqlPassword": "secret",
		"whiteDataBase": "shop",
		"whiteTable":    "orders",
	})
	fmt.Println(spec.Validate(cfg))
	for _, k := range []string{"host", "port", "user", "database.include", "table.include", "snapshot.mode"} {
		fmt.Printf("%s=%s\n", k, cfg[k])
	}
	fmt.Println("password:", spec.Mask(cfg)["password"])
	// Output:
	// <nil>
	// host=127.0.0.1
	// port=3306
	// user=root
	// database.include=shop
	// table.include=orders
	// snapshot.mode=initial
	// password: [hidden]
}
