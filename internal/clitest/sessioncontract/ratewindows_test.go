package sessioncontract

import (
	"testing"
	"time"

	"github.com/corral-dev/corral/api"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
	"github.com/corral-dev/corral/store"
)

// mockWindows are a five-hour window 42 % used and a weekly one 7.5 %
// used, as the mock reports them in every answer's headers.
func mockWindows(now time.Time) mockllm.RateWindows {
	return mockllm.RateWindows{
		Primary:   mockllm.RateWindow{UsedPercent: 42, Minutes: 300, ResetAt: now.Add(3 * time.Hour)},
		Secondary: mockllm.RateWindow{UsedPercent: 7.5, Minutes: 10080, ResetAt: now.Add(90 * time.Hour)},
	}
}

// claudeSubscription signs Claude Code in with an OAuth token instead of
// an API key: Claude Code reads the unified rate-limit headers (and
// emits rate_limit_event) only for a claude.ai subscription.
func claudeSubscription(r *rig) {
	e := r.cfg.Agents["claude"].Env
	delete(e, "ANTHROPIC_API_KEY")
	e["CLAUDE_CODE_OAUTH_TOKEN"] = "sk-ant-oat01-mock"
	e["CLAUDE_CODE_OAUTH_SCOPES"] = "user:inference user:profile"
}

// rateWindowTurn runs one turn of cli against the mock's rate-limit
// headers and returns what GetUsage then reports of the agent's windows.
func rateWindowTurn(t *testing.T, cli clitest.CLI, ro ...rigOption) []store.RateWindow {
	now := time.Now().Truncate(time.Second)
	r := newRig(t, cli, mockllm.WithRateLimits(mockWindows(now), mockllm.Text("hello")), ro...)
	s := r.create("")
	w := r.watch(s.ID)
	evs := w.turnEnd(r.send(s.ID, "hi"))
	if len(ofKind(evs, event.RateLimits)) == 0 {
		t.Fatalf("no %s event; events %s", event.RateLimits, kinds(evs))
	}
	var got []store.RateWindow
	a := api.New(r.mgr(), nil, api.WithUsage(r.rt.Store))
	deadline := time.Now().Add(waitDeadline)
	for len(got) == 0 { // the windows are written by the store's queue
		res, err := a.GetUsage(r.ctx, api.GetUsageParams{GroupBy: "agent"})
		if err != nil {
			t.Fatal(err)
		}
		got = res.RateLimits
		if time.Now().After(deadline) {
			t.Fatal("GetUsage reports no rate-limit window")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, w := range got {
		if w.Agent != cli.Name || w.ObservedAt.IsZero() {
			t.Fatalf("window %+v", w)
		}
	}
	return got
}

// TestClaudeRateWindowsReachGetUsage: Claude Code 2.1.197 signed in to a
// subscription reports the mock's unified five-hour window
// (rate_limit_event: status and reset; no utilization while allowed) and
// GetUsage returns it.
func TestClaudeRateWindowsReachGetUsage(t *testing.T) {
	got := rateWindowTurn(t, clitest.Claude, claudeSubscription)
	if len(got) != 1 || got[0].Window != "five_hour" || got[0].Status != "allowed" ||
		time.Until(got[0].ResetsAt) < 2*time.Hour || time.Until(got[0].ResetsAt) > 4*time.Hour {
		t.Fatalf("windows %+v", got)
	}
}

// TestCodexRateWindowsReachGetUsage: Codex 0.171.0 reads the mock's
// x-codex-primary/secondary headers and reports both windows
// (account/rateLimits/updated); GetUsage returns them with their used
// percent, length and reset.
func TestCodexRateWindowsReachGetUsage(t *testing.T) {
	got := rateWindowTurn(t, clitest.Codex)
	if len(got) != 2 {
		t.Fatalf("windows %+v", got)
	}
	p, s := got[0], got[1]
	if p.Window != "primary" || p.Account != "codex" || p.UsedPercent == nil || *p.UsedPercent != 42 || p.WindowMinutes != 300 ||
		time.Until(p.ResetsAt) < 2*time.Hour || time.Until(p.ResetsAt) > 4*time.Hour {
		t.Fatalf("primary %+v", p)
	}
	if s.Window != "secondary" || s.WindowMinutes != 10080 || s.UsedPercent == nil || time.Until(s.ResetsAt) < 80*time.Hour {
		t.Fatalf("secondary %+v", s)
	}
}
