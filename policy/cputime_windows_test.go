package policy

import "time"

// processCPU is not measured on Windows; benchmarks report wall time only.
func processCPU() (time.Duration, bool) { return 0, false }
