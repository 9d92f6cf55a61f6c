package supervise

import (
	"testing"
	"time"
)

func TestNextTable(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	fail := Exit{Code: 1, Started: t0, Ended: t0.Add(10 * ms)}
	okReady := Exit{Code: 0, Ready: true, Started: t0, Ended: t0.Add(10 * time.Second)}
	onFailure := RestartPolicy{Mode: RestartOnFailure}
	always := RestartPolicy{Mode: RestartAlways}
	failures := func(n int) []time.Time {
		var f []time.Time
		for i := range n {
			f = append(f, t0.Add(time.Duration(i)*time.Second))
		}
		return f
	}
	tests := []struct {
		name   string
		h      History
		e      Exit
		p      RestartPolicy
		now    time.Time
		rnd    float64
		act    Action
		delay  time.Duration
		nFails int
	}{
		{"never restarts", History{}, fail, RestartPolicy{}, t0, 0, Finish, 0, 0},
		{"requested stop never restarts", History{}, Exit{Code: 1, Requested: true}, always, t0, 0, Finish, 0, 0},
		{"prevent code", History{}, Exit{Code: 78}, RestartPolicy{Mode: RestartAlways, PreventCodes: []int{78}}, t0, 0, Finish, 0, 0},
		{"prevent code ignored for a signal", History{}, Exit{Code: -1, Signal: 9}, RestartPolicy{Mode: RestartOnFailure, PreventCodes: []int{-1}}, t0, 0, RestartAfter, 500 * ms, 1},
		{"on-failure after success finishes", History{}, okReady, onFailure, t0, 0, Finish, 0, 0},
		{"success code finishes", History{}, Exit{Code: 3, Ready: true}, RestartPolicy{Mode: RestartOnFailure, SuccessCodes: []int{3}}, t0, 0, Finish, 0, 0},
		{"first failure: initial delay", History{}, fail, onFailure, t0, 0, RestartAfter, 500 * ms, 1},
		{"jitter adds up to 10 %", History{}, fail, onFailure, t0, 0.5, RestartAfter, 525 * ms, 1},
		{"jitter at the top", History{}, fail, onFailure, t0, 0.9999, RestartAfter, 549995 * time.Microsecond, 1},
		{"doubles", History{Delay: 500 * ms, Failures: failures(1)}, fail, onFailure, t0.Add(time.Second), 0, RestartAfter, time.Second, 2},
		{"capped at 30 s", History{Delay: 20 * time.Second}, fail, onFailure, t0, 0, RestartAfter, 30 * time.Second, 1},
		{"cap before jitter", History{Delay: 30 * time.Second}, fail, onFailure, t0, 0.5, RestartAfter, 31500 * ms, 1},
		{"never below 250 ms", History{}, fail, RestartPolicy{Mode: RestartOnFailure, BackoffInitial: 10 * ms}, t0, 0, RestartAfter, MinBackoff, 1},
		{"fifth failure in the window gives up", History{Delay: 4 * time.Second, Failures: failures(4)}, fail, onFailure, t0.Add(5 * time.Second), 0, GiveUp, 0, 5},
		{"old failures leave the window", History{Delay: 4 * time.Second, Failures: failures(4)}, fail, onFailure, t0.Add(6 * time.Minute), 0, RestartAfter, 8 * time.Second, 1},
		{"stable run resets", History{Delay: 16 * time.Second, Failures: failures(4)},
			Exit{Code: 1, Ready: true, Started: t0, Ended: t0.Add(31 * time.Second)}, onFailure, t0.Add(31 * time.Second), 0, RestartAfter, 500 * ms, 1},
		{"always restarts a ready success without counting it", History{}, okReady, always, t0, 0, RestartAfter, 500 * ms, 0},
		{"always counts an early success", History{}, Exit{Code: 0, Started: t0, Ended: t0.Add(ms)}, always, t0, 0, RestartAfter, 500 * ms, 1},
		{"crash by signal is a failure", History{}, Exit{Code: -1, Signal: 11, Ready: true}, onFailure, t0, 0, RestartAfter, 500 * ms, 1},
		{"custom give-up", History{Failures: failures(1)}, fail, RestartPolicy{Mode: RestartAlways, MaxFailures: 2}, t0.Add(time.Second), 0, GiveUp, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := append([]time.Time(nil), tt.h.Failures...)
			act, d, h := Next(tt.h, tt.e, tt.p, tt.now, tt.rnd)
			if act != tt.act || d != tt.delay {
				t.Fatalf("Next = %v, %v; want %v, %v", act, d, tt.act, tt.delay)
			}
			if act != Finish && len(h.Failures) != tt.nFails {
				t.Fatalf("failures = %d; want %d", len(h.Failures), tt.nFails)
			}
			for i := range before {
				if !tt.h.Failures[i].Equal(before[i]) {
					t.Fatal("Next changed the caller's history")
				}
			}
		})
	}
}

// TestNextSchedule follows a crash loop through Next alone: the delays
// double from 500 ms and the fifth failure gives up.
func TestNextSchedule(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := RestartPolicy{Mode: RestartOnFailure}
	var h History
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}
	for i := 0; ; i++ {
		e := Exit{Code: 1, Started: now, Ended: now}
		act, d, nh := Next(h, e, p, now, 0)
		h = nh
		if i == len(want) {
			if act != GiveUp {
				t.Fatalf("run %d: %v, want give-up", i+1, act)
			}
			return
		}
		if act != RestartAfter || d != want[i] {
			t.Fatalf("run %d: %v %v, want restart after %v", i+1, act, d, want[i])
		}
		now = now.Add(d)
	}
}
