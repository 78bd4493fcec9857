// Package worker is what connectd is, as a library: a runtime with the
// built-in connectors and an application's own, configured by flags,
// environment variables and a config file, keeping its connectors and
// offsets in a locked data directory, managed over the REST API of
// runtime/rest with Prometheus metrics next to it, and shut down gracefully
// on SIGINT or SIGTERM.
//
// cmd/connectd is worker.Main with the built-in plugins. A team with its own
// connectors writes the same one-line main with its plugins added, and gets
// the same binary, flags and API:
//
//	package main
//
//	import (
//		connect "github.com/openmessaging/connect-go"
//		"github.com/openmessaging/connect-go/worker"
//
//		"example.com/team/mysource"
//	)
//
//	func main() {
//		worker.Main(
//			worker.WithName("team-connectd"),
//			worker.WithPlugin("MySource", func() connect.Connector { return mysource.New() }),
//		)
//	}
//
// Run is the same worker for a main that does more: it takes a ctx and the
// arguments, and returns an error instead of exiting. Applications that run
// connectors without a CLI, a data directory or HTTP use package runtime
// directly.
//
//	go run ./cmd/connectd
//
// starts a worker on the embedded defaults: REST API on 127.0.0.1:8082,
// in-process message broker, connectors and offsets kept in ./connectd-data.
//
// # Configuration
//
// Every setting has a flag, an environment variable and a key in the
// optional config file. Flags override environment variables, which
// override the file, which overrides the defaults.
//
//	flag / file key     environment                 default
//	--listen            CONNECTD_LISTEN             127.0.0.1:8082
//	--data-dir          CONNECTD_DATA_DIR           connectd-data
//	--rocketmq-namesrv  CONNECTD_ROCKETMQ_NAMESRV   (none: in-memory transport)
//	--rocketmq-broker   CONNECTD_ROCKETMQ_BROKER    (none)
//	--rocketmq-header-format CONNECTD_ROCKETMQ_HEADER_FORMAT packed (or per-property:
//	                                                the form workers of earlier versions
//	                                                read; set it during a rolling upgrade)
//	--worker-id         CONNECTD_WORKER_ID          host name and REST port
//	--log-format        CONNECTD_LOG_FORMAT         text (or json)
//	--log-level         CONNECTD_LOG_LEVEL          info (debug, info, warn, error): the
//	                                                root logger's; GET/PUT /admin/loggers
//	                                                change levels per logger at run time
//	                                                (package loglevels names them)
//	--auth-token        CONNECTD_AUTH_TOKEN         (none: no authentication)
//	--auth-basic        CONNECTD_AUTH_BASIC         (none: no HTTP Basic; user:password)
//	--shutdown-timeout  CONNECTD_SHUTDOWN_TIMEOUT   30s
//	--config            CONNECTD_CONFIG             (none)
//
// The config file is a properties file: one key=value per line (key: value
// also works), keys named as the flags without dashes in front, blank lines
// and lines starting with # or ! ignored. An unknown or repeated key is an
// error.
//
//	# /etc/connectd.properties
//	listen = 0.0.0.0:8082
//	data-dir = /var/lib/connectd
//	rocketmq-namesrv = 10.0.0.1:9876;10.0.0.2:9876
//	log-format = json
//
// Pass the auth token and Basic credentials through the environment or the
// file rather than a flag, which other users can read in the process list.
// With a token set, every request but GET /health needs "Authorization:
// Bearer <token>"; with --auth-basic, HTTP Basic credentials (what Kafka
// Connect clients send); with both, either. A listen address other than a
// loopback one without either logs a warning. Cross-origin browser requests
// that change state are refused (403) in any case.
//
// # Data directory
//
// The data directory holds connectors.json (connector configs and their
// RUNNING/PAUSED/STOPPED target, so that a restarted worker brings its
// connectors back), offsets.json (source positions) and LOCK, which keeps a
// second worker from using the same directory. The JSON files are written
// atomically with mode 0600: they hold the connectors' secrets as given.
//
// # Transport
//
// Without --rocketmq-namesrv the worker runs the in-process broker of
// transport/memory: sources and sinks of this worker exchange records in
// memory, and records published but not yet written by a sink do not
// survive a restart. With --rocketmq-namesrv records travel through
// RocketMQ (transport/rocketmq); --rocketmq-broker names the broker masters
// on which missing topics are created.
//
// # Connectors
//
// Built in: FileStreamSource and FileStreamSink (package filestream) and
// MySQLSource (package mysqlsource), plus those added with WithPlugin (a
// plugin of a built-in's name replaces it; WithoutBuiltins leaves them
// out). -h lists them; GET /connector-plugins lists them with their
// versions, GET /connector-plugins/{plugin}/config their settings.
//
// # Metrics
//
// GET /metrics serves the runtime's OpenTelemetry metrics (records polled,
// published, put, failed, retried, dead-lettered; batch and offset commit
// durations, per connector and task) and the Go runtime's and process's, in
// the Prometheus text format, on the REST listener and behind the same
// token.
//
// # Shutdown
//
// SIGINT or SIGTERM stops the worker gracefully: the REST server stops
// taking requests, tasks finish their batch, sinks flush, sources commit
// their offsets, and the stores are closed, within --shutdown-timeout. The
// exit code is 0 when everything stopped in time, 1 otherwise. A second
// signal exits at once (code 1), leaving offsets as last committed.
// Cancelling Run's ctx stops the worker as the first signal does.
package worker
