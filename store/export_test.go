package store

import "time"

// SetLossRetry sets how long the writer waits before it retries writing
// what failed commits left to report, and returns the previous value.
func SetLossRetry(d time.Duration) time.Duration {
	old := lossRetry
	lossRetry = d
	return old
}

// SetErrorReportGap sets how long after the first failed commit of an
// outage OnError hears of the next one, and returns the previous value.
func SetErrorReportGap(d time.Duration) time.Duration {
	old := errReportFirst
	errReportFirst = d
	return old
}

// SearchMerged reports whether the quiet-time merger has found the search
// index fully merged since the last documents were written.
func (s *Store) SearchMerged() bool { return s.merger.docs.Load() == 0 }
