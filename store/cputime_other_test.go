//go:build !unix

package store_test

import "time"

// cpuTime is not measured on this OS; benchmarks then omit the metric.
func cpuTime() time.Duration { return 0 }
