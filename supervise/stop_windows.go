//go:build windows

package supervise

import (
	"os"
	"time"

	"github.com/corral-dev/corral/proc"
)

// gracefulStop begins the stop sequence through proc, which sends
// CTRL_BREAK and terminates the job object after the grace; the
// supervisor's own timer kills at the same deadline.
func gracefulStop(cp *proc.Process, grace time.Duration) {
	go cp.Stop(grace)
}

func killGroup(pgid int) error { return killPid(pgid) }

// termGroup does nothing: a process outside the console cannot be asked to
// end, and the job object of each child kills it when corral's handle
// closes.
func termGroup(int) error { return nil }

func groupAlive(pgid int) bool { return alive(pgid) }

func killPid(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}

func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
