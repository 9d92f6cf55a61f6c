//go:build unix

package supervise

import "syscall"

// detachedAttr puts the watchdog in a process group of its own and gives it
// no parent-death signal: it must outlive corral.
func detachedAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
