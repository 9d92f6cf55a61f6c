//go:build unix

package supervise

import (
	"syscall"
	"time"

	"github.com/corral-dev/corral/proc"
)

// gracefulStop begins the stop sequence: stdin closed, SIGTERM to the whole
// group and, in cgroup mode, to every process of the tree's cgroup. The
// supervisor's own clock times the grace and sends SIGKILL, so that the
// sequence is the same under a test clock.
func gracefulStop(cp *proc.Process, _ time.Duration) {
	if cp.Spec().Stdin == proc.StdinPipe {
		cp.CloseStdin()
	}
	cp.SignalTree(syscall.SIGTERM)
}

func killGroup(pgid int) error { return syscall.Kill(-pgid, syscall.SIGKILL) }

func killPid(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

// termGroup asks a whole group to end (SIGTERM).
func termGroup(pgid int) error { return syscall.Kill(-pgid, syscall.SIGTERM) }

// alive reports whether pid exists (a zombie counts as gone elsewhere).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
