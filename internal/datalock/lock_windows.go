//go:build windows

package datalock

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockOffset is the byte the lock covers: far past the owner record, so
// another process can still read the record (Windows locks are mandatory).
const lockOffset = 1 << 30

// tryLock takes an exclusive lock on one byte of f without waiting. It
// reports false when another handle holds it. The lock ends when f is
// closed or the process dies.
func tryLock(f *os.File) (bool, error) {
	ol := &windows.Overlapped{Offset: lockOffset}
	err := windows.LockFileEx(windows.Handle(f.Fd()),
		windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return false, nil
	}
	return err == nil, err
}
