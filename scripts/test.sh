#!/usr/bin/env bash
# The README's test command: starts the services the integration tests need
# (scripts/services.sh), then runs every test with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."

services_env=$(scripts/services.sh up all)
eval "$services_env"
# Tests that restart or kill a shared server (MariaDB, the RocketMQ broker
# or name server) or change its global settings (binlog_row_metadata) run
# on their own after the others: run alongside, they
# would cut the connections of other packages' tests, which go test runs
# in parallel. A new test of that kind goes into this list.
disruptive='^(TestServerRestart|TestServerRestartMidSnapshot|TestMinimalMetadata|TestBrokerKilledMidStream|TestNameServerKilledMidStream|TestTargetServerRestart)$'
go test -race -count=1 -timeout 40m -skip "$disruptive" ./...
go test -race -count=1 -timeout 20m -p 1 -run "$disruptive" ./mysqlsource/ ./mysqlsink/ ./transport/rocketmq/
# A short fuzzing pass over the parsers that take outside input.
go test -run '^$' -fuzz '^FuzzDecode$' -fuzztime 10s ./converter/
go test -run '^$' -fuzz '^FuzzConnectorConfigBody$' -fuzztime 10s ./runtime/rest/
go test -run '^$' -fuzz '^FuzzOffsetsBody$' -fuzztime 10s ./runtime/rest/
