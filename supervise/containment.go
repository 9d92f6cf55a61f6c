package supervise

import (
	"os"
	"strconv"
	"strings"
)

// Containment modes: how a supervisor keeps every process of a tree
// together, so that a stop reaches all of them.
const (
	// ContainCgroup: each tree runs in a cgroup v2 group of its own (Linux),
	// started there with CLONE_INTO_CGROUP and killed with cgroup.kill.
	// Nothing a descendant does (setsid, a double fork, a cleared
	// environment) takes it out.
	ContainCgroup = "cgroup"
	// ContainSubreaper: Linux without a writable cgroup v2 group. Process
	// groups, the marker variable, the child subreaper and an ancestry scan.
	ContainSubreaper = "subreaper"
	// ContainProcessGroup: the process group (and the marker) only; Linux
	// without cgroups nor Config.Subreaper, and the other Unix systems.
	ContainProcessGroup = "process-group"
	// ContainJobObject: Windows, a kill-on-close job object per tree.
	ContainJobObject = "job-object"
)

// NoCgroupsEnv, set to 1 in corral's environment, turns cgroup containment
// off as Config.NoCgroups does (the fallback is then in force).
const NoCgroupsEnv = "CORRAL_NO_CGROUPS"

// Containment reports the containment in force.
type Containment struct {
	// Mode is one of ContainCgroup, ContainSubreaper, ContainProcessGroup
	// and ContainJobObject.
	Mode string `json:"mode"`
	// Cgroup is the supervisor's own group in cgroup mode: every tree's
	// group is below it. From ProbeContainment: corral's own group, below
	// which a supervisor makes its group.
	Cgroup string `json:"cgroup,omitempty"`
	// Reason says why cgroups are not used, in the fallback modes on Linux.
	Reason string `json:"reason,omitempty"`
}

// cgroupsDisabled reports whether the configuration or the environment
// turns cgroups off.
func cgroupsDisabled(cfg Config) bool {
	return cfg.NoCgroups || os.Getenv(NoCgroupsEnv) == "1"
}

// instanceGroupName names the group of one supervisor: its corral's pid
// and start time (so a recycled pid does not look alive) and its token (so
// several supervisors in one process do not share a group).
func instanceGroupName(pid int, start uint64, token string) string {
	return "corral-" + strconv.Itoa(pid) + "." + strconv.FormatUint(start, 10) + "." + token
}

// parseInstanceGroupName is the inverse of instanceGroupName.
func parseInstanceGroupName(name string) (pid int, start uint64, ok bool) {
	rest, found := strings.CutPrefix(name, "corral-")
	if !found {
		return 0, 0, false
	}
	f := strings.Split(rest, ".")
	if len(f) != 3 || f[2] == "" {
		return 0, 0, false
	}
	pid, err1 := strconv.Atoi(f[0])
	start, err2 := strconv.ParseUint(f[1], 10, 64)
	return pid, start, err1 == nil && err2 == nil && pid > 0
}

// isTreeGroup reports whether dir looks like the group of one tree, as a
// supervisor creates it: "<instance group>/<process id>-<attempt>". A
// ledger entry naming anything else is not trusted with a cgroup.kill.
func isTreeGroup(dir string) bool {
	if dir == "" || dir[0] != '/' || strings.Contains(dir, "/../") || strings.HasSuffix(dir, "/..") {
		return false
	}
	i := strings.LastIndexByte(dir, '/')
	parent := dir[:i]
	j := strings.LastIndexByte(parent, '/')
	_, _, ok := parseInstanceGroupName(parent[j+1:])
	return ok && i+1 < len(dir)
}

// fallbackContainment is the containment without cgroups on Linux.
func fallbackContainment(cfg Config, reason string) Containment {
	if cfg.Subreaper {
		return Containment{Mode: ContainSubreaper, Reason: reason}
	}
	return Containment{Mode: ContainProcessGroup, Reason: reason}
}

// Containment reports how the supervisor keeps each tree together. It
// changes only if cgroup mode turns out to be refused by the kernel at the
// first spawn (clone3 or CLONE_INTO_CGROUP unsupported, as under some
// seccomp filters); the supervisor then falls back for good.
func (s *Supervisor) Containment() Containment {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	return s.contain
}

// fallBack leaves cgroup mode after the kernel refused a spawn into a
// cgroup: the fallback (subreaper when configured) is in force from now on.
func (s *Supervisor) fallBack(err error) {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	if s.contain.Mode != ContainCgroup {
		return
	}
	dir := s.contain.Cgroup
	s.contain = fallbackContainment(s.cfg, "the kernel refused a spawn into a cgroup: "+err.Error())
	go removeInstanceGroup(dir)
	if s.cfg.Subreaper && becomeSubreaper() == nil {
		s.subreaper = true
		s.reaper.start()
	}
}
