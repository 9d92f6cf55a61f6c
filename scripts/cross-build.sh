#!/usr/bin/env bash
# cross-build.sh — cross-compile the pure-Go corral command for linux, darwin
# and windows on amd64 and arm64 with CGO_ENABLED=0, and check it stays pure:
# no cgo, no Wails (the desktop shell lives in cmd/corral-desktop only).
# Also cross-compiles corral-desktop for Windows, which needs no cgo.
#
# Usage: scripts/cross-build.sh [OUTDIR]     (default: dist/cross)
# Env:   VERSION, COMMIT, DATE override what `corral version` prints
#        (defaults: git describe, HEAD, the commit time).
# Prints one ok/FAIL line per target and "N passed, N failed"; exits
# non-zero when any failed.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${1:-dist/cross}
mkdir -p "$out"
pass=0
fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1${2:+ ($2)}"; fail=$((fail + 1)); }

version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
commit=${COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
date=${DATE:-$(git show -s --format=%cI HEAD 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)}
ldflags="-s -w -X main.version=$version -X main.commit=$commit -X main.date=$date"

# The CLI must not pull in the desktop toolkit or cgo.
deps=$(CGO_ENABLED=0 go list -deps ./cmd/corral 2>&1)
if grep -q 'wailsapp' <<<"$deps"; then
	bad "cmd/corral does not import Wails" "$(go mod why -m github.com/wailsapp/wails/v2 2>&1 | tail -3 | tr '\n' ' ')"
else
	ok "cmd/corral does not import Wails"
fi

for target in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64; do
	goos=${target%/*}
	goarch=${target#*/}
	bin="$out/corral-$goos-$goarch"
	[[ $goos == windows ]] && bin="$bin.exe"
	t0=$(date +%s%3N)
	if log=$(CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath -ldflags "$ldflags" -o "$bin" ./cmd/corral 2>&1); then
		ok "corral $target ($(($(date +%s%3N) - t0)) ms, $(($(stat -c %s "$bin") / 1024)) KiB)"
	else
		bad "corral $target" "$(head -5 <<<"$log" | tr '\n' ' ')"
	fi
done

# The desktop app for Windows needs no cgo (Wails drives WebView2 from Go),
# so it cross-compiles too; Linux and macOS desktop builds need their
# toolkits and are built natively (scripts/desktop-smoke.sh, goreleaser).
for goarch in amd64 arm64; do
	bin="$out/corral-desktop-windows-$goarch.exe"
	t0=$(date +%s%3N)
	if log=$(CGO_ENABLED=0 GOOS=windows GOARCH=$goarch go build -trimpath -tags desktop,production \
		-ldflags "$ldflags -H windowsgui" -o "$bin" ./cmd/corral-desktop 2>&1); then
		ok "corral-desktop windows/$goarch ($(($(date +%s%3N) - t0)) ms, $(($(stat -c %s "$bin") / 1024)) KiB)"
	else
		bad "corral-desktop windows/$goarch" "$(head -5 <<<"$log" | tr '\n' ' ')"
	fi
done

# The native binary must report what was stamped into it.
native="$out/corral-$(go env GOOS)-$(go env GOARCH)"
if [[ -x "$native" ]]; then
	v=$("$native" version 2>&1)
	if grep -q "corral $version" <<<"$v" && grep -q "commit $commit" <<<"$v" && grep -q "built $date" <<<"$v"; then
		ok "corral version prints version, commit and build date"
	else
		bad "corral version prints version, commit and build date" "$(tr '\n' ' ' <<<"$v")"
	fi
	if file "$native" 2>/dev/null | grep -q 'statically linked'; then
		ok "the linux binary is statically linked"
	elif command -v file >/dev/null; then
		bad "the linux binary is statically linked" "$(file "$native")"
	fi
fi

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
