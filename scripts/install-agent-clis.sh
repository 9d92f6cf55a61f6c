#!/usr/bin/env bash
# Installs the agent CLIs that corral's contract tests drive, at the exact
# versions the adapters were verified against, into a cache directory.
#
#   scripts/install-agent-clis.sh [CACHE_DIR]
#
# CACHE_DIR defaults to $CORRAL_CLI_CACHE, else ~/.cache/corral-clis. Each CLI
# gets its own npm prefix (CACHE_DIR/<name>-<version>) so versions can live
# side by side and a reinstall of one never disturbs another. The script is
# idempotent: a prefix whose binary already exists is left alone.
#
# After it finishes, run the contract tests with:
#   CORRAL_AGENT_CLIS=1 CORRAL_CLI_CACHE=CACHE_DIR go test ./agent/...
set -euo pipefail

# Keep in sync with internal/clitest/clitest.go.
CLAUDE_VERSION=2.1.197
CODEX_VERSION=0.171.0
GEMINI_VERSION=0.61.0
# ACP adapters for Claude Code and Codex (each brings its own agent core).
CLAUDE_ACP_VERSION=0.16.2
CODEX_ACP_VERSION=0.16.0

cache="${1:-${CORRAL_CLI_CACHE:-$HOME/.cache/corral-clis}}"
mkdir -p "$cache"

install() { # name package version bin
  local name=$1 pkg=$2 ver=$3 bin=$4
  local prefix="$cache/$name-$ver"
  if [ -x "$prefix/node_modules/.bin/$bin" ]; then
    echo "$name $ver: already in $prefix"
    return
  fi
  echo "$name $ver: installing $pkg@$ver into $prefix"
  mkdir -p "$prefix"
  # --no-save keeps no package.json in the cache prefix; --no-audit and
  # --no-fund avoid calls beyond the registry's tarballs.
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "$pkg@$ver"
  "$prefix/node_modules/.bin/$bin" --version </dev/null 2>/dev/null || echo "$name $ver installed (no --version)"
}

install claude @anthropic-ai/claude-code "$CLAUDE_VERSION" claude
install codex @openai/codex "$CODEX_VERSION" codex
install gemini @google/gemini-cli "$GEMINI_VERSION" gemini
install claude-code-acp @zed-industries/claude-code-acp "$CLAUDE_ACP_VERSION" claude-code-acp
install codex-acp @zed-industries/codex-acp "$CODEX_ACP_VERSION" codex-acp
echo "CLIs installed under $cache"
