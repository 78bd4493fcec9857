// Command connectd is the standalone connect-go worker: a runtime with the
// built-in connectors (FileStreamSource, FileStreamSink, MySQLSource),
// managed over HTTP with RocketMQ Connect's seed endpoints and Kafka
// Connect's REST API (package runtime/rest), with Prometheus metrics at
// /metrics.
//
//	go run ./cmd/connectd
//
// starts a worker on the embedded defaults: REST API on 127.0.0.1:8082,
// in-process message broker, connectors and offsets kept in ./connectd-data.
// connectd -h lists the settings; each is a flag, a CONNECTD_ environment
// variable and a key of the optional --config properties file. SIGINT or
// SIGTERM shuts it down gracefully within --shutdown-timeout; a second
// signal exits at once.
//
// connectd is worker.Main and nothing else: package worker documents the
// settings, the data directory, the transport, metrics and shutdown, and
// how to build the same worker with your own connectors added.
package main
