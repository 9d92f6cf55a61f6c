//go:build linux

package supervise

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/proctest"
	"github.com/corral-dev/corral/proc"
)

// escapeDeadline is how long after a stop the escaped daemons may take to
// be gone: the design's target is 2 s.
const escapeDeadline = 2 * time.Second

// hostileSpec is a tree whose leader started the two escapees of
// proctest.Escapees and then waits. With ignoreTerm every process of it
// ignores SIGTERM, so only the kill at the end of the grace ends it.
func hostileSpec(mark string, ignoreTerm bool) proc.Spec {
	script := proctest.Escapees(mark) + "echo ready; exec sleep 1000"
	if ignoreTerm {
		script = "trap '' TERM; " + script
	}
	return proc.Spec{Program: "/bin/sh", Args: []string{"-c", script}, Env: []string{"PATH=/usr/bin:/bin", mark}}
}

// startHostile starts a hostile tree and waits until its leader and both
// escapees run.
func startHostile(t *testing.T, s *Supervisor, rec *recorder, mark string, spec Spec) *Process {
	t.Helper()
	spec.Ready = Readiness{Mode: ReadyLine, Line: "ready"}
	p, err := s.Start(spec)
	if err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "running", stateIs(p.ID(), StateRunning))
	if !proctest.WaitCount(mark, 3, 20*time.Second) {
		t.Fatalf("the tree did not start: %v", proctest.Leftovers(mark))
	}
	return p
}

func requireNoEscapee(t *testing.T, mark, after string) {
	t.Helper()
	if left := proctest.WaitGone(mark, escapeDeadline); len(left) > 0 {
		proctest.RequireGone(t, mark)
		t.Fatalf("alive %v after %s: %v", escapeDeadline, after, left)
	}
}

// Every stop path kills a tree's daemons that left its group and cleared
// their environment, also double-forked ones.
func TestEscapedDaemonsDieWithEveryStop(t *testing.T) {
	paths := []string{"stop", "stop ignoring TERM", "kill", "kill all", "shutdown", "timeout", "leader exits"}
	for _, how := range paths {
		t.Run(how, func(t *testing.T) {
			s, rec, mark := newTestSupervisor(t, Config{Subreaper: true})
			spec := Spec{Spec: hostileSpec(mark, how == "stop ignoring TERM"), StopGrace: 300 * time.Millisecond}
			switch how {
			case "timeout":
				spec.Timeout = 300 * time.Millisecond
			case "leader exits":
				spec.Spec.Args[1] = proctest.Escapees(mark) + "echo ready; sleep 0.3"
			}
			p := startHostile(t, s, rec, mark, spec)
			switch how {
			case "stop", "stop ignoring TERM":
				p.Stop()
			case "kill":
				p.Kill()
			case "kill all":
				s.KillAll()
			case "shutdown":
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				s.Shutdown(ctx)
			}
			p.Wait()
			requireNoEscapee(t, mark, how)
		})
	}
}

// In cgroup mode the tree is its cgroup: the sampler counts the escapees
// (which carry no marker and are not corral's children) in the tree.
func TestCgroupTreeCountsEscapees(t *testing.T) {
	s, rec, mark := newTestSupervisor(t, Config{Subreaper: true, MonitorInterval: 20 * time.Millisecond})
	if s.Containment().Mode != ContainCgroup {
		proctest.SkipWithoutCgroups(t, s.Containment().Reason)
	}
	p := startHostile(t, s, rec, mark, Spec{Spec: hostileSpec(mark, false)})
	rec.waitFor(t, "stats of 3 processes", func(ev event.Event) bool {
		var st Stats
		json.Unmarshal(ev.Data, &st)
		return ev.ProcessID == p.ID() && ev.Kind == event.ProcessStats && st.Processes == 3 && st.RSS > 0
	})
	p.Stop()
	p.Wait()
	requireNoEscapee(t, mark, "stop")
}

func TestContainmentIsReportedAndCleanedUp(t *testing.T) {
	probe := ProbeContainment(Config{Subreaper: true})
	s, _, _ := newTestSupervisor(t, Config{Subreaper: true})
	c := s.Containment()
	if c.Mode != probe.Mode {
		t.Fatalf("containment %+v, the probe said %+v", c, probe)
	}
	if c.Mode != ContainCgroup {
		if c.Mode != ContainSubreaper || c.Reason == "" {
			t.Fatalf("fallback %+v", c)
		}
		proctest.SkipWithoutCgroups(t, c.Reason)
	}
	if _, err := os.Stat(c.Cgroup + "/cgroup.procs"); err != nil {
		t.Fatalf("the supervisor's cgroup: %v", err)
	}
	s.Shutdown(context.Background())
	if _, err := os.Stat(c.Cgroup); !os.IsNotExist(err) {
		t.Fatalf("the supervisor's cgroup %s is still there after Shutdown: %v", c.Cgroup, err)
	}

	off, _, _ := newTestSupervisor(t, Config{Subreaper: true, NoCgroups: true})
	if c := off.Containment(); c.Mode != ContainSubreaper || c.Cgroup != "" || c.Reason == "" {
		t.Fatalf("with NoCgroups: %+v", c)
	}
	t.Setenv(NoCgroupsEnv, "1")
	if c := ProbeContainment(Config{}); c.Mode != ContainProcessGroup || c.Reason == "" {
		t.Fatalf("with %s=1: %+v", NoCgroupsEnv, c)
	}
}

// startHostileCorral starts a corral stand-in (mini-corral) running a
// hostile tree and kills it with SIGKILL once the tree runs.
func killNineHostile(t *testing.T, watchdog bool) (dir, mark string) {
	t.Helper()
	mark = proctest.NewMark()
	dir = t.TempDir()
	cmd := startHelper(mark, "mini-corral", nil)
	cmd.Env = append(cmd.Env, "CORRAL_TEST_DATA="+dir, "CORRAL_TEST_HOSTILE=1", fmt.Sprintf("CORRAL_TEST_WATCHDOG=%d", map[bool]int{false: 0, true: 1}[watchdog]))
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("mini corral said %q (%v)", line, err)
	}
	// corral, the leader and the two escapees (and the watchdog).
	want := 4
	if watchdog {
		want++
	}
	if !proctest.WaitCount(mark, want, 20*time.Second) {
		cmd.Process.Kill()
		cmd.Wait()
		proctest.RequireGone(t, mark)
		t.Fatalf("%v marked processes before the kill, want %d", proctest.Leftovers(mark), want)
	}
	cmd.Process.Kill()
	cmd.Wait()
	return dir, mark
}

// After a kill -9 of corral with its watchdog, nothing is left: the
// watchdog kills the supervisor's cgroup.
func TestKill9OfCorralKillsEscapees(t *testing.T) {
	dir, mark := killNineHostile(t, true)
	requireNoEscapee(t, mark, "kill -9 of corral")
	l, err := NewFileLedger(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Sweep(l); err != nil {
		t.Fatal(err)
	}
}

// Without a watchdog, the sweep at the next start kills the escapees
// through the cgroup the ledger recorded.
func TestSweepKillsEscapeesThroughTheLedgersCgroup(t *testing.T) {
	dir, mark := killNineHostile(t, false)
	swept := sweepOne(t, dir)
	requireNoEscapee(t, mark, "the sweep")
	if n := len(swept[0].Killed); n < 2 {
		t.Fatalf("the sweep killed %v, want at least the two escapees", swept[0].Killed)
	}
	if cg := swept[0].Entry.Cgroup; cg != "" {
		if _, err := os.Stat(cg); !os.IsNotExist(err) {
			t.Fatalf("the tree's cgroup %s is still there: %v", cg, err)
		}
	}
}

// Without cgroups (the fallback), the ancestry scan still catches a daemon
// that left the group and cleared its environment while its parent lived.
// A double-forked one is out of its reach (docs/supervise.md).
func TestFallbackCatchesAnEscapeeByAncestry(t *testing.T) {
	for _, how := range []string{"stop", "kill", "shutdown"} {
		t.Run(how, func(t *testing.T) {
			s, rec, mark := newTestSupervisor(t, Config{Subreaper: true, NoCgroups: true})
			script := fmt.Sprintf("setsid env -i %s sleep 1000 & echo ready; exec sleep 1000", mark)
			spec := proc.Spec{Program: "/bin/sh", Args: []string{"-c", script}, Env: []string{"PATH=/usr/bin:/bin", mark}}
			p, err := s.Start(Spec{Spec: spec, Ready: Readiness{Mode: ReadyLine, Line: "ready"}, StopGrace: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			rec.waitFor(t, "running", stateIs(p.ID(), StateRunning))
			if !proctest.WaitCount(mark, 2, 20*time.Second) {
				t.Fatalf("the tree did not start: %v", proctest.Leftovers(mark))
			}
			switch how {
			case "stop":
				p.Stop()
			case "kill":
				p.Kill()
			case "shutdown":
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				s.Shutdown(ctx)
			}
			p.Wait()
			requireNoEscapee(t, mark, how)
		})
	}
}

// A corral killed with its watchdog after its child started but before the
// ledger entry got the child's pid leaves only the entry written before the
// start (no pid yet): the next sweep still finds the tree, through the
// cgroup that entry names. Before, nothing was written until after the
// start, and a kill in between left the escapees to run for ever.
func TestSweepKillsATreeRecordedOnlyBeforeItStarted(t *testing.T) {
	dir, mark := killNineHostile(t, false)
	files, _ := filepath.Glob(filepath.Join(dir, LedgerDir, "corral-*.jsonl"))
	if len(files) != 1 {
		t.Fatalf("ledger files %v, want the dead corral's one", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	if !strings.Contains(first, `"pid":0,`) || !strings.Contains(first, `"cgroup":"`) {
		t.Fatalf("the ledger's first line is %q, want the tree's entry without a pid, with its cgroup", first)
	}
	// The file as a kill between the start and the second write leaves it.
	if err := os.WriteFile(files[0], []byte(first+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sweepOne(t, dir)
	requireNoEscapee(t, mark, "the sweep of an entry written before the start")
}
