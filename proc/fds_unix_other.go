//go:build unix && !linux

package proc

const fdDir = "/dev/fd"

// markAllCloseOnExec has no single system call to use here: the listing of
// /dev/fd does the work.
func markAllCloseOnExec() bool { return false }
