package mysqlsource_test

import (
	"fmt"
	"strings"
	"testing"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/mysqlsource"
)

func TestAcceptance(t *testing.T) {
	db := newTestDB(t)
	db.exec("CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(40))")
	next := 0
	connecttest.AcceptanceTest(t, connecttest.Driver{
		Connector: func() connect.Connector { return mysqlsource.New() },
		Config:    db.config(),
		WriteSource: func(t testing.TB, n int) []string {
			ids := make([]string, n)
			values := make([]string, n)
			for i := range n {
				next++
				ids[i] = fmt.Sprint(next)
				values[i] = fmt.Sprintf("(%d, 'item %d')", next, next)
			}
			db.exec("INSERT INTO items VALUES " + strings.Join(values, ", "))
			return ids
		},
		RecordID: func(r *connect.Record) string { return fmt.Sprint(keyID(r)) },
	})
}
