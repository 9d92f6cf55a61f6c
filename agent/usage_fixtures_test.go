package agent

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/event"
)

// Usage figures against what each CLI itself reported in its recorded
// streams: per turn and summed over a session (the session layer adds the
// usage events up, see session.Manager), for every fixture of every agent.

// fixtureNames lists the .jsonl fixtures of one CLI directory.
func fixtureNames(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", dir, "*.jsonl"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in %s: %v", dir, err)
	}
	var out []string
	for _, p := range paths {
		out = append(out, strings.TrimSuffix(filepath.Base(p), ".jsonl"))
	}
	return out
}

func usages(t *testing.T, evs []event.Event) []UsageData {
	t.Helper()
	var out []UsageData
	for _, e := range kinds(evs, event.Usage) {
		out = append(out, data[UsageData](t, e))
	}
	return out
}

// Every Claude fixture is one process: its turns' costs add up to the
// process's last total_cost_usd, each turn carries the running total it
// was derived from, and the tokens are the result line's own.
func TestClaudeUsageMatchesTheCLIInEveryFixture(t *testing.T) {
	for _, name := range fixtureNames(t, claudeFixtures) {
		lines := readLines(t, fixture(claudeFixtures, name))
		totals := resultTotals(t, lines)
		us := usages(t, decodeAll(t, newClaude(&bytes.Buffer{}), lines))
		if len(us) != len(totals) {
			t.Fatalf("%s: %d usage events for %d result lines", name, len(us), len(totals))
		}
		type result struct {
			Type  string `json:"type"`
			Usage struct {
				In  int64 `json:"input_tokens"`
				Out int64 `json:"output_tokens"`
			} `json:"usage"`
		}
		var results []result
		for _, l := range lines {
			var r result
			if json.Unmarshal(l, &r) == nil && r.Type == "result" {
				results = append(results, r)
			}
		}
		var sum float64
		for i, u := range us {
			sum += u.CostUSD
			if !near(u.ProcessCostUSD, totals[i]) || u.CostUSD < 0 {
				t.Fatalf("%s turn %d: %+v, the CLI's total %v", name, i+1, u, totals[i])
			}
			if u.InputTokens != results[i].Usage.In || u.OutputTokens != results[i].Usage.Out {
				t.Fatalf("%s turn %d: tokens %d/%d, the CLI's %d/%d", name, i+1, u.InputTokens, u.OutputTokens, results[i].Usage.In, results[i].Usage.Out)
			}
		}
		if len(totals) > 0 && !near(sum, totals[len(totals)-1]) {
			t.Fatalf("%s: turns cost %v in all, the CLI's total is %v", name, sum, totals[len(totals)-1])
		}
	}
}

// codexCount is a set of token counts.
type codexCount struct {
	In, Cached, Out, Reasoning int64
}

// codexTotals are the thread totals of a Codex stream's
// thread/tokenUsage/updated notifications, in order, split into those
// before the process's first turn/started (a resumed thread's restored
// total) and those after.
func codexTotals(t *testing.T, lines [][]byte) (restored, totals []codexCount) {
	t.Helper()
	started := false
	for _, l := range lines {
		var m struct {
			Method string `json:"method"`
			Params struct {
				TokenUsage struct {
					Total struct {
						InputTokens           int64 `json:"inputTokens"`
						CachedInputTokens     int64 `json:"cachedInputTokens"`
						OutputTokens          int64 `json:"outputTokens"`
						ReasoningOutputTokens int64 `json:"reasoningOutputTokens"`
					} `json:"total"`
				} `json:"tokenUsage"`
			} `json:"params"`
		}
		if json.Unmarshal(l, &m) != nil {
			continue
		}
		started = started || m.Method == "turn/started"
		if m.Method == "thread/tokenUsage/updated" {
			x := m.Params.TokenUsage.Total
			c := codexCount{x.InputTokens, x.CachedInputTokens, x.OutputTokens, x.ReasoningOutputTokens}
			if started {
				totals = append(totals, c)
			} else {
				restored = append(restored, c)
			}
		}
	}
	return restored, totals
}

func (a codexCount) minus(b codexCount) codexCount {
	return codexCount{a.In - b.In, a.Cached - b.Cached, a.Out - b.Out, a.Reasoning - b.Reasoning}
}

// Codex reports tokens, no cost. Added up, per turn and per process, its
// usage events are the rise of the thread total the CLI reports, also
// when a turn makes several calls (a tool call and the answer after it)
// and after a resume (the restored total counts nothing). No cost is
// invented.
func TestCodexUsageMatchesTheCLIInEveryFixture(t *testing.T) {
	for _, name := range fixtureNames(t, codexFixtures) {
		lines := readLines(t, fixture(codexFixtures, name))
		restored, totals := codexTotals(t, lines)
		var base codexCount
		if len(restored) > 0 {
			base = restored[len(restored)-1]
		}
		var w bytes.Buffer
		us := usages(t, decodeAll(t, codexPrimed(t, &w, 1), lines))
		if len(us) != len(totals) {
			t.Fatalf("%s: %d usage events for %d token notifications of its turns", name, len(us), len(totals))
		}
		// After every usage event (so also at the end of every turn), what
		// corral has added up is the rise of the CLI's thread total.
		var sum codexCount
		for k, u := range us {
			if u.CostUSD != 0 || u.ProcessCostUSD != 0 {
				t.Fatalf("%s: Codex reports no cost, corral says %+v", name, u)
			}
			sum = codexCount{sum.In + u.InputTokens, sum.Cached + u.CacheReadTokens, sum.Out + u.OutputTokens, sum.Reasoning + u.ReasoningTokens}
			if want := totals[k].minus(base); sum != want {
				t.Fatalf("%s: after %d usage events corral counts %+v, the CLI's thread total rose by %+v", name, k+1, sum, want)
			}
		}
	}
}

// A Codex thread resumed in a new app-server process: the new process
// first reports the thread's restored total (with the earlier turn's id,
// before any turn of its own), then its turn. A session of the two
// processes counts what the CLI's thread total says, not the first turn
// twice.
func TestCodexUsageAcrossResume(t *testing.T) {
	var sum codexCount
	var last []codexCount
	for i, name := range []string{"resume-1", "resume-2"} {
		lines := readLines(t, fixture(codexFixtures, name))
		opts := SessionOptions{Cwd: "/w", PermissionMode: "untrusted", Sandbox: "workspace-write"}
		if i == 1 {
			opts.ResumeID = "thread"
		}
		var w bytes.Buffer
		c := newCodex(&w, opts)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		if err := c.SendUserTurn("turn"); err != nil {
			t.Fatal(err)
		}
		for _, u := range usages(t, decodeAll(t, c, lines)) {
			sum = codexCount{sum.In + u.InputTokens, sum.Cached + u.CacheReadTokens, sum.Out + u.OutputTokens, sum.Reasoning + u.ReasoningTokens}
		}
		_, last = codexTotals(t, lines)
	}
	if want := last[len(last)-1]; sum != want {
		t.Fatalf("the session counts %+v, the CLI's thread total is %+v", sum, want)
	}
}

// Gemini CLI runs a process per turn and reports the turn's tokens in its
// result line's stats (no cost): the usage event is exactly those figures,
// and a session of two processes (a turn, then a resumed one) counts the
// sum of both.
func TestGeminiUsageMatchesTheCLIInEveryFixture(t *testing.T) {
	var session, cli codexCount
	for _, name := range fixtureNames(t, geminiFixtures) {
		if strings.HasPrefix(name, "acp-") {
			continue // Gemini CLI as an ACP agent: TestACPUsageMatchesTheCLI
		}
		lines := readLines(t, fixture(geminiFixtures, name))
		var stats []codexCount
		for _, l := range lines {
			var r struct {
				Type  string `json:"type"`
				Stats *struct {
					In     int64 `json:"input_tokens"`
					Out    int64 `json:"output_tokens"`
					Cached int64 `json:"cached"`
				} `json:"stats"`
			}
			if json.Unmarshal(l, &r) == nil && r.Type == "result" && r.Stats != nil {
				stats = append(stats, codexCount{In: r.Stats.In, Cached: r.Stats.Cached, Out: r.Stats.Out})
			}
		}
		us := usages(t, decodeAll(t, newGemini(), lines))
		if len(us) != len(stats) {
			t.Fatalf("%s: %d usage events for %d result lines", name, len(us), len(stats))
		}
		for i, u := range us {
			got := codexCount{In: u.InputTokens, Cached: u.CacheReadTokens, Out: u.OutputTokens}
			if got != stats[i] || u.CostUSD != 0 || u.ProcessCostUSD != 0 {
				t.Fatalf("%s: usage %+v, the CLI's stats %+v (and no cost)", name, u, stats[i])
			}
			if name == "turn1" || name == "resume" {
				session = codexCount{In: session.In + u.InputTokens, Out: session.Out + u.OutputTokens}
				cli = codexCount{In: cli.In + stats[i].In, Out: cli.Out + stats[i].Out}
			}
		}
	}
	if session != cli || session.In == 0 {
		t.Fatalf("a two-process session counts %+v, the CLI reported %+v", session, cli)
	}
}

// ACP agents report usage, if at all, in a prompt's result; none of the
// recorded ones (Claude Code and Codex through their ACP servers, Gemini
// CLI --acp) does, and none reports a cost (Codex's usage_update is the
// context window's fill, not a turn's tokens). Corral then reports no
// usage and invents no cost.
func TestACPUsageMatchesTheCLI(t *testing.T) {
	for _, dir := range []string{"claude-code-acp-0.16.2", "codex-acp-0.16.0", geminiFixtures} {
		for _, name := range fixtureNames(t, dir) {
			if !strings.HasPrefix(name, "acp-") {
				continue
			}
			b, err := os.ReadFile(fixture(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(`"usage":`)) || bytes.Contains(b, []byte(`"cost"`)) {
				t.Fatalf("%s/%s reports usage or cost: this test must compare it", dir, name)
			}
			turns := 1
			if strings.Contains(name, "multiturn") {
				turns = 2
			}
			_, evs := replayACPDir(t, &bytes.Buffer{}, dir, name, turns)
			if n := len(kinds(evs, event.Usage)); n != 0 {
				t.Fatalf("%s/%s: %d usage events from a stream that reports none", dir, name, n)
			}
		}
	}
}
