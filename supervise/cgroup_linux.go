//go:build linux

package supervise

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/corral-dev/corral/proc"
	"golang.org/x/sys/unix"
)

// removeWait bounds how long removing a killed group waits for its
// processes to be gone (a process in uninterruptible sleep dies late).
const removeWait = 5 * time.Second

// setupContainment chooses the containment of a new supervisor: a group of
// its own below corral's cgroup v2 group when one is writable and has
// cgroup.kill, the fallback otherwise. Corral's own group may hold
// processes (corral itself): the rule against processes in inner groups
// applies only to groups that enable controllers, and corral enables none.
func (s *Supervisor) setupContainment() Containment {
	if cgroupsDisabled(s.cfg) {
		return fallbackContainment(s.cfg, "turned off (Config.NoCgroups or "+NoCgroupsEnv+"=1)")
	}
	own, err := proc.OwnCgroup2()
	if err != nil {
		return fallbackContainment(s.cfg, err.Error())
	}
	dir := filepath.Join(own, instanceGroupName(os.Getpid(), s.selfStart, s.token))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fallbackContainment(s.cfg, "cannot create a cgroup in "+own+": "+err.Error())
	}
	if _, err := os.Stat(filepath.Join(dir, "cgroup.kill")); err != nil {
		unix.Rmdir(dir)
		return fallbackContainment(s.cfg, "the cgroup v2 hierarchy has no cgroup.kill (Linux 5.14 or later)")
	}
	return Containment{Mode: ContainCgroup, Cgroup: dir}
}

// ProbeContainment reports the containment a supervisor created now with
// cfg would use, without keeping anything: it creates a probe group and
// removes it. It is what `corral doctor` prints.
func ProbeContainment(cfg Config) Containment {
	s := &Supervisor{cfg: cfg, token: "probe" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	s.selfStart, _ = startTime(os.Getpid())
	c := s.setupContainment()
	if c.Mode == ContainCgroup {
		unix.Rmdir(c.Cgroup)
		c.Cgroup = filepath.Dir(c.Cgroup)
	}
	return c
}

// newTreeGroup creates the group of one run (attempt) of process id, or
// returns "" outside cgroup mode.
func (s *Supervisor) newTreeGroup(id string, attempt int) (string, error) {
	if s.Containment().Mode != ContainCgroup {
		return "", nil
	}
	dir := filepath.Join(s.contain.Cgroup, id+"-"+strconv.Itoa(attempt))
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return "", err
	}
	return dir, nil
}

// removeTreeGroup kills what is left in a tree's group and removes it.
func removeTreeGroup(dir string) error {
	if dir == "" {
		return nil
	}
	_, err := proc.RemoveCgroup(dir, removeWait)
	return err
}

// cgroupUnsupported reports whether a spawn into a cgroup failed because
// the kernel (or a seccomp filter) refuses clone3 or CLONE_INTO_CGROUP.
func cgroupUnsupported(err error) bool {
	return errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.E2BIG)
}

// removeInstanceGroup kills everything below a supervisor's group at once
// and removes the tree groups and the group itself. It returns the pids
// that were in it.
func removeInstanceGroup(dir string) []int {
	entries, _ := os.ReadDir(dir)
	var killed []int
	for _, e := range entries {
		if e.IsDir() {
			pids, _ := proc.CgroupPids(filepath.Join(dir, e.Name()))
			killed = append(killed, pids...)
		}
	}
	proc.KillCgroup(dir)
	for _, e := range entries {
		if e.IsDir() {
			proc.RemoveCgroup(filepath.Join(dir, e.Name()), removeWait)
		}
	}
	pids, _ := proc.RemoveCgroup(dir, removeWait)
	return append(killed, pids...)
}

// sweepCgroup kills what is left in the group a ledger entry recorded and
// removes it, and removes the dead supervisor's group once it is empty.
func sweepCgroup(e Entry) []int {
	if !isTreeGroup(e.Cgroup) {
		return nil
	}
	pids, _ := proc.RemoveCgroup(e.Cgroup, removeWait)
	unix.Rmdir(filepath.Dir(e.Cgroup)) // fails while other trees' groups remain
	return pids
}

// cgroupPids lists a tree's group (nil outside cgroup mode).
func cgroupPids(dir string) []int {
	if dir == "" {
		return nil
	}
	pids, _ := proc.CgroupPids(dir)
	return pids
}

// cgroupPopulated reports whether a process is still in a tree's group.
func cgroupPopulated(dir string) bool { return dir != "" && proc.CgroupPopulated(dir) }

// killCgroupForWatchdog is what the watchdog does with the group corral
// told it about when corral died.
func killCgroupForWatchdog(dir string) {
	if _, _, ok := parseInstanceGroupName(filepath.Base(dir)); ok {
		removeInstanceGroup(dir)
	}
}

// termCgroupForWatchdog sends SIGTERM to every process below the group of
// a dead corral's supervisor: the start of their grace.
func termCgroupForWatchdog(dir string) {
	if _, _, ok := parseInstanceGroupName(filepath.Base(dir)); !ok {
		return
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		pids, _ := proc.CgroupPids(filepath.Join(dir, e.Name()))
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGTERM)
		}
	}
}

// cgroupAliveForWatchdog reports whether a process is left below the
// group of a dead corral's supervisor.
func cgroupAliveForWatchdog(dir string) bool {
	if _, _, ok := parseInstanceGroupName(filepath.Base(dir)); !ok {
		return false
	}
	return proc.CgroupPopulated(dir)
}
