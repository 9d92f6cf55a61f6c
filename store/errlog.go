package store

import (
	"fmt"
	"time"
)

// The gaps between two reports of failed commits to Options.OnError in
// one outage (from its first failure to the next commit that succeeds):
// errReportFirst after the first report, doubling up to errReportMax.
// Variables for tests.
var (
	errReportFirst = 10 * time.Second
	errReportMax   = 10 * time.Minute
)

// Repeated is what Options.OnError is given for a failed commit that is
// not the first of an outage: how many commits failed since the last
// report (this one included), when the outage began, and the error of the
// last one. errors.As finds the *Unavailable in it.
type Repeated struct {
	Failures int
	Since    time.Time
	Err      *Unavailable
}

func (e *Repeated) Error() string {
	return fmt.Sprintf("%v (%d failed commits since the last report, failing since %s)",
		e.Err, e.Failures, e.Since.Format(time.RFC3339))
}

func (e *Repeated) Unwrap() error { return e.Err }

// failureLog rate-limits the reports of failed commits. The writer retries
// a failed commit every lossRetry (a second) until the disk takes it, and
// every failure used to reach OnError, which logs it: a full disk wrote a
// log line a second. Now OnError hears of the first failure of an outage,
// then of one after errReportFirst, each gap twice the one before up to
// errReportMax, with the count of failures in between. Owned by the writer
// goroutine; the zero value is "no outage".
type failureLog struct {
	since      time.Time     // first failure of the outage; zero: none
	next       time.Time     // a failure from then on is reported
	gap        time.Duration // the gap after the last report
	suppressed int           // failures since the last report
}

// fail records a failed commit at now and returns what to report, or nil
// when the failure is only counted.
func (l *failureLog) fail(now time.Time, u *Unavailable) error {
	if l.since.IsZero() {
		*l = failureLog{since: now, next: now.Add(errReportFirst), gap: errReportFirst}
		return u
	}
	l.suppressed++
	if now.Before(l.next) {
		return nil
	}
	rep := &Repeated{Failures: l.suppressed, Since: l.since, Err: u}
	l.gap = nextReportGap(l.gap)
	l.next, l.suppressed = now.Add(l.gap), 0
	return rep
}

// nextReportGap is the gap after a report that followed a gap of d.
func nextReportGap(d time.Duration) time.Duration {
	return min(2*d, errReportMax)
}
