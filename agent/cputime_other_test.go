//go:build !unix

package agent

import "time"

// processCPU is not measured here; the lines/cpu-s metric is then left out.
func processCPU() time.Duration { return 0 }
