package schedule

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
)

// CreateScheduleParams are the fields of a new schedule: exactly one of At and
// Cron; the prompt; a session (SessionID) or a new one (Agent and Cwd);
// an optional name; the missed-run policy ("run", the default, or
// "skip").
type CreateScheduleParams struct {
	At        time.Time `json:"at,omitzero"`
	Cron      string    `json:"cron,omitempty"`
	Prompt    string    `json:"prompt"`
	SessionID string    `json:"sessionId,omitempty"`
	Agent     string    `json:"agent,omitempty"`
	Cwd       string    `json:"cwd,omitempty"`
	Name      string    `json:"name,omitempty"`
	Missed    string    `json:"missed,omitempty"`
}

// Schedule is a schedule as clients see it.
type Schedule struct {
	ID        string    `json:"id"`
	Name      string    `json:"name,omitempty"`
	At        time.Time `json:"at,omitzero"`
	Cron      string    `json:"cron,omitempty"`
	Prompt    string    `json:"prompt"`
	SessionID string    `json:"sessionId,omitempty"`
	Agent     string    `json:"agent,omitempty"`
	Cwd       string    `json:"cwd,omitempty"`
	Missed    string    `json:"missed"`
	Paused    bool      `json:"paused"`
	CreatedAt time.Time `json:"createdAt"`
	// NextRunAt is absent when nothing more will run (a one-off that ran).
	NextRunAt time.Time `json:"nextRunAt,omitzero"`
	LastRunAt time.Time `json:"lastRunAt,omitzero"`
	// LastResult says how the last run went: "ok", "failed: …",
	// "missed: ran at start-up", "missed: skipped (…)".
	LastResult    string `json:"lastResult,omitempty"`
	LastRunID     string `json:"lastRunId,omitempty"`
	LastSessionID string `json:"lastSessionId,omitempty"`
}

func infoOfSchedule(sc *store.Schedule) Schedule {
	return Schedule{ID: sc.ID, Name: sc.Name, At: sc.At, Cron: sc.Cron, Prompt: sc.Prompt, SessionID: sc.SessionID,
		Agent: sc.Agent, Cwd: sc.Cwd, Missed: sc.Missed, Paused: sc.Paused, CreatedAt: sc.CreatedAt,
		NextRunAt: sc.NextRunAt, LastRunAt: sc.LastRunAt, LastResult: sc.LastResult, LastRunID: sc.LastRunID,
		LastSessionID: sc.LastSessionID}
}

// CreateSchedule validates and stores a schedule and arms it. A one-off
// time in the past runs at once.
func (s *Scheduler) CreateSchedule(p CreateScheduleParams) (Schedule, error) {
	if err := validate(p); err != nil {
		return Schedule{}, err
	}
	return do(s, func() (Schedule, error) {
		now := s.o.Clock.Now()
		sc := &store.Schedule{ID: newID("sch_"), Name: strings.TrimSpace(p.Name), Cron: strings.TrimSpace(p.Cron),
			Prompt: p.Prompt, SessionID: p.SessionID, Agent: p.Agent, Cwd: p.Cwd, Missed: p.Missed, CreatedAt: now}
		if sc.Missed == "" {
			sc.Missed = MissedRun
		}
		sc.At = p.At
		next, err := NextRun(sc.At, sc.Cron, now, false)
		if err != nil {
			return Schedule{}, err
		}
		if next.Before(now) && sc.Cron == "" {
			next = now // a time already past runs at once, not as a missed run
		}
		sc.NextRunAt = next
		in := infoOfSchedule(sc)
		if err := s.o.Store.PutSchedule(s.ctx, *sc, s.sysEvent(event.ScheduleUpdated, in)); err != nil {
			return Schedule{}, err
		}
		s.schedules[sc.ID] = sc
		return in, nil
	})
}

// ListSchedules returns every schedule, oldest first.
func (s *Scheduler) ListSchedules() ([]Schedule, error) {
	return do(s, func() ([]Schedule, error) {
		out := make([]Schedule, 0, len(s.schedules))
		for _, sc := range s.schedules {
			out = append(out, infoOfSchedule(sc))
		}
		sort.Slice(out, func(i, j int) bool {
			if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
				return out[i].CreatedAt.Before(out[j].CreatedAt)
			}
			return out[i].ID < out[j].ID
		})
		return out, nil
	})
}

// PauseSchedule pauses or resumes a schedule. A cron schedule resumed
// after its time runs next at its next activation from now.
func (s *Scheduler) PauseSchedule(id string, paused bool) (Schedule, error) {
	return do(s, func() (Schedule, error) {
		sc := s.schedules[id]
		if sc == nil {
			return Schedule{}, fmt.Errorf("%w: schedule %s", ErrNotFound, id)
		}
		sc.Paused = paused
		now := s.o.Clock.Now()
		if !paused && sc.Cron != "" && sc.NextRunAt.Before(now) {
			sc.NextRunAt, _ = NextRun(sc.At, sc.Cron, now, true) // validated at creation
		}
		in := infoOfSchedule(sc)
		return in, s.o.Store.PutSchedule(s.ctx, *sc, s.sysEvent(event.ScheduleUpdated, in))
	})
}

// DeleteSchedule deletes a schedule; a run in flight finishes.
func (s *Scheduler) DeleteSchedule(id string) error {
	_, err := do(s, func() (struct{}, error) {
		if s.schedules[id] == nil {
			return struct{}{}, fmt.Errorf("%w: schedule %s", ErrNotFound, id)
		}
		delete(s.schedules, id)
		return struct{}{}, s.o.Store.DeleteSchedule(s.ctx, id, s.sysEvent(event.ScheduleDeleted, map[string]string{"id": id}))
	})
	return err
}

// due handles a schedule whose next run may be due (on the loop): the
// run starts on its own goroutine, or a missed run is skipped; the next
// run is computed and stored at once, so a crash during the run does not
// run it twice.
func (s *Scheduler) due(sc *store.Schedule, now time.Time) {
	d := Due(sc.NextRunAt, s.start, now, sc.Missed)
	if !d.Run && !d.Missed {
		return
	}
	sc.NextRunAt, _ = NextRun(sc.At, sc.Cron, now, true) // validated at creation
	if !d.Run {
		sc.LastRunAt, sc.LastResult, sc.LastRunID = now, d.Result, ""
		in := infoOfSchedule(sc)
		s.write("record a skipped run", s.o.Store.PutSchedule(s.ctx, *sc,
			s.sysEvent(event.ScheduleRun, map[string]any{"scheduleId": sc.ID, "result": d.Result, "missed": true, "skipped": true}),
			s.sysEvent(event.ScheduleUpdated, in)))
		return
	}
	s.write("record the next run", s.o.Store.PutSchedule(s.ctx, *sc))
	s.running[sc.ID] = true
	target, prompt := *sc, sc.Prompt
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		sid, run, err := s.runSchedule(target, prompt)
		s.post(func() { s.ran(target.ID, now, d.Missed, sid, run, err) })
	}()
}

// runSchedule starts a schedule's turn: in its session, or in a new
// session of its agent in its cwd.
func (s *Scheduler) runSchedule(sc store.Schedule, prompt string) (sessionID, runID string, err error) {
	if sc.SessionID != "" {
		run, err := s.o.Sessions.Send(s.ctx, sc.SessionID, prompt)
		return sc.SessionID, run, err
	}
	in, err := s.o.Sessions.Create(s.ctx, session.CreateOptions{Agent: sc.Agent, Cwd: sc.Cwd, Prompt: prompt})
	if err != nil {
		return "", "", err
	}
	return in.ID, in.RunID, nil
}

// ran records a schedule's run (on the loop).
func (s *Scheduler) ran(id string, at time.Time, missed bool, sessionID, runID string, err error) {
	delete(s.running, id)
	sc := s.schedules[id]
	if sc == nil {
		return // deleted meanwhile
	}
	result := "ok"
	if err != nil {
		result = "failed: " + err.Error()
	}
	if missed {
		result = "missed: ran at start-up; " + result
	}
	sc.LastRunAt, sc.LastResult, sc.LastRunID, sc.LastSessionID = at, result, runID, sessionID
	in := infoOfSchedule(sc)
	s.write("record a run", s.o.Store.PutSchedule(s.ctx, *sc,
		s.sysEvent(event.ScheduleRun, map[string]any{"scheduleId": id, "result": result, "missed": missed,
			"sessionId": sessionID, "runId": runID}),
		s.sysEvent(event.ScheduleUpdated, in)))
}
