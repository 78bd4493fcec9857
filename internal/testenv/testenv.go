package testenv

import (
	"net"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// Lookup returns the values of the environment variables vars. When one is
// empty it skips t, or fails it when CI=true, saying how to start the
// service.
func Lookup(t testing.TB, service, up string, vars ...string) []string {
	t.Helper()
	vals := make([]string, len(vars))
	var missing []string
	for i, v := range vars {
		if vals[i] = os.Getenv(v); vals[i] == "" {
			missing = append(missing, v)
		}
	}
	if len(missing) == 0 {
		return vals
	}
	how := "set " + strings.Join(missing, ", ") + `: eval "$(scripts/services.sh up ` + up + `)"`
	if os.Getenv("CI") == "true" {
		t.Fatalf("this test needs %s in CI: %s", service, how)
	}
	t.Skipf("no %s: %s", service, how)
	return nil
}

// RocketMQ returns the name server and broker addresses of the test broker.
func RocketMQ(t testing.TB) (namesrv, broker string) {
	t.Helper()
	v := Lookup(t, "a RocketMQ broker", "rocketmq", "ROCKETMQ_NAMESRV", "ROCKETMQ_BROKER")
	return v[0], v[1]
}

// MySQLServer is the test MariaDB, as scripts/services.sh prints it.
type MySQLServer struct {
	Host, Port, User, Password string
}

// Addr returns host:port.
func (s MySQLServer) Addr() string { return net.JoinHostPort(s.Host, s.Port) }

// MySQL returns the test MariaDB from MYSQL_ADDR, MYSQL_USER and
// MYSQL_PASSWORD (skipping t, or failing it in CI, when they are not set).
func MySQL(t testing.TB) MySQLServer {
	t.Helper()
	v := Lookup(t, "MariaDB", "mysql", "MYSQL_ADDR", "MYSQL_USER")
	host, port, err := net.SplitHostPort(v[0])
	if err != nil {
		t.Fatalf("MYSQL_ADDR=%q: %v", v[0], err)
	}
	return MySQLServer{Host: host, Port: port, User: v[1], Password: os.Getenv("MYSQL_PASSWORD")}
}

// RocketMQClientLeaks ignores the goroutines rocketmq-client-go v2.1.2
// leaves running after Shutdown (upstream issue #1147): its scheduled tasks
// (sleeping up to 10s before they look at the done channel), its statistics
// tickers (some sleep until the next hour or month), connection readers and
// handlers, and pull loops blocked in a long poll of up to 30s. All but the
// pull loop run inside primitive.WithRecover; none of ours does. The
// janitor of the client's request-reply cache starts with the package
// (internal.RequestResponseFutureMap) and never stops. For the TestMain of
// every package whose tests start a RocketMQ client.
func RocketMQClientLeaks() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreTopFunction("github.com/patrickmn/go-cache.(*janitor).Run"),
		goleak.IgnoreAnyFunction("github.com/apache/rocketmq-client-go/v2/primitive.WithRecover"),
		goleak.IgnoreAnyFunction("github.com/apache/rocketmq-client-go/v2/consumer.(*defaultPullConsumer).pullMessage"),
		goleak.IgnoreAnyFunction("github.com/apache/rocketmq-client-go/v2/consumer.(*defaultPullConsumer).Start.func1.1"),
		goleak.IgnoreAnyFunction("github.com/apache/rocketmq-client-go/v2/internal.(*rmqClient).RebalanceImmediately"),
	}
}
