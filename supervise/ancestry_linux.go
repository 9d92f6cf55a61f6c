//go:build linux

package supervise

import (
	"os"
	"sync"
)

// ancestry is the ancestry scan of the fallback containment (no cgroup).
// It remembers which processes descend, by parent links, from which
// managed tree, so that a descendant that both cleared its environment (no
// marker) and was re-parented to corral when its parent died is still known
// as the tree's, and killed with it. It learns at every reaper sweep and
// right before a stop; a descendant that escaped between two scans is not
// known (see docs/supervise.md, Known limits).
type ancestry struct {
	mu      sync.Mutex
	members map[procKey]string // (pid, start time) → managed process id
}

type leaderOf struct {
	id    string
	start uint64
}

// learn records the descendants of leaders among procs, and forgets the
// processes that are gone.
func (a *ancestry) learn(procs []procStat, leaders map[int]leaderOf) {
	self := os.Getpid()
	byPid := make(map[int]procStat, len(procs))
	for _, st := range procs {
		byPid[st.Pid] = st
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	next := make(map[procKey]string, len(a.members))
	for k, id := range a.members {
		if st, ok := byPid[k.pid]; ok && st.StartTime == k.start && st.State != 'Z' {
			next[k] = id
		}
	}
	for _, st := range procs {
		if st.State == 'Z' {
			continue
		}
		if _, known := next[procKey{st.Pid, st.StartTime}]; known {
			continue
		}
		cur := st.Ppid
		for depth := 0; depth < 64 && cur > 1 && cur != self; depth++ {
			if l, ok := leaders[cur]; ok {
				if pst, ok := byPid[cur]; ok && pst.StartTime == l.start {
					next[procKey{st.Pid, st.StartTime}] = l.id
				}
				break
			}
			p, ok := byPid[cur]
			if !ok {
				break
			}
			cur = p.Ppid
		}
	}
	a.members = next
}

// owner returns the managed process a process was seen descending from.
func (a *ancestry) owner(pid int, start uint64) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	id, ok := a.members[procKey{pid, start}]
	return id, ok
}

// liveLeaders returns the leaders of the running trees.
func (s *Supervisor) liveLeaders() map[int]leaderOf {
	out := map[int]leaderOf{}
	for _, p := range s.live() {
		p.mu.Lock()
		if p.cur != nil {
			out[p.pid] = leaderOf{id: p.id, start: p.startTime}
		}
		p.mu.Unlock()
	}
	return out
}

// rememberTrees scans /proc now and learns the ancestry of every running
// tree; it is called before a tree is stopped, in the fallback with the
// subreaper, so that what the stop orphans is known.
func (r *reaper) rememberTrees() {
	if !r.active() {
		return
	}
	procs, _ := scanProcs(nil)
	r.anc.learn(procs, r.s.liveLeaders())
}
