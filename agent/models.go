package agent

import "strings"

// ModelInfo is one model an agent is known to run, for a model picker.
type ModelInfo struct {
	ID string `json:"id"`
	// ContextWindow is the model's context window in tokens (0: unknown).
	ContextWindow int64 `json:"contextWindow,omitempty"`
}

// Switch says when an agent takes a model or permission mode chosen while
// its session runs.
type Switch string

// When a change of model or mode takes effect.
const (
	// SwitchLive: at once, in the running process (Claude Code's control
	// requests, ACP's session/set_model and session/set_mode).
	SwitchLive Switch = "live"
	// SwitchNextTurn: with the next turn, in the running process (Codex's
	// turn/start parameters).
	SwitchNextTurn Switch = "next_turn"
	// SwitchNextStart: when the agent process is started again (Gemini CLI
	// runs one process per turn, so that is its next turn).
	SwitchNextStart Switch = "next_start"
	// SwitchNone: the agent has no such option (generic programs).
	SwitchNone Switch = ""
)

// contextWindows maps model id prefixes to context windows in tokens; the
// longest matching prefix wins. Figures are the vendors' published
// limits for the models the CLIs offer; an agent that reports its own
// (Claude's modelUsage.contextWindow, Codex's modelContextWindow) is
// believed over this table.
var contextWindows = []struct {
	prefix string
	tokens int64
}{
	{"claude-", 200_000},
	{"sonnet", 200_000},
	{"opus", 200_000},
	{"haiku", 200_000},
	{"gpt-5", 400_000},
	{"gpt-4.1", 1_047_576},
	{"o3", 200_000},
	{"o4-mini", 200_000},
	{"gemini-2.5-", 1_048_576},
	{"gemini-3", 1_048_576},
}

// ContextWindow returns the context window of model in tokens, 0 when the
// table does not know it. A "[1m]" suffix (Claude Code's 1M-token
// variants) means one million tokens.
func ContextWindow(model string) int64 {
	m := strings.ToLower(strings.TrimSpace(model))
	if strings.HasSuffix(m, "[1m]") {
		return 1_000_000
	}
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		m = m[i+1:] // openai/gpt-5, models/gemini-2.5-pro
	}
	best, tokens := -1, int64(0)
	for _, w := range contextWindows {
		if strings.HasPrefix(m, w.prefix) && len(w.prefix) > best {
			best, tokens = len(w.prefix), w.tokens
		}
	}
	return tokens
}

// knownModels builds ModelInfos for ids with their context windows.
func knownModels(ids ...string) []ModelInfo {
	out := make([]ModelInfo, len(ids))
	for i, id := range ids {
		out[i] = ModelInfo{ID: id, ContextWindow: ContextWindow(id)}
	}
	return out
}
