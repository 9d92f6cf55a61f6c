package api

import (
	"context"
	"errors"

	"github.com/corral-dev/corral/schedule"
	"github.com/corral-dev/corral/session"
)

// Scheduler is the limit scheduler and schedule runner
// (*schedule.Scheduler implements it).
type Scheduler interface {
	Limit(sessionID string) (schedule.LimitInfo, bool)
	Limited() bool
	SetAutoResume(sessionID string, enabled bool) (schedule.LimitInfo, error)
	ResumeNow(sessionID string) (schedule.LimitInfo, error)
	CancelResume(sessionID string) (schedule.LimitInfo, error)
	CreateSchedule(p schedule.CreateScheduleParams) (schedule.Schedule, error)
	ListSchedules() ([]schedule.Schedule, error)
	PauseSchedule(id string, paused bool) (schedule.Schedule, error)
	DeleteSchedule(id string) error
}

// WithScheduler enables the rate-limit and schedule methods and adds a
// session's limit (resetAt, autoResume, resumePending) to GetSession and
// ListSessions. Without it those methods fail with code internal ("not
// available").
func WithScheduler(s Scheduler) Option { return func(a *API) { a.sched = s } }

// SetAutoResumeParams are the parameters of SetAutoResume.
type SetAutoResumeParams struct {
	SessionID string `json:"sessionId"`
	Enabled   bool   `json:"enabled"`
}

// CreateScheduleParams are the parameters of CreateSchedule: exactly one
// of at (RFC 3339) and cron (five fields, or @hourly, @daily, @every 1h…,
// optionally prefixed "CRON_TZ=Zone "); the prompt; sessionId, or agent
// and cwd for a new session per run; an optional name; missed: "run"
// (default) or "skip".
type CreateScheduleParams = schedule.CreateScheduleParams

// ScheduleParams name one schedule.
type ScheduleParams struct {
	ScheduleID string `json:"scheduleId"`
}

// PauseScheduleParams are the parameters of PauseSchedule.
type PauseScheduleParams struct {
	ScheduleID string `json:"scheduleId"`
	Paused     bool   `json:"paused"`
}

func (a *API) scheduler() (Scheduler, error) {
	if a.sched == nil {
		return nil, Errorf(CodeInternal, "schedules and rate-limit resumes are not available in this build")
	}
	return a.sched, nil
}

// schedErr maps the scheduler's errors to stable codes.
func schedErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, schedule.ErrNotFound):
		return &Error{Code: CodeNotFound, Message: err.Error(), err: err}
	case errors.Is(err, schedule.ErrConflict):
		return &Error{Code: CodeConflict, Message: err.Error(), err: err}
	case errors.Is(err, schedule.ErrInvalid):
		return &Error{Code: CodeInvalidArgument, Message: err.Error(), err: err}
	}
	return err
}

// limitCall checks the session and runs one of the scheduler's
// per-session calls.
func (a *API) limitCall(ctx context.Context, id string, fn func(Scheduler) (schedule.LimitInfo, error)) (schedule.LimitInfo, error) {
	if err := required("sessionId", id); err != nil {
		return schedule.LimitInfo{}, err
	}
	s, err := a.scheduler()
	if err != nil {
		return schedule.LimitInfo{}, err
	}
	if _, err := a.sessions.Get(ctx, id); err != nil {
		return schedule.LimitInfo{}, err
	}
	l, err := fn(s)
	return l, schedErr(err)
}

// SetAutoResume sets whether a session resumes by itself when its rate
// limit resets (overriding [sessions] auto_resume_on_limit); for a
// session rate-limited now, the resume timer is armed or cancelled.
func (a *API) SetAutoResume(ctx context.Context, p SetAutoResumeParams) (schedule.LimitInfo, error) {
	return a.limitCall(ctx, p.SessionID, func(s Scheduler) (schedule.LimitInfo, error) { return s.SetAutoResume(p.SessionID, p.Enabled) })
}

// ResumeNow resumes a rate-limited session at once: the interrupted
// turn's prompt is sent again. conflict when the session is not
// rate-limited.
func (a *API) ResumeNow(ctx context.Context, p SessionParams) (schedule.LimitInfo, error) {
	return a.limitCall(ctx, p.SessionID, func(s Scheduler) (schedule.LimitInfo, error) { return s.ResumeNow(p.SessionID) })
}

// CancelResume cancels the automatic resume of a rate-limited session; it
// stays rate_limited until a message or ResumeNow. conflict when no
// resume is pending.
func (a *API) CancelResume(ctx context.Context, p SessionParams) (schedule.LimitInfo, error) {
	return a.limitCall(ctx, p.SessionID, func(s Scheduler) (schedule.LimitInfo, error) { return s.CancelResume(p.SessionID) })
}

// CreateSchedule stores a schedule: a prompt to run at a time or on a
// cron schedule, in a session or in a new session of an agent.
func (a *API) CreateSchedule(ctx context.Context, p CreateScheduleParams) (schedule.Schedule, error) {
	s, err := a.scheduler()
	if err != nil {
		return schedule.Schedule{}, err
	}
	if p.SessionID != "" {
		if _, err := a.sessions.Get(ctx, p.SessionID); err != nil {
			return schedule.Schedule{}, err
		}
	}
	in, err := s.CreateSchedule(p)
	return in, schedErr(err)
}

// ListSchedules lists every schedule, oldest first.
func (a *API) ListSchedules(ctx context.Context, _ Empty) ([]schedule.Schedule, error) {
	s, err := a.scheduler()
	if err != nil {
		return nil, err
	}
	l, err := s.ListSchedules()
	if l == nil {
		l = []schedule.Schedule{}
	}
	return l, schedErr(err)
}

// PauseSchedule pauses a schedule, or lets it run again.
func (a *API) PauseSchedule(ctx context.Context, p PauseScheduleParams) (schedule.Schedule, error) {
	if err := required("scheduleId", p.ScheduleID); err != nil {
		return schedule.Schedule{}, err
	}
	s, err := a.scheduler()
	if err != nil {
		return schedule.Schedule{}, err
	}
	in, err := s.PauseSchedule(p.ScheduleID, p.Paused)
	return in, schedErr(err)
}

// DeleteSchedule deletes a schedule.
func (a *API) DeleteSchedule(ctx context.Context, p ScheduleParams) (Empty, error) {
	if err := required("scheduleId", p.ScheduleID); err != nil {
		return Empty{}, err
	}
	s, err := a.scheduler()
	if err != nil {
		return Empty{}, err
	}
	return Empty{}, schedErr(s.DeleteSchedule(p.ScheduleID))
}

// withLimit adds the scheduler's limit state to a session.
func (a *API) withLimit(in session.Info) session.Info {
	if a.sched == nil {
		return in
	}
	l, ok := a.sched.Limit(in.ID)
	if !ok {
		return in
	}
	if !l.ResetAt.IsZero() && in.Status == session.RateLimited {
		in.ResetAt, in.ResumePending = l.ResetAt, l.Armed
		auto := l.AutoResume
		in.AutoResume = &auto
	}
	return in
}

// limited reports whether some session is rate-limited now: the session
// list then needs the limits added to the backend's cached encoding
// (listWithLimits, itself cached while the limits stay the same).
func (a *API) limited() bool { return a.sched != nil && a.sched.Limited() }

// withLimits adds the limit state to each session of a list.
func (a *API) withLimits(l []session.Info) []session.Info {
	for i := range l {
		l[i] = a.withLimit(l[i])
	}
	return l
}
