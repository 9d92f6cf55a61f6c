package store

import (
	"errors"
	"testing"
	"time"
)

// TestFailureLogBacksOff drives the report rate limit with a fake clock:
// failures a second apart (the writer's retry) are reported at the first,
// then after errReportFirst, then after twice that, up to errReportMax,
// each report after the first a *Repeated that counts the failures since
// the last report; a success starts a new outage.
func TestFailureLogBacksOff(t *testing.T) {
	u := &Unavailable{Op: "append", Kind: ErrDiskFull, Err: errors.New("full")}
	t0 := time.Unix(1000, 0)
	var l failureLog
	var at []time.Duration
	var counts []int
	for s := 0; s <= 3600; s++ {
		now := t0.Add(time.Duration(s) * time.Second)
		err := l.fail(now, u)
		if err == nil {
			continue
		}
		at = append(at, now.Sub(t0))
		var r *Repeated
		if errors.As(err, &r) {
			counts = append(counts, r.Failures)
			if !r.Since.Equal(t0) || !errors.Is(err, ErrDiskFull) {
				t.Fatalf("report %v: since %v", err, r.Since)
			}
		} else if err != error(u) {
			t.Fatalf("first report %v", err)
		}
	}
	want := []time.Duration{0, 10 * time.Second, 30 * time.Second, 70 * time.Second, 150 * time.Second,
		310 * time.Second, 630 * time.Second, 1230 * time.Second, 1830 * time.Second, 2430 * time.Second, 3030 * time.Second}
	if len(at) != len(want) {
		t.Fatalf("reports at %v, want %v", at, want)
	}
	for i := range want {
		if at[i] != want[i] {
			t.Fatalf("reports at %v, want %v", at, want)
		}
	}
	if counts[0] != 10 || counts[1] != 20 || counts[len(counts)-1] != 600 {
		t.Fatalf("failures per report %v", counts)
	}
	// The outage ends (the writer resets the log on a commit that works):
	// the next failure is reported at once, as a plain *Unavailable.
	l = failureLog{}
	if err := l.fail(t0.Add(time.Hour), u); err != error(u) {
		t.Fatalf("first failure of a new outage: %v", err)
	}
}
