//go:build !windows

package policy

import (
	"syscall"
	"time"
)

// processCPU is the user+system CPU time this process has used. Under a
// loaded machine a benchmark's wall time includes time spent waiting for a
// core; CPU time per operation does not.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
