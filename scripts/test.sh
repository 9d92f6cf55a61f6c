#!/usr/bin/env bash
# Runs every test of corral, installing what the tests need when it is
# missing: npm packages (pinned in web/package-lock.json), the agent CLIs
# (pinned in scripts/install-agent-clis.sh), and Debian's chromium, Xvfb and
# the GTK/WebKitGTK development packages.
#
# Every step runs even when an earlier one failed; the script exits non-zero
# when any step failed. Set CORRAL_TEST_STEPS to a space-separated subset of
# step names to run only those (names: go-static go-cross go-core go-rest
# web agents e2e desktop).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export GOFLAGS="${GOFLAGS:-} -mod=readonly"
export CORRAL_CLI_CACHE="${CORRAL_CLI_CACHE:-$HOME/.cache/corral-clis}"
# Where the mount table shows a cgroup v2 hierarchy, the containment tests
# must run, not skip (internal/proctest.SkipWithoutCgroups).
if grep -q ' cgroup2 ' /proc/mounts 2>/dev/null; then
	export CORRAL_REQUIRE_CGROUPS="${CORRAL_REQUIRE_CGROUPS:-1}"
fi

STEPS="${CORRAL_TEST_STEPS:-go-static go-cross go-core go-rest web agents e2e desktop}"
declare -a OK=() BAD=()
STEP_LOGS=$(mktemp -d) || exit 1
trap 'rm -rf "$STEP_LOGS"' EXIT

want() { [[ " $STEPS " == *" $1 "* ]]; }

# step NAME CMD... runs one step and records how it ended.
step() {
	local name=$1
	shift
	want "$name" || return 0
	echo
	echo "=== step $name: $*"
	local t0=$SECONDS
	# The output is kept too, so that the failures of every step are
	# recalled at the end, where a truncated log still shows them.
	local rc=0 tee_pid so se
	exec {so}>&1 {se}>&2 > >(tee "$STEP_LOGS/$name") 2>&1
	tee_pid=${!:-}
	"$@" {so}>&- {se}>&- || rc=$?
	exec 1>&"$so" 2>&"$se" {so}>&- {se}>&-
	# tee's output comes before the verdict; a process the step left
	# behind may still hold the pipe, so not for more than 5 s.
	for _ in {1..50}; do
		[ -n "$tee_pid" ] && kill -0 "$tee_pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ $rc -eq 0 ]; then
		OK+=("$name")
		echo "=== step $name succeeded in $((SECONDS - t0))s"
	else
		BAD+=("$name")
		echo "=== step $name FAILED after $((SECONDS - t0))s"
	fi
}

apt_updated=0
# need_debs PKG... installs the Debian packages that are not installed yet.
need_debs() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "installing Debian packages: ${missing[*]}"
	if [ $apt_updated -eq 0 ]; then
		apt-get update -qq || return 1
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# contract_fresh fails when web/src/lib/contract.gen.ts is not what the Go
# types generate (go generate ./api writes it).
contract_fresh() {
	local tmp
	tmp=$(mktemp) || return 1
	if ! go run ./internal/tsgen/contractgen -o "$tmp"; then
		rm -f "$tmp"
		return 1
	fi
	if ! diff -u web/src/lib/contract.gen.ts "$tmp"; then
		echo "web/src/lib/contract.gen.ts is stale: run 'go generate ./api' and commit it"
		rm -f "$tmp"
		return 1
	fi
	rm -f "$tmp"
}

go_static() {
	local bad
	bad=$(gofmt -l $(git ls-files '*.go'))
	if [ -n "$bad" ]; then
		echo "gofmt would change:"
		echo "$bad"
		return 1
	fi
	go vet ./... || return 1
	# No file over 600 lines, no function over 100 (outside tests).
	go run ./internal/sizecheck || return 1
	# The public packages stand alone: no application package among the
	# dependencies of any of them, on any system.
	local os app
	for os in linux windows darwin; do
		app=$(GOOS=$os go list -deps ./proc ./stream ./supervise ./policy | grep -E '/corral/(api|session|store|config|agent|cmd|workspace)(/|$)')
		if [ -n "$app" ]; then
			echo "proc, stream, supervise or policy depends on an application package ($os):"
			echo "$app"
			return 1
		fi
	done
	contract_fresh || return 1
	# No linter here reads //nolint markers: an ignored error says why in
	# a plain comment.
	if git grep -n '//nolint' -- '*.go'; then
		echo "//nolint markers, but no linter here reads them: say why in a plain comment"
		return 1
	fi
	GOOS=windows go vet ./... || return 1
	GOOS=darwin go vet ./... || return 1
	if ! go mod tidy -diff; then
		echo "go.mod/go.sum are not tidy: run 'go mod tidy'"
		return 1
	fi
	# The shipped corral links no test double or benchmark harness (they
	# are in cmd/corral-bench) and no init of it exits.
	go test -count=1 -run '^(TestShippedBinaryLinksNoHarness|TestNoInitExits)$' ./cmd/corral/ || return 1
	# The desktop shell is checked with its build tags in the desktop step.
	go run "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" \
		$(go list ./... | grep -v '/cmd/corral-desktop$') || return 1
	echo "gofmt, go vet (linux, windows, darwin), the size limits, the standalone packages, the generated contract, go mod tidy, corral's dependencies and staticcheck are clean"
}

go_cross() {
	local out failed=0
	out=$(mktemp -d)
	bash scripts/cross-build.sh "$out" || failed=1
	rm -rf "$out"
	return $failed
}

# staticcheck runs at a pinned version, fetched through the Go module proxy.
STATICCHECK_VERSION=v0.8.2

# The core packages run under the race detector.
CORE_PKGS="./event/... ./proc/... ./stream/... ./supervise/... ./policy/... ./config/... ./store/... ./bus/... ./session/... ./api/..."

go_core() {
	go test -race -count=1 -timeout 20m $CORE_PKGS
}

go_rest() {
	local pkgs
	# iproute2 for the fleet's partition test (network namespaces, veth);
	# CORRAL_REQUIRE_NETNS=1 makes that test fail, not skip, where it
	# cannot cut a runner off.
	need_debs iproute2 || return 1
	pkgs=$(go list ./... | grep -v -E '/(event|proc|stream|supervise|policy|config|store|bus|session|api)(/|$)' | grep -v '/cmd/corral-desktop')
	CORRAL_REQUIRE_NETNS=1 go test -count=1 -timeout 20m $pkgs
}

web_step() {
	(
		cd web || exit 1
		if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
			npm ci --no-audit --no-fund || exit 1
		fi
		npm run build || exit 1
		# The built frontend is committed so that go build works without
		# npm; it must be what the sources build.
		if ! git diff --quiet -- dist || [ -n "$(git ls-files --others --exclude-standard dist)" ]; then
			echo "web/dist is stale: run 'npm run build' in web/ and commit web/dist"
			git status --short -- dist | head -20
			exit 1
		fi
		npm test
	)
}

agents_step() {
	bash scripts/install-agent-clis.sh || return 1
	CORRAL_AGENT_CLIS=1 go test -count=1 -timeout 20m ./agent/... ./internal/clitest/... || return 1
	# corral serve itself with a real agent (the test binary is corral).
	CORRAL_AGENT_CLIS=1 go test -count=1 -timeout 10m -run 'AgentCLI' ./cmd/corral/
}

e2e_step() {
	need_debs chromium || return 1
	bash scripts/install-agent-clis.sh || return 1
	(
		cd e2e || exit 1
		if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
			npm ci --no-audit --no-fund || exit 1
		fi
		npm test
	)
}

desktop_step() {
	bash scripts/install-desktop-deps.sh || return 1
	# The Wails files build only with the desktop tags (cgo, GTK, WebKitGTK).
	local tags=desktop,production,webkit2_41
	go vet -tags $tags ./cmd/corral-desktop/ || return 1
	go run "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" -tags $tags ./cmd/corral-desktop/ || return 1
	bash scripts/desktop-smoke.sh
}

step go-static go_static
step go-cross go_cross
step go-core go_core
step go-rest go_rest
step web web_step
step agents agents_step
step e2e e2e_step
step desktop desktop_step

echo
echo "=== steps succeeded: ${OK[*]:-none}"
if [ ${#BAD[@]} -gt 0 ]; then
	for name in "${BAD[@]}"; do
		echo "=== what failed in $name:"
		# The verdicts whole, then the first lines that say why.
		grep -aE '^ *--- FAIL|^FAIL|^not ok|^ *(FAIL|×|✗) |DATA RACE|^fatal error:|^panic:' "$STEP_LOGS/$name"
		grep -aE '_test\.go:[0-9]+:|race detected' "$STEP_LOGS/$name" | head -40
	done
	echo "=== steps FAILED: ${BAD[*]}"
	exit 1
fi
echo "=== every step succeeded"
