package store

import "time"

// SetLossRetry sets how long the writer waits before it retries writing
// what failed commits left to report, and returns the previous value.
func SetLossRetry(d time.Duration) time.Duration {
	old := lossRetry
	lossRetry = d
	return old
}
