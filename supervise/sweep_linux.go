//go:build linux

package supervise

func sweepEntry(e Entry) Swept {
	sw := Swept{Entry: e}
	procs, buf := scanProcs(nil)
	leaderOK, leaderSeen := false, false
	var members []int
	for _, st := range procs {
		if e.Pid <= 0 {
			break // an entry recorded before its process started: no group
		}
		if st.State == 'Z' {
			continue
		}
		if st.Pid == e.Pid {
			leaderSeen = true
			leaderOK = st.StartTime == e.StartTime
		}
		if st.Pgid == e.Pgid && st.StartTime >= e.StartTime {
			members = append(members, st.Pid)
		}
	}
	switch {
	case leaderSeen && !leaderOK:
		sw.Skipped = "leader pid recycled"
	case len(members) > 0:
		killGroup(e.Pgid)
		sw.Killed = append(sw.Killed, members...)
	}
	if e.Marker != "" {
		for _, st := range procs {
			if st.State == 'Z' || st.Pgid == e.Pgid && len(sw.Killed) > 0 {
				continue
			}
			var ok bool
			ok, buf = hasEnv(st.Pid, e.Marker, false, buf)
			if !ok {
				continue
			}
			if st.Pgid == st.Pid {
				killGroup(st.Pid)
			}
			killPid(st.Pid)
			sw.Killed = append(sw.Killed, st.Pid)
		}
	}
	return sw
}
