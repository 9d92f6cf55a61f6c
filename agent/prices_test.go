package agent

import (
	"math"
	"testing"
)

func TestEstimateCost(t *testing.T) {
	for _, c := range []struct {
		model                   string
		in, out, cacheR, cacheW int64
		want                    float64
		ok                      bool
	}{
		// The mock model's recorded turn: Claude Code reported 0.1095.
		{"claude-opus-4-8[1m]", 21870, 6, 0, 0, 0.1095, true},
		{"claude-opus-4-8", 0, 0, 1_000_000, 1_000_000, 0.5 + 6.25, true},
		{"claude-opus-4-1-20250805", 1_000_000, 0, 0, 0, 15, true},
		{"claude-opus-4-20250514", 0, 1_000_000, 0, 0, 75, true},
		{"claude-sonnet-4-5", 1_000_000, 1_000_000, 0, 0, 18, true},
		// OpenAI counts cached input inside input: 1M input of which 400k cached.
		{"gpt-5-codex", 1_000_000, 0, 400_000, 0, 0.6*1.25 + 0.4*0.125, true},
		{"GPT-5-mini", 0, 1_000_000, 0, 0, 2, true},
		{"models/gemini-2.5-flash", 1_000_000, 0, 0, 0, 0.3, true},
		{"gemini-2.5-flash-lite", 1_000_000, 0, 0, 0, 0.1, true},
		// cache more than input (a report of another shape): no negative input.
		{"gpt-5", 10, 0, 20, 0, 20 * 0.125 / 1e6, true},
		{"mock-model", 1000, 1000, 0, 0, 0, false},
		{"", 1000, 1000, 0, 0, 0, false},
	} {
		got, ok := EstimateCost(c.model, c.in, c.out, c.cacheR, c.cacheW)
		if ok != c.ok || math.Abs(got-c.want) > 1e-9 {
			t.Errorf("EstimateCost(%q, %d, %d, %d, %d) = %v, %v; want %v, %v", c.model, c.in, c.out, c.cacheR, c.cacheW, got, ok, c.want, c.ok)
		}
	}
}
