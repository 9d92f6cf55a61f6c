#!/usr/bin/env bash
# bench-before-after.sh — before/after figures of the API benchmark
# (corral-bench api: delivery latency p50/p99, corral serve's RSS) and of
# the first-text overhead (BenchmarkFirstText of
# internal/clitest/sessioncontract, real agent CLIs against the mock model
# API), comparing an older tree with this one in alternating rounds, and
# prints a side-by-side table of the medians (docs/benchmarks.md, "Before
# and after").
#
# Usage: scripts/bench-before-after.sh --before DIR [flags]
#   --before DIR         the older tree (a checkout of the module; required)
#   --rounds N           rounds of each benchmark, before and after alternating
#                        (odd rounds run before first, even rounds after first); default 5
#   --api-flags "..."    flags for `api`; default: its own defaults (50 sessions × 20
#                        lines/s for 20 s, 10 SSE clients, 1,000 ListSessions/s)
#   --benchtime N        -benchtime of BenchmarkFirstText; default 30x
#   --only api|firsttext run one of the two
#   --harness same|own   same (default): this tree's corral-bench serves both
#                        corral builds, so only the server differs (same fake
#                        agent, same clients); own: each tree's own harness (an older
#                        tree's `corral bench api`, where that is its command)
#   --keep DIR           keep the builds and every run's raw output in DIR
# Needs Go and Node (for the table); the first-text benchmark needs the
# agent CLIs of scripts/install-agent-clis.sh (it runs with CORRAL_AGENT_CLIS=1).
# Builds into a temporary directory; never writes into either tree.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
before_tree='' rounds=5 api_flags='' benchtime=30x only='' harness=same keep=''
while [ $# -gt 0 ]; do
	case $1 in
	--before) before_tree=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--api-flags) api_flags=$2; shift 2 ;;
	--benchtime) benchtime=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--harness) harness=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-before-after: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
if [ -z "$before_tree" ] || [ ! -f "$before_tree/go.mod" ]; then
	echo "bench-before-after: --before DIR must name a checkout of the module" >&2
	exit 2
fi
case $harness in same | own) ;; *) echo "bench-before-after: --harness same|own" >&2; exit 2 ;; esac
case $only in '' | api | firsttext) ;; *) echo "bench-before-after: --only api|firsttext" >&2; exit 2 ;; esac
before_tree=$(cd "$before_tree" && pwd)
export GOFLAGS="${GOFLAGS:-} -mod=readonly"

if [ -n "$keep" ]; then
	mkdir -p "$keep"
	work=$(cd "$keep" && pwd)
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/corral-before-after-XXXXXX")
	trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/before" "$work/after" "$work/out"

describe() { (cd "$1" && git describe --always --dirty 2>/dev/null || echo "?"); }
echo "before: $before_tree ($(describe "$before_tree"))"
echo "after:  $root ($(describe "$root"))"
echo "building into $work ..."

# build_side SIDE TREE builds corral (and corral-bench, where the tree has
# it, and the first-text test binary) of TREE into $work/SIDE.
build_side() {
	local side=$1 tree=$2
	(cd "$tree" && go build -o "$work/$side/corral" ./cmd/corral)
	if [ -d "$tree/cmd/corral-bench" ]; then
		(cd "$tree" && go build -o "$work/$side/corral-bench" ./cmd/corral-bench)
	fi
	if [ "$only" != api ]; then
		(cd "$tree" && go test -c -o "$work/$side/sessioncontract.test" ./internal/clitest/sessioncontract/)
	fi
}
build_side before "$before_tree"
build_side after "$root"

# api_cmd SIDE prints the command line that runs the API benchmark of SIDE
# with --json (no path here has a space: $work is mktemp's or --keep's).
api_cmd() {
	local side=$1
	if [ "$harness" = same ]; then
		echo "$work/after/corral-bench api --json --corral $work/$side/corral"
	elif [ -x "$work/$side/corral-bench" ]; then
		echo "$work/$side/corral-bench api --json --corral $work/$side/corral"
	else
		echo "$work/$side/corral bench api --json"
	fi
}

run_api() {
	local side=$1 r=$2
	echo "round $r: api, $side (load $(cut -d' ' -f1-3 /proc/loadavg))"
	cut -d' ' -f1 /proc/loadavg >"$work/out/api-$side-$r.load"
	# shellcheck disable=SC2086 # the flags are words
	$(api_cmd "$side") $api_flags >"$work/out/api-$side-$r.json" 2>"$work/out/api-$side-$r.err" || {
		echo "api $side round $r failed:" >&2
		tail -20 "$work/out/api-$side-$r.err" >&2
		return 1
	}
}

run_firsttext() {
	local side=$1 r=$2 tree
	[ "$side" = before ] && tree=$before_tree || tree=$root
	echo "round $r: first text, $side (load $(cut -d' ' -f1-3 /proc/loadavg))"
	cut -d' ' -f1 /proc/loadavg >"$work/out/ft-$side-$r.load"
	# The test runs in its package directory, as go test runs it.
	(cd "$tree/internal/clitest/sessioncontract" &&
		CORRAL_AGENT_CLIS=1 "$work/$side/sessioncontract.test" -test.run '^$' -test.bench FirstText \
			-test.benchtime "$benchtime" -test.count 1) >"$work/out/ft-$side-$r.txt" 2>&1 || {
		echo "first text $side round $r failed:" >&2
		tail -20 "$work/out/ft-$side-$r.txt" >&2
		return 1
	}
}

for r in $(seq 1 "$rounds"); do
	order="before after"
	[ $((r % 2)) -eq 0 ] && order="after before"
	for side in $order; do
		[ "$only" = firsttext ] || run_api "$side" "$r"
	done
	for side in $order; do
		[ "$only" = api ] || run_firsttext "$side" "$r"
	done
done

echo
echo "$rounds rounds"
[ "$only" = firsttext ] || echo "api before: $(api_cmd before) $api_flags"
[ "$only" = firsttext ] || echo "api after:  $(api_cmd after) $api_flags"
[ "$only" = api ] || echo "first text: sessioncontract.test -test.run '^\$' -test.bench FirstText -test.benchtime $benchtime (CORRAL_AGENT_CLIS=1)"
node - "$work/out" <<'EOF'
const fs = require('fs');
const path = require('path');
const dir = process.argv[2];
const files = fs.readdirSync(dir);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x) => (Number.isNaN(x) ? '-' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const loads = (prefix) => {
  const ls = files.filter((f) => f.startsWith(prefix) && f.endsWith('.load')).map((f) => Number(fs.readFileSync(path.join(dir, f), 'utf8')));
  return ls.length ? `${Math.min(...ls).toFixed(1)}–${Math.max(...ls).toFixed(1)}` : '-';
};
const rows = [];
const row = (name, b, a) => {
  const mb = median(b), ma = median(a);
  rows.push([name, fmt(mb), fmt(ma), Number.isNaN(mb) || mb === 0 ? '-' : (ma / mb).toFixed(2) + 'x', b.map(fmt).join(' '), a.map(fmt).join(' ')]);
};
// API: deliveryLatencyMs, rssMaxMB, rssIdleMB of every --json report.
const api = { before: [], after: [] };
for (const f of files) {
  const m = /^api-(before|after)-(\d+)\.json$/.exec(f);
  if (m) api[m[1]][Number(m[2]) - 1] = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
}
const col = (side, get) => api[side].filter(Boolean).map(get);
if (api.before.length) {
  row('api delivery p50 ms', col('before', (j) => j.deliveryLatencyMs.p50), col('after', (j) => j.deliveryLatencyMs.p50));
  row('api delivery p99 ms', col('before', (j) => j.deliveryLatencyMs.p99), col('after', (j) => j.deliveryLatencyMs.p99));
  row('api RSS max MB', col('before', (j) => j.rssMaxMB), col('after', (j) => j.rssMaxMB));
  row('api RSS idle MB', col('before', (j) => j.rssIdleMB), col('after', (j) => j.rssIdleMB));
  row('api ListSessions p99 ms', col('before', (j) => j.listSessionsLatencyMs.p99), col('after', (j) => j.listSessionsLatencyMs.p99));
  const lost = (side) => col(side, (j) => j.deliveredPerClient.filter((d) => d !== j.linesExpectedPerClient).length + j.duplicatesOrReordered).reduce((a, b) => a + b, 0);
  rows.push(['api clients short or dup', String(lost('before')), String(lost('after')), '', '(should be 0)', '']);
}
// First text: the metrics BenchmarkFirstText reports, per CLI.
const ft = {};
for (const f of files) {
  const m = /^ft-(before|after)-(\d+)\.txt$/.exec(f);
  if (!m) continue;
  for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
    const b = /^BenchmarkFirstText\/(\S+?)(-\d+)?\s+\d+\s+(.*)$/.exec(line);
    if (!b) continue;
    const fields = b[3].trim().split(/\s+/);
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const key = `${b[1]} ${fields[i + 1]}`;
      ((ft[key] ??= { before: [], after: [] })[m[1]])[Number(m[2]) - 1] = Number(fields[i]);
    }
  }
}
for (const key of Object.keys(ft).sort()) {
  if (!/ (overhead-ms|overhead-p50-ms|overhead-p90-ms|send-ms|deliver-ms|cli-ms)$/.test(key)) continue;
  row('first text ' + key, ft[key].before.filter((x) => x !== undefined), ft[key].after.filter((x) => x !== undefined));
}
const head = ['metric (median of rounds)', 'before', 'after', 'after/before', 'before per round', 'after per round'];
const all = [head, ...rows];
const w = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
for (const r of all) console.log(r.map((c, i) => (i === 0 || i >= 4 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd());
console.log(`load (1-min) at the start of the runs: api before ${loads('api-before')}, after ${loads('api-after')}; first text before ${loads('ft-before')}, after ${loads('ft-after')}`);
EOF
