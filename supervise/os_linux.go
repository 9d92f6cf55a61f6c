//go:build linux

package supervise

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// becomeSubreaper makes corral the reaper of its orphaned descendants, so a
// descendant that called setsid or double-forked is re-parented to corral
// instead of init and can still be found and killed.
func becomeSubreaper() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

// isSubreaper reports whether corral is a child subreaper (set by another
// supervisor of the same process, for example).
func isSubreaper() bool {
	var v int32
	err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&v)), 0, 0, 0)
	return err == nil && v != 0
}

// reapPid collects the exit status of an adopted child, if it has one.
func reapPid(pid int) bool {
	var ws syscall.WaitStatus
	got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
	return err == nil && got == pid
}

// killMarked kills every process whose environment carries an entry
// starting with prefix, and the group each one leads. It loops until a scan
// finds none (a dying parent may have forked), at most a few rounds.
func killMarked(prefix string) []int {
	var killed []int
	var buf []byte
	for round := 0; round < 5; round++ {
		var procs []procStat
		procs, buf = scanProcs(buf)
		found := false
		for _, st := range procs {
			if st.State == 'Z' || st.Pid == syscall.Getpid() {
				continue
			}
			var ok bool
			ok, buf = hasEnv(st.Pid, prefix, true, buf)
			if !ok {
				continue
			}
			found = true
			if st.Pgid == st.Pid {
				killGroup(st.Pid)
			}
			killPid(st.Pid)
			killed = append(killed, st.Pid)
		}
		if !found {
			break
		}
	}
	return killed
}
