package schedule

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
)

// DefaultResumePrompt is what an automatic resume sends when the
// interrupted turn's prompt is not known.
const DefaultResumePrompt = "continue"

// LimitInfo is a session's rate-limit state as clients see it.
type LimitInfo struct {
	SessionID string `json:"sessionId"`
	// ResetAt is when the limit resets; absent (zero) when the session is
	// not rate-limited.
	ResetAt time.Time `json:"resetAt,omitzero"`
	// AutoResume is the session's setting (its own, else the
	// configuration's); Armed says the resume timer will fire at ResetAt.
	AutoResume bool   `json:"autoResume"`
	Armed      bool   `json:"armed"`
	Kind       string `json:"kind,omitempty"`
	HTTPStatus int    `json:"httpStatus,omitempty"`
	Message    string `json:"message,omitempty"`
}

// turnTrack is what the scheduler has read of a session's running turn.
type turnTrack struct {
	run, prompt string
	hint        agent.Limit
	done        *agent.TurnCompletedData
}

// snapshot is the limit state readers see without going through the
// loop (the session list asks for it on every call).
type snapshot struct {
	mu sync.RWMutex
	m  map[string]LimitInfo
}

// Limit returns a session's rate-limit state; ok is false when the
// session has none (never limited, no setting of its own).
func (s *Scheduler) Limit(sessionID string) (LimitInfo, bool) {
	s.snap.mu.RLock()
	defer s.snap.mu.RUnlock()
	l, ok := s.snap.m[sessionID]
	return l, ok
}

// Limited reports whether some session is rate-limited now.
func (s *Scheduler) Limited() bool {
	s.snap.mu.RLock()
	defer s.snap.mu.RUnlock()
	for _, l := range s.snap.m {
		if !l.ResetAt.IsZero() {
			return true
		}
	}
	return false
}

// publish rebuilds the snapshot (on the loop, after every change).
func (s *Scheduler) publish() {
	m := make(map[string]LimitInfo, len(s.limits))
	for id, l := range s.limits {
		m[id] = s.infoOf(l)
	}
	s.snap.mu.Lock()
	s.snap.m = m
	s.snap.mu.Unlock()
}

func (s *Scheduler) infoOf(l *store.SessionLimit) LimitInfo {
	in := LimitInfo{SessionID: l.SessionID, AutoResume: s.autoResume(l), Armed: l.Armed, Kind: l.Kind,
		HTTPStatus: l.HTTPStatus, Message: l.Message}
	in.ResetAt = l.ResetAt
	return in
}

func (s *Scheduler) autoResume(l *store.SessionLimit) bool {
	if l != nil && l.AutoResume != nil {
		return *l.AutoResume
	}
	return s.o.AutoResume()
}

// onEvent follows the turns of every session (on the loop): the prompt
// of each turn, what its events say of a limit's reset, its outcome, and
// the status the session layer gave it.
func (s *Scheduler) onEvent(ev event.Event) {
	if ev.SessionID == "" {
		return
	}
	switch ev.Kind {
	case event.RunStarted:
		var d struct {
			Prompt string `json:"prompt"`
		}
		_ = json.Unmarshal(ev.Data, &d) // a malformed run.started leaves the prompt unknown
		s.turns[ev.SessionID] = &turnTrack{run: ev.RunID, prompt: d.Prompt}
	case event.TurnCompleted:
		if t := s.turns[ev.SessionID]; t != nil {
			var d agent.TurnCompletedData
			if json.Unmarshal(ev.Data, &d) == nil {
				t.done = &d
			}
		}
	case event.SessionStatus:
		var d store.StatusData
		if json.Unmarshal(ev.Data, &d) == nil {
			s.onStatus(ev, d)
		}
	default:
		if t := s.turns[ev.SessionID]; t != nil && (ev.RunID == "" || ev.RunID == t.run) {
			if h, ok := agent.LimitHint(ev, ev.Time, s.o.Location); ok {
				t.hint = h
			}
		}
	}
}

// onStatus records a limit when the session becomes rate_limited, and
// forgets it (keeping the session's own auto-resume setting) when the
// session leaves that status by other means than the scheduler.
func (s *Scheduler) onStatus(ev event.Event, d store.StatusData) {
	id := ev.SessionID
	if d.Status != string(session.RateLimited) {
		if l := s.limits[id]; l != nil && !l.ResetAt.IsZero() && !s.running[id] {
			s.clearLimit(l)
		}
		if d.Status == string(session.Terminated) {
			delete(s.turns, id)
		}
		return
	}
	t := s.turns[id]
	if t == nil {
		t = &turnTrack{}
	}
	var lim agent.Limit
	if t.done != nil {
		lim, _ = agent.LimitOfTurn(*t.done, ev.Time, s.o.Location)
	}
	if lim.Kind == "" {
		// The turn's events were not seen (the scheduler started
		// later): the status's reason holds the agent's message.
		lim = agent.Limit{Kind: agent.LimitRate, Message: d.Reason}
		lim.ResetAt, _ = agent.ParseResetText(d.Reason, ev.Time, s.o.Location)
	}
	prev := s.limits[id]
	l := &store.SessionLimit{SessionID: id, ResetAt: agent.ResetTime(lim, t.hint, ev.Time), Kind: lim.Kind,
		HTTPStatus: lim.HTTPStatus, Message: lim.Message, Prompt: t.prompt, RunID: t.run}
	if prev != nil {
		l.AutoResume = prev.AutoResume
	}
	l.Armed = s.autoResume(l)
	s.limits[id] = l
	in := s.infoOf(l)
	s.write("record a rate limit", s.o.Store.PutSessionLimit(s.ctx, *l, s.sessionEvent(id, event.SessionRateLimited, in)))
	s.publish()
}

// clearLimit forgets a session's limit; the row stays when it holds the
// session's own auto-resume setting.
func (s *Scheduler) clearLimit(l *store.SessionLimit) {
	l.ResetAt, l.Armed, l.Kind, l.HTTPStatus, l.Message, l.Prompt, l.RunID = time.Time{}, false, "", 0, "", "", ""
	s.write("clear a rate limit", s.o.Store.PutSessionLimit(s.ctx, *l))
	s.publish()
}

// resume sends the rate-limited turn's prompt again (on the loop; the
// send runs on its own goroutine): by is "timer" or "user".
func (s *Scheduler) resume(id, by string) {
	l := s.limits[id]
	prompt := l.Prompt
	if prompt == "" {
		prompt = DefaultResumePrompt
	}
	s.running[id] = true
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		run, err := s.sendIfLimited(id, prompt)
		s.post(func() { s.resumed(id, by, run, l, err) })
	}()
}

// sendIfLimited sends prompt to a session that is still rate_limited.
func (s *Scheduler) sendIfLimited(id, prompt string) (string, error) {
	in, err := s.o.Sessions.Get(s.ctx, id)
	if err != nil {
		return "", err
	}
	if in.Status != session.RateLimited {
		return "", fmt.Errorf("%w: session %s is %s, no longer rate_limited", ErrConflict, id, in.Status)
	}
	return s.o.Sessions.Send(s.ctx, id, prompt)
}

// resumed records the outcome of the resume of limit was (on the loop).
// A newer limit, recorded while the send was under way (the resumed turn
// was limited again before the send returned), is kept: only the limit
// that was resumed is cleared.
func (s *Scheduler) resumed(id, by, run string, was *store.SessionLimit, err error) {
	delete(s.running, id)
	l := s.limits[id]
	if l == nil {
		return
	}
	if l != was && err == nil {
		s.write("record a resume", s.o.Store.PutSessionLimit(s.ctx, *l,
			s.sessionEvent(id, event.SessionResumed, map[string]any{"by": by, "runId": run})))
		s.publish()
		return
	}
	if errors.Is(err, session.ErrNotFound) {
		// The session was deleted: its limit goes with it, unannounced.
		delete(s.limits, id)
		delete(s.turns, id)
		s.write("forget a deleted session's limit", s.o.Store.DeleteSessionLimit(s.ctx, id))
		s.publish()
		return
	}
	if err != nil {
		l.Armed = false
		s.write("record a failed resume", s.o.Store.PutSessionLimit(s.ctx, *l,
			s.sessionEvent(id, event.SessionResumeFailed, map[string]any{"by": by, "error": err.Error()})))
		s.publish()
		return
	}
	l.ResetAt, l.Armed, l.Kind, l.HTTPStatus, l.Message, l.Prompt, l.RunID = time.Time{}, false, "", 0, "", "", ""
	s.write("record a resume", s.o.Store.PutSessionLimit(s.ctx, *l,
		s.sessionEvent(id, event.SessionResumed, map[string]any{"by": by, "runId": run})))
	s.publish()
}

// SetAutoResume sets a session's own auto-resume choice; a rate-limited
// session's timer is armed or disarmed accordingly.
func (s *Scheduler) SetAutoResume(sessionID string, enabled bool) (LimitInfo, error) {
	return do(s, func() (LimitInfo, error) {
		l := s.limits[sessionID]
		if l == nil {
			l = &store.SessionLimit{SessionID: sessionID}
			s.limits[sessionID] = l
		}
		l.AutoResume = &enabled
		var evs []event.Event
		if !l.ResetAt.IsZero() && l.Armed != enabled {
			l.Armed = enabled
			evs = append(evs, s.sessionEvent(sessionID, event.SessionResumeScheduled, s.infoOf(l)))
		}
		if err := s.o.Store.PutSessionLimit(s.ctx, *l, evs...); err != nil {
			return LimitInfo{}, err
		}
		s.publish()
		return s.infoOf(l), nil
	})
}

// ResumeNow resumes a rate-limited session at once, without waiting for
// the reset. It returns when the resume has started; its outcome is a
// session.resumed or session.resume_failed event.
func (s *Scheduler) ResumeNow(sessionID string) (LimitInfo, error) {
	return do(s, func() (LimitInfo, error) {
		l := s.limits[sessionID]
		switch {
		case l == nil || l.ResetAt.IsZero():
			return LimitInfo{}, fmt.Errorf("%w: session %s is not rate-limited", ErrConflict, sessionID)
		case s.running[sessionID]:
			return LimitInfo{}, fmt.Errorf("%w: session %s is being resumed", ErrConflict, sessionID)
		}
		s.resume(sessionID, "user")
		return s.infoOf(l), nil
	})
}

// CancelResume disarms a rate-limited session's resume timer; the
// session stays rate_limited until a message (or ResumeNow).
func (s *Scheduler) CancelResume(sessionID string) (LimitInfo, error) {
	return do(s, func() (LimitInfo, error) {
		l := s.limits[sessionID]
		if l == nil || !l.Armed {
			return LimitInfo{}, fmt.Errorf("%w: session %s has no resume pending", ErrConflict, sessionID)
		}
		l.Armed = false
		if err := s.o.Store.PutSessionLimit(s.ctx, *l, s.sessionEvent(sessionID, event.SessionResumeScheduled, s.infoOf(l))); err != nil {
			return LimitInfo{}, err
		}
		s.publish()
		return s.infoOf(l), nil
	})
}
