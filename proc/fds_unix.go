//go:build unix

package proc

import (
	"os"
	"strconv"
	"syscall"
)

// CloseOnExecAll marks every open descriptor above stderr close-on-exec, so
// that no child started afterwards inherits one by accident: only its
// stdin, stdout and stderr (and what a caller passes explicitly, as
// os/exec's ExtraFiles, which are duplicated into the child and cleared of
// the flag there) reach it.
//
// Go opens every descriptor with O_CLOEXEC, but a library, C code or the
// process that started corral may leave one without it, and os/exec offers
// no way to close descriptors in the child between fork and exec. Start
// calls this before every spawn, and the supervisor before starting its
// watchdog. It holds syscall.ForkLock for writing, so no descriptor being
// created the way package syscall does it (create, then mark) is missed. A
// descriptor that some code opens without the flag between this call and
// the fork can still leak into that one child; the next spawn marks it.
//
// Marking changes corral's own descriptors, which is harmless: corral never
// hands a descriptor to a child except through os/exec.
func CloseOnExecAll() error {
	syscall.ForkLock.Lock()
	defer syscall.ForkLock.Unlock()
	if markAllCloseOnExec() {
		return nil
	}
	return markListedCloseOnExec(fdDir)
}

// markListedCloseOnExec sets FD_CLOEXEC on every descriptor above 2 named
// in dir (/proc/self/fd or /dev/fd).
func markListedCloseOnExec(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return err
	}
	for _, name := range names {
		fd, err := strconv.Atoi(name)
		if err != nil || fd <= 2 {
			continue
		}
		// The descriptor of the listing itself is closed by now; EBADF
		// for it (or any descriptor closed meanwhile) is expected.
		syscall.CloseOnExec(fd)
	}
	return nil
}
