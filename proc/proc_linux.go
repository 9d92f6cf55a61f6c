//go:build linux

package proc

import (
	"errors"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

func sysProcAttr(spec *Spec) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{
		// If corral dies, the kernel asks the child to end: SIGTERM, not
		// SIGKILL, so that an agent still writing its transcript can finish
		// (the supervisor's watchdog kills what is left after a grace). The
		// signal fires when the creating thread ends, which is why run keeps
		// that thread locked for the child's whole life.
		Pdeathsig: syscall.SIGTERM,
	}
	if spec.Stdin == StdinPTY {
		a.Setsid, a.Setctty, a.Ctty = true, true, 0
	} else {
		a.Setpgid = true
	}
	return a
}

func lockThread() (unlock func()) {
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}

// waitExitNoReap blocks until the process exits, leaving it a zombie so that
// its pid (and group id) stays reserved until Wait reaps it.
func waitExitNoReap(pid int) bool {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return err == nil
	}
}
