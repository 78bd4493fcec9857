package testenv

import (
	"os"
	"strings"
	"testing"
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
