//go:build linux

package supervise

import (
	"os"
	"strings"
)

func (r *reaper) sweep() {
	s := r.s
	self := os.Getpid()
	var buf []byte
	var procs []procStat
	procs, buf = scanProcs(buf)
	var cands []procStat
	for _, st := range procs {
		if st.Ppid == self {
			cands = append(cands, st)
		}
	}
	if len(cands) == 0 {
		return
	}
	prefix := s.MarkerPrefix()
	// No child may be started while adopted children are told apart from
	// fresh ones: a child is a leader as soon as its pid is recorded.
	s.spawnMu.Lock()
	defer s.spawnMu.Unlock()
	leaders := map[int]bool{}
	current := map[string]bool{} // ids with a child running now
	for _, p := range s.live() {
		p.mu.Lock()
		if p.cur != nil {
			leaders[p.pid] = true
			current[p.id] = true
		}
		p.mu.Unlock()
	}
	if s.watchdog != nil {
		leaders[s.watchdog.Pid()] = true
	}
	groups := r.endedGroups()
	for _, st := range cands {
		if leaders[st.Pid] {
			continue
		}
		if st.State == 'Z' {
			if start, ok := r.seen[st.Pid]; ok && start == st.StartTime {
				reapPid(st.Pid)
				delete(r.seen, st.Pid)
			} else if groups[st.Pgid] && st.Pgid != st.Pid {
				reapPid(st.Pid)
			}
			continue
		}
		var v string
		v, buf = envValue(st.Pid, s.marker, buf)
		if !strings.HasPrefix(s.marker+"="+v, prefix) {
			continue
		}
		r.seen[st.Pid] = st.StartTime
		if current[v[strings.LastIndexByte(v, '/')+1:]] {
			continue // its tree still runs: it is stopped with it
		}
		if st.Pgid == st.Pid {
			killGroup(st.Pid)
		}
		killPid(st.Pid)
	}
	// Reap what was just killed; a killed process is a zombie within
	// microseconds, and what is not yet is reaped at the next sweep.
	for pid, start := range r.seen {
		if st, _, ok := readStat(pid, buf); ok && st.State == 'Z' && st.StartTime == start && st.Ppid == self {
			if reapPid(pid) {
				delete(r.seen, pid)
			}
		} else if !ok {
			delete(r.seen, pid)
		}
	}
}
