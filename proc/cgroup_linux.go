//go:build linux

package proc

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// OwnCgroup2 returns the directory of the calling process's cgroup v2 group
// (see FindCgroup2), or *CgroupUnavailable.
func OwnCgroup2() (string, error) {
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "", &CgroupUnavailable{Reason: "cannot read the mount table", Err: err}
	}
	cg, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", &CgroupUnavailable{Reason: "cannot read /proc/self/cgroup", Err: err}
	}
	return FindCgroup2(string(mi), string(cg))
}

// KillCgroup kills every process in the cgroup v2 group dir and in the
// groups below it, atomically, by writing its cgroup.kill (Linux 5.14). A
// group that no longer exists is not an error.
func KillCgroup(dir string) error {
	err := os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENODEV) {
		return nil
	}
	return err
}

// CgroupPids returns the processes in the group dir (its cgroup.procs; the
// groups below it are not included). A zombie is no longer listed.
func CgroupPids(dir string) ([]int, error) {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range bytes.Fields(b) {
		if pid, err := strconv.Atoi(string(f)); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// CgroupPopulated reports whether a live process is in dir or below it
// (the "populated" key of cgroup.events). A missing group is not populated.
func CgroupPopulated(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.events"))
	if err != nil {
		return false
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("populated ")); ok {
			return string(v) != "0"
		}
	}
	return false
}

// RemoveCgroup kills everything in the group dir, waits up to within for
// it to be empty and removes it (rmdir; the files of a cgroup directory
// vanish with it). A group that does not exist is not an error. The
// processes it killed are returned (those listed in cgroup.procs first).
func RemoveCgroup(dir string, within time.Duration) ([]int, error) {
	pids, err := CgroupPids(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err := KillCgroup(dir); err != nil {
		return pids, err
	}
	deadline := time.Now().Add(within)
	for delay := 100 * time.Microsecond; CgroupPopulated(dir); delay = min(delay*2, 20*time.Millisecond) {
		if time.Now().After(deadline) {
			return pids, &os.PathError{Op: "rmdir", Path: dir, Err: syscall.EBUSY}
		}
		time.Sleep(delay)
	}
	err = unix.Rmdir(dir)
	for delay := time.Millisecond; errors.Is(err, syscall.EBUSY) && time.Now().Before(deadline); delay = min(delay*2, 20*time.Millisecond) {
		// The last task may still be leaving (it is no longer populated but
		// not yet unlinked): try again shortly.
		time.Sleep(delay)
		err = unix.Rmdir(dir)
	}
	if err != nil && !errors.Is(err, syscall.ENOENT) {
		return pids, &os.PathError{Op: "rmdir", Path: dir, Err: err}
	}
	return pids, nil
}

// intoCgroup opens spec.Cgroup and makes attr start the child inside it
// (clone3 with CLONE_INTO_CGROUP), so that the child and everything it
// starts are in that group from their first instruction. The returned
// file must stay open until the child started.
func intoCgroup(spec *Spec, attr *syscall.SysProcAttr) (*os.File, error) {
	if spec.Cgroup == "" {
		return nil, nil
	}
	fd, err := unix.Open(spec.Cgroup, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &SpawnFailed{Program: spec.Program, Reason: "cannot open its cgroup " + spec.Cgroup, Err: err}
	}
	attr.UseCgroupFD, attr.CgroupFD = true, fd
	return os.NewFile(uintptr(fd), spec.Cgroup), nil
}

// killCgroup kills the child's cgroup, if it was started in one.
func (p *Process) killCgroup() {
	if p.spec.Cgroup != "" {
		KillCgroup(p.spec.Cgroup)
	}
}

// signalCgroup sends sig to every process of the child's cgroup, if it was
// started in one: a descendant that left the process group gets the
// graceful signal too.
func (p *Process) signalCgroup(sig sysSignal) {
	if p.spec.Cgroup == "" {
		return
	}
	pids, _ := CgroupPids(p.spec.Cgroup)
	for _, pid := range pids {
		// A pid could be reaped and recycled between the read and the
		// signal, the window kill(1) has too; SIGKILL goes through
		// cgroup.kill, which has no such window.
		syscall.Kill(pid, sig)
	}
}
