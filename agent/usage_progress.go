package agent

import "github.com/corral-dev/corral/stream"

// UsageProgressData is the Data of event.UsageProgress: the tokens a turn
// has used so far while it streams, summed over its model calls, as the
// agent reports them before the turn's own usage event. It is a running
// total, not an increment: each one replaces the previous one of the same
// turn, and the turn's usage event replaces them all. Agents that report
// nothing before the turn ends (Codex, Gemini, ACP) emit none.
type UsageProgressData struct {
	Model            string `json:"model,omitempty"`
	InputTokens      int64  `json:"inputTokens"`
	OutputTokens     int64  `json:"outputTokens"`
	CacheReadTokens  int64  `json:"cacheReadTokens,omitempty"`
	CacheWriteTokens int64  `json:"cacheWriteTokens,omitempty"`
}

// claudeProgress sums the per-message usage Claude Code streams
// (stream_event message_start, with the call's input and cache counts,
// then message_delta, with the call's output count so far) over the model
// calls of one turn.
type claudeProgress struct {
	model      string
	done, cur  UsageProgressData // finished calls; the call streaming now
	hasCurrent bool
}

// add folds one message_start (start true) or message_delta event into
// the running total and returns it; ok is false when the event carries
// no usage.
func (p *claudeProgress) add(start bool, ev []byte) (UsageProgressData, bool) {
	usage := stream.Member(ev, "usage")
	if start {
		msg := stream.Member(ev, "message")
		usage = stream.Member(msg, "usage")
		if m := str(stream.Member(msg, "model")); m != "" {
			p.model = m
		}
		if p.hasCurrent {
			p.done = sumProgress(p.done, p.cur)
		}
		p.cur, p.hasCurrent = UsageProgressData{}, true
	}
	if len(usage) == 0 || usage[0] != '{' {
		return UsageProgressData{}, false
	}
	p.hasCurrent = true
	stream.Members(usage, func(k, v []byte) bool {
		switch string(k) {
		case "input_tokens":
			p.cur.InputTokens = integer(v)
		case "output_tokens":
			p.cur.OutputTokens = integer(v) // the call's count so far, not an increment
		case "cache_read_input_tokens":
			p.cur.CacheReadTokens = integer(v)
		case "cache_creation_input_tokens":
			p.cur.CacheWriteTokens = integer(v)
		}
		return true
	})
	d := sumProgress(p.done, p.cur)
	d.Model = p.model
	return d, true
}

func sumProgress(a, b UsageProgressData) UsageProgressData {
	return UsageProgressData{InputTokens: a.InputTokens + b.InputTokens, OutputTokens: a.OutputTokens + b.OutputTokens,
		CacheReadTokens: a.CacheReadTokens + b.CacheReadTokens, CacheWriteTokens: a.CacheWriteTokens + b.CacheWriteTokens}
}
