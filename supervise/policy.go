package supervise

import (
	"slices"
	"time"
)

// Restart says when a process that ended on its own is started again.
type Restart string

const (
	// RestartNever never restarts. It is the default for agent
	// conversations, which are resumed by the session layer instead.
	RestartNever Restart = "never"
	// RestartOnFailure restarts after a non-zero exit or a crash by signal.
	// It is the default for daemon-like helpers (language or MCP servers).
	RestartOnFailure Restart = "on-failure"
	// RestartAlways restarts after every exit that was not asked for.
	RestartAlways Restart = "always"
)

// Defaults of RestartPolicy.
const (
	DefaultBackoffInitial = 500 * time.Millisecond
	DefaultBackoffFactor  = 2.0
	DefaultBackoffMax     = 30 * time.Second
	DefaultJitter         = 0.10
	// MinBackoff is the floor of every restart delay, whatever the policy
	// says: a crash loop never restarts faster than four times a second.
	MinBackoff           = 250 * time.Millisecond
	DefaultStableAfter   = 30 * time.Second
	DefaultMaxFailures   = 5
	DefaultFailureWindow = 5 * time.Minute
)

// RestartPolicy configures Next. Zero fields take the defaults above; Mode ""
// means RestartNever.
type RestartPolicy struct {
	Mode Restart
	// BackoffInitial is the first delay; each further unexpected exit
	// multiplies it by BackoffFactor up to BackoffMax.
	BackoffInitial time.Duration
	BackoffFactor  float64
	BackoffMax     time.Duration
	// Jitter adds a random 0..Jitter fraction to each delay (negative: none).
	Jitter float64
	// StableAfter is the run time after which the backoff and the failure
	// count start over.
	StableAfter time.Duration
	// MaxFailures failures within FailureWindow give up: the process goes
	// to the failed state and is not restarted again.
	MaxFailures   int
	FailureWindow time.Duration
	// SuccessCodes are exit codes counted as success besides 0.
	SuccessCodes []int
	// PreventCodes are exit codes after which the process is never
	// restarted (for example "bad configuration" or "login required").
	PreventCodes []int
}

func (p RestartPolicy) withDefaults() RestartPolicy {
	if p.Mode == "" {
		p.Mode = RestartNever
	}
	if p.BackoffInitial <= 0 {
		p.BackoffInitial = DefaultBackoffInitial
	}
	if p.BackoffFactor < 1 {
		p.BackoffFactor = DefaultBackoffFactor
	}
	if p.BackoffMax <= 0 {
		p.BackoffMax = DefaultBackoffMax
	}
	if p.Jitter == 0 {
		p.Jitter = DefaultJitter
	} else if p.Jitter < 0 {
		p.Jitter = 0
	}
	if p.StableAfter <= 0 {
		p.StableAfter = DefaultStableAfter
	}
	if p.MaxFailures <= 0 {
		p.MaxFailures = DefaultMaxFailures
	}
	if p.FailureWindow <= 0 {
		p.FailureWindow = DefaultFailureWindow
	}
	return p
}

// Exit is what Next needs to know about one ended run.
type Exit struct {
	Code   int // exit code, -1 when ended by a signal
	Signal int // signal number, 0 if none
	// Requested is true when a stop was asked for (Stop, Kill, shutdown, a
	// timeout or the memory limit with the stop action): never restarted.
	Requested bool
	// Ready is true when the run had reached the running state.
	Ready bool
	// Started and Ended bound the run.
	Started, Ended time.Time
}

func (e Exit) success(p RestartPolicy) bool {
	return e.Signal == 0 && (e.Code == 0 || slices.Contains(p.SuccessCodes, e.Code))
}

// History is what Next remembers between runs of one process. Its zero value
// is the history of a process that never failed.
type History struct {
	// Failures are the times of the failures still inside the window.
	Failures []time.Time
	// Delay is the last backoff delay before jitter; zero before the first.
	Delay time.Duration
}

// Action is Next's decision.
type Action int

const (
	// Finish: the process is over and ends in the exited state.
	Finish Action = iota
	// RestartAfter: wait in the backoff state for the delay, then start.
	RestartAfter
	// GiveUp: too many failures; the process ends in the failed state.
	GiveUp
)

func (a Action) String() string {
	switch a {
	case Finish:
		return "finish"
	case RestartAfter:
		return "restart"
	case GiveUp:
		return "give-up"
	}
	return "unknown"
}

// Next decides what happens after a run ended: it is a pure function of the
// history, the exit, the policy, the current time and rnd, a random number
// in [0, 1) that sets the jitter. It returns the action, the delay before a
// restart (zero otherwise) and the updated history.
//
// The rules, in order: a requested stop finishes; an exit code in
// PreventCodes finishes; with RestartNever, or RestartOnFailure after a
// success, the process finishes. Otherwise the exit is unexpected: a run that
// lasted StableAfter resets the history; the exit counts as a failure unless
// it was a success of a run that had become ready; MaxFailures failures
// inside FailureWindow give up; else the process restarts after the next
// backoff delay (BackoffInitial, then ×BackoffFactor up to BackoffMax, plus
// 0..Jitter of itself, never below MinBackoff).
func Next(h History, e Exit, p RestartPolicy, now time.Time, rnd float64) (Action, time.Duration, History) {
	p = p.withDefaults()
	if e.Requested || slices.Contains(p.PreventCodes, e.Code) && e.Signal == 0 {
		return Finish, 0, h
	}
	ok := e.success(p)
	if p.Mode == RestartNever || p.Mode == RestartOnFailure && ok {
		return Finish, 0, h
	}
	if !e.Started.IsZero() && e.Ended.Sub(e.Started) >= p.StableAfter {
		h = History{}
	}
	// Copy so that the caller's slice is never changed under it.
	failures := make([]time.Time, 0, len(h.Failures)+1)
	for _, t := range h.Failures {
		if now.Sub(t) < p.FailureWindow {
			failures = append(failures, t)
		}
	}
	if !ok || !e.Ready {
		failures = append(failures, now)
	}
	h.Failures = failures
	if len(failures) >= p.MaxFailures {
		return GiveUp, 0, h
	}
	base := p.BackoffInitial
	if h.Delay > 0 {
		base = time.Duration(float64(h.Delay) * p.BackoffFactor)
	}
	base = min(base, p.BackoffMax)
	h.Delay = base
	if rnd < 0 || rnd >= 1 {
		rnd = 0
	}
	d := base + time.Duration(float64(base)*p.Jitter*rnd)
	return RestartAfter, max(d, MinBackoff), h
}
