// Package proctest helps tests prove that no process they started is left
// running: every child a test starts carries a marker variable in its
// environment, which its descendants inherit even after they were re-parented
// away from the test (setsid, double fork), and Leftovers finds them by it.
package proctest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// MarkKey is the environment variable that carries a test's marker.
const MarkKey = "CORRAL_TEST_MARK"

var counter atomic.Int64

// NewMark returns a marker unique to this test binary run, as "KEY=value".
func NewMark() string {
	return fmt.Sprintf("%s=%d-%d-%d", MarkKey, os.Getpid(), time.Now().UnixNano(), counter.Add(1))
}

// Leftovers returns the pids of live (non-zombie) processes whose
// environment contains mark ("KEY=value"). Linux only; elsewhere it returns nil.
func Leftovers(mark string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	needle := append([]byte(mark), 0)
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(append(env, 0), needle) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil {
			// Field 3, after the parenthesised command name, is the state.
			if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
				continue
			}
		}
		pids = append(pids, pid)
	}
	return pids
}

// WaitGone polls until no process carries mark or the deadline passes, and
// returns what is still alive. Processes being killed take a moment to go.
func WaitGone(mark string, within time.Duration) []int {
	deadline := time.Now().Add(within)
	for {
		left := Leftovers(mark)
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// RequireGone fails t when a process carrying mark is still alive after a
// generous settling time, and kills what it finds so later tests start clean.
func RequireGone(t testing.TB, mark string) {
	t.Helper()
	left := WaitGone(mark, 5*time.Second)
	if len(left) == 0 {
		return
	}
	var desc []string
	for _, pid := range left {
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		desc = append(desc, fmt.Sprintf("%d %s", pid, strings.ReplaceAll(string(cmd), "\x00", " ")))
		if p, err := os.FindProcess(pid); err == nil {
			p.Kill()
		}
	}
	t.Errorf("processes left running: %s", strings.Join(desc, "; "))
}

// Escapees is a shell fragment that starts, in the background, the two
// daemons that leave everything corral could follow except the test's
// mark: one in a new session with a cleared environment (`setsid env -i`),
// so neither its process group nor corral's marker variable leads to it,
// and the same one double-forked (its parent exits at once, so it is
// re-parented too). Each ends as `sleep 1000` with mark as its only
// environment entry, so Leftovers still finds it. The fragment ends with
// "; " and needs setsid(1) and env(1).
func Escapees(mark string) string {
	return fmt.Sprintf("setsid env -i %[1]s sleep 1000 & (setsid env -i %[1]s sleep 1000 &); ", mark)
}

// WaitCount polls until at least n processes carry mark, and reports
// whether they did before the deadline.
func WaitCount(mark string, n int, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for len(Leftovers(mark)) < n {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// RequireCgroupsEnv, set to 1, turns a missing writable cgroup v2 group
// from a skip into a failure: scripts/test.sh sets it where the mount
// table shows a cgroup v2 hierarchy, so containment tests cannot pass by
// skipping on the machines that have one.
const RequireCgroupsEnv = "CORRAL_REQUIRE_CGROUPS"

// RequireNetnsEnv, set to 1, turns missing network namespaces (not root,
// no iproute2) from a skip into a failure: scripts/test.sh runs as root
// and installs iproute2, so the fleet's partition test cannot pass there
// by skipping.
const RequireNetnsEnv = "CORRAL_REQUIRE_NETNS"

// SkipWithoutCgroups skips t because this machine offers no cgroup
// containment (why says what is missing), or fails it when
// RequireCgroupsEnv says cgroups must be there.
func SkipWithoutCgroups(t testing.TB, why ...any) {
	t.Helper()
	SkipUnlessRequired(t, RequireCgroupsEnv, append([]any{"cgroup containment is not available here:"}, why...)...)
}

// SkipUnlessRequired skips t for why, or fails it when the environment
// variable env is 1: the machine is meant to have what the test needs.
func SkipUnlessRequired(t testing.TB, env string, why ...any) {
	t.Helper()
	if os.Getenv(env) == "1" {
		t.Fatal(why...)
	}
	t.Skip(why...)
}
