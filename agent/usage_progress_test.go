package agent

import (
	"bytes"
	"testing"

	"github.com/corral-dev/corral/event"
)

// In every recorded Claude stream, the last usage.progress before a
// completed turn's usage event holds that turn's own token counts: the
// running figure a budget is checked against during the turn ends where
// the CLI's final report does. (An interrupted turn's result reports no
// tokens for the call it cut.)
func TestClaudeUsageProgressEndsAtTheTurnUsage(t *testing.T) {
	for _, name := range fixtureNames(t, claudeFixtures) {
		evs := decodeAll(t, newClaude(&bytes.Buffer{}), readLines(t, fixture(claudeFixtures, name)))
		var last *UsageProgressData
		var u UsageData
		for _, e := range evs {
			switch e.Kind {
			case event.UsageProgress:
				d := data[UsageProgressData](t, e)
				if last != nil && (d.InputTokens < last.InputTokens || d.OutputTokens < last.OutputTokens) {
					t.Errorf("%s: progress went back: %+v after %+v", name, d, *last)
				}
				last = &d
			case event.Usage:
				u = data[UsageData](t, e)
			case event.TurnCompleted:
				if last != nil && data[TurnCompletedData](t, e).OK {
					if last.InputTokens != u.InputTokens || last.OutputTokens != u.OutputTokens ||
						last.CacheReadTokens != u.CacheReadTokens || last.CacheWriteTokens != u.CacheWriteTokens {
						t.Errorf("%s: last progress %+v, turn usage %+v", name, *last, u)
					}
				}
				last = nil
			}
		}
	}
}

// Two model calls in one turn (a tool use between them) add up; a
// message_delta counts the call's output so far, not an increment.
func TestClaudeProgressSumsCalls(t *testing.T) {
	var p claudeProgress
	steps := []struct {
		start bool
		ev    string
		want  UsageProgressData
	}{
		{true, `{"type":"message_start","message":{"model":"claude-sonnet-4-5","usage":{"input_tokens":100,"cache_read_input_tokens":50,"output_tokens":1}}}`,
			UsageProgressData{Model: "claude-sonnet-4-5", InputTokens: 100, CacheReadTokens: 50, OutputTokens: 1}},
		{false, `{"type":"message_delta","usage":{"output_tokens":30}}`,
			UsageProgressData{Model: "claude-sonnet-4-5", InputTokens: 100, CacheReadTokens: 50, OutputTokens: 30}},
		{true, `{"type":"message_start","message":{"usage":{"input_tokens":10,"cache_creation_input_tokens":7,"output_tokens":1}}}`,
			UsageProgressData{Model: "claude-sonnet-4-5", InputTokens: 110, CacheReadTokens: 50, CacheWriteTokens: 7, OutputTokens: 31}},
		{false, `{"type":"message_delta","usage":{"output_tokens":5}}`,
			UsageProgressData{Model: "claude-sonnet-4-5", InputTokens: 110, CacheReadTokens: 50, CacheWriteTokens: 7, OutputTokens: 35}},
	}
	for i, s := range steps {
		got, ok := p.add(s.start, []byte(s.ev))
		if !ok || got != s.want {
			t.Fatalf("step %d: %+v, %v; want %+v", i, got, ok, s.want)
		}
	}
	if _, ok := p.add(false, []byte(`{"type":"message_delta"}`)); ok {
		t.Fatal("a message_delta without usage reported progress")
	}
}
