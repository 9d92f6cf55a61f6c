//go:build !linux && !darwin && !windows

package supervise

// startTime cannot tell a recycled pid apart on this system: it reports
// only whether pid exists.
func startTime(pid int) (uint64, bool) { return 0, alive(pid) }
