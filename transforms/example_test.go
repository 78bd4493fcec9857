package transforms_test

import (
	"context"
	"fmt"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/transforms"
)

// A typed row through InsertField$Value and ReplaceField$Value: the
// schema travels with it, extended and renamed as Kafka Connect does.
func Example_typedRow() {
	schema := connect.NewStructSchema("shop.customers.Value", false,
		connect.StructField{Name: "id", Schema: &connect.Schema{Type: connect.TypeInt64}},
		connect.StructField{Name: "email", Schema: &connect.Schema{Type: connect.TypeString, Optional: true}},
	)
	r := &connect.Record{Topic: "customers", Value: connect.NewStruct(schema, int64(7), "a@example.com")}

	insert := transforms.Transforms()["org.apache.kafka.connect.transforms.InsertField$Value"]()
	rename := transforms.Transforms()["org.apache.kafka.connect.transforms.ReplaceField$Value"]()
	if err := insert.Configure(connect.Config{"topic.field": "topic!"}); err != nil {
		panic(err)
	}
	if err := rename.Configure(connect.Config{"renames": "email:mail"}); err != nil {
		panic(err)
	}
	ctx := context.Background()
	for _, t := range []connect.Transform{insert, rename} {
		var err error
		if r, err = t.Apply(ctx, r); err != nil {
			panic(err)
		}
	}
	row := r.Value.(*connect.Struct)
	fmt.Println(row.Schema)
	fmt.Println(row.Values...)
	// Output:
	// struct shop.customers.Value{id int64, mail optional string, topic string}
	// 7 a@example.com customers
}
