package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/corral-dev/corral/store"
)

// TestRateWindowsKeepTheLatest: each window of an agent's account keeps
// its latest report, across a reopen; an older report committed later
// does not replace a newer one.
func TestRateWindowsKeepTheLatest(t *testing.T) {
	dir := t.TempDir()
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	pct := func(f float64) *float64 { return &f }
	if err := s.PutRateWindows(ctx, []store.RateWindow{
		{Agent: "codex", Account: "codex", Window: "primary", UsedPercent: pct(40), WindowMinutes: 300, ResetsAt: t0.Add(time.Hour), Status: "allowed", ObservedAt: t0},
		{Agent: "claude", Window: "five_hour", ResetsAt: t0.Add(2 * time.Hour), Status: "allowed", ObservedAt: t0},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRateWindows(ctx, []store.RateWindow{
		{Agent: "codex", Account: "codex", Window: "primary", UsedPercent: pct(55), WindowMinutes: 300, ResetsAt: t0.Add(time.Hour), Status: "allowed", ObservedAt: t0.Add(time.Minute)},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRateWindows(ctx, []store.RateWindow{ // older, committed last
		{Agent: "codex", Account: "codex", Window: "primary", UsedPercent: pct(41), WindowMinutes: 300, ObservedAt: t0.Add(time.Second)},
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ws, err := s.RateWindows(ctx)
	if err != nil || len(ws) != 2 {
		t.Fatalf("windows %+v %v", ws, err)
	}
	if w := ws[0]; w.Agent != "claude" || w.Window != "five_hour" || w.UsedPercent != nil || !w.ResetsAt.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("claude %+v", w)
	}
	if w := ws[1]; w.UsedPercent == nil || *w.UsedPercent != 55 || !w.ObservedAt.Equal(t0.Add(time.Minute)) || w.WindowMinutes != 300 {
		t.Fatalf("codex %+v", w)
	}
}
