#!/usr/bin/env bash
# Installs the pinned agent CLIs (scripts/install-agent-clis.sh) and runs
# the agent contract tests against them and the local mock model API.
# Everything runs on 127.0.0.1 except the npm install itself.
#
#   scripts/test-agent-contracts.sh [extra go test flags]
set -euo pipefail
cd "$(dirname "$0")/.."
export CORRAL_CLI_CACHE="${CORRAL_CLI_CACHE:-$HOME/.cache/corral-clis}"
scripts/install-agent-clis.sh "$CORRAL_CLI_CACHE"
CORRAL_AGENT_CLIS=1 go test -race -count=1 "$@" ./agent/... ./internal/mockllm/...
