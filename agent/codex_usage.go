package agent

import (
	"encoding/json"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/stream"
)

// codexTokens is one breakdown of a Codex ThreadTokenUsage.
type codexTokens struct {
	InputTokens           int64 `json:"inputTokens"`
	CachedInputTokens     int64 `json:"cachedInputTokens"`
	OutputTokens          int64 `json:"outputTokens"`
	ReasoningOutputTokens int64 `json:"reasoningOutputTokens"`
}

func (a codexTokens) covers(b codexTokens) bool {
	return a.InputTokens >= b.InputTokens && a.CachedInputTokens >= b.CachedInputTokens &&
		a.OutputTokens >= b.OutputTokens && a.ReasoningOutputTokens >= b.ReasoningOutputTokens
}

func (a codexTokens) minus(b codexTokens) codexTokens {
	return codexTokens{a.InputTokens - b.InputTokens, a.CachedInputTokens - b.CachedInputTokens,
		a.OutputTokens - b.OutputTokens, a.ReasoningOutputTokens - b.ReasoningOutputTokens}
}

// codexTokenUsage is the tokenUsage of thread/tokenUsage/updated: "last"
// is the latest model call, "total" the thread so far. Codex reports
// tokens only, no cost.
type codexTokenUsage struct {
	Total codexTokens `json:"total"`
	Last  codexTokens `json:"last"`
}

// codexUsage decides what one thread/tokenUsage/updated notification
// adds to the session. prev is the thread total already accounted for by
// this process (zero at its start); ownTurn says whether the
// notification is for a turn this process started. A notification for
// no turn of this process is the total a resumed thread restored (Codex
// sends it right after thread/resume, with the earlier turn's id): it
// counts nothing, only becomes the base. Otherwise the notification adds
// the rise of the thread total, or, should the total not cover prev (a
// thread whose count restarted), the latest call. It returns the usage to
// report (ok false: none) and the new base.
func codexUsage(raw json.RawMessage, prev codexTokens, ownTurn bool) (u UsageData, ok bool, next codexTokens) {
	var tu codexTokenUsage
	if decodeValue(raw, &tu) != nil {
		// Counts of another shape: reported by the caller, and no usage
		// (rather than zero counts taken as the running total).
		return UsageData{}, false, prev
	}
	if !ownTurn {
		return UsageData{}, false, tu.Total
	}
	add := tu.Last
	if tu.Total.covers(prev) {
		add = tu.Total.minus(prev)
	}
	return UsageData{
		InputTokens: add.InputTokens, OutputTokens: add.OutputTokens,
		CacheReadTokens: add.CachedInputTokens, ReasoningTokens: add.ReasoningOutputTokens,
	}, true, tu.Total
}

// ownTurnLocked records a turn this process started. rpc.mu is held.
func (c *codexConn) ownTurnLocked(id string) {
	if id == "" {
		return
	}
	if c.turns == nil {
		c.turns = map[string]bool{}
	}
	c.turns[id] = true
}

// tokenUsage reports what a thread/tokenUsage/updated notification adds
// to the session (codexUsage), or nothing for a resumed thread's
// restored total.
func (c *codexConn) tokenUsage(params json.RawMessage, line []byte, emit func(event.Event)) {
	var turn string
	// Absent (or of another shape): no turn of ours.
	err := decodeValue(stream.Member(params, "turnId"), &turn)
	if err == nil {
		var tu codexTokenUsage
		err = decodeValue(stream.Member(params, "tokenUsage"), &tu)
	}
	defer c.em.unexpectedShape("thread/tokenUsage/updated params", err, emit)
	c.rpc.mu.Lock()
	u, ok, next := codexUsage(stream.Member(params, "tokenUsage"), c.tokens, c.turns[turn])
	c.tokens = next
	c.rpc.mu.Unlock()
	if !ok {
		emit(c.em.ev(event.AgentOther, nil, line))
		return
	}
	emit(c.em.ev(event.Usage, u, line))
}
