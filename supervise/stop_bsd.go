//go:build unix && !linux

package supervise

import "syscall"

// groupAlive reports whether any process (a zombie included) is still in
// group pgid.
func groupAlive(pgid int) bool {
	err := syscall.Kill(-pgid, 0)
	return err == nil || err == syscall.EPERM
}
