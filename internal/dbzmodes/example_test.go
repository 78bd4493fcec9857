package dbzmodes_test

import (
	"encoding/json"
	"fmt"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/internal/dbzmodes"
)

// A row in connect-go's encodings, mapped with Debezium's defaults
// (value.encoding=debezium) but decimals as text.
func Example() {
	settings, err := dbzmodes.Parse(connect.Config{
		"value.encoding":        "debezium",
		"decimal.handling.mode": "string",
	}, dbzmodes.EncodingConnectGo)
	if err != nil {
		panic(err)
	}
	schema := connect.NewStructSchema("shop.inventory.orders.Value", true,
		connect.StructField{Name: "id", Schema: &connect.Schema{Type: connect.TypeInt32}},
		connect.StructField{Name: "day", Schema: &connect.Schema{Type: connect.TypeDate}},
		connect.StructField{Name: "at", Schema: &connect.Schema{Type: connect.TypeTimestamp, Fraction: 6}},
		connect.StructField{Name: "took", Schema: &connect.Schema{Type: connect.TypeTime}},
		connect.StructField{Name: "price", Schema: &connect.Schema{Type: connect.TypeDecimal, Precision: 10, Scale: 2}},
	)
	row := connect.NewStruct(schema, int64(1),
		time.Date(2018, 6, 20, 0, 0, 0, 0, time.UTC),
		time.Date(2018, 6, 20, 6, 37, 3, 250000000, time.UTC),
		"-838:59:59", "12.50")

	m := dbzmodes.NewMapper(settings, 0)
	if err := m.MapInPlace(row); err != nil {
		panic(err)
	}
	b, _ := json.Marshal(row)
	fmt.Println(string(b))
	for _, f := range row.Schema.Fields {
		fmt.Println(f.Name, f.Schema.Type, f.Schema.Name+";")
	}
	// Output:
	// {"id":1,"day":17702,"at":1529476623250000,"took":-3020399000000,"price":"12.50"}
	// id int32 ;
	// day int32 io.debezium.time.Date;
	// at int64 io.debezium.time.MicroTimestamp;
	// took int64 io.debezium.time.MicroTime;
	// price string ;
}
