//go:build linux

package supervise

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func (r *reaper) sweep() {
	s := r.s
	self := os.Getpid()
	var buf []byte
	var procs []procStat
	procs, buf = scanProcs(buf)
	r.anc.learn(procs, s.liveLeaders())
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
	inGroup := ""
	if c := s.Containment(); c.Cgroup != "" {
		inGroup = "/" + filepath.Base(c.Cgroup) + "/"
	}
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
			} else if inGroup != "" {
				// Cgroup mode, in a process that is a subreaper anyway:
				// an adopted zombie that was in one of this supervisor's
				// groups is one of its trees' (a zombie still names its
				// cgroup).
				var in bool
				in, buf = inCgroup(st.Pid, inGroup, buf)
				if in {
					reapPid(st.Pid)
				}
			}
			continue
		}
		var v string
		v, buf = envValue(st.Pid, s.marker, buf)
		if !strings.HasPrefix(s.marker+"="+v, prefix) {
			// No marker: the ancestry scan may have seen it in a tree.
			id, ok := r.anc.owner(st.Pid, st.StartTime)
			if !ok {
				continue
			}
			v = s.token + "/" + id
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

// inCgroup reports whether the cgroup v2 path of pid (its "0::" line in
// /proc/PID/cgroup) contains part, a "/name/" component.
func inCgroup(pid int, part string, buf []byte) (bool, []byte) {
	buf, ok := readFileInto("/proc/"+strconv.Itoa(pid)+"/cgroup", buf)
	if !ok {
		return false, buf
	}
	for _, line := range bytes.Split(buf, []byte("\n")) {
		if p, found := bytes.CutPrefix(line, []byte("0::")); found {
			return bytes.Contains(append(p, '/'), []byte(part)), buf
		}
	}
	return false, buf
}
