package supervise

import (
	"errors"
	"testing"

	"github.com/corral-dev/corral/proc"
)

func TestFinalResult(t *testing.T) {
	base := Result{Reason: ReasonExit, Attempts: 2}
	cases := []struct {
		name string
		act  Action
		last outcome
		want Result
	}{
		{"finish", Finish, outcome{}, Result{State: StateExited, Reason: ReasonExit, Attempts: 2}},
		{"not ready in time", Finish, outcome{limit: "start"}, Result{State: StateFailed, Reason: ReasonExit, Attempts: 2}},
		{"total timeout", Finish, outcome{limit: "total"}, Result{State: StateExited, Reason: ReasonExit, Attempts: 2}},
		{"given up", GiveUp, outcome{}, Result{State: StateFailed, GaveUp: true, Reason: ReasonExit, Attempts: 2}},
		{"given up after start timeouts", GiveUp, outcome{limit: "start"}, Result{State: StateFailed, GaveUp: true, Reason: ReasonExit, Attempts: 2}},
	}
	for _, c := range cases {
		got := finalResult(base, c.act, c.last)
		if got.State != c.want.State || got.GaveUp != c.want.GaveUp || got.Reason != c.want.Reason || got.Attempts != c.want.Attempts {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestResultOfNamesTheReason(t *testing.T) {
	p := &Process{attempts: 3}
	cases := []struct {
		name         string
		last         outcome
		state        State
		reason, lim  string
		code         int
		errorMessage string
	}{
		{"exit", outcome{status: proc.ExitStatus{Code: 2}}, "", ReasonExit, "", 2, ""},
		{"crash", outcome{status: proc.ExitStatus{Code: -1, Signal: 11}}, "", ReasonCrashed, "", -1, ""},
		{"limit", outcome{reason: ReasonTimeout, limit: "idle", status: proc.ExitStatus{Code: -1, Signal: 15}}, "", ReasonTimeout, "idle", -1, ""},
		{"spawn", outcome{spawnErr: errors.New("no such file")}, StateFailed, ReasonSpawnFailed, "", -1, "no such file"},
	}
	for _, c := range cases {
		r := p.resultOf(c.last)
		if r.State != c.state || r.Reason != c.reason || r.Limit != c.lim || r.Code != c.code || r.Error != c.errorMessage {
			t.Errorf("%s: %+v", c.name, r)
		}
		if r.Attempts != 3 || r.Restarts != 2 {
			t.Errorf("%s: attempts %d restarts %d", c.name, r.Attempts, r.Restarts)
		}
	}
}

func TestReadyLine(t *testing.T) {
	line := func(s string, stream proc.StreamID, continued bool) proc.Output {
		return proc.Output{Stream: stream, Bytes: []byte(s), Continued: continued}
	}
	cases := []struct {
		rd   Readiness
		o    proc.Output
		want bool
	}{
		{Readiness{Mode: ReadyJSON}, line(`{"ok":true}`, proc.Stdout, false), true},
		{Readiness{Mode: ReadyJSON}, line(`starting`, proc.Stdout, false), false},
		{Readiness{Mode: ReadyJSON}, line(`{"ok":true}`, proc.Stderr, false), false},
		// The rest of a cut line is not a line of its own.
		{Readiness{Mode: ReadyJSON}, line(`{}`, proc.Stdout, true), false},
		{Readiness{Mode: ReadyLine, Line: "listening"}, line("listening on :80", proc.Stdout, false), true},
		{Readiness{Mode: ReadyLine, Line: "listening"}, line("not listening", proc.Stdout, false), false},
		{Readiness{Mode: ReadyGrace}, line(`{}`, proc.Stdout, false), false},
		{Readiness{Mode: ReadyOnStart}, line(`{}`, proc.Stdout, false), false},
	}
	for i, c := range cases {
		if got := readyLine(c.rd, c.o); got != c.want {
			t.Errorf("case %d (%+v, %q): %v", i, c.rd, c.o.Bytes, got)
		}
	}
}

func TestMemoryRestarts(t *testing.T) {
	cases := []struct {
		action MemoryAction
		mode   Restart
		want   bool
	}{
		{MemoryRestart, RestartOnFailure, true},
		{MemoryRestart, RestartAlways, true},
		{MemoryRestart, RestartNever, false},
		{MemoryRestart, "", false},
		{MemoryStop, RestartAlways, false},
		{MemoryWarn, RestartAlways, false},
	}
	for _, c := range cases {
		if got := memoryRestarts(Spec{MemoryAction: c.action, Restart: RestartPolicy{Mode: c.mode}}); got != c.want {
			t.Errorf("%s with %q: %v", c.action, c.mode, got)
		}
	}
}
