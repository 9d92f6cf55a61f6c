//go:build !linux

package fleet

// residentBytes is unknown here (0); cpuTime (stats_unix.go,
// stats_windows.go) still gives the CPU use.
func residentBytes() int64 { return 0 }

// loadAverage is unknown here (0).
func loadAverage() float64 { return 0 }
