package session

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/store"
)

func usd(v float64) *float64 { return &v }
func tok(v int64) *int64     { return &v }

func TestDecideBudget(t *testing.T) {
	for _, c := range []struct {
		name  string
		caps  budgetCaps
		spend budgetSpend
		level budgetLevel
		scope string
		unit  string
	}{
		{"no caps", budgetCaps{}, budgetSpend{Session: store.Spend{Tokens: 1e9, USD: 1e6}}, budgetOK, "", ""},
		{"under 80 %", budgetCaps{Session: budgetCap{USD: usd(1)}}, budgetSpend{Session: store.Spend{USD: 0.79}}, budgetOK, "", ""},
		{"at 80 %", budgetCaps{Session: budgetCap{USD: usd(1)}}, budgetSpend{Session: store.Spend{USD: 0.8}}, budgetWarn, "session", "usd"},
		{"at 100 %", budgetCaps{Session: budgetCap{USD: usd(1)}}, budgetSpend{Session: store.Spend{USD: 1}}, budgetReached, "session", "usd"},
		{"over", budgetCaps{Session: budgetCap{Tokens: tok(100)}}, budgetSpend{Session: store.Spend{Tokens: 150}}, budgetReached, "session", "tokens"},
		{"zero cap, nothing spent", budgetCaps{Session: budgetCap{USD: usd(0)}}, budgetSpend{}, budgetReached, "session", "usd"},
		{"day reached beats session warning",
			budgetCaps{Session: budgetCap{USD: usd(1)}, Day: budgetCap{Tokens: tok(1000)}},
			budgetSpend{Session: store.Spend{USD: 0.9}, Day: store.Spend{Tokens: 1000}}, budgetReached, "day", "tokens"},
		{"the warning nearest its cap",
			budgetCaps{Session: budgetCap{USD: usd(1)}, Project: budgetCap{USD: usd(10)}},
			budgetSpend{Session: store.Spend{USD: 0.81}, Project: store.Spend{USD: 9.5}}, budgetWarn, "project", "usd"},
		{"spend of other scopes does not count", budgetCaps{Project: budgetCap{USD: usd(1)}},
			budgetSpend{Session: store.Spend{USD: 5}, Day: store.Spend{USD: 5}}, budgetOK, "", ""},
	} {
		lv, n := decideBudget(c.caps, c.spend)
		if lv != c.level || n.Scope != c.scope || n.Unit != c.unit || (lv != budgetOK && n.Level != lv.String()) {
			t.Errorf("%s: %v %+v; want %v %s/%s", c.name, lv, n, c.level, c.scope, c.unit)
		}
	}
}

func TestCapsForOverridesFieldByField(t *testing.T) {
	cfg := config.Budget{SessionUSD: usd(5), SessionTokens: tok(1000), DayUSD: usd(20)}
	c := capsFor(cfg, store.Budget{USD: usd(1)})
	if *c.Session.USD != 1 || *c.Session.Tokens != 1000 || *c.Day.USD != 20 || c.Project.USD != nil {
		t.Errorf("caps: %+v", c)
	}
	if c := capsFor(config.Budget{}, store.Budget{}); c != (budgetCaps{}) {
		t.Errorf("no caps: %+v", c)
	}
}

func TestBudgetErrorIsTyped(t *testing.T) {
	err := budgetError(BudgetNotice{Scope: "session", Unit: "usd", Cap: 0.05, Used: 0.11})
	if !errors.Is(err, ErrBudget) {
		t.Fatal(err)
	}
}

func TestTurnUsage(t *testing.T) {
	prog := &agent.UsageProgressData{InputTokens: 21870, OutputTokens: 1}
	for _, c := range []struct {
		name       string
		model      string
		d          agent.UsageData
		prog       *agent.UsageProgressData
		in         int64
		cost, est  float64
		unpriced   bool
		durationMs int64
	}{
		// Claude reports cost: it is taken as is, never estimated.
		{"reported", "claude-opus-4-8", agent.UsageData{InputTokens: 21870, OutputTokens: 6, CostUSD: 0.1095, DurationMs: 53}, prog, 21870, 0.1095, 0, false, 53},
		// Codex reports tokens only: estimated from the table.
		{"estimated", "gpt-5-codex", agent.UsageData{InputTokens: 1_000_000, CacheReadTokens: 400_000}, nil, 1_000_000, 0, 0.8, false, 2000},
		// A model the table does not know: unpriced, not guessed.
		{"unpriced", "mock-model", agent.UsageData{InputTokens: 10, OutputTokens: 2}, nil, 10, 0, 0, true, 2000},
		// An interrupted Claude turn reports nothing for the call it cut:
		// the progress counts, estimated.
		{"cut", "claude-opus-4-8", agent.UsageData{}, prog, 21870, 0, 0.109375, false, 2000},
		{"nothing", "claude-opus-4-8", agent.UsageData{}, nil, 0, 0, 0, false, 2000},
	} {
		u := turnUsage("s", c.model, c.d, c.prog, 2*time.Second)
		if u.InputTokens != c.in || math.Abs(u.CostUSD-c.cost) > 1e-9 || math.Abs(u.EstimatedUSD-c.est) > 1e-9 ||
			u.Unpriced != c.unpriced || u.DurationMs != c.durationMs || u.Model != c.model {
			t.Errorf("%s: %+v", c.name, u)
		}
	}
}
