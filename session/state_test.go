package session

import (
	"errors"
	"testing"
)

func TestTransitionTable(t *testing.T) {
	// Every pair of statuses, with the expected answer written out in full so
	// that a change to the table must be mirrored here on purpose.
	legal := map[[2]Status]bool{
		{Active, Processing}:              true,
		{Active, Terminated}:              true,
		{Idle, Processing}:                true,
		{Idle, Terminated}:                true,
		{Processing, WaitingPermission}:   true,
		{Processing, Idle}:                true,
		{Processing, Error}:               true,
		{Processing, Interrupted}:         true,
		{Processing, Terminated}:          true,
		{WaitingPermission, Processing}:   true,
		{WaitingPermission, Idle}:         true,
		{WaitingPermission, Error}:        true,
		{WaitingPermission, Interrupted}:  true,
		{WaitingPermission, Terminated}:   true,
		{Error, Processing}:               true,
		{Error, Idle}:                     true,
		{Error, Terminated}:               true,
		{Interrupted, Processing}:         true,
		{Interrupted, Idle}:               true,
		{Interrupted, Terminated}:         true,
		{Processing, RateLimited}:         true,
		{WaitingPermission, RateLimited}:  true,
		{RateLimited, Processing}:         true,
		{RateLimited, Idle}:               true,
		{RateLimited, Terminated}:         true,
		{Active, Disconnected}:            true,
		{Idle, Disconnected}:              true,
		{Processing, Disconnected}:        true,
		{WaitingPermission, Disconnected}: true,
		{Error, Disconnected}:             true,
		{Interrupted, Disconnected}:       true,
		{RateLimited, Disconnected}:       true,
		{Disconnected, Active}:            true,
		{Disconnected, Idle}:              true,
		{Disconnected, Processing}:        true,
		{Disconnected, WaitingPermission}: true,
		{Disconnected, Error}:             true,
		{Disconnected, Interrupted}:       true,
		{Disconnected, RateLimited}:       true,
		{Disconnected, Terminated}:        true,
	}
	n := 0
	for _, from := range Statuses {
		for _, to := range Statuses {
			want := legal[[2]Status{from, to}]
			if want {
				n++
			}
			if got := CanTransition(from, to); got != want {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
			}
			err := CheckTransition(string(from), string(to))
			if (err == nil) != want {
				t.Errorf("CheckTransition(%s, %s) = %v, want legal=%v", from, to, err, want)
			}
			var te *TransitionError
			if err != nil && (!errors.As(err, &te) || te.From != from || te.To != to) {
				t.Errorf("CheckTransition(%s, %s) error %v is not a matching *TransitionError", from, to, err)
			}
		}
	}
	if n != len(legal) {
		t.Fatalf("legal table lists a status outside Statuses")
	}
}

func TestTransitionCases(t *testing.T) {
	cases := []struct {
		name     string
		from, to Status
		ok       bool
	}{
		{"message starts a turn", Idle, Processing, true},
		{"agent asks for permission", Processing, WaitingPermission, true},
		{"answer resumes the turn", WaitingPermission, Processing, true},
		{"restart interrupts a waiting turn", WaitingPermission, Interrupted, true},
		{"terminated is final", Terminated, Processing, false},
		{"terminated is final even to idle", Terminated, Idle, false},
		{"no self transition", Processing, Processing, false},
		{"idle cannot wait for permission", Idle, WaitingPermission, false},
		{"active cannot be interrupted", Active, Interrupted, false},
		{"unknown source", Status("bogus"), Idle, false},
		{"unknown target", Idle, Status("bogus"), false},
		{"a hub loses the runner", Processing, Disconnected, true},
		{"the runner is back", Disconnected, Interrupted, true},
		{"a stopped session stays stopped", Terminated, Disconnected, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := CanTransition(c.from, c.to); got != c.ok {
				t.Fatalf("CanTransition(%q, %q) = %v, want %v", c.from, c.to, got, c.ok)
			}
		})
	}
}

func TestNextAndValid(t *testing.T) {
	if got := Next(Terminated); got != nil {
		t.Fatalf("Next(terminated) = %v, want none", got)
	}
	got := Next(Active)
	if len(got) != 3 || got[0] != Processing || got[1] != Disconnected || got[2] != Terminated {
		t.Fatalf("Next(active) = %v", got)
	}
	for _, s := range Statuses {
		if !s.Valid() {
			t.Fatalf("%s not valid", s)
		}
		// Every status except the final one can reach terminated in one step.
		if s != Terminated && !CanTransition(s, Terminated) {
			t.Fatalf("%s cannot be stopped", s)
		}
	}
	if Status("").Valid() || Status("running").Valid() {
		t.Fatal("unknown statuses reported valid")
	}
	var te *TransitionError
	if err := CheckTransition("x", "idle"); !errors.As(err, &te) || err.Error() != `session: unknown status "x"` {
		t.Fatalf("unexpected error %v", err)
	}
}
