package agent

import (
	"encoding/json"
	"math"
	"time"

	"github.com/corral-dev/corral/event"
)

// RateLimitsData is the Data of event.RateLimits: the rate-limit windows
// of the agent's account as the agent last reported them (Claude Code's
// rate_limit_event, Codex's account/rateLimits/updated). Gemini CLI and
// the ACP agents report none.
type RateLimitsData struct {
	// Account names the limit when the agent has several (Codex's
	// limitId, "codex"); empty for Claude.
	Account string            `json:"account,omitempty"`
	Windows []RateLimitWindow `json:"windows"`
}

// RateLimitWindow is one window of a rate limit.
type RateLimitWindow struct {
	// Window is the window's name: Claude's rateLimitType ("five_hour",
	// "seven_day", "seven_day_opus", "overage", ...), Codex's "primary"
	// or "secondary".
	Window string `json:"window"`
	// UsedPercent is how much of the window is used, 0–100; absent when
	// the agent did not say (Claude reports it only near the limit).
	UsedPercent *float64 `json:"usedPercent,omitempty"`
	// WindowMinutes is the window's length when the agent said it.
	WindowMinutes int       `json:"windowMinutes,omitempty"`
	ResetsAt      time.Time `json:"resetsAt,omitzero"`
	// Status is Claude's "allowed", "allowed_warning" or "rejected";
	// for Codex "rejected" when the window is used up, else "allowed".
	Status string `json:"status,omitempty"`
}

// claudeRateLimit reads a rate_limit_event's rate_limit_info:
// {status, resetsAt (unix seconds), rateLimitType, utilization (0–1)}.
// Pure.
func claudeRateLimit(info []byte) (RateLimitsData, bool) {
	var in struct {
		Status        string   `json:"status"`
		ResetsAt      *float64 `json:"resetsAt"`
		RateLimitType string   `json:"rateLimitType"`
		Utilization   *float64 `json:"utilization"`
	}
	if len(info) == 0 || json.Unmarshal(info, &in) != nil || in.Status == "" {
		return RateLimitsData{}, false
	}
	w := RateLimitWindow{Window: in.RateLimitType, Status: in.Status}
	if w.Window == "" {
		w.Window = "unified"
	}
	if in.ResetsAt != nil {
		w.ResetsAt = unixSeconds(*in.ResetsAt)
	}
	if in.Utilization != nil {
		p := math.Round(*in.Utilization*10000) / 100
		w.UsedPercent = &p
	}
	return RateLimitsData{Windows: []RateLimitWindow{w}}, true
}

// codexRateLimits reads account/rateLimits/updated's params:
// {rateLimits: {limitId, primary: {usedPercent, windowDurationMins,
// resetsAt}, secondary: {...}}} (the shape Codex 0.171.0 sends). Pure.
func codexRateLimits(params []byte) (RateLimitsData, bool) {
	type win struct {
		UsedPercent        *float64 `json:"usedPercent"`
		WindowDurationMins int      `json:"windowDurationMins"`
		ResetsAt           *float64 `json:"resetsAt"`
	}
	var p struct {
		RateLimits struct {
			LimitID   string `json:"limitId"`
			Primary   *win   `json:"primary"`
			Secondary *win   `json:"secondary"`
		} `json:"rateLimits"`
	}
	if json.Unmarshal(params, &p) != nil {
		return RateLimitsData{}, false
	}
	d := RateLimitsData{Account: p.RateLimits.LimitID}
	for _, x := range []struct {
		name string
		w    *win
	}{{"primary", p.RateLimits.Primary}, {"secondary", p.RateLimits.Secondary}} {
		if x.w == nil {
			continue
		}
		w := RateLimitWindow{Window: x.name, UsedPercent: x.w.UsedPercent, WindowMinutes: x.w.WindowDurationMins, Status: "allowed"}
		if x.w.ResetsAt != nil {
			w.ResetsAt = unixSeconds(*x.w.ResetsAt)
		}
		if w.UsedPercent != nil && *w.UsedPercent >= 100 {
			w.Status = "rejected"
		}
		d.Windows = append(d.Windows, w)
	}
	return d, len(d.Windows) > 0
}

func unixSeconds(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

// rateLimitsEvent is the event of d, or agent.other when the line said
// nothing readable.
func (e emitter) rateLimitsEvent(d RateLimitsData, ok bool, line []byte) event.Event {
	if !ok {
		return e.ev(event.AgentOther, nil, line)
	}
	return e.ev(event.RateLimits, d, line)
}
