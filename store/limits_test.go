package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// TestSessionLimitsAndSchedulesSurviveReopen: the limit rows and
// schedules are durable, their events are appended with them, and a
// deleted schedule is gone (a second delete is ErrNotFound).
func TestSessionLimitsAndSchedulesSurviveReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir, store.Options{})
	reset := time.Unix(1796640000, 0)
	on := true
	ev := event.New("session.rate_limited", map[string]any{"resetAt": reset})
	ev.SessionID = "s1"
	if err := s.PutSessionLimit(ctx, store.SessionLimit{SessionID: "s1", AutoResume: &on, ResetAt: reset, Kind: "rate_limit",
		HTTPStatus: 429, Message: "m", Prompt: "p", RunID: "r1", Armed: true}, ev); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSessionLimit(ctx, store.SessionLimit{SessionID: "s2"}); err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1796640100, 0)
	for _, sc := range []store.Schedule{
		{ID: "a", Prompt: "once", At: at, Agent: "claude", Cwd: "/w", Missed: "run", CreatedAt: at, NextRunAt: at},
		{ID: "b", Prompt: "cron", Cron: "*/5 * * * *", SessionID: "s1", Missed: "skip", CreatedAt: at.Add(time.Second), Paused: true},
	} {
		if err := s.PutSchedule(ctx, sc); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteSchedule(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSchedule(ctx, "b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	s.Close()

	s = open(t, dir, store.Options{})
	defer s.Close()
	ls, err := s.SessionLimits(ctx)
	if err != nil || len(ls) != 2 {
		t.Fatalf("limits %+v %v", ls, err)
	}
	if l := ls[0]; l.SessionID != "s1" || l.AutoResume == nil || !*l.AutoResume || !l.ResetAt.Equal(reset) || !l.Armed ||
		l.Prompt != "p" || l.RunID != "r1" || l.HTTPStatus != 429 {
		t.Fatalf("limit %+v", l)
	}
	if l := ls[1]; l.AutoResume != nil || !l.ResetAt.IsZero() || l.Armed {
		t.Fatalf("limit %+v", l)
	}
	scs, err := s.Schedules(ctx)
	if err != nil || len(scs) != 1 || scs[0].ID != "a" || !scs[0].At.Equal(at) || !scs[0].NextRunAt.Equal(at) || !scs[0].LastRunAt.IsZero() {
		t.Fatalf("schedules %+v %v", scs, err)
	}
	evs, err := s.Events("s1", 0, 10)
	if err != nil || len(evs) != 1 || evs[0].Kind != "session.rate_limited" {
		t.Fatalf("events %+v %v", evs, err)
	}
	if err := s.DeleteSessionLimit(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if ls, _ := s.SessionLimits(ctx); len(ls) != 1 {
		t.Fatalf("after delete: %+v", ls)
	}
}
