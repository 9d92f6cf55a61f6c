package schedule

import (
	"errors"
	"testing"
	"time"
)

func TestNextRun(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 22, 30, 0, time.UTC)
	at := now.Add(time.Hour)
	for _, tc := range []struct {
		name string
		at   time.Time
		cron string
		ran  bool
		want time.Time
	}{
		{"one-off ahead", at, "", false, at},
		{"one-off that ran", at, "", true, time.Time{}},
		{"every 5 minutes", time.Time{}, "*/5 * * * *", false, time.Date(2026, 12, 6, 10, 25, 0, 0, time.UTC)},
		{"daily at 9", time.Time{}, "0 9 * * *", true, time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)},
		{"weekdays at 18:30 (a Sunday now)", time.Time{}, "30 18 * * 1-5", false, time.Date(2026, 12, 7, 18, 30, 0, 0, time.UTC)},
		{"@hourly", time.Time{}, "@hourly", false, time.Date(2026, 12, 6, 11, 0, 0, 0, time.UTC)},
		{"@every 90s", time.Time{}, "@every 90s", false, now.Add(90 * time.Second)},
		{"named zone", time.Time{}, "CRON_TZ=Asia/Tokyo 0 9 * * *", false, time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)},
	} {
		got, err := NextRun(tc.at, tc.cron, now, tc.ran)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%s: %v %v, want %v", tc.name, got, err, tc.want)
		}
	}
	if _, err := NextRun(time.Time{}, "61 * * * *", now, false); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad cron: %v", err)
	}
}

func TestDue(t *testing.T) {
	start := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	now := start.Add(time.Minute)
	for _, tc := range []struct {
		name   string
		next   time.Time
		policy string
		want   Decision
	}{
		{"nothing next", time.Time{}, MissedRun, Decision{}},
		{"ahead", now.Add(time.Second), MissedRun, Decision{}},
		{"due now", now, MissedSkip, Decision{Run: true}},
		{"due since start", start, MissedSkip, Decision{Run: true}},
		{"missed, run", start.Add(-time.Hour), MissedRun, Decision{Run: true, Missed: true}},
		{"missed, skip", start.Add(-time.Hour), MissedSkip, Decision{Missed: true, Result: "missed: skipped (corral was not running at 2026-12-06T09:00:00Z)"}},
	} {
		if got := Due(tc.next, start, now, tc.policy); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	at := time.Now()
	for _, tc := range []struct {
		name string
		p    CreateScheduleParams
		ok   bool
	}{
		{"at in a session", CreateScheduleParams{At: at, Prompt: "p", SessionID: "s"}, true},
		{"cron in a new session", CreateScheduleParams{Cron: "@daily", Prompt: "p", Agent: "claude", Cwd: "/w", Missed: MissedSkip}, true},
		{"neither at nor cron", CreateScheduleParams{Prompt: "p", SessionID: "s"}, false},
		{"both", CreateScheduleParams{At: at, Cron: "@daily", Prompt: "p", SessionID: "s"}, false},
		{"no prompt", CreateScheduleParams{At: at, Prompt: " ", SessionID: "s"}, false},
		{"no target", CreateScheduleParams{At: at, Prompt: "p"}, false},
		{"agent without cwd", CreateScheduleParams{At: at, Prompt: "p", Agent: "claude"}, false},
		{"session and agent", CreateScheduleParams{At: at, Prompt: "p", SessionID: "s", Agent: "claude", Cwd: "/w"}, false},
		{"bad policy", CreateScheduleParams{At: at, Prompt: "p", SessionID: "s", Missed: "later"}, false},
		{"bad cron", CreateScheduleParams{Cron: "every day", Prompt: "p", SessionID: "s"}, false},
	} {
		err := validate(tc.p)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
