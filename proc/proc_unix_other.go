//go:build unix && !linux

package proc

import "syscall"

func sysProcAttr(spec *Spec) *syscall.SysProcAttr {
	if spec.Stdin == StdinPTY {
		return &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	}
	return &syscall.SysProcAttr{Setpgid: true}
}

// There is no parent-death signal here; the supervisor's ledger sweep is the
// backstop for a corral that was killed.
func lockThread() (unlock func()) { return func() {} }

// waitExitNoReap is not available: the caller reaps first and signals the
// group afterwards.
func waitExitNoReap(int) bool { return false }
