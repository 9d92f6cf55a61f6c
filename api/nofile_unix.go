//go:build unix

package api

import "syscall"

// openFilesLimit returns the soft RLIMIT_NOFILE, 0 when it cannot be read
// or is practically unlimited.
func openFilesLimit() uint64 {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0
	}
	if c := uint64(r.Cur); c < 1<<32 {
		return c
	}
	return 0
}
