package supervise

import (
	"strings"
	"time"
)

// EntryStatus is what Inspect learned about one ledger entry.
type EntryStatus struct {
	Entry Entry `json:"entry"`
	// Alive is true when the recorded leader still runs (same start time)
	// or, with a cgroup, while any process is left in the tree's group.
	Alive bool `json:"alive"`
	// Orphaned is true when it runs but the corral that started it is gone.
	Orphaned bool `json:"orphaned"`
	// Stats of the whole tree; CPUPercent is measured over the window.
	Stats Stats `json:"stats"`
}

// Inspect reports on ledger entries without a running supervisor: whether
// each process still runs, and the CPU (over window) and memory of its tree.
// It is what `corral ps` shows when no server is running.
func Inspect(entries []Entry, window time.Duration) []EntryStatus {
	out := make([]EntryStatus, len(entries))
	var roots []root
	for i, e := range entries {
		out[i].Entry = e
		st, ok := startTime(e.Pid)
		// With a cgroup, the tree lives while its group holds a process,
		// even after its leader died.
		out[i].Alive = ok && st == e.StartTime || cgroupPopulated(e.Cgroup)
		if out[i].Alive {
			roots = append(roots, root{id: entryID(e), pid: e.Pid, start: e.StartTime, cgroup: e.Cgroup})
		}
		if e.Supervisor > 0 {
			sst, ok := startTime(e.Supervisor)
			out[i].Orphaned = out[i].Alive && !(ok && sst == e.SupervisorStart)
		}
	}
	if len(roots) == 0 {
		return out
	}
	sm := newSampler()
	markerKey := DefaultMarkerKey
	for _, e := range entries {
		if k, _, ok := strings.Cut(e.Marker, "="); ok {
			markerKey = k
			break
		}
	}
	sm.sample(roots, time.Now(), markerKey)
	if window > 0 {
		time.Sleep(window)
	}
	byID := map[string]Stats{}
	for _, ts := range sm.sample(roots, time.Now(), markerKey) {
		byID[ts.root.id] = ts.stats
	}
	for i := range out {
		if st, ok := byID[entryID(out[i].Entry)]; ok {
			st.Time = time.Now()
			out[i].Stats = st
		}
	}
	return out
}

// entryID is the process id as its marker names it.
func entryID(e Entry) string {
	if i := strings.LastIndexByte(e.Marker, '/'); i >= 0 {
		return e.Marker[i+1:]
	}
	return e.ID
}
