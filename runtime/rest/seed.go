package rest

import (
	"fmt"
	"net"
	"strings"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/runtime"
)

// RocketMQ Connect's runtime keys. The seed's quickstart creates its
// connectors with them; the API translates them into the runtime's
// settings (and drops them from the stored config), or rejects them with a
// field error: never ignores them.
const (
	seedConnectorClass = "connector-class"
	seedDriverURL      = "oms-driver-url"
	seedConverter      = "source-record-converter"
)

// seedJSONConverters are the seed's names of its JSON converter, which is
// the runtime's default converter.
var seedJSONConverters = []string{
	"io.openmessaging.connect.runtime.converter.JsonConverter",
	"org.apache.rocketmq.connect.runtime.converter.JsonConverter",
}

// WithRocketMQNameServers names the RocketMQ name servers of the runtime's
// transport, so that a seed config's oms-driver-url naming them is
// accepted; one naming others is a field error. Default: none (the
// embedded in-memory transport), so that every oms-driver-url is an error.
func WithRocketMQNameServers(addrs ...string) Option {
	return optionFunc(func(c *handlerConfig) {
		for _, a := range addrs {
			if a = strings.TrimSpace(a); a != "" {
				c.nameServers = append(c.nameServers, a)
			}
		}
	})
}

// translateSeed rewrites the seed's runtime keys of cfg in place.
func (h *restHandler) translateSeed(cfg connect.Config) error {
	errs := &connect.ConfigError{}
	if c, ok := cfg[seedConnectorClass]; ok {
		if cc, has := cfg[runtime.KeyConnectorClass]; has && cc != c {
			errs.Add(seedConnectorClass, "%q contradicts %s %q", c, runtime.KeyConnectorClass, cc)
		} else {
			cfg[runtime.KeyConnectorClass] = c
			delete(cfg, seedConnectorClass)
		}
	}
	if c, ok := cfg[seedConverter]; ok {
		if !containsFold(seedJSONConverters, strings.TrimSpace(c)) {
			errs.Add(seedConverter, "%q is not supported: records are converted by the worker's converter (JSON)", c)
		} else {
			delete(cfg, seedConverter)
		}
	}
	if u, ok := cfg[seedDriverURL]; ok {
		if err := h.checkDriverURL(u); err != nil {
			errs.Add(seedDriverURL, "%v", err)
		} else {
			delete(cfg, seedDriverURL)
		}
	}
	return errs.Err()
}

// checkDriverURL accepts an oms-driver-url naming the worker's own RocketMQ:
// oms:rocketmq://host:port[;host:port]/namespace.
func (h *restHandler) checkDriverURL(u string) error {
	rest, ok := strings.CutPrefix(strings.TrimSpace(u), "oms:rocketmq://")
	if !ok {
		return fmt.Errorf("%q is not supported: want oms:rocketmq://host:port/..., naming the worker's RocketMQ", u)
	}
	hosts, _, _ := strings.Cut(rest, "/")
	if len(h.cfg.nameServers) == 0 {
		return fmt.Errorf("names RocketMQ at %s, but this worker runs the embedded in-memory transport (start it with --rocketmq-namesrv)", hosts)
	}
	for _, a := range strings.FieldsFunc(hosts, func(r rune) bool { return r == ';' || r == ',' }) {
		for _, ns := range h.cfg.nameServers {
			if sameAddr(a, ns) {
				return nil
			}
		}
	}
	return fmt.Errorf("names RocketMQ at %s, but this worker's name servers are %s; a connector runs on its worker's RocketMQ",
		hosts, strings.Join(h.cfg.nameServers, ";"))
}

// sameAddr compares host:port addresses, taking every loopback name as one.
func sameAddr(a, b string) bool {
	ha, pa, err1 := net.SplitHostPort(strings.TrimSpace(a))
	hb, pb, err2 := net.SplitHostPort(strings.TrimSpace(b))
	if err1 != nil || err2 != nil || pa != pb {
		return false
	}
	return strings.EqualFold(ha, hb) || (loopback(ha) && loopback(hb))
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
