//go:build linux

package supervise

import (
	"os"
	"strings"
	"time"
)

// sampler reads /proc once per sample: one stat file per process on the
// machine, which costs far less than walking each tree with a library that
// rescans /proc per child.
type sampler struct {
	buf  []byte
	prev map[procKey]uint64 // CPU ticks at the previous sample
	last time.Time
	self int
	// marks caches the marker value of processes re-parented to corral
	// (descendants that left their tree), which belong to the tree named
	// by the marker.
	marks map[procKey]string
}

type procKey struct {
	pid   int
	start uint64
}

func newSampler() sampler {
	return sampler{prev: map[procKey]uint64{}, self: os.Getpid(), marks: map[procKey]string{}}
}

func (sm *sampler) sample(roots []root, now time.Time, markerKey string) []treeSample {
	var procs []procStat
	procs, sm.buf = scanProcs(sm.buf)
	children := make(map[int][]int, len(procs))
	byPid := make(map[int]int, len(procs))
	for i, st := range procs {
		byPid[st.Pid] = i
		children[st.Ppid] = append(children[st.Ppid], i)
	}
	// Adopted descendants: children of corral that lead no managed tree.
	leaders := make(map[int]bool, len(roots))
	for _, r := range roots {
		leaders[r.pid] = true
	}
	adopted := map[string][]int{}
	marks := make(map[procKey]string, len(sm.marks))
	for _, j := range children[sm.self] {
		st := procs[j]
		if leaders[st.Pid] || st.State == 'Z' {
			continue
		}
		k := procKey{st.Pid, st.StartTime}
		v, ok := sm.marks[k]
		if !ok && len(roots) > 0 {
			v, sm.buf = envValue(st.Pid, markerKey, sm.buf)
		}
		marks[k] = v
		if i := strings.LastIndexByte(v, '/'); i >= 0 {
			adopted[v[i+1:]] = append(adopted[v[i+1:]], j)
		}
	}
	sm.marks = marks
	elapsed := now.Sub(sm.last).Seconds()
	first := sm.last.IsZero()
	sm.last = now
	next := make(map[procKey]uint64, len(sm.prev))
	out := make([]treeSample, 0, len(roots))
	var stack []int
	for _, r := range roots {
		var ts treeSample
		ts.root = r
		var ticks uint64
		members, ok := treeMembers(r, procs, byPid, children, adopted, stack[:0])
		if !ok {
			continue
		}
		for _, j := range members {
			st := procs[j]
			if st.State != 'Z' {
				ts.stats.Processes++
				ts.stats.RSS += uint64(max(st.RSSPages, 0) * pageSize)
			}
			k := procKey{st.Pid, st.StartTime}
			next[k] = st.CPUTicks
			if old, ok := sm.prev[k]; ok {
				ticks += st.CPUTicks - min(old, st.CPUTicks)
			} else {
				// Started since the previous sample: all its time is new.
				ticks += st.CPUTicks
			}
		}
		stack = members
		if !first && elapsed > 0 {
			ts.stats.CPUPercent = float64(ticks) / clockTicks / elapsed * 100
		}
		out = append(out, ts)
	}
	sm.prev = next
	return out
}

// treeMembers returns the indexes (into procs) of the processes of one
// tree. With a cgroup they are the members of the group (cgroup.procs): the
// group is the tree, whatever the processes did to their parentage or their
// environment, and it may outlive its leader. Without, they are the leader
// and its descendants by parent links, plus the descendants that were
// re-parented to corral and carry the tree's marker. ok is false when the
// tree is gone.
func treeMembers(r root, procs []procStat, byPid map[int]int, children map[int][]int, adopted map[string][]int, out []int) ([]int, bool) {
	if r.cgroup != "" {
		for _, pid := range cgroupPids(r.cgroup) {
			if i, ok := byPid[pid]; ok {
				out = append(out, i)
			}
		}
		return out, len(out) > 0
	}
	i, ok := byPid[r.pid]
	if !ok || procs[i].StartTime != r.start {
		return out, false
	}
	stack := append(out, i)
	stack = append(stack, adopted[r.id]...)
	for k := 0; k < len(stack); k++ {
		stack = append(stack, children[procs[stack[k]].Pid]...)
	}
	return stack, true
}
