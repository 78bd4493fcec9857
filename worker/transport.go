package worker

import (
	"log/slog"
	"strings"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/transport/rocketmq"
)

// newTransport returns the message transport the configuration asks for
// and a function closing it (after the runtime stopped); a nil transport
// means the runtime's embedded in-memory broker, which the runtime owns and
// closes itself.
func newTransport(c config, log *slog.Logger) (connect.MessageTransport, func() error, error) {
	if c.RocketMQNamesrv == "" {
		log.Info("transport: embedded in-memory broker; records in flight do not survive a restart")
		return nil, func() error { return nil }, nil
	}
	// The runtime opens it in Start (connect.Opener); an unreachable name
	// server fails the start.
	opts := []rocketmq.Option{
		rocketmq.WithNameServers(splitAddrs(c.RocketMQNamesrv)),
		rocketmq.WithBrokerAddrs(splitAddrs(c.RocketMQBroker)),
		rocketmq.WithLogger(log),
	}
	if c.RocketMQPerHeader {
		opts = append(opts, rocketmq.WithPropertyPerHeader())
	}
	t := rocketmq.New(opts...)
	log.Info("transport: RocketMQ", "name_servers", c.RocketMQNamesrv, "brokers", c.RocketMQBroker)
	return t, t.Close, nil
}

// splitAddrs splits RocketMQ's "host:port;host:port" lists (commas work
// too).
func splitAddrs(s string) []string {
	var out []string
	for _, a := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' }) {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}
