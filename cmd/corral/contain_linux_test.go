//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/internal/proctest"
	"github.com/corral-dev/corral/supervise"
)

// The hostile-child suite of the command line: a tree whose descendants
// leave their process group and clear their environment (setsid env -i),
// also double-forked, is gone 2 s after every way corral stops it.

const escapeDeadline = 2 * time.Second

func requireNoEscapee(t *testing.T, mark, after string) {
	t.Helper()
	if left := proctest.WaitGone(mark, escapeDeadline); len(left) > 0 {
		proctest.RequireGone(t, mark)
		t.Fatalf("alive %v after %s: %v", escapeDeadline, after, left)
	}
}

// hostileScript starts both escapees and waits as the leader.
func hostileScript(mark string) string {
	return proctest.Escapees(mark) + "exec sleep 1000"
}

// watchdogOf returns the pid of the watchdog corral pid started.
func watchdogOf(t *testing.T, pid int) int {
	t.Helper()
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		stat, _ := os.ReadFile("/proc/" + e.Name() + "/stat")
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 || !bytes.Contains(cmdline, []byte(supervise.WatchdogArg)) {
			continue
		}
		if f := strings.Fields(string(stat[i+1:])); len(f) > 1 && f[1] == strconv.Itoa(pid) {
			return child
		}
	}
	t.Fatalf("no watchdog of %d", pid)
	return 0
}

// kill9 kills corral (and first its watchdog, when both is set) with
// SIGKILL, as an OOM killer or a crash of the machine's session would.
func kill9(t *testing.T, pid int, both bool) {
	t.Helper()
	if both {
		syscall.Kill(watchdogOf(t, pid), syscall.SIGKILL)
	}
	syscall.Kill(pid, syscall.SIGKILL)
}

func startHostileRun(t *testing.T, data string) (*os.Process, string, func() error) {
	t.Helper()
	cmd := corral(t, "run", "--data", data, "--", "sh", "-c", "")
	mark := markOf(t, cmd.Env)
	cmd.Args[len(cmd.Args)-1] = hostileScript(mark)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// corral, its watchdog, the leader and both escapees.
	if !proctest.WaitCount(mark, 5, 30*time.Second) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the command never started: %v", proctest.Leftovers(mark))
	}
	return cmd.Process, mark, cmd.Wait
}

func TestRunStoppedLeavesNoEscapee(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			p, mark, wait := startHostileRun(t, t.TempDir())
			p.Signal(sig)
			wait()
			requireNoEscapee(t, mark, "corral run got "+sig.String())
		})
	}
}

func TestRunKill9LeavesNoEscapee(t *testing.T) {
	for _, both := range []bool{false, true} {
		name := "corral"
		if both {
			name = "corral and its watchdog"
		}
		t.Run(name, func(t *testing.T) {
			data := t.TempDir()
			p, mark, wait := startHostileRun(t, data)
			kill9(t, p.Pid, both)
			wait()
			if !both {
				requireNoEscapee(t, mark, "kill -9 of corral run (the watchdog)")
				return
			}
			// Nothing is left to kill them but the next corral's sweep,
			// through the cgroup the ledger recorded.
			if len(proctest.Leftovers(mark)) < 2 {
				t.Fatalf("the escapees died without a sweep: %v", proctest.Leftovers(mark))
			}
			var errb bytes.Buffer
			next := corral(t, "run", "--data", data, "--", "true")
			next.Stderr = &errb
			if err := next.Run(); err != nil {
				t.Fatalf("%v: %s", err, errb.String())
			}
			requireNoEscapee(t, mark, "the sweep of the next corral run")
			if !strings.Contains(errb.String(), "corral: killed ") {
				t.Fatalf("the sweep said nothing: %q", errb.String())
			}
		})
	}
}

// hostileConfig is the fake agent's config plus a capability that starts
// the hostile tree.
func hostileConfig(t *testing.T, dir, mark string) string {
	cfg := fakeAgentConfig(t, dir, mark)
	key, val, _ := strings.Cut(mark, "=")
	b, _ := os.ReadFile(cfg)
	b = fmt.Appendf(b, "\n[[capability]]\nname = \"hostile\"\nprogram = \"/bin/sh\"\nargs = [\"-c\", %q]\nenv = { PATH = \"/usr/bin:/bin\", %s = %q }\n",
		hostileScript(mark), key, val)
	os.WriteFile(cfg, b, 0o600)
	return cfg
}

// spawnHostile starts the hostile capability through the API and waits
// for its tree: the leader and both escapees.
func (sp *serveProc) spawnHostile(mark string) string {
	sp.t.Helper()
	before := sleepers(mark) // an escaping turn's escapees
	args, _ := json.Marshal([]string{"-c", hostileScript(mark)})
	code, body := sp.call("Spawn", fmt.Sprintf(`{"capability":"hostile","args":%s}`, args))
	if code != 200 {
		sp.t.Fatalf("%d %s", code, body)
	}
	var r struct{ Result struct{ ProcessID string } }
	json.Unmarshal([]byte(body), &r)
	if !waitSleepers(mark, before+3) {
		sp.t.Fatalf("the tree never started: %v", proctest.Leftovers(mark))
	}
	return r.Result.ProcessID
}

// startEscapingTurn starts a session whose agent leaves both escapees
// behind, and waits for them.
func (sp *serveProc) startEscapingTurn(cwd, mark string) string {
	sp.t.Helper()
	code, body := sp.call("CreateSession", fmt.Sprintf(`{"agent":"fake","cwd":%q}`, cwd))
	if code != 200 {
		sp.t.Fatalf("%d %s", code, body)
	}
	var created struct{ Result struct{ ID string } }
	json.Unmarshal([]byte(body), &created)
	text, _ := json.Marshal("spawn:" + proctest.Escapees(mark))
	if code, body = sp.call("SendMessage", fmt.Sprintf(`{"sessionId":%q,"text":%s}`, created.Result.ID, text)); code != 200 {
		sp.t.Fatalf("%d %s", code, body)
	}
	// Both escapees.
	if !waitSleepers(mark, 2) {
		sp.t.Fatalf("the escapees never started: %v", proctest.Leftovers(mark))
	}
	return created.Result.ID
}

func TestServeStopPathsLeaveNoEscapee(t *testing.T) {
	paths := []string{"StopProcess", "Kill", "StopSession", "DeleteSession", "SIGTERM of serve", "kill -9 of serve", "kill -9 of serve and its watchdog, then a restart"}
	for _, how := range paths {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			data := filepath.Join(dir, "data")
			mark := proctest.NewMark()
			t.Cleanup(func() { proctest.RequireGone(t, mark) })
			cfg := hostileConfig(t, dir, mark)
			sp := startServe(t, data, cfg)
			switch how {
			case "StopProcess", "Kill":
				id := sp.spawnHostile(mark)
				// While it runs, the tree is listed whole.
				_, body := sp.call("ListProcesses", `{}`)
				var list struct{ Result []struct{ ProcessID string } }
				json.Unmarshal([]byte(body), &list)
				if len(list.Result) != 1 || list.Result[0].ProcessID != id {
					t.Fatalf("ListProcesses: %s", body)
				}
				if code, body := sp.call(how, fmt.Sprintf(`{"processId":%q}`, id)); code != 200 {
					t.Fatalf("%s: %d %s", how, code, body)
				}
			case "StopSession", "DeleteSession":
				id := sp.startEscapingTurn(dir, mark)
				if code, body := sp.call(how, fmt.Sprintf(`{"sessionId":%q}`, id)); code != 200 {
					t.Fatalf("%s: %d %s", how, code, body)
				}
			case "SIGTERM of serve":
				sp.startEscapingTurn(dir, mark)
				sp.spawnHostile(mark)
				sp.cmd.Process.Signal(syscall.SIGTERM)
				sp.cmd.Wait()
			case "kill -9 of serve":
				sp.startEscapingTurn(dir, mark)
				sp.spawnHostile(mark)
				kill9(t, sp.cmd.Process.Pid, false)
				sp.cmd.Wait()
			default:
				sp.startEscapingTurn(dir, mark)
				sp.spawnHostile(mark)
				kill9(t, sp.cmd.Process.Pid, true)
				sp.cmd.Wait()
				if len(proctest.Leftovers(mark)) < 4 {
					t.Fatalf("the escapees died without a sweep: %v", proctest.Leftovers(mark))
				}
				sp2 := startServe(t, data, cfg)
				defer func() {
					sp2.cmd.Process.Signal(syscall.SIGTERM)
					sp2.cmd.Wait()
				}()
			}
			requireNoEscapee(t, mark, how)
			if how == "StopProcess" || how == "Kill" || how == "StopSession" || how == "DeleteSession" {
				sp.cmd.Process.Signal(syscall.SIGTERM)
				sp.cmd.Wait()
			}
		})
	}
}

// sleepers counts the marked `sleep 1000` processes: the escapees and
// the hostile leader, which stay until killed (unlike the shells that
// start them, whose exit makes a count of every marked process move).
func sleepers(mark string) int {
	n := 0
	for _, pid := range proctest.Leftovers(mark) {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if string(b) == "sleep\x001000\x00" {
			n++
		}
	}
	return n
}

// waitSleepers waits (30 s at most) until at least n sleepers run.
func waitSleepers(mark string, n int) bool {
	deadline := time.Now().Add(30 * time.Second)
	for sleepers(mark) < n {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}
