#!/usr/bin/env bash
# desktop-smoke.sh — build corral-desktop and check it for real under Xvfb.
#
# What it checks (one "ok"/"FAIL" line each, then "N passed, N failed"):
#   - the GTK/WebKitGTK/Xvfb packages are present (installed when missing);
#   - the shell's unit tests pass (among them: the methods bound into the
#     window are exactly the facade's);
#   - the binary builds with -tags desktop,production,webkit2_41 (no Wails CLI);
#   - started under Xvfb with a temporary data dir and a fake agent, the page
#     loads and the probe inside the window (cmd/corral-desktop/smoke.js)
#     finds the facade bound as window.go.api.App, ListAgents answers, a
#     session with the fake agent streams its reply as Wails events and the
#     reply is rendered in the conversation; Execute and Spawn run an allowed
#     command and a policy refusal comes back as policy_denied; the native
#     folder picker returns the folder chosen in it;
#   - with a private session bus and a stand-in notification server, native
#     notifications arrive for the finished run and the pending approval;
#   - a second launch with the same data dir exits and focuses the first;
#   - a screenshot of the window is not blank;
#   - quitting (Ctrl+Q) exits 0 and leaves no child process and no ledger entry;
#   - the window's size and position, changed before quitting, are restored;
#   - after SIGKILL of the app, nothing it started keeps running.
# It prints the cold start (launch to painted session list) and idle RSS.
#
# Usage: scripts/desktop-smoke.sh              the checks
#        scripts/desktop-smoke.sh --bench [N]  instead: N cold starts (default 5)
#                                              and idle memory of the desktop app
#                                              and of browser mode (corral serve +
#                                              headless Chromium), for
#                                              docs/benchmarks/desktop.md
# Env:   DESKTOP_SMOKE_OUT=DIR   keep the screenshot and logs there
#        DESKTOP_SMOKE_NO_DEPS=1 do not run install-desktop-deps.sh
# Exits non-zero when any check failed.
set -uo pipefail

bench=0
if [[ "${1:-}" == --bench ]]; then
	bench=${2:-5}
fi
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${DESKTOP_SMOKE_OUT:-$(mktemp -d -t corral-desktop-smoke.XXXXXX)}
mkdir -p "$out"
tmp=$(mktemp -d -t corral-desktop-run.XXXXXX)
pass=0
fail=0
xpid=""
app=""

ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1${2:+ ($2)}"; fail=$((fail + 1)); }
check() { # check NAME CMD... — ok when CMD succeeds
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}
cleanup() {
	[[ -n "$app" ]] && kill -KILL "$app" 2>/dev/null
	[[ -n "$xpid" ]] && kill "$xpid" 2>/dev/null
	[[ -n "${notifyd_pid:-}" ]] && kill "$notifyd_pid" 2>/dev/null
	[[ -n "${bus_pid:-}" ]] && kill "$bus_pid" 2>/dev/null
	rm -rf "$tmp"
}
finish() {
	echo "artifacts: $out"
	echo "$pass passed, $fail failed"
	cleanup
	[[ $fail -eq 0 ]]
	exit
}
trap cleanup EXIT

# descendants PID — every process below PID, depth first.
descendants() {
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		echo "$c"
		descendants "$c"
	done
}
alive() { # alive PID — running and not a zombie
	local st
	st=$(awk '{print $3}' /proc/"$1"/stat 2>/dev/null) || return 1
	[[ -n "$st" && "$st" != Z ]]
}
wait_gone() { # wait_gone SECONDS PID... — true when all are gone in time
	local secs=$1 p left
	shift
	for _ in $(seq 1 $((secs * 10))); do
		left=0
		for p in "$@"; do alive "$p" && left=1; done
		[[ $left -eq 0 ]] && return 0
		sleep 0.1
	done
	return 1
}
rss_kb() { awk '/^VmRSS/{print $2}' /proc/"$1"/status 2>/dev/null || echo 0; }
pss_kb() { awk '/^Pss:/{print $2}' /proc/"$1"/smaps_rollup 2>/dev/null || echo 0; }
# memory PID... — "RSS PSS" in MiB summed over the given processes
memory() {
	local r=0 q=0 p
	for p in "$@"; do
		r=$((r + $(rss_kb "$p")))
		q=$((q + $(pss_kb "$p")))
	done
	echo "$((r / 1024)) $((q / 1024))"
}
now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- deps and build
if [[ -z "${DESKTOP_SMOKE_NO_DEPS:-}" ]]; then
	check "desktop packages present" scripts/install-desktop-deps.sh
fi
if [[ ! -f web/dist/index.html ]]; then
	echo "web/dist is missing: building the frontend"
	(cd web && npm ci --no-audit --no-fund && npm run build) >"$out/web-build.log" 2>&1
fi
check "frontend built (web/dist)" test -f web/dist/index.html

# The shell's unit tests need no display and no cgo; among them the check
# that the methods bound into the window are exactly the facade's.
if go test -race -count=1 ./cmd/corral-desktop/... >"$out/unit.log" 2>&1; then
	ok "desktop unit tests (go test -race ./cmd/corral-desktop/...)"
else
	bad "desktop unit tests" "see $out/unit.log"
fi

t0=$(now_ms)
# stamped like a release, so the About box shows a commit and a date
ldflags="-X main.version=smoke -X main.commit=$(git rev-parse HEAD 2>/dev/null) -X main.date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
if CGO_ENABLED=1 go build -tags desktop,production,webkit2_41 -ldflags "$ldflags" -o "$tmp/corral-desktop" ./cmd/corral-desktop >"$out/build.log" 2>&1 &&
	go build -o "$tmp/smokeagent" ./cmd/corral-desktop/internal/smokeagent >>"$out/build.log" 2>&1; then
	ok "desktop binary builds ($(($(now_ms) - t0)) ms, $(($(stat -c %s "$tmp/corral-desktop") / 1048576)) MiB)"
else
	bad "desktop binary builds" "see $out/build.log"
	finish
fi

# ---------------------------------------------------------------- display
exec 3>"$tmp/display"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp >"$out/xvfb.log" 2>&1 &
xpid=$!
exec 3>&-
for _ in $(seq 1 50); do [[ -s "$tmp/display" ]] && break; sleep 0.1; done
if [[ ! -s "$tmp/display" ]]; then
	bad "Xvfb started" "see $out/xvfb.log"
	finish
fi
export DISPLAY=":$(head -1 "$tmp/display")"
ok "Xvfb started on $DISPLAY"

# A private session bus with a stand-in notification server, so the app's
# native notifications can be checked (skipped without dbus-daemon).
bus_pid=""
notifyd_pid=""
if command -v dbus-daemon >/dev/null && go build -o "$tmp/notifyd" ./cmd/corral-desktop/internal/notifyd >>"$out/build.log" 2>&1; then
	exec 4>"$tmp/bus-address" 5>"$tmp/bus-pid"
	dbus-daemon --session --fork --nopidfile --print-address=4 --print-pid=5 >/dev/null 2>&1
	exec 4>&- 5>&-
	bus_pid=$(head -1 "$tmp/bus-pid")
	if [[ -s "$tmp/bus-address" ]]; then
		export DBUS_SESSION_BUS_ADDRESS=$(head -1 "$tmp/bus-address")
		"$tmp/notifyd" "$tmp/notifications.jsonl" >"$tmp/notifyd.out" 2>"$out/notifyd.log" &
		notifyd_pid=$!
		for _ in $(seq 1 50); do grep -q ready "$tmp/notifyd.out" 2>/dev/null && break; sleep 0.1; done
	fi
fi
if [[ -n "$notifyd_pid" ]] && grep -q ready "$tmp/notifyd.out"; then
	ok "session bus with a notification server"
else
	echo "info no session bus: native notifications are not checked"
	notifyd_pid=""
fi

data="$tmp/data"
work="$tmp/work"
mkdir -p "$data" "$work"
cat >"$tmp/config.toml" <<TOML
[agents.fake]
command = "$tmp/smokeagent"
protocol = "claude"

[[capability]]
name = "greet"
program = "echo"
args = ["hello", { validator = "[a-z]+" }]
TOML

# launch NAME [PICK] — start the app with the smoke probe; sets $app and
# $launched. With PICK the probe also opens the native folder picker, and a
# helper answers it with PICK.
launch() {
	rm -f "$tmp/report.json"
	launched=$(now_ms)
	CORRAL_DESKTOP_SMOKE="$tmp/report.json" CORRAL_DESKTOP_SMOKE_CWD="$work" CORRAL_DESKTOP_SMOKE_CAP=greet \
		CORRAL_DESKTOP_SMOKE_PICK="${2:-}" \
		"$tmp/corral-desktop" --data "$data" --config "$tmp/config.toml" >"$out/app-$1.log" 2>&1 &
	app=$!
	if [[ -n "${2:-}" ]]; then
		(answer_picker "$2" && answer_about) &
	fi
}
# answer_about — photograph the About box, then close it with Return.
answer_about() {
	local w
	for _ in $(seq 1 600); do
		w=$(xdotool search --name "About corral" 2>/dev/null | head -1)
		if [[ -n "$w" ]]; then
			sleep 0.5
			import -window root "$out/about.png" 2>/dev/null
			xdotool windowfocus --sync "$w" 2>/dev/null
			xdotool key --window "$w" Return
			return 0
		fi
		sleep 0.1
	done
	return 1
}
# answer_picker DIR — wait for the probe's folder chooser and choose DIR by
# typing it into the location bar (Ctrl+L) and pressing Return.
answer_picker() {
	local w
	for _ in $(seq 1 600); do
		w=$(xdotool search --name "corral smoke: choose a folder" 2>/dev/null | head -1)
		if [[ -n "$w" ]]; then
			sleep 0.3
			xdotool windowfocus --sync "$w" 2>/dev/null
			xdotool key --window "$w" ctrl+l
			sleep 0.3
			xdotool type --delay 5 "$1/"
			sleep 0.3
			xdotool key Return
			return 0
		fi
		sleep 0.1
	done
	return 1
}
wait_report() {
	for _ in $(seq 1 600); do
		[[ -s "$tmp/report.json" ]] && return 0
		alive "$app" || return 1
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- bench mode
if [[ $bench -gt 0 ]]; then
	idle=${DESKTOP_BENCH_IDLE:-15}
	colds=()
	for i in $(seq 1 "$bench"); do
		data="$tmp/bench-$i"
		mkdir -p "$data"
		launch "bench-$i"
		if wait_report; then
			read -r painted probe_ok < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1])); print(r["paintedAt"], all(c["ok"] for c in r["checks"]))' "$tmp/report.json")
			cold=$((painted - launched))
			colds+=("$cold")
			if [[ $probe_ok == True ]]; then ok "cold start $i: $cold ms"; else bad "cold start $i: $cold ms, probe failed"; fi
		else
			bad "cold start $i" "see $out/app-bench-$i.log"
		fi
		kill -TERM "$app" 2>/dev/null
		wait_gone 30 $(descendants "$app") "$app"
		app=""
	done
	if [[ ${#colds[@]} -gt 0 ]]; then
		echo "info cold starts (ms): ${colds[*]}; median $(printf '%s\n' "${colds[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
	fi

	# Idle memory without any session: the window alone.
	data="$tmp/bench-idle"
	mkdir -p "$data"
	"$tmp/corral-desktop" --data "$data" --config "$tmp/config.toml" >"$out/app-idle.log" 2>&1 &
	app=$!
	for _ in $(seq 1 300); do grep -q domready "$out/app-idle.log" && break; sleep 0.1; done
	sleep "$idle"
	webkit=""
	watchdog=""
	for p in $(descendants "$app"); do
		case $(cat /proc/"$p"/comm 2>/dev/null) in
		WebKit*) webkit="$webkit $p" ;;
		*) watchdog="$watchdog $p" ;;
		esac
	done
	read -r r1 q1 < <(memory "$app")
	read -r r2 q2 < <(memory "$app" $webkit)
	read -r r3 q3 < <(memory $watchdog)
	echo "info desktop idle ${idle}s: corral-desktop RSS $r1 MiB (PSS $q1); with WebKit processes RSS $r2 MiB (PSS $q2); watchdog RSS $r3 MiB (PSS $q3)"
	ok "desktop idle memory measured"
	kill -TERM "$app"
	wait_gone 30 "$app"
	app=""

	# Browser mode: corral serve, then a headless Chromium showing the page.
	if go build -o "$tmp/corral" ./cmd/corral >>"$out/build.log" 2>&1; then
		data="$tmp/bench-serve"
		mkdir -p "$data"
		"$tmp/corral" serve --no-open --data "$data" --config "$tmp/config.toml" >"$out/serve.log" 2>&1 &
		app=$!
		for _ in $(seq 1 300); do grep -q "serving at" "$out/serve.log" && break; sleep 0.1; done
		url=$(grep -o 'http://[^ ]*' "$out/serve.log" | head -1)
		sleep "$idle"
		read -r s1 t1 < <(memory "$app")
		echo "info browser mode idle ${idle}s: corral serve RSS $s1 MiB (PSS $t1)"
		if command -v chromium >/dev/null && [[ -n "$url" ]]; then
			chromium --headless --no-sandbox --disable-gpu --disable-quic --disable-background-networking \
				--disable-component-update --disable-sync --no-first-run --user-data-dir="$tmp/chromium" \
				--window-size=1280,800 --remote-debugging-port=0 "$url" >"$out/chromium.log" 2>&1 &
			chrome=$!
			sleep "$idle"
			read -r c1 c2 < <(memory "$chrome" $(descendants "$chrome"))
			echo "info browser mode idle ${idle}s: headless Chromium showing the page RSS $c1 MiB (PSS $c2); with corral serve RSS $((c1 + s1)) MiB (PSS $((c2 + t1)))"
			kill -TERM "$chrome" 2>/dev/null
			wait_gone 10 "$chrome"
		fi
		ok "browser mode idle memory measured"
		kill -TERM "$app"
		wait_gone 30 "$app"
		app=""
	else
		bad "corral builds" "see $out/build.log"
	fi
	finish
fi

# ---------------------------------------------------------------- first run
mkdir -p "$work/picked"
launch first "$work/picked"
if ! wait_report; then
	bad "window loaded and the probe reported" "see $out/app-first.log"
	finish
fi
ok "window loaded and the probe reported"
cp "$tmp/report.json" "$out/report.json"
# one line per probe check
while IFS=$'\t' read -r okv name detail; do
	if [[ "$okv" == "True" ]]; then ok "probe: $name"; else bad "probe: $name" "$detail"; fi
done < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
for c in r["checks"]:
    print("%s\t%s\t%s" % (c["ok"], c["name"], c["detail"].replace("\t", " ").replace("\n", " ")[:300]))
' "$tmp/report.json")
read -r painted go_cold events < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1])); print(r["paintedAt"], r["coldMs"], r["events"])' "$tmp/report.json")
echo "info cold start: launch to painted session list $((painted - launched)) ms (from main(): $go_cold ms)"

if [[ -n "$notifyd_pid" ]]; then
	sleep 0.5 # the notifier runs beside the window
	cp "$tmp/notifications.jsonl" "$out/" 2>/dev/null
	check "native notification for the finished run" grep -q '"summary":"Run finished' "$tmp/notifications.jsonl"
	check "native notification for the pending approval" grep -q '"summary":"Approval needed' "$tmp/notifications.jsonl"
	n=$(grep -c . "$tmp/notifications.jsonl" 2>/dev/null || echo 0)
	echo "info notifications received: $n"
fi

# the agent process of the session is alive now: a quit must stop it
agent_pids=$(pgrep -f "^$tmp/smokeagent" | tr '\n' ' ')
check "the fake agent process runs under the app" test -n "$agent_pids"

# ---------------------------------------------------------------- single instance
t1=$(now_ms)
timeout 20 "$tmp/corral-desktop" --data "$data" --config "$tmp/config.toml" >"$out/app-second.log" 2>&1
second=$?
check "a second launch exits 0 ($(($(now_ms) - t1)) ms)" test "$second" -eq 0
sleep 0.3
check "the first window was asked to come forward" grep -q "focused by a second launch" "$out/app-first.log"
check "the first instance still runs" alive "$app"

# ---------------------------------------------------------------- screenshot
sleep 1 # idle: let the page settle before measuring memory and taking the picture
shot="$out/desktop-smoke.png"
if import -window root "$shot" 2>"$out/import.log"; then
	read -r sd colours < <(convert "$shot" -format '%[fx:standard_deviation] %k\n' info: 2>/dev/null)
	check "screenshot is not blank (sd $sd, $colours colours)" python3 -c "import sys; sys.exit(0 if float('$sd') > 0.05 and int('$colours') > 32 else 1)"
else
	bad "screenshot taken" "see $out/import.log"
fi

tree=$(descendants "$app" | tr '\n' ' ')
total=$(rss_kb "$app")
for p in $tree; do total=$((total + $(rss_kb "$p"))); done
echo "info idle RSS: corral-desktop $(($(rss_kb "$app") / 1024)) MiB, with its children $((total / 1024)) MiB ($(echo $tree | wc -w) processes: $(for p in $tree; do cat /proc/$p/comm 2>/dev/null; done | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}'))"

# ---------------------------------------------------------------- quit
win=$(xdotool search --onlyvisible --pid "$app" 2>/dev/null | head -1)
if [[ -n "$win" ]]; then
	# move and resize the window as a user would; the next start must restore it
	xdotool windowsize "$win" 900 600
	xdotool windowmove "$win" 100 80
	sleep 0.5
fi
t2=$(now_ms)
if [[ -n "$win" ]]; then
	xdotool windowfocus --sync "$win" 2>/dev/null
	xdotool key --clearmodifiers ctrl+q
else
	echo "info no window id found; quitting with SIGTERM"
	kill -TERM "$app"
fi
if wait_gone 30 "$app"; then
	wait "$app"
	code=$?
	check "Ctrl+Q quits with exit code 0 (got $code, $(($(now_ms) - t2)) ms)" test "$code" -eq 0
else
	bad "Ctrl+Q quits within 30 s"
	kill -KILL "$app" 2>/dev/null
fi
app=""
# WebKit's helper processes end when their connection to the UI process
# closes, which can trail the app's exit by a moment.
tq=$(now_ms)
if wait_gone 10 $tree; then
	ok "no child left after quitting (all gone $(($(now_ms) - tq)) ms after the app exited)"
else
	left=""
	for p in $tree; do alive "$p" && left="$left $p($(cat /proc/$p/comm 2>/dev/null))"; done
	bad "no child left 10 s after quitting" "left:$left"
fi
check "shutdown logged as complete" grep -q "shutdown complete.*err=<nil>" "$out/app-first.log"
entries=$(python3 -c '
import glob, json, sys
print(sum(len(json.load(open(f)).get("entries") or []) for f in glob.glob(sys.argv[1] + "/processes/*.json")))' "$data")
check "process ledger is empty after quitting ($entries entries)" test "$entries" = 0
check "window geometry saved on quit ($(cat "$data/desktop-window.json" 2>/dev/null))" \
	grep -q '"x":100,"y":80,"width":900,"height":600' "$data/desktop-window.json"

# ---------------------------------------------------------------- SIGKILL
launch killed
if wait_report; then
	ok "second start over the same data dir"
	win=$(xdotool search --onlyvisible --pid "$app" 2>/dev/null | head -1)
	geo=$(xdotool getwindowgeometry "$win" 2>/dev/null | tr -s ' \n' ' ')
	check "window size and position restored (${geo# })" grep -q "Position: 100,80 .*Geometry: 900x600" <<<"$geo"
	tree=$(descendants "$app" | tr '\n' ' ')
	agents=$(pgrep -f "^$tmp/smokeagent" | tr '\n' ' ')
	check "the fake agent runs again" test -n "$agents"
	tk=$(now_ms)
	kill -KILL "$app"
	wait "$app" 2>/dev/null
	app=""
	if wait_gone 15 $tree $agents; then
		ok "nothing left running after SIGKILL of the app (all gone in $(($(now_ms) - tk)) ms)"
	else
		left=""
		for p in $tree $agents; do alive "$p" && left="$left $p($(cat /proc/$p/comm 2>/dev/null))"; done
		bad "nothing left running 15 s after SIGKILL of the app" "left:$left"
		for p in $tree $agents; do kill -KILL "$p" 2>/dev/null; done
	fi
else
	bad "second start over the same data dir" "see $out/app-killed.log"
fi

finish
