//go:build !linux

package supervise

import (
	"runtime"
)

// setupContainment: outside Linux there are no cgroups. Windows has a
// kill-on-close job object per tree (proc); the other systems have the
// process group.
func (s *Supervisor) setupContainment() Containment { return ProbeContainment(s.cfg) }

// ProbeContainment reports the containment a supervisor uses here.
func ProbeContainment(Config) Containment {
	if runtime.GOOS == "windows" {
		return Containment{Mode: ContainJobObject}
	}
	return Containment{Mode: ContainProcessGroup, Reason: "cgroups are a Linux feature"}
}

func (s *Supervisor) newTreeGroup(string, int) (string, error) { return "", nil }

func removeTreeGroup(string) error { return nil }

func cgroupUnsupported(error) bool { return false }

func removeInstanceGroup(string) []int { return nil }

func sweepCgroup(Entry) []int { return nil }

func cgroupPids(string) []int { return nil }

func cgroupPopulated(string) bool { return false }

func killCgroupForWatchdog(string) {}

func termCgroupForWatchdog(string) {}

func cgroupAliveForWatchdog(string) bool { return false }
