package main

import (
	"fmt"
	"io"
	goruntime "runtime"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/supervise"
)

func printDoctor(w io.Writer, r doctorReport) {
	mark := func(ok bool) string {
		if ok {
			return "ok  "
		}
		return "FAIL"
	}
	fmt.Fprintf(w, "%s config     %s", mark(r.Config.OK), r.Config.Path)
	if r.Config.Message != "" {
		fmt.Fprintf(w, " (%s)", r.Config.Message)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s data dir   %s", mark(r.DataDir.OK), r.DataDir.Path)
	if r.DataDir.Message != "" {
		fmt.Fprintf(w, " (%s)", r.DataDir.Message)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s store      %s: %d sessions, cursor %d, %d bytes", mark(r.Store.OK), r.Store.Path, r.Store.Sessions, r.Store.Events, r.Store.Bytes)
	if r.Store.Message != "" {
		fmt.Fprintf(w, " (%s)", r.Store.Message)
	}
	fmt.Fprintln(w)
	if r.Server != nil {
		state := "not running (stale serve.json)"
		if r.Server.Running {
			state = "running"
		}
		fmt.Fprintf(w, "     server     %s pid %d %s\n", r.Server.URL, r.Server.PID, state)
	}
	for _, a := range r.Agents {
		m := mark(a.Status == "ok")
		if a.Status == "missing" {
			m = "--  " // not installed is a choice, not a failure
		}
		fmt.Fprintf(w, "%s agent      %-8s %s", m, a.Name, a.Status)
		if a.Path != "" {
			fmt.Fprintf(w, " %s", a.Path)
		}
		if a.Version != "" {
			fmt.Fprintf(w, " (%s", a.Version)
			if a.VersionCheck == agent.VersionTested {
				fmt.Fprint(w, ", tested")
			}
			fmt.Fprint(w, ")")
		}
		if a.Message != "" {
			fmt.Fprintf(w, ": %s", a.Message)
		}
		if a.Install != "" {
			fmt.Fprintf(w, "; install it with: %s", a.Install)
		}
		if a.Status == "ok" {
			cred := a.Credentials
			if cred == "" {
				cred = "none found"
			}
			fmt.Fprintf(w, " [credentials: %s]", cred)
		}
		fmt.Fprintln(w)
	}
	printContainment(w, r.Containment)
	managed, left := 0, 0
	for _, l := range r.Leftover {
		switch {
		case l.Managed:
			managed++
		case l.Alive:
			left++
		}
	}
	fmt.Fprintf(w, "     processes  %d managed by a running corral, %d left over from a corral that is gone\n", managed, left)
	printWorktrees(w, r.Worktrees)
	for _, p := range r.Problems {
		fmt.Fprintln(w, "problem:", p)
	}
}

// printContainment prints the containment line: "ok" for cgroups, "--"
// for a fallback (a limit of the machine, not a failure), with the reason.
func printContainment(w io.Writer, c supervise.Containment) {
	m := "ok  "
	if c.Mode != supervise.ContainCgroup && goruntime.GOOS == "linux" {
		m = "--  "
	}
	fmt.Fprintf(w, "%s containment %s", m, c.Mode)
	if c.Cgroup != "" {
		fmt.Fprintf(w, " (one cgroup per process tree below %s)", c.Cgroup)
	}
	if c.Reason != "" {
		fmt.Fprintf(w, " (no cgroups: %s)", c.Reason)
	}
	fmt.Fprintln(w)
}

// printWorktrees prints the worktrees line and one line per stale one.
func printWorktrees(w io.Writer, t doctorWorktrees) {
	orphaned, missing := 0, 0
	for _, s := range t.Stale {
		if s.Kind == "missing" {
			missing++
		} else {
			orphaned++
		}
	}
	m := "ok  "
	if orphaned > 0 {
		m = "FAIL"
	}
	fmt.Fprintf(w, "%s worktrees  %s: %d used by sessions, %d orphaned, %d missing", m, t.Root, t.Known, orphaned, missing)
	if t.Message != "" {
		fmt.Fprintf(w, " (%s)", t.Message)
	}
	fmt.Fprintln(w)
	for _, s := range t.Stale {
		fmt.Fprintf(w, "     %-8s   %s", s.Kind, s.Path)
		if s.Branch != "" {
			fmt.Fprintf(w, " (branch %s)", s.Branch)
		}
		fmt.Fprintln(w)
	}
	for _, r := range t.Pruned {
		fmt.Fprintf(w, "     pruned     git worktree prune in %s\n", r)
	}
}
