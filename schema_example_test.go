package connect_test

import (
	"encoding/json"
	"fmt"

	connect "github.com/openmessaging/connect-go"
)

// A source builds one schema per table and shares it between the rows it
// emits; each row is the schema plus its values in column order.
func ExampleNewStructSchema() {
	accounts := connect.NewStructSchema("shop.accounts.Value", false,
		connect.StructField{Name: "id", Schema: &connect.Schema{Type: connect.TypeInt64}},
		connect.StructField{Name: "owner", Schema: &connect.Schema{Type: connect.TypeString}},
		connect.StructField{Name: "balance", Schema: &connect.Schema{Type: connect.TypeDecimal, Precision: 10, Scale: 2, Optional: true}},
	)
	row := connect.NewStruct(accounts, int64(1), "ada", "250.50")
	if err := row.Validate(); err != nil {
		panic(err)
	}
	b, _ := json.Marshal(row)
	fmt.Println(accounts)
	fmt.Println(string(b))
	// Sinks that take typed and untyped rows alike read fields by name.
	owner, _ := connect.Lookup(row, "owner")
	fmt.Println(owner)
	// Output:
	// struct shop.accounts.Value{id int64, owner string, balance optional decimal(10,2)}
	// {"id":1,"owner":"ada","balance":"250.50"}
	// ada
}
