package api

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corral-dev/corral/schedule"
	"github.com/corral-dev/corral/session"
)

// cachedSessions is a backend that keeps its list encoded (ListJSON), as
// *session.Manager does: the same bytes until the list changes.
type cachedSessions struct {
	*fakeSessions
	infos []session.Info
	raw   []byte
	calls int
}

func (c *cachedSessions) ListJSON(context.Context) ([]session.Info, []byte, error) {
	c.calls++
	return c.infos, c.raw, nil
}

// limitScheduler answers Limit and Limited from a map; the other methods
// are not used by the session list.
type limitScheduler struct {
	mu     sync.Mutex
	limits map[string]schedule.LimitInfo
}

var errNotUsed = errors.New("not used by this test")

func (s *limitScheduler) Limit(id string) (schedule.LimitInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.limits[id]
	return l, ok
}
func (s *limitScheduler) Limited() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.limits {
		if !l.ResetAt.IsZero() {
			return true
		}
	}
	return false
}
func (s *limitScheduler) SetAutoResume(string, bool) (schedule.LimitInfo, error) {
	return schedule.LimitInfo{}, errNotUsed
}
func (s *limitScheduler) ResumeNow(string) (schedule.LimitInfo, error) {
	return schedule.LimitInfo{}, errNotUsed
}
func (s *limitScheduler) CancelResume(string) (schedule.LimitInfo, error) {
	return schedule.LimitInfo{}, errNotUsed
}
func (s *limitScheduler) CreateSchedule(schedule.CreateScheduleParams) (schedule.Schedule, error) {
	return schedule.Schedule{}, errNotUsed
}
func (s *limitScheduler) ListSchedules() ([]schedule.Schedule, error) { return nil, errNotUsed }
func (s *limitScheduler) PauseSchedule(string, bool) (schedule.Schedule, error) {
	return schedule.Schedule{}, errNotUsed
}
func (s *limitScheduler) DeleteSchedule(string) error { return errNotUsed }

// TestListSessionsCachedWhileRateLimited: with a session rate-limited,
// ListSessions still serves an encoded list (not a fresh encoding per
// call) that carries the limit (resetAt, autoResume, resumePending), the
// same bytes while neither the list nor the limits change, and a new
// encoding when the limit changes.
func TestListSessionsCachedWhileRateLimited(t *testing.T) {
	infos := []session.Info{{ID: "a", Status: session.Idle}, {ID: "b", Status: session.RateLimited}}
	raw, _ := json.Marshal(infos)
	cs := &cachedSessions{fakeSessions: &fakeSessions{}, infos: infos, raw: raw}
	reset := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	sch := &limitScheduler{limits: map[string]schedule.LimitInfo{"b": {SessionID: "b", ResetAt: reset, AutoResume: true, Armed: true}}}
	a := New(cs, nil, WithScheduler(sch))
	first, err := a.ListSessions(context.Background(), Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if first.RawJSON() == nil {
		t.Fatal("the list was encoded afresh while a session is rate-limited (no cached encoding)")
	}
	var got []session.Info
	if err := json.Unmarshal(first.RawJSON(), &got); err != nil || len(got) != 2 {
		t.Fatalf("list %s: %v", first.RawJSON(), err)
	}
	if !got[1].ResetAt.Equal(reset) || got[1].AutoResume == nil || !*got[1].AutoResume || !got[1].ResumePending || !got[0].ResetAt.IsZero() {
		t.Fatalf("the limit is not in the list: %+v", got)
	}
	if infos[1].ResetAt != (time.Time{}) {
		t.Fatal("the backend's shared Infos were modified")
	}
	second, _ := a.ListSessions(context.Background(), Empty{})
	if &second.RawJSON()[0] != &first.RawJSON()[0] {
		t.Fatal("an unchanged list with unchanged limits was encoded again")
	}
	later := reset.Add(time.Hour)
	sch.mu.Lock()
	sch.limits["b"] = schedule.LimitInfo{SessionID: "b", ResetAt: later, AutoResume: false}
	sch.mu.Unlock()
	third, _ := a.ListSessions(context.Background(), Empty{})
	if !strings.Contains(string(third.RawJSON()), later.Format(time.RFC3339)) || strings.Contains(string(third.RawJSON()), "resumePending") {
		t.Fatalf("a changed limit is not in the list: %s", third.RawJSON())
	}
}
