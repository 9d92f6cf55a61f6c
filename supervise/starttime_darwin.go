//go:build darwin

package supervise

import "golang.org/x/sys/unix"

// startTime returns the start time of pid in microseconds since the epoch,
// which like Linux's start ticks tells a recycled pid apart.
func startTime(pid int) (uint64, bool) {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil || kp.Proc.P_pid != int32(pid) {
		return 0, false
	}
	tv := kp.Proc.P_starttime
	return uint64(tv.Sec)*1e6 + uint64(tv.Usec), true
}
