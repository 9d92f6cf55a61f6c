package supervise

import "os"

// Swept reports what Sweep did about one ledger entry.
type Swept struct {
	Entry Entry `json:"entry"`
	// Killed are the pids that were still alive and were killed.
	Killed []int `json:"killed"`
	// Skipped says why nothing was killed although the entry was
	// removed ("leader pid recycled"), empty otherwise.
	Skipped string `json:"skipped,omitempty"`
}

// Sweep kills what dead corral processes left behind, as recorded in the
// ledger, and removes their entries. It is run at start-up, before the
// supervisor starts anything.
//
// An entry whose corral is still alive (same pid, same start time) is left
// alone. Otherwise the recorded group is killed if its leader is alive with
// the recorded start time, or, when the leader is gone, if members remain
// that started no earlier than it (a group id stays reserved while any
// member lives, so those members are the leader's); processes carrying the
// entry's marker (descendants that left the group) are killed too. A pid
// that now names another process is never signalled. When the entry
// records a cgroup (Entry.Cgroup), everything still in it is killed with
// cgroup.kill first, and the group is removed.
func Sweep(l Ledger) ([]Swept, error) {
	entries, err := l.List()
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	var out []Swept
	for _, e := range entries {
		if e.Supervisor == self {
			continue
		}
		if e.Supervisor > 0 {
			if st, ok := startTime(e.Supervisor); ok && st == e.SupervisorStart {
				continue // that corral is alive and owns its processes
			}
		}
		// The tree's cgroup first: cgroup.kill takes every process in it at
		// once, whatever left the group or cleared its environment.
		killed := sweepCgroup(e)
		sw := sweepEntry(e)
		sw.Killed = append(killed, sw.Killed...)
		if err := l.Remove(e.ID); err != nil {
			return out, err
		}
		out = append(out, sw)
	}
	return out, nil
}
