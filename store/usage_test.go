package store_test

import (
	"context"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/corral-dev/corral/store"
)

func mkSession(t testing.TB, s *store.Store, id, agent, cwd string) {
	t.Helper()
	if _, err := s.CreateSession(context.Background(), store.Session{ID: id, Agent: agent, Cwd: cwd}); err != nil {
		t.Fatal(err)
	}
}

// The rollup adds turns up per day, agent, model and project; distinct
// sessions are counted once per group; estimated and unpriced turns mark
// their groups; the session's own totals get the tokens and the reported
// cost only.
func TestUsageRollupMath(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), store.Options{})
	mkSession(t, s, "a", "claude", "/p1")
	mkSession(t, s, "b", "codex", "/p1")
	mkSession(t, s, "c", "gemini", "/p2")
	d1 := time.Date(2026, 3, 1, 23, 59, 0, 0, time.UTC)
	d2 := d1.Add(2 * time.Minute) // the next UTC day
	turns := []store.TurnUsage{
		{SessionID: "a", Model: "claude-opus-4-8", At: d1, InputTokens: 100, OutputTokens: 10, CacheReadTokens: 5, CacheWriteTokens: 1, CostUSD: 0.5, DurationMs: 1000},
		{SessionID: "a", Model: "claude-opus-4-8", At: d2, InputTokens: 200, OutputTokens: 20, CostUSD: 0.25, DurationMs: 500},
		{SessionID: "b", Model: "gpt-5-codex", At: d1, InputTokens: 1000, OutputTokens: 100, CacheReadTokens: 300, EstimatedUSD: 0.125},
		{SessionID: "c", Model: "mock", At: d2, InputTokens: 7, OutputTokens: 3, Unpriced: true},
		// A second model the same day: the session still counts once that day.
		{SessionID: "b", Model: "gpt-5-mini", At: d1},
	}
	for _, u := range turns {
		if err := s.AddTurnUsage(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	get := func(q store.UsageQuery) store.UsageReport {
		t.Helper()
		r, err := s.Usage(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	byDay := get(store.UsageQuery{GroupBy: "day", Top: 2})
	if len(byDay.Rows) != 2 || byDay.Rows[0].Key != "2026-03-01" || byDay.Rows[1].Key != "2026-03-02" {
		t.Fatalf("days: %+v", byDay.Rows)
	}
	r0, r1 := byDay.Rows[0], byDay.Rows[1]
	if r0.InputTokens != 1100 || r0.OutputTokens != 110 || r0.CacheReadTokens != 305 || r0.CacheWriteTokens != 1 ||
		!near(r0.CostUSD, 0.625) || !r0.Estimated || r0.Turns != 3 || r0.Sessions != 2 || r0.DurationMs != 1000 {
		t.Errorf("day 1: %+v", r0)
	}
	if r1.InputTokens != 207 || !near(r1.CostUSD, 0.25) || !r1.Estimated || r1.UnpricedTurns != 1 || r1.Sessions != 2 {
		t.Errorf("day 2: %+v", r1)
	}
	if len(byDay.Top) != 2 || byDay.Top[0].SessionID != "a" || !near(byDay.Top[0].CostUSD, 0.75) || byDay.Top[0].Turns != 2 ||
		byDay.Top[0].Sessions != 1 || byDay.Top[0].Agent != "claude" || byDay.Top[1].SessionID != "b" || !byDay.Top[1].Estimated {
		t.Errorf("top: %+v", byDay.Top)
	}
	// Top over one day ranks by that day's figures, not the sessions' totals.
	if top := get(store.UsageQuery{GroupBy: "day", From: d2, To: d2, Top: 1}).Top; len(top) != 1 || top[0].SessionID != "a" ||
		!near(top[0].CostUSD, 0.25) || top[0].Turns != 1 {
		t.Errorf("top of day 2: %+v", top)
	}
	if top := get(store.UsageQuery{GroupBy: "day", From: d1, To: d1, Top: 5}).Top; len(top) != 2 || top[0].SessionID != "a" ||
		top[1].SessionID != "b" || top[1].Turns != 2 {
		t.Errorf("top of day 1: %+v", top)
	}
	models := get(store.UsageQuery{GroupBy: "model"})
	if len(models.Rows) != 4 || models.Rows[0].Key != "claude-opus-4-8" || models.Rows[0].Sessions != 1 || models.Rows[0].Turns != 2 {
		t.Errorf("models: %+v", models.Rows)
	}
	// Whole months come from the monthly rollup, the days at a range's
	// ends from the daily one: the figures are the same either way.
	all := get(store.UsageQuery{GroupBy: "agent"}).Rows
	for _, r := range []store.UsageQuery{
		{GroupBy: "agent", From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)},
		{GroupBy: "agent", From: time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC)},
		{GroupBy: "agent", From: d1, To: d2},
	} {
		if got := get(r).Rows; !reflect.DeepEqual(got, all) {
			t.Errorf("%v..%v: %+v\nall: %+v", r.From, r.To, got, all)
		}
	}
	if got := get(store.UsageQuery{GroupBy: "agent", From: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}).Rows; len(got) != 0 {
		t.Errorf("April on: %+v", got)
	}
	proj := get(store.UsageQuery{GroupBy: "project", From: d1, To: d1})
	if len(proj.Rows) != 1 || proj.Rows[0].Key != "/p1" || proj.Rows[0].Sessions != 2 || proj.Rows[0].Turns != 3 {
		t.Errorf("project on day 1: %+v", proj.Rows)
	}
	agents := get(store.UsageQuery{GroupBy: "agent", SessionID: "a"})
	if len(agents.Rows) != 1 || agents.Rows[0].Key != "claude" || agents.Rows[0].Estimated || agents.Rows[0].Turns != 2 {
		t.Errorf("agent of session a: %+v", agents.Rows)
	}
	if _, err := s.Usage(ctx, store.UsageQuery{GroupBy: "week"}); err == nil {
		t.Error("groupBy week accepted")
	}
	x, _ := s.GetSession("b")
	if x.Usage.InputTokens != 1000 || x.Usage.CacheReadTokens != 300 || x.Usage.CostUSD != 0 {
		t.Errorf("session b totals: %+v", x.Usage)
	}
	sp, err := s.SpendOf(ctx, "", "/p1", store.DayOf(d1))
	if err != nil || sp.Tokens != 1100+110+305+1 || !near(sp.USD, 0.625) {
		t.Errorf("spend of /p1 on day 1: %+v %v", sp, err)
	}
	if sp, err := s.SpendOf(ctx, "", "", store.DayOf(d2)); err != nil || sp.Tokens != 220+10 || !near(sp.USD, 0.25) {
		t.Errorf("spend on day 2: %+v %v", sp, err)
	}
	// Spend outlives a deleted session; its budget does not.
	usd := 1.5
	if err := s.SetSessionBudget(ctx, "a", store.Budget{USD: &usd}); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.SessionBudget("a"); b.USD == nil || *b.USD != 1.5 || b.Tokens != nil {
		t.Errorf("budget: %+v", b)
	}
	if err := s.DeleteSession(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.SessionBudget("a"); b.USD != nil {
		t.Errorf("budget of a deleted session: %+v", b)
	}
	if sp, _ := s.SpendOf(ctx, "a", "", -1); !near(sp.USD, 0.75) {
		t.Errorf("spend of deleted session: %+v", sp)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// A turn's Project, when given, is what the rollups and SpendOf group it
// under (the sessions of one repository, each in its own worktree, count
// together); without one, the session's directory.
func TestUsageProjectKey(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), store.Options{})
	mkSession(t, s, "w1", "claude", "/data/worktrees/w1")
	mkSession(t, s, "w2", "claude", "/data/worktrees/w2")
	mkSession(t, s, "plain", "claude", "/elsewhere")
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, u := range []store.TurnUsage{
		{SessionID: "w1", Model: "m", At: at, InputTokens: 10, CostUSD: 1, Project: "/src/repo"},
		{SessionID: "w2", Model: "m", At: at, InputTokens: 20, CostUSD: 2, Project: "/src/repo"},
		{SessionID: "plain", Model: "m", At: at, InputTokens: 5, CostUSD: 0.5},
	} {
		if err := s.AddTurnUsage(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	r, err := s.Usage(ctx, store.UsageQuery{GroupBy: "project"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, row := range r.Rows {
		got[row.Key] = row.CostUSD
	}
	if len(got) != 2 || !near(got["/src/repo"], 3) || !near(got["/elsewhere"], 0.5) {
		t.Fatalf("projects: %+v", r.Rows)
	}
	sp, err := s.SpendOf(ctx, "", "/src/repo", -1)
	if err != nil || !near(sp.USD, 3) || sp.Tokens != 30 {
		t.Fatalf("SpendOf the repository: %+v %v", sp, err)
	}
}
