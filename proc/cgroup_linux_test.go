//go:build linux

package proc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/corral-dev/corral/internal/proctest"
)

// testCgroup creates a cgroup v2 group below this process's own, or skips
// the test where none is writable.
func testCgroup(t *testing.T) string {
	t.Helper()
	own, err := OwnCgroup2()
	if err != nil {
		proctest.SkipWithoutCgroups(t, err)
	}
	dir := filepath.Join(own, fmt.Sprintf("corral-proc-test-%d-%d", os.Getpid(), time.Now().UnixNano()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		proctest.SkipWithoutCgroups(t, "no writable cgroup v2 group:", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "cgroup.kill")); err != nil {
		os.Remove(dir)
		proctest.SkipWithoutCgroups(t, "no cgroup.kill (Linux 5.14 or later):", err)
	}
	t.Cleanup(func() {
		if _, err := RemoveCgroup(dir, 5*time.Second); err != nil {
			t.Errorf("remove %s: %v", dir, err)
		}
	})
	return dir
}

func TestCgroupKillReachesEscapedDescendants(t *testing.T) {
	for _, how := range []string{"kill", "stop", "leader exits"} {
		t.Run(how, func(t *testing.T) {
			dir := testCgroup(t)
			mark := proctest.NewMark()
			script := proctest.Escapees(mark) + "exec sleep 1000"
			if how == "leader exits" {
				script = proctest.Escapees(mark) + "sleep 0.2"
			}
			p, err := Start(Spec{Program: "/bin/sh", Args: []string{"-c", script}, Env: []string{"PATH=/usr/bin:/bin", mark}, Cgroup: dir}, nil)
			if err != nil {
				t.Fatal(err)
			}
			// Both daemons run before the stop.
			for i := 0; len(proctest.Leftovers(mark)) < 2; i++ {
				if i > 1000 {
					p.Kill()
					t.Fatalf("the daemons did not start: %v", proctest.Leftovers(mark))
				}
				time.Sleep(5 * time.Millisecond)
			}
			if pids, _ := CgroupPids(dir); len(pids) < 3 && how != "leader exits" {
				t.Errorf("cgroup.procs lists %v, want the shell and both daemons", pids)
			}
			switch how {
			case "kill":
				p.Kill()
			case "stop":
				p.Stop(time.Second)
			}
			<-p.Done()
			if left := proctest.WaitGone(mark, 2*time.Second); len(left) > 0 {
				proctest.RequireGone(t, mark)
				t.Fatalf("alive 2 s after the tree ended: %v", left)
			}
		})
	}
}

func TestCgroupMissingIsASpawnError(t *testing.T) {
	_, err := Start(Spec{Program: "/bin/true", Cgroup: "/nonexistent/cgroup"}, nil)
	var sf *SpawnFailed
	if !errors.As(err, &sf) {
		t.Fatalf("err %v, want *SpawnFailed", err)
	}
}
