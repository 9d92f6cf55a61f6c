//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/internal/proctest"
)

// fleetRunner is a `corral runner` process with its own data directory and
// HOME.
type fleetRunner struct {
	cmd  *exec.Cmd
	errb *bytes.Buffer
	done chan error
}

func startRunner(t *testing.T, home, hubURL, creds, cfg string) *fleetRunner {
	t.Helper()
	r := &fleetRunner{errb: &bytes.Buffer{}, done: make(chan error, 1)}
	r.cmd = corral(t, "runner", "--hub", hubURL, "--creds", creds, "--data", filepath.Join(home, "data"), "--config", cfg, "--heartbeat", "200ms", "--label", "os=test")
	r.cmd.Env = append(r.cmd.Env, "HOME="+home)
	r.cmd.Stderr = r.errb
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.cmd.Process.Kill() })
	go func() { r.done <- r.cmd.Wait() }()
	return r
}

// wait returns the runner's exit code, failing after a generous deadline.
func (r *fleetRunner) wait(t *testing.T, what string) int {
	t.Helper()
	select {
	case err := <-r.done:
		return exitCode(t, err)
	case <-time.After(60 * time.Second):
		t.Fatalf("%s: the runner did not exit; stderr: %s", what, r.errb.String())
		return 0
	}
}

// stop ends the runner with SIGTERM and requires exit code 0.
func (r *fleetRunner) stop(t *testing.T) {
	t.Helper()
	r.cmd.Process.Signal(syscall.SIGTERM)
	if code := r.wait(t, "SIGTERM"); code != 0 {
		t.Fatalf("runner exit %d: %s", code, r.errb.String())
	}
}

type runnerRow struct {
	Name, Status, Version string
	Agents                []string
	Labels                map[string]string
	Sessions              int
	LastSeen              time.Time
}

func (sp *serveProc) runners() []runnerRow {
	sp.t.Helper()
	code, body := sp.call("ListRunners", `{}`)
	if code != 200 {
		sp.t.Fatalf("ListRunners: %d %s", code, body)
	}
	var out struct{ Result []runnerRow }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		sp.t.Fatal(err)
	}
	return out.Result
}

// awaitRunner waits until runner name's row satisfies ok (nil: absent).
func (sp *serveProc) awaitRunner(name, what string, ok func(*runnerRow) bool) {
	sp.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var row *runnerRow
		for _, r := range sp.runners() {
			if r.Name == name {
				row = &r
			}
		}
		if ok(row) {
			return
		}
		if time.Now().After(deadline) {
			sp.t.Fatalf("%s: runner %s is %+v; hub stderr: %s", what, name, row, sp.errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func statusIs(s string) func(*runnerRow) bool {
	return func(r *runnerRow) bool { return r != nil && r.Status == s }
}

// TestFleetHubAndRunner runs a hub and a runner as separate processes with
// separate data directories and HOMEs: the runner appears with its agents,
// is lost after kill -9, online again after a restart, and once removed is
// disconnected and cannot come back.
func TestFleetHubAndRunner(t *testing.T) {
	dir := t.TempDir()
	mark := proctest.NewMark()
	t.Cleanup(func() { proctest.RequireGone(t, mark) })
	hubHome, runHome := filepath.Join(dir, "hub"), filepath.Join(dir, "runner")
	os.MkdirAll(hubHome, 0o700)
	os.MkdirAll(runHome, 0o700)
	hubData := filepath.Join(hubHome, "data")
	t.Setenv("HOME", hubHome) // the hub's; each runner gets its own
	sp := startServe(t, hubData, fakeAgentConfig(t, hubHome, mark), "--fleet", "--fleet-addr", "127.0.0.1:0", "--fleet-timeout", "2s")
	var hub struct{ URL string }
	b, err := os.ReadFile(filepath.Join(hubData, "fleet", "hub.json"))
	if err != nil || json.Unmarshal(b, &hub) != nil || !strings.HasPrefix(hub.URL, "nats://127.0.0.1:") {
		t.Fatalf("hub.json %s %v", b, err)
	}
	if l := sp.runners(); len(l) != 0 {
		t.Fatalf("runners before any: %+v", l)
	}

	creds := filepath.Join(runHome, "box.creds")
	if out, err := corral(t, "fleet", "add", "box", "--out", creds, "--data", hubData).CombinedOutput(); err != nil {
		t.Fatalf("fleet add: %v %s", err, out)
	}
	if fi, err := os.Stat(creds); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("creds %v %v", fi, err)
	}
	if out, _ := corral(t, "fleet", "ls", "--data", hubData).Output(); !strings.Contains(string(out), "box") {
		t.Fatalf("fleet ls: %s", out)
	}
	runCfg := fakeAgentConfig(t, runHome, mark)
	r := startRunner(t, runHome, hub.URL, creds, runCfg)
	sp.awaitRunner("box", "online with its agents", func(x *runnerRow) bool {
		return x != nil && x.Status == "online" && slices.Contains(x.Agents, "fake") && x.Labels["os"] == "test"
	})

	r.cmd.Process.Signal(syscall.SIGKILL)
	r.wait(t, "kill -9")
	sp.awaitRunner("box", "lost after kill -9", statusIs("lost"))
	code, body := sp.call("CreateSession", `{"agent":"fake","cwd":"/","runner":"box"}`)
	if code != 503 || !strings.Contains(body, `"runner_offline"`) {
		t.Fatalf("CreateSession on a lost runner: %d %s", code, body)
	}

	r = startRunner(t, runHome, hub.URL, creds, runCfg)
	sp.awaitRunner("box", "online after a restart", statusIs("online"))

	if out, err := corral(t, "fleet", "remove", "box", "--data", hubData).CombinedOutput(); err != nil || !strings.Contains(string(out), "disconnected") {
		t.Fatalf("fleet remove: %v %s", err, out)
	}
	if code := r.wait(t, "removed"); code != exitCredsRefused || !strings.Contains(r.errb.String(), "refused") {
		t.Fatalf("removed runner: exit %d, stderr %s", code, r.errb.String())
	}
	sp.awaitRunner("box", "gone from the list", func(x *runnerRow) bool { return x == nil })
	r = startRunner(t, runHome, hub.URL, creds, runCfg)
	if code := r.wait(t, "restarted after removal"); code != exitCredsRefused {
		t.Fatalf("a removed runner started again: exit %d, stderr %s", code, r.errb.String())
	}

	sp.stop()
	if _, err := os.Stat(filepath.Join(hubData, "fleet", "hub.json")); !os.IsNotExist(err) {
		t.Fatalf("hub.json left behind: %v", err)
	}
}

// TestFleetRunnerStopsOnSIGTERM: a runner stopped with SIGTERM exits 0 and
// leaves nothing running, also while the hub cannot be reached.
func TestFleetRunnerStopsOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	mark := proctest.NewMark()
	t.Cleanup(func() { proctest.RequireGone(t, mark) })
	hubData := filepath.Join(dir, "hub")
	if out, err := corral(t, "fleet", "add", "solo", "--out", filepath.Join(dir, "solo.creds"), "--data", hubData).CombinedOutput(); err != nil {
		t.Fatalf("fleet add: %v %s", err, out)
	}
	// Nothing listens there: the runner keeps retrying until stopped.
	r := startRunner(t, filepath.Join(dir, "home"), "nats://127.0.0.1:1", filepath.Join(dir, "solo.creds"), fakeAgentConfig(t, dir, mark))
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(r.errb.String(), "runner") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	if code := r.wait(t, "SIGTERM"); code != 0 {
		t.Fatalf("exit %d: %s", code, r.errb.String())
	}
}

// TestServeWithoutFleetStartsNoNATS: plain corral serve embeds no NATS
// server, creates no fleet keys and answers ListRunners with unsupported.
func TestServeWithoutFleetStartsNoNATS(t *testing.T) {
	dir := t.TempDir()
	mark := proctest.NewMark()
	t.Cleanup(func() { proctest.RequireGone(t, mark) })
	data := filepath.Join(dir, "data")
	sp := startServe(t, data, fakeAgentConfig(t, dir, mark))
	code, body := sp.call("ListRunners", `{}`)
	if code != 501 || !strings.Contains(body, "fleet is off") {
		t.Fatalf("ListRunners: %d %s", code, body)
	}
	code, body = sp.call("CreateSession", `{"agent":"fake","cwd":"/","runner":"box"}`)
	if code != 501 || !strings.Contains(body, "fleet is off") {
		t.Fatalf("CreateSession with a runner: %d %s", code, body)
	}
	for _, p := range []string{"nats", "fleet"} {
		if _, err := os.Stat(filepath.Join(data, p)); !os.IsNotExist(err) {
			t.Errorf("%s exists without --fleet: %v", p, err)
		}
	}
	if n := listeningSockets(t, sp.cmd.Process.Pid); n >= 0 && n != 1 {
		t.Errorf("%d listening sockets, want 1 (the HTTP server's)", n)
	}
	sp.cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, sp.cmd.Wait()); code != 0 {
		t.Fatalf("exit %d: %s", code, sp.errb.String())
	}
}
