package session

import "fmt"

// Status is the lifecycle state of a session. The values are the strings
// stored in the database and sent to clients in session.status events.
type Status string

// Session statuses.
const (
	// Active: created and ready, no turn has run yet (or a resume just
	// re-attached it).
	Active Status = "active"
	// Idle: the last turn finished; the session waits for a message.
	Idle Status = "idle"
	// Processing: a turn is running (an agent child is working).
	Processing Status = "processing"
	// WaitingPermission: a turn is paused on a permission request.
	WaitingPermission Status = "waiting_permission"
	// Error: the last turn failed (spawn failed, crashed, timed out). The
	// session can be retried with a new message or resumed.
	Error Status = "error"
	// Interrupted: a turn was cut short by the user, or by corral itself
	// stopping while the turn ran (see crash recovery in the store).
	Interrupted Status = "interrupted"
	// RateLimited: the last turn ended on a rate or usage limit of the
	// model API (HTTP 429/529 after the agent's own retries, a plan's
	// usage limit). The limit's reset time (resetAt) and an optional
	// automatic resume at that time are kept by the limit scheduler
	// (package schedule); a new message, "resume now" or that timer
	// starts the next turn.
	RateLimited Status = "rate_limited"
	// Disconnected: on a fleet hub, the session runs on a runner the hub
	// has lost (no heartbeat within its timeout): its real status is
	// unknown until the runner is back, when the hub puts the runner's
	// status back (docs/fleet.md, "Faults"). Only a hub sets it, on its
	// replica; a runner's own sessions never have it.
	Disconnected Status = "disconnected"
	// Terminated: the session was stopped for good. It is final: nothing
	// leaves it (a "resume" creates a new session that refers to this one).
	Terminated Status = "terminated"
)

// Statuses lists every status, in a stable order.
var Statuses = []Status{Active, Idle, Processing, WaitingPermission, Error, Interrupted, RateLimited, Disconnected, Terminated}

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	_, ok := transitions[s]
	return ok
}

// transitions is the whole state machine: transitions[from] is the set of
// statuses a session may move to from `from`. A status is never listed as
// its own successor: re-asserting the current status is not a transition.
//
// Why each edge exists:
//   - any non-final status → terminated: the user can always stop a session;
//   - active/idle/error/interrupted → processing: a message starts a turn;
//   - processing → waiting_permission and back: the agent asks, the user answers;
//   - processing/waiting_permission → idle: the turn ended normally;
//   - processing/waiting_permission → error: the turn failed;
//   - processing/waiting_permission → interrupted: the user (or a corral
//     restart, see store.Recover) cut the turn short;
//   - error/interrupted → idle: the user acknowledged and the session is
//     usable again without starting a turn (e.g. after a resume).
//   - processing/waiting_permission → rate_limited: the turn ended on a
//     rate or usage limit; rate_limited → processing: a message, "resume
//     now" or the resume timer at the reset starts the next turn;
//     rate_limited → idle: as for error.
//   - any non-final status → disconnected: a hub lost the session's runner;
//     disconnected → any other status: the runner is back and the hub
//     takes its status again (a turn that ran when the runner died ends
//     interrupted there).
var transitions = map[Status]map[Status]bool{
	Active:            {Processing: true, Disconnected: true, Terminated: true},
	Idle:              {Processing: true, Disconnected: true, Terminated: true},
	Processing:        {WaitingPermission: true, Idle: true, Error: true, Interrupted: true, RateLimited: true, Disconnected: true, Terminated: true},
	WaitingPermission: {Processing: true, Idle: true, Error: true, Interrupted: true, RateLimited: true, Disconnected: true, Terminated: true},
	Error:             {Processing: true, Idle: true, Disconnected: true, Terminated: true},
	Interrupted:       {Processing: true, Idle: true, Disconnected: true, Terminated: true},
	RateLimited:       {Processing: true, Idle: true, Disconnected: true, Terminated: true},
	Disconnected: {Active: true, Idle: true, Processing: true, WaitingPermission: true, Error: true,
		Interrupted: true, RateLimited: true, Terminated: true},
	Terminated: {},
}

// CanTransition reports whether a session in status from may move to to.
// It is a pure function of its arguments.
func CanTransition(from, to Status) bool {
	return transitions[from][to]
}

// Next returns the statuses reachable from from in one step, in the order of
// Statuses. It returns nil for a final or unknown status.
func Next(from Status) []Status {
	var out []Status
	for _, s := range Statuses {
		if transitions[from][s] {
			out = append(out, s)
		}
	}
	return out
}

// TransitionError is returned for an illegal status change.
type TransitionError struct {
	From, To Status
}

func (e *TransitionError) Error() string {
	if !e.From.Valid() {
		return fmt.Sprintf("session: unknown status %q", e.From)
	}
	if !e.To.Valid() {
		return fmt.Sprintf("session: unknown status %q", e.To)
	}
	return fmt.Sprintf("session: illegal status change %s → %s", e.From, e.To)
}

// CheckTransition returns nil if from → to is legal and a *TransitionError
// otherwise. Its signature (plain strings) matches store.Options.Transition,
// so the store can validate status updates inside its own transaction
// without importing this package.
func CheckTransition(from, to string) error {
	if !CanTransition(Status(from), Status(to)) {
		return &TransitionError{From: Status(from), To: Status(to)}
	}
	return nil
}
