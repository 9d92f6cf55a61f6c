//go:build !linux

package supervise

func sweepEntry(e Entry) Swept {
	sw := Swept{Entry: e}
	if e.Pid <= 0 {
		return sw // recorded before its process started
	}
	st, ok := startTime(e.Pid)
	switch {
	case !ok:
	case st != e.StartTime:
		sw.Skipped = "leader pid recycled"
	default:
		killGroup(e.Pgid)
		sw.Killed = []int{e.Pid}
	}
	return sw
}
