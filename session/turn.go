package session

import (
	"fmt"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/supervise"
)

// turnState is what the turn decisions read of a session: its status and
// the protocol state of its running turn. decideTurn is a pure function of
// it, the input and the time.
type turnState struct {
	Status Status
	// Turn is the running turn's run id, "" when none.
	Turn string
	// Interrupting: the user asked to cut the running turn short.
	Interrupting bool
	// Stopping: Stop, Delete or Shutdown is ending the agent process and
	// finishes the turn itself.
	Stopping bool
	// PerTurn: the agent runs one process per turn.
	PerTurn bool
	// ResumeID is the agent's conversation id a launch resumes;
	// NewAgentID the one a per-turn agent announced during the running
	// turn (adopted only if the turn succeeds).
	ResumeID, NewAgentID string
	// Protocol and Env are those of the last launch (an agent_auth error
	// says which credential the agent had).
	Protocol string
	Env      []string
	// Busy: a permission request is pending or a tool call runs, so a
	// silent agent is not stalled.
	Busy bool
	// TurnIdle is the idle timeout of a turn (0: none); LastActivity the
	// time of the agent's last output.
	TurnIdle     time.Duration
	LastActivity time.Time
}

// turnInput is one thing that happens to a session's turn.
type turnInput interface{ turnInput() }

// The inputs of decideTurn.
type (
	// inAgentInit: the agent named its conversation (agent.init).
	inAgentInit struct{ SessionID string }
	// inTurnCompleted: the agent reported the end of the turn.
	inTurnCompleted struct{ Data agent.TurnCompletedData }
	// inProcessExited: the session's current agent process ended.
	inProcessExited struct{ Result supervise.Result }
	// inIdleCheck: the idle timer of turn Run fired.
	inIdleCheck struct{ Run string }
	// inPermissionAsked: the agent asked for a permission.
	inPermissionAsked struct{}
	// inPermissionsSettled: the last pending permission was decided.
	inPermissionsSettled struct{}
	// inUserStop: the user stopped the session for good.
	inUserStop struct{}
	// inCorralStop: corral is shutting down.
	inCorralStop struct{}
)

func (inAgentInit) turnInput()          {}
func (inTurnCompleted) turnInput()      {}
func (inProcessExited) turnInput()      {}
func (inIdleCheck) turnInput()          {}
func (inPermissionAsked) turnInput()    {}
func (inPermissionsSettled) turnInput() {}
func (inUserStop) turnInput()           {}
func (inCorralStop) turnInput()         {}

// turnEffect is what the session must do after a decision, in order.
type turnEffect interface{ turnEffect() }

// The effects of decideTurn.
type (
	// efAppendError appends a recoverable error event to the running
	// turn (or the session when no turn runs).
	efAppendError struct{ Type, Message, Action string }
	// efEndTurn gives the running turn its terminal run.exited (reason),
	// expires its pending permission requests, and moves the session to
	// Status (unless the store lost events of the turn: see storefail.go).
	efEndTurn struct {
		Reason string
		Status Status
		Why    string
	}
	// efSetStatus moves the session to Status when that is legal.
	efSetStatus struct {
		Status Status
		Why    string
	}
	// efAdoptAgentID records the agent's conversation id for resumes.
	efAdoptAgentID struct{ ID string }
	// efRetire stops the agent process; the next message starts a fresh one.
	efRetire struct{}
	// efRearmIdle checks the turn's idleness again after After.
	efRearmIdle struct{ After time.Duration }
)

func (efAppendError) turnEffect()  {}
func (efEndTurn) turnEffect()      {}
func (efSetStatus) turnEffect()    {}
func (efAdoptAgentID) turnEffect() {}
func (efRetire) turnEffect()       {}
func (efRearmIdle) turnEffect()    {}

// decideTurn is the turn state machine: given the session's state, one
// input and the time, it returns the next state and the effects to carry
// out. It is a pure function; the Manager carries out the effects.
//
// The table, one row per input (see transitions in state.go for the
// statuses it may move to):
//
//   - agent.init with a new id: a persistent agent's id is adopted at once;
//     a per-turn agent's (Gemini) is held until its turn succeeds, because
//     the agent saves the conversation only when the turn gets that far.
//   - turn.completed: a held id is adopted if the turn succeeded, dropped
//     otherwise; ok → idle ("exit"); interrupted (asked, or the agent's
//     code says so) → interrupted; refused credentials → an agent_auth
//     error event saying what to set, then error; a rate or usage limit
//     (agent.IsLimitError) → rate_limited; any other failure →
//     error with the agent's message.
//   - process exited (the current process only): while stopping, nothing
//     (Stop/Delete/Shutdown finish the turn); spawn failure → a
//     spawn_failed error event, the turn ends and the session is error even
//     without a turn; while interrupting → interrupted; a per-turn agent's
//     turn ends with its process: exit code 0 → idle, else a crashed error
//     event and error; a persistent agent that exits mid-turn crashed.
//   - idle check of the running turn: busy (a permission pending, a tool
//     running) or heard from within the timeout → check again later;
//     otherwise an idle_timeout error event, the turn ends as "timeout"
//     with error, and the agent is retired.
//   - permission asked → waiting_permission; the last one settled while a
//     turn runs → processing.
//   - user stop → the turn ends killed, terminated; corral stop → the turn
//     ends killed, interrupted.
func decideTurn(s turnState, in turnInput, now time.Time) (turnState, []turnEffect) {
	switch in := in.(type) {
	case inAgentInit:
		return decideInit(s, in)
	case inTurnCompleted:
		return decideCompleted(s, in.Data)
	case inProcessExited:
		return decideExit(s, in.Result)
	case inIdleCheck:
		return decideIdle(s, in.Run, now)
	case inPermissionAsked:
		return s, []turnEffect{efSetStatus{Status: WaitingPermission}}
	case inPermissionsSettled:
		if s.Turn != "" && s.Status == WaitingPermission {
			return s, []turnEffect{efSetStatus{Status: Processing}}
		}
		return s, nil
	case inUserStop:
		s, ef := endTurn(s, nil, "killed", Terminated, "stopped by the user")
		return s, append(ef, efSetStatus{Status: Terminated, Why: "stopped by the user"})
	case inCorralStop:
		return endTurn(s, nil, "killed", Interrupted, "corral stopped")
	}
	return s, nil
}

// endTurn applies efEndTurn to s and appends it to ef. Without a running
// turn only the interrupt request is cleared (the effect still expires
// what is pending).
func endTurn(s turnState, ef []turnEffect, reason string, st Status, why string) (turnState, []turnEffect) {
	if s.Turn != "" && CanTransition(s.Status, st) {
		s.Status = st
	}
	s.Turn, s.Interrupting, s.Busy = "", false, false
	return s, append(ef, efEndTurn{Reason: reason, Status: st, Why: why})
}

func decideInit(s turnState, in inAgentInit) (turnState, []turnEffect) {
	if in.SessionID == "" || in.SessionID == s.ResumeID {
		return s, nil
	}
	if s.PerTurn {
		s.NewAgentID = in.SessionID
		return s, nil
	}
	s.ResumeID = in.SessionID
	return s, []turnEffect{efAdoptAgentID{ID: in.SessionID}}
}

func decideCompleted(s turnState, d agent.TurnCompletedData) (turnState, []turnEffect) {
	var ef []turnEffect
	if id := s.NewAgentID; id != "" {
		s.NewAgentID = ""
		if d.OK {
			s.ResumeID = id
			ef = append(ef, efAdoptAgentID{ID: id})
		}
	}
	switch {
	case d.OK:
		return endTurn(s, ef, "exit", Idle, "")
	case s.Interrupting || (d.Error != nil && d.Error.Code == agent.CodeInterrupted):
		return endTurn(s, ef, "interrupted", Interrupted, "interrupted by the user")
	case d.Error != nil && d.Error.Code == agent.CodeAuth:
		// The one failure the user must fix outside corral: say how.
		advice := agent.AuthAdvice(s.Protocol, s.Env, d.Error.HTTPStatus)
		ef = append(ef, efAppendError{Type: ErrorAgentAuth, Message: advice,
			Action: "set the credential, then reload the configuration or restart corral"})
		return endTurn(s, ef, "error", Error, advice)
	case agent.IsLimitError(d.Error):
		// The API's limit: the limit scheduler reads the reset time.
		return endTurn(s, ef, "error", RateLimited, d.Error.Error())
	default:
		msg := "the agent reported a failed turn"
		if d.Error != nil {
			msg = d.Error.Error()
		}
		return endTurn(s, ef, "error", Error, msg)
	}
}

func decideExit(s turnState, r supervise.Result) (turnState, []turnEffect) {
	switch {
	case s.Stopping:
		return s, nil
	case r.Reason == supervise.ReasonSpawnFailed:
		ef := []turnEffect{efAppendError{Type: "spawn_failed", Message: r.Error,
			Action: "install the agent CLI or fix its command in the configuration"}}
		s, ef = endTurn(s, ef, "spawn_failed", Error, r.Error)
		if CanTransition(s.Status, Error) {
			s.Status = Error
		}
		return s, append(ef, efSetStatus{Status: Error, Why: r.Error})
	case s.Interrupting:
		return endTurn(s, nil, "interrupted", Interrupted, "interrupted by the user")
	case s.Turn != "" && s.PerTurn:
		if r.Reason == supervise.ReasonExit && r.Code == 0 {
			return endTurn(s, nil, "exit", Idle, "")
		}
		ef := []turnEffect{efAppendError{Type: "crashed",
			Message: fmt.Sprintf("the agent failed (%s, code %d %s)", r.Reason, r.Code, r.SignalName),
			Action:  "check the agent's stderr above"}}
		return endTurn(s, ef, "error", Error, "the agent process failed")
	case s.Turn != "":
		reason := r.Reason
		if reason == supervise.ReasonExit {
			reason = "crashed" // a persistent agent that exits mid-turn did not finish it
		}
		ef := []turnEffect{efAppendError{Type: "crashed",
			Message: fmt.Sprintf("the agent exited during the turn (%s, code %d %s)", r.Reason, r.Code, r.SignalName),
			Action:  "send the message again to restart the agent"}}
		return endTurn(s, ef, reason, Error, "the agent process ended during the turn")
	}
	return s, nil
}

// decideIdle is the idle check of a turn: the CLIs wait on a model stream
// that stalled after its headers for many minutes, and a UI must not show
// "thinking" that long. A turn waiting for the user (a permission) or with
// a tool call still running (a build, a test suite) is working without
// printing: the check waits with it.
func decideIdle(s turnState, run string, now time.Time) (turnState, []turnEffect) {
	if s.Turn != run || s.TurnIdle <= 0 {
		return s, nil
	}
	quiet := now.Sub(s.LastActivity)
	if s.Busy || quiet < s.TurnIdle {
		wait := s.TurnIdle - quiet
		if s.Busy || wait <= 0 {
			wait = s.TurnIdle
		}
		return s, []turnEffect{efRearmIdle{After: wait}}
	}
	msg := fmt.Sprintf("the agent printed nothing for %v during the turn (idle timeout)", s.TurnIdle)
	ef := []turnEffect{efAppendError{Type: "idle_timeout", Message: msg,
		Action: "check that the model API answers; send the message again to retry"}}
	s, ef = endTurn(s, ef, "timeout", Error, msg)
	return s, append(ef, efRetire{})
}

// sendBlock says why a session cannot start a turn now (nil: it can):
// a terminated session is final, a session whose agent Stop, Delete or
// Shutdown is ending starts nothing, one turn runs at a time, and a per-turn
// agent's previous process (or a retired agent) must have exited. exiting
// reports an agent process that is still there after the previous turn.
func sendBlock(s turnState, id string, exiting bool) error {
	switch {
	case s.Status == Terminated:
		return fmt.Errorf("%w: session %s is terminated; resume it to continue", ErrConflict, id)
	case s.Stopping:
		return fmt.Errorf("%w: session %s is stopping", ErrConflict, id)
	case s.Turn != "":
		return fmt.Errorf("%w: session %s is running a turn (%s); interrupt it or wait", ErrConflict, id, s.Turn)
	case exiting:
		return fmt.Errorf("%w: the previous turn's process of session %s is still exiting", ErrConflict, id)
	}
	return nil
}
