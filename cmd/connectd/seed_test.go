package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openmessaging/connect-go/internal/testenv"
)

// TestConnectdSeedQuickstart sends RocketMQ Connect's quickstart request for
// its MySQL connector, as its README gives it (GET with the config in the
// query, unencoded, the seed's keys and class names), to the binary running
// over RocketMQ: the connector is created and runs. Only the addresses are
// the test's services; oms-driver-url names the worker's name server with
// "localhost", as the README does.
func TestConnectdSeedQuickstart(t *testing.T) {
	namesrv, broker := testenv.RocketMQ(t)
	my := testenv.Lookup(t, "MariaDB", "mysql", "MYSQL_ADDR", "MYSQL_USER")
	myHost, myPort, err := net.SplitHostPort(my[0])
	if err != nil {
		t.Fatalf("MYSQL_ADDR=%q: %v", my[0], err)
	}
	_, nsPort, err := net.SplitHostPort(strings.Split(namesrv, ";")[0])
	if err != nil {
		t.Fatalf("ROCKETMQ_NAMESRV=%q: %v", namesrv, err)
	}
	bin := buildConnectdRace(t, false) // see TestConnectdRocketMQ
	p := startConnectd(t, bin, filepath.Join(t.TempDir(), "data"),
		"CONNECTD_ROCKETMQ_NAMESRV="+namesrv, "CONNECTD_ROCKETMQ_BROKER="+broker)
	c := &client{t: t, http: &http.Client{Timeout: 30 * time.Second}}
	defer c.http.CloseIdleConnections()

	config := `{"connector-class":"io.openmessaging.mysql.connector.MysqlConnector",` +
		`"oms-driver-url":"oms:rocketmq://localhost:` + nsPort + `/default:default",` +
		`"mysqlAddr":"` + myHost + `","mysqlPort":"` + myPort + `","mysqlUsername":"` + my[1] + `","mysqlPassword":"` + os.Getenv("MYSQL_PASSWORD") + `",` +
		`"source-record-converter":"io.openmessaging.connect.runtime.converter.JsonConverter",` +
		`"whiteDataBase":{"connectd_seed_test":{"orders":{"NUM":"5"}}}}`
	u, _ := url.Parse(p.url + "/connectors/connector-name")
	u.RawQuery = "config=" + config // as curl -g sends it
	req, _ := http.NewRequest(http.MethodGet, u.String(), nil)
	req.URL.RawQuery = u.RawQuery
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Name   string            `json:"name"`
		Config map[string]string `json:"config"`
	}
	err = json.NewDecoder(res.Body).Decode(&info)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || err != nil {
		t.Fatalf("seed create: %d (%v)\n%s", res.StatusCode, err, p.logs)
	}
	// Only the password is compared: the test server's password may be a
	// word of the other values, which are then masked where it occurs.
	if info.Config["mysqlPassword"] != "[hidden]" || info.Config["connector-class"] != "" {
		t.Errorf("created: %+v", info)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var st struct {
			Connector struct{ State string }
			Tasks     []struct{ State, Trace string }
		}
		json.Unmarshal(c.want(http.StatusOK, "GET", p.url+"/connectors/connector-name/status", ""), &st)
		if st.Connector.State == "RUNNING" && len(st.Tasks) == 1 && st.Tasks[0].State == "RUNNING" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %+v\n%s", st, p.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The seed's stop deletes it.
	c.want(http.StatusOK, "POST", p.url+"/connectors/connector-name/stop", "")
}
