#!/usr/bin/env bash
# Static checks: staticcheck over the whole module, shellcheck over the shell
# scripts. Runs both and fails if either finds something. Checks a linter
# reports wrongly for this codebase are configured in staticcheck.conf, with
# the reason.
set -euo pipefail
cd "$(dirname "$0")/.."

# An exact version (the module proxy here serves exact versions only): the
# newest it serves, which supports go.mod's go directive (1.26).
staticcheck=honnef.co/go/tools/cmd/staticcheck@v0.8.2

if ! command -v shellcheck >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "lint: installing shellcheck from Debian (apt-get)" >&2
    log=$(mktemp)
    if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends shellcheck; } >"$log" 2>&1; then
      tail -n 30 "$log" >&2
      echo "lint: apt-get install shellcheck failed" >&2
      exit 1
    fi
    rm -f "$log"
  else
    echo "lint: shellcheck is not installed; install it (Debian: apt-get install shellcheck) or run this script as root" >&2
    exit 1
  fi
fi

status=0
shellcheck scripts/*.sh .ci/run || status=1
go run "$staticcheck" ./... || status=1
exit "$status"
