package mockllm

import (
	"net/http"
	"strconv"
	"time"
)

// RateWindow is one rate-limit window of an account: how much of it is
// used, its length and when it resets.
type RateWindow struct {
	UsedPercent float64 // 0–100
	Minutes     int     // the window's length
	ResetAt     time.Time
}

// RateWindows are the rate-limit windows a reply reports in its response
// headers, as the real APIs do on every answer:
//   - Anthropic (a Claude subscription's unified limits):
//     anthropic-ratelimit-unified-status, -reset, -representative-claim,
//     and per window -5h-utilization / -5h-reset / -5h-status and the
//     same for 7d (utilization is a fraction, resets unix seconds), the
//     headers Claude Code 2.1.197 reads (its bundle's Bda/Fda);
//   - OpenAI for Codex: x-codex-primary-used-percent,
//     -primary-window-minutes, -primary-reset-at (unix seconds),
//     -primary-reset-after-seconds and the same for secondary, the
//     headers codex-rs parses into a rate-limit snapshot (names from the
//     0.171.0 binary);
//   - Gemini: none (its API reports no windows).
type RateWindows struct {
	// Status is Anthropic's unified status: "allowed" (empty),
	// "allowed_warning" or "rejected".
	Status string
	// Primary is the short window (Anthropic's five hours, Codex's
	// primary); Secondary the long one (seven days, Codex's secondary).
	Primary, Secondary RateWindow
}

// WithRateLimits is sc with every reply reporting w in its headers.
func WithRateLimits(w RateWindows, sc Scenario) Scenario {
	return ScenarioFunc(func(r *Request) Reply {
		rep := sc.Reply(r)
		rep.RateLimits = &w
		return rep
	})
}

// setRateLimitHeaders writes w as api's headers (before the status line).
func setRateLimitHeaders(h http.Header, api API, w *RateWindows, now time.Time) {
	if w == nil {
		return
	}
	secs := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	switch api {
	case Anthropic:
		status := w.Status
		if status == "" {
			status = "allowed"
		}
		p := "anthropic-ratelimit-unified-"
		h.Set(p+"status", status)
		h.Set(p+"reset", secs(w.Primary.ResetAt))
		h.Set(p+"representative-claim", "five_hour")
		for _, x := range []struct {
			abbrev string
			win    RateWindow
		}{{"5h", w.Primary}, {"7d", w.Secondary}} {
			h.Set(p+x.abbrev+"-utilization", num(x.win.UsedPercent/100))
			h.Set(p+x.abbrev+"-reset", secs(x.win.ResetAt))
			st := "allowed"
			if x.win.UsedPercent >= 100 {
				st = "rejected"
			}
			h.Set(p+x.abbrev+"-status", st)
		}
	case OpenAI:
		for _, x := range []struct {
			name string
			win  RateWindow
		}{{"primary", w.Primary}, {"secondary", w.Secondary}} {
			p := "x-codex-" + x.name + "-"
			h.Set(p+"used-percent", num(x.win.UsedPercent))
			h.Set(p+"window-minutes", strconv.Itoa(x.win.Minutes))
			h.Set(p+"reset-at", secs(x.win.ResetAt))
			h.Set(p+"reset-after-seconds", strconv.FormatInt(int64(x.win.ResetAt.Sub(now)/time.Second), 10))
		}
	}
}
