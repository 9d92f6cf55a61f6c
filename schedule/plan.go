package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Missed-run policies of a schedule: what happens to a run that fell due
// while corral was down.
const (
	MissedRun  = "run"  // run it once at start-up
	MissedSkip = "skip" // skip it; the next run is the next one due
)

// ErrInvalid is wrapped by every validation error of a schedule.
var ErrInvalid = errors.New("schedule: invalid")

// cronParser reads the five-field standard form (minute hour day month
// weekday) and the descriptors (@hourly, @daily, @every 1h30m, ...).
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron parses a cron expression (standard five fields or a
// descriptor). An optional "CRON_TZ=Zone " prefix names the time zone.
func ParseCron(expr string) (cron.Schedule, error) {
	s, err := cronParser.Parse(strings.TrimSpace(expr))
	if err != nil {
		return nil, fmt.Errorf("%w: cron %q: %v", ErrInvalid, expr, err)
	}
	return s, nil
}

// NextRun is the first run of a schedule strictly after after: a one-off
// schedule's time if it is still ahead (zero once it has run, ran is
// true), a cron schedule's next activation. Zero means no further run.
// Pure.
func NextRun(at time.Time, expr string, after time.Time, ran bool) (time.Time, error) {
	if expr == "" {
		if ran {
			return time.Time{}, nil
		}
		return at, nil
	}
	s, err := ParseCron(expr)
	if err != nil {
		return time.Time{}, err
	}
	return s.Next(after), nil
}

// Decision is what to do about a schedule whose next run is due.
type Decision struct {
	// Run: start the run now.
	Run bool
	// Missed: the run fell due while corral was down.
	Missed bool
	// Result is what the schedule's last result says of a skipped run
	// ("" when it runs: the run's own result is recorded).
	Result string
}

// Due decides about a schedule whose next run is next, at now: a run due
// before start (the scheduler's start-up: corral was down when it fell
// due) is missed, and runs or is skipped as the policy says; a run due
// since start runs. Not due (next after now, or zero) gives the zero
// Decision. Pure.
func Due(next, start, now time.Time, policy string) Decision {
	if next.IsZero() || next.After(now) {
		return Decision{}
	}
	if !next.Before(start) {
		return Decision{Run: true}
	}
	if policy == MissedSkip {
		return Decision{Missed: true, Result: "missed: skipped (corral was not running at " + next.UTC().Format(time.RFC3339) + ")"}
	}
	return Decision{Run: true, Missed: true}
}

// validate checks a new schedule's fields: exactly one of at and cron, a
// prompt, a session or an agent with a cwd, a known missed policy.
func validate(p CreateScheduleParams) error {
	switch {
	case p.At.IsZero() == (strings.TrimSpace(p.Cron) == ""):
		return fmt.Errorf("%w: give exactly one of at and cron", ErrInvalid)
	case strings.TrimSpace(p.Prompt) == "":
		return fmt.Errorf("%w: prompt is required", ErrInvalid)
	case p.SessionID != "" && (p.Agent != "" || p.Cwd != ""):
		return fmt.Errorf("%w: give a sessionId or an agent with a cwd, not both", ErrInvalid)
	case p.SessionID == "" && (p.Agent == "" || p.Cwd == ""):
		return fmt.Errorf("%w: give a sessionId, or an agent and a cwd for a new session", ErrInvalid)
	case p.Missed != "" && p.Missed != MissedRun && p.Missed != MissedSkip:
		return fmt.Errorf("%w: missed must be %q or %q", ErrInvalid, MissedRun, MissedSkip)
	}
	if p.Cron != "" {
		if _, err := ParseCron(p.Cron); err != nil {
			return err
		}
	}
	return nil
}
