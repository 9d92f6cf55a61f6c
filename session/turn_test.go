package session

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/supervise"
)

func TestDecideTurnTable(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	running := turnState{Status: Processing, Turn: "r-1", Protocol: "claude", TurnIdle: time.Minute, LastActivity: now}
	with := func(f func(*turnState)) turnState {
		s := running
		f(&s)
		return s
	}
	ended := func(st Status) func(*turnState) {
		return func(s *turnState) { s.Turn, s.Status = "", st }
	}
	cases := []struct {
		name  string
		s     turnState
		in    turnInput
		at    time.Time
		wantS turnState
		want  []turnEffect
	}{
		{"init adopts a persistent agent's id", running, inAgentInit{SessionID: "c1"}, now,
			with(func(s *turnState) { s.ResumeID = "c1" }), []turnEffect{efAdoptAgentID{ID: "c1"}}},
		{"init of the id in use changes nothing", with(func(s *turnState) { s.ResumeID = "c1" }), inAgentInit{SessionID: "c1"}, now,
			with(func(s *turnState) { s.ResumeID = "c1" }), nil},
		{"init of a per-turn agent is held", with(func(s *turnState) { s.PerTurn = true }), inAgentInit{SessionID: "c2"}, now,
			with(func(s *turnState) { s.PerTurn, s.NewAgentID = true, "c2" }), nil},
		{"ok turn adopts the held id and goes idle", with(func(s *turnState) { s.NewAgentID = "c2" }),
			inTurnCompleted{Data: agent.TurnCompletedData{OK: true}}, now,
			with(func(s *turnState) { s.ResumeID, s.Turn, s.Status = "c2", "", Idle }),
			[]turnEffect{efAdoptAgentID{ID: "c2"}, efEndTurn{Reason: "exit", Status: Idle}}},
		{"failed turn drops the held id", with(func(s *turnState) { s.NewAgentID = "c2" }),
			inTurnCompleted{Data: agent.TurnCompletedData{Error: &agent.TurnError{Code: "api_error", Message: "boom"}}}, now,
			with(ended(Error)), []turnEffect{efEndTurn{Reason: "error", Status: Error, Why: (&agent.TurnError{Code: "api_error", Message: "boom"}).Error()}}},
		{"failed turn while interrupting is interrupted", with(func(s *turnState) { s.Interrupting = true }),
			inTurnCompleted{Data: agent.TurnCompletedData{}}, now,
			with(ended(Interrupted)), []turnEffect{efEndTurn{Reason: "interrupted", Status: Interrupted, Why: "interrupted by the user"}}},
		{"the agent's interrupted code", running,
			inTurnCompleted{Data: agent.TurnCompletedData{Error: &agent.TurnError{Code: agent.CodeInterrupted}}}, now,
			with(ended(Interrupted)), []turnEffect{efEndTurn{Reason: "interrupted", Status: Interrupted, Why: "interrupted by the user"}}},
		{"a 429 after the agent's retries is rate_limited", running,
			inTurnCompleted{Data: agent.TurnCompletedData{Error: &agent.TurnError{Code: agent.CodeRateLimit, HTTPStatus: 429, Message: "slow down"}}}, now,
			with(ended(RateLimited)), []turnEffect{efEndTurn{Reason: "error", Status: RateLimited,
				Why: (&agent.TurnError{Code: agent.CodeRateLimit, HTTPStatus: 429, Message: "slow down"}).Error()}}},
		{"Claude's plan limit is rate_limited", running,
			inTurnCompleted{Data: agent.TurnCompletedData{Error: &agent.TurnError{Code: agent.CodeAgent, Message: "Claude AI usage limit reached|1796640000"}}}, now,
			with(ended(RateLimited)), []turnEffect{efEndTurn{Reason: "error", Status: RateLimited,
				Why: (&agent.TurnError{Code: agent.CodeAgent, Message: "Claude AI usage limit reached|1796640000"}).Error()}}},
		{"failure without error", running, inTurnCompleted{}, now,
			with(ended(Error)), []turnEffect{efEndTurn{Reason: "error", Status: Error, Why: "the agent reported a failed turn"}}},
		{"exit while stopping is left to the stop", with(func(s *turnState) { s.Stopping = true }),
			inProcessExited{Result: supervise.Result{Reason: supervise.ReasonKilled}}, now,
			with(func(s *turnState) { s.Stopping = true }), nil},
		{"exit while interrupting", with(func(s *turnState) { s.Interrupting = true }),
			inProcessExited{Result: supervise.Result{Reason: supervise.ReasonKilled}}, now,
			with(ended(Interrupted)), []turnEffect{efEndTurn{Reason: "interrupted", Status: Interrupted, Why: "interrupted by the user"}}},
		{"per-turn process exit 0 ends the turn", with(func(s *turnState) { s.PerTurn = true }),
			inProcessExited{Result: supervise.Result{Reason: supervise.ReasonExit}}, now,
			with(func(s *turnState) { s.PerTurn, s.Turn, s.Status = true, "", Idle }),
			[]turnEffect{efEndTurn{Reason: "exit", Status: Idle}}},
		{"exit with no turn changes nothing", with(ended(Idle)),
			inProcessExited{Result: supervise.Result{Reason: supervise.ReasonExit}}, now, with(ended(Idle)), nil},
		{"idle check of another turn", running, inIdleCheck{Run: "r-0"}, now.Add(time.Hour), running, nil},
		{"idle check while busy re-arms for the full timeout", with(func(s *turnState) { s.Busy = true }),
			inIdleCheck{Run: "r-1"}, now.Add(time.Hour), with(func(s *turnState) { s.Busy = true }),
			[]turnEffect{efRearmIdle{After: time.Minute}}},
		{"idle check heard from recently re-arms for the rest", running, inIdleCheck{Run: "r-1"}, now.Add(20 * time.Second),
			running, []turnEffect{efRearmIdle{After: 40 * time.Second}}},
		{"permission asked", running, inPermissionAsked{}, now, running, []turnEffect{efSetStatus{Status: WaitingPermission}}},
		{"permissions settled", with(func(s *turnState) { s.Status = WaitingPermission }), inPermissionsSettled{}, now,
			with(func(s *turnState) { s.Status = WaitingPermission }), []turnEffect{efSetStatus{Status: Processing}}},
		{"permissions settled after the turn", with(func(s *turnState) { s.Status, s.Turn = WaitingPermission, "" }), inPermissionsSettled{}, now,
			with(func(s *turnState) { s.Status, s.Turn = WaitingPermission, "" }), nil},
		{"user stop", running, inUserStop{}, now, with(ended(Terminated)),
			[]turnEffect{efEndTurn{Reason: "killed", Status: Terminated, Why: "stopped by the user"}, efSetStatus{Status: Terminated, Why: "stopped by the user"}}},
		{"corral stop", running, inCorralStop{}, now, with(ended(Interrupted)),
			[]turnEffect{efEndTurn{Reason: "killed", Status: Interrupted, Why: "corral stopped"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, ef := decideTurn(c.s, c.in, c.at)
			if !reflect.DeepEqual(s, c.wantS) {
				t.Errorf("state\n got %+v\nwant %+v", s, c.wantS)
			}
			if !reflect.DeepEqual(ef, c.want) {
				t.Errorf("effects\n got %#v\nwant %#v", ef, c.want)
			}
		})
	}
}

func TestDecideTurnMessages(t *testing.T) {
	now := time.Unix(1000, 0)
	running := turnState{Status: Processing, Turn: "r-1", TurnIdle: time.Minute, LastActivity: now}

	// Refused credentials say what to set.
	s, ef := decideTurn(running, inTurnCompleted{Data: agent.TurnCompletedData{Error: &agent.TurnError{Code: agent.CodeAuth, HTTPStatus: 401}}}, now)
	if s.Status != Error || len(ef) != 2 {
		t.Fatalf("auth: %+v %#v", s, ef)
	}
	if e, ok := ef[0].(efAppendError); !ok || e.Type != ErrorAgentAuth || e.Message == "" || ef[1].(efEndTurn).Why != e.Message {
		t.Fatalf("auth effects %#v", ef)
	}

	// A spawn failure is an error even without a turn (where that is a
	// legal change: not from idle).
	s, ef = decideTurn(turnState{Status: Idle}, inProcessExited{Result: supervise.Result{Reason: supervise.ReasonSpawnFailed, Error: "no such file"}}, now)
	if s.Status != Idle || len(ef) != 3 || ef[0].(efAppendError).Type != "spawn_failed" || ef[2] != (efSetStatus{Status: Error, Why: "no such file"}) {
		t.Fatalf("spawn: %+v %#v", s, ef)
	}
	if s, _ = decideTurn(running, inProcessExited{Result: supervise.Result{Reason: supervise.ReasonSpawnFailed}}, now); s.Status != Error || s.Turn != "" {
		t.Fatalf("spawn mid-turn: %+v", s)
	}

	// A persistent agent that exits mid-turn crashed; a per-turn one that fails says its code.
	_, ef = decideTurn(running, inProcessExited{Result: supervise.Result{Reason: supervise.ReasonExit, Code: 3}}, now)
	if e := ef[len(ef)-1].(efEndTurn); e.Reason != "crashed" || e.Status != Error || ef[0].(efAppendError).Type != "crashed" {
		t.Fatalf("persistent exit: %#v", ef)
	}
	pt := running
	pt.PerTurn = true
	_, ef = decideTurn(pt, inProcessExited{Result: supervise.Result{Reason: supervise.ReasonExit, Code: 3}}, now)
	if e := ef[0].(efAppendError); !strings.Contains(e.Message, "code 3") || ef[1].(efEndTurn).Reason != "error" {
		t.Fatalf("per-turn exit: %#v", ef)
	}
	_, ef = decideTurn(running, inProcessExited{Result: supervise.Result{Reason: supervise.ReasonKilled}}, now)
	if ef[1].(efEndTurn).Reason != supervise.ReasonKilled {
		t.Fatalf("killed mid-turn keeps the reason: %#v", ef)
	}

	// The idle check ends a silent turn and retires the agent.
	s, ef = decideTurn(running, inIdleCheck{Run: "r-1"}, now.Add(time.Minute))
	if s.Turn != "" || s.Status != Error || len(ef) != 3 || ef[0].(efAppendError).Type != "idle_timeout" ||
		ef[1].(efEndTurn).Reason != "timeout" || ef[2] != (efRetire{}) {
		t.Fatalf("idle: %+v %#v", s, ef)
	}
	// No idle timeout: never.
	off := running
	off.TurnIdle = 0
	if _, ef := decideTurn(off, inIdleCheck{Run: "r-1"}, now.Add(time.Hour)); ef != nil {
		t.Fatalf("idle off: %#v", ef)
	}
}

func TestSendBlock(t *testing.T) {
	if err := sendBlock(turnState{Status: Idle}, "s", false); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		s       turnState
		exiting bool
		want    string
	}{
		{turnState{Status: Terminated}, false, "terminated"},
		{turnState{Status: Processing, Turn: "r-1"}, false, "running a turn (r-1)"},
		{turnState{Status: Idle}, true, "still exiting"},
		{turnState{Status: Idle, Stopping: true}, false, "is stopping"},
	} {
		err := sendBlock(c.s, "s", c.exiting)
		if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v", c.s, err)
		}
	}
}
