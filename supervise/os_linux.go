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

// leaveSubreaper undoes becomeSubreaper.
func leaveSubreaper() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
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
func killMarked(prefix string) []int { return signalMarked(prefix, syscall.SIGKILL, 5) }

// termMarked sends SIGTERM to every process carrying the marker prefix, and
// to the group each one leads.
func termMarked(prefix string) []int { return signalMarked(prefix, syscall.SIGTERM, 1) }

// leftAlive returns those of pgids that still hold a live process, and
// whether a live process other than this one carries the marker prefix
// (when prefix is not empty), in one pass over /proc. Zombies do not count:
// they end nothing and cannot be signalled into ending.
func leftAlive(pgids []int, prefix string) ([]int, bool) {
	procs, buf := scanProcs(nil)
	live := map[int]bool{}
	marked := false
	for _, st := range procs {
		if st.State == 'Z' || st.Pid == syscall.Getpid() {
			continue
		}
		live[st.Pgid] = true
		if prefix != "" && !marked {
			marked, buf = hasEnv(st.Pid, prefix, true, buf)
		}
	}
	return stillAlive(pgids, func(pgid int) bool { return live[pgid] }), marked
}

// signalMarked sends sig to every live process carrying the marker prefix
// and to the group each one leads, rescanning up to rounds times while a
// scan still finds one.
func signalMarked(prefix string, sig syscall.Signal, rounds int) []int {
	var signalled []int
	var buf []byte
	for round := 0; round < rounds; round++ {
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
				syscall.Kill(-st.Pid, sig)
			}
			syscall.Kill(st.Pid, sig)
			signalled = append(signalled, st.Pid)
		}
		if !found {
			break
		}
	}
	return signalled
}
