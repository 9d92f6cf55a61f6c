//go:build linux

package proc

import "golang.org/x/sys/unix"

const fdDir = "/proc/self/fd"

// markAllCloseOnExec marks every descriptor from 3 up with one
// close_range(2) call (Linux 5.11 and later); false when the kernel does
// not offer it.
func markAllCloseOnExec() bool {
	return unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC) == nil
}
