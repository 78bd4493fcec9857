package worker

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"
)

// config is the worker's configuration, from defaults, the config file,
// the environment and the command line, each overriding the one before.
type config struct {
	Listen          string
	DataDir         string
	RocketMQNamesrv string
	RocketMQBroker  string
	// RocketMQPerHeader writes each header as a property of its own, the
	// form workers before CONNECT_HEADERS read (rocketmq-header-format).
	RocketMQPerHeader bool
	WorkerID          string
	LogFormat         string
	LogLevel          slog.Level
	AuthToken         string
	AuthBasicUser     string
	AuthBasicPass     string
	ShutdownTimeout   time.Duration
	ClusterID         string
}

// setting is one configuration key: its flag name (also its key in the
// config file), environment variable, default and how it is stored.
type setting struct {
	name, env, def, usage string
	set                   func(c *config, v string) error
}

const envConfig = "CONNECTD_CONFIG"

var settings = []setting{
	{"listen", "CONNECTD_LISTEN", "127.0.0.1:8082",
		"address of the REST API and /metrics; a host other than a loopback one exposes them to the network",
		func(c *config, v string) error {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return fmt.Errorf("want host:port: %w", err)
			}
			c.Listen = v
			return nil
		}},
	{"data-dir", "CONNECTD_DATA_DIR", "connectd-data",
		"directory for connectors.json (connector configs) and offsets.json (source offsets); created if missing",
		func(c *config, v string) error {
			if strings.TrimSpace(v) == "" {
				return errors.New("must not be empty")
			}
			c.DataDir = v
			return nil
		}},
	{"rocketmq-namesrv", "CONNECTD_ROCKETMQ_NAMESRV", "",
		"RocketMQ name server addresses (host:port;host:port); empty runs the embedded in-memory transport",
		func(c *config, v string) error { c.RocketMQNamesrv = v; return nil }},
	{"rocketmq-broker", "CONNECTD_ROCKETMQ_BROKER", "",
		"RocketMQ broker master addresses (host:port;...) on which missing topics are created; without it topics must exist or be auto-created by the broker",
		func(c *config, v string) error { c.RocketMQBroker = v; return nil }},
	{"rocketmq-header-format", "CONNECTD_ROCKETMQ_HEADER_FORMAT", "packed",
		"how record headers travel in RocketMQ messages: packed (one property, CONNECT_HEADERS) or per-property (one property each, the only form connect-go before 2026-12 reads: use it while such workers share the topics, in a rolling upgrade); both are read",
		func(c *config, v string) error {
			switch v {
			case "packed":
				c.RocketMQPerHeader = false
			case "per-property":
				c.RocketMQPerHeader = true
			default:
				return fmt.Errorf("want packed or per-property, got %q", v)
			}
			return nil
		}},
	{"cluster-id", "CONNECTD_CLUSTER_ID", "",
		"id of the cluster this worker joins: workers with the same id on the same RocketMQ share their connectors (needs --rocketmq-namesrv); empty runs standalone",
		func(c *config, v string) error { c.ClusterID = strings.TrimSpace(v); return nil }},
	{"worker-id", "CONNECTD_WORKER_ID", "",
		"id of this worker in statuses (default: host name and REST port, as Kafka Connect)",
		func(c *config, v string) error { c.WorkerID = v; return nil }},
	{"log-format", "CONNECTD_LOG_FORMAT", "text", "log format: text or json",
		func(c *config, v string) error {
			if v != "text" && v != "json" {
				return fmt.Errorf("want text or json, got %q", v)
			}
			c.LogFormat = v
			return nil
		}},
	{"log-level", "CONNECTD_LOG_LEVEL", "info", "log level: debug, info, warn or error",
		func(c *config, v string) error { return c.LogLevel.UnmarshalText([]byte(v)) }},
	{"auth-token", "CONNECTD_AUTH_TOKEN", "",
		"bearer token every REST request but GET /health must carry; empty disables authentication (prefer the environment variable: flags show in ps)",
		func(c *config, v string) error { c.AuthToken = v; return nil }},
	{"auth-basic", "CONNECTD_AUTH_BASIC", "",
		"user:password of HTTP Basic authentication, which Kafka Connect clients speak; with --auth-token either is accepted; empty disables it (prefer the environment variable: flags show in ps)",
		func(c *config, v string) error {
			if v == "" {
				return nil
			}
			user, pass, ok := strings.Cut(v, ":")
			if !ok || user == "" {
				return errors.New("want user:password")
			}
			c.AuthBasicUser, c.AuthBasicPass = user, pass
			return nil
		}},
	{"shutdown-timeout", "CONNECTD_SHUTDOWN_TIMEOUT", "30s",
		"how long a graceful shutdown (flush, commit offsets) may take",
		func(c *config, v string) error {
			d, err := time.ParseDuration(v)
			if err == nil && d <= 0 {
				err = errors.New("must be positive")
			}
			c.ShutdownTimeout = d
			return err
		}},
}

// usage is what -h says about the program besides its flags.
type usage struct {
	name, version string
	plugins       []string // sorted
}

// loadConfig builds the configuration from args (without the program
// name), getenv and the config file named by --config or CONNECTD_CONFIG.
// Usage and errors about flags go to out.
func loadConfig(args []string, getenv func(string) string, out io.Writer, u usage) (config, error) {
	fs := flag.NewFlagSet(u.name, flag.ContinueOnError)
	fs.SetOutput(out)
	flags := make(map[string]*string, len(settings))
	for _, s := range settings {
		flags[s.name] = fs.String(s.name, s.def, s.usage+" ($"+s.env+")")
	}
	configPath := fs.String("config", "", "optional config file of key=value lines, keys named as these flags ($"+envConfig+")")
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: %s [flags]\n\n", u.name)
		if u.version != "" {
			fmt.Fprintf(out, "%s %s. ", u.name, u.version)
		}
		fmt.Fprintf(out, "Runs a connect-go worker with its REST API. Flags override environment\nvariables, which override the config file.\n\n")
		fmt.Fprintf(out, "Connector plugins: %s\n\nFlags:\n", strings.Join(u.plugins, ", "))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })

	path := getenv(envConfig)
	if explicit["config"] {
		path = *configPath
	}
	var file map[string]string
	if path != "" {
		var err error
		if file, err = readConfigFile(path); err != nil {
			return config{}, err
		}
	}
	var c config
	for _, s := range settings {
		v, from := s.def, "default"
		if fv, ok := file[s.name]; ok {
			v, from = fv, "config file "+path
		}
		if ev := getenv(s.env); ev != "" {
			v, from = ev, "$"+s.env
		}
		if explicit[s.name] {
			v, from = *flags[s.name], "flag --"+s.name
		}
		if err := s.set(&c, v); err != nil {
			return config{}, fmt.Errorf("%s (from %s): %w", s.name, from, err)
		}
	}
	if c.ClusterID != "" && c.RocketMQNamesrv == "" {
		return config{}, errors.New("cluster-id: a cluster needs a transport every worker reaches; set rocketmq-namesrv (the embedded in-memory transport lives in one process)")
	}
	return c, nil
}

// readConfigFile reads a properties-style file: one key=value per line
// (":" also separates), blank lines and lines starting with # or ! ignored,
// whitespace around keys and values trimmed. Keys are the flag names; an
// unknown or repeated key is an error, so that a typo does not go unnoticed.
func readConfigFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	known := map[string]bool{}
	for _, s := range settings {
		known[s.name] = true
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			return nil, fmt.Errorf("config file %s:%d: want key=value", path, n)
		}
		k, v := strings.TrimSpace(line[:i]), strings.TrimSpace(line[i+1:])
		if !known[k] {
			return nil, fmt.Errorf("config file %s:%d: unknown key %q", path, n, k)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("config file %s:%d: %q set twice", path, n, k)
		}
		out[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return out, nil
}
