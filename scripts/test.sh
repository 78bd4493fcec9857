#!/usr/bin/env bash
# The README's test command: starts the services the integration tests need
# (scripts/services.sh), then runs every test with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."

services_env=$(scripts/services.sh up all)
eval "$services_env"
go test -race -count=1 -timeout 40m ./...
# A short fuzzing pass over the parsers that take outside input.
go test -run '^$' -fuzz '^FuzzDecode$' -fuzztime 10s ./converter/
go test -run '^$' -fuzz '^FuzzConnectorConfigBody$' -fuzztime 10s ./runtime/rest/
go test -run '^$' -fuzz '^FuzzOffsetsBody$' -fuzztime 10s ./runtime/rest/
