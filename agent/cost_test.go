package agent

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/corral-dev/corral/event"
)

// resultTotals returns total_cost_usd of every result line of a fixture:
// what the CLI itself reports.
func resultTotals(t *testing.T, lines [][]byte) []float64 {
	t.Helper()
	var out []float64
	for _, l := range lines {
		var r struct {
			Type  string  `json:"type"`
			Total float64 `json:"total_cost_usd"`
		}
		if json.Unmarshal(l, &r) == nil && r.Type == "result" {
			out = append(out, r.Total)
		}
	}
	return out
}

func turnCosts(t *testing.T, evs []event.Event) []float64 {
	t.Helper()
	var out []float64
	for _, e := range kinds(evs, event.Usage) {
		out = append(out, data[UsageData](t, e).CostUSD)
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// Claude's total_cost_usd is the running total of the process: a usage
// event carries the turn's own cost (the difference), so per-turn figures
// add up to the CLI's last total instead of counting earlier turns again.
func TestClaudeUsageCostIsPerTurn(t *testing.T) {
	lines := readLines(t, fixture(claudeFixtures, "multiturn"))
	totals := resultTotals(t, lines)
	if len(totals) != 2 || !(totals[1] > totals[0]) {
		t.Fatalf("fixture totals %v: want two rising running totals", totals)
	}
	costs := turnCosts(t, decodeAll(t, newClaude(&bytes.Buffer{}), lines))
	if len(costs) != 2 || !near(costs[0], totals[0]) || !near(costs[1], totals[1]-totals[0]) {
		t.Fatalf("turn costs %v for running totals %v", costs, totals)
	}
	if !near(costs[0]+costs[1], totals[1]) {
		t.Fatalf("sum %v, CLI total %v", costs[0]+costs[1], totals[1])
	}
}

// A resumed process starts its running total from zero again (recorded
// with the real CLI): its first turn's cost is its whole first total.
func TestClaudeUsageCostAcrossResume(t *testing.T) {
	var sum, cli float64
	for _, name := range []string{"resume-1", "resume-2"} {
		lines := readLines(t, fixture(claudeFixtures, name))
		totals := resultTotals(t, lines)
		costs := turnCosts(t, decodeAll(t, newClaude(&bytes.Buffer{}), lines))
		if len(totals) != 1 || len(costs) != 1 || !near(costs[0], totals[0]) || totals[0] <= 0 {
			t.Fatalf("%s: costs %v totals %v", name, costs, totals)
		}
		sum += costs[0]
		cli += totals[0]
	}
	if !near(sum, cli) {
		t.Fatalf("session cost %v, the CLI's processes reported %v", sum, cli)
	}
}

// A total that goes down (a CLI that reports per turn after all) is taken
// as the turn's cost rather than a negative one.
func TestClaudeUsageCostNeverNegative(t *testing.T) {
	c := newClaude(&bytes.Buffer{})
	evs := decodeAll(t, c, [][]byte{
		[]byte(`{"type":"result","subtype":"success","is_error":false,"total_cost_usd":0.5}`),
		[]byte(`{"type":"result","subtype":"success","is_error":false,"total_cost_usd":0.2}`),
	})
	if costs := turnCosts(t, evs); len(costs) != 2 || !near(costs[0], 0.5) || !near(costs[1], 0.2) {
		t.Fatalf("costs %v", costs)
	}
}

// Claude Code without credentials answers every turn with "Not logged in ·
// Please run /login": an assistant message flagged authentication_failed
// and a result with no HTTP status (recorded with an empty environment).
// The turn's error is auth_failed, like a 401, so the owner can say which
// credential to provide.
func TestClaudeNotLoggedInIsAuthError(t *testing.T) {
	evs := decodeAll(t, newClaude(&bytes.Buffer{}), readLines(t, fixture(claudeFixtures, "not-logged-in")))
	d := lastCompleted(t, evs)
	if d.OK || d.Error == nil || d.Error.Code != CodeAuth || d.Error.Message != "Not logged in · Please run /login" {
		t.Fatalf("turn %+v err %+v", d, d.Error)
	}
	// The flag does not leak into the next turn.
	c := newClaude(&bytes.Buffer{})
	decodeAll(t, c, readLines(t, fixture(claudeFixtures, "not-logged-in")))
	evs = decodeAll(t, c, [][]byte{[]byte(`{"type":"result","subtype":"success","is_error":true,"result":"boom"}`)})
	if d := lastCompleted(t, evs); d.Error == nil || d.Error.Code != CodeAgent {
		t.Fatalf("next turn %+v", d.Error)
	}
}
