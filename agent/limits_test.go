package agent

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"
	_ "time/tzdata" // the test needs Europe/Paris on any machine

	"github.com/corral-dev/corral/event"
)

var limitNow = time.Date(2026, 12, 6, 10, 20, 0, 0, time.UTC)

// TestParseResetText: every wording of a reset time the agents use.
func TestParseResetText(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris") // time/tzdata is linked in: no skip
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, text string
		want       time.Time // zero: none found
	}{
		{"claude epoch", "Claude AI usage limit reached|1796640000", time.Unix(1796640000, 0)},
		{"claude epoch in API error", "API Error: Request rejected (429) · Claude AI usage limit reached|1796640000", time.Unix(1796640000, 0)},
		{"claude epoch ms", "Claude AI usage limit reached|1796640000123", time.UnixMilli(1796640000123)},
		{"claude 5-hour pm", "5-hour limit reached ∙ resets 3pm", time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC)},
		{"claude weekly am wraps to tomorrow", "Weekly limit reached ∙ resets 5am", time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)},
		{"claude named zone", "5-hour limit reached ∙ resets 3:30pm (Europe/Paris)", time.Date(2026, 12, 6, 15, 30, 0, 0, paris)},
		{"claude 12am", "limit reached ∙ resets 12am", time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)},
		{"codex try again at", "You've hit your usage limit. To get more access now, send a request to your admin or try again at 12:16 PM.", time.Date(2026, 12, 6, 12, 16, 0, 0, time.UTC)},
		// Codex 0.171.0's own wording (its binary's strings: a typographic
		// apostrophe; the reset as "%-I:%M %p" today, else
		// "%b %-d<st|nd|rd|th>, %Y %-I:%M %p", in the local zone).
		{"codex 0.171 date", "You\u2019ve hit your usage limit. Try again at Dec 7th, 2026 3:15 PM.", time.Date(2026, 12, 7, 15, 15, 0, 0, time.UTC)},
		{"codex 0.171 date in zone", "You\u2019ve hit your usage limit for gpt-5.5. Switch to another model now, or try again at Jan 1st, 2027 12:05 AM.", time.Date(2027, 1, 1, 0, 5, 0, 0, paris)},
		{"codex 0.171 plus today", "You\u2019ve hit your usage limit. Upgrade to Plus to continue using Codex (https://chatgpt.com/explore/plus), or try again at 3:15 PM.", time.Date(2026, 12, 6, 15, 15, 0, 0, time.UTC)},
		{"codex resets_in_seconds", `{"type":"usage_limit_reached","plan_type":"plus","resets_in_seconds":3600}`, limitNow.Add(time.Hour)},
		{"codex resetsInSeconds", `{"codexErrorInfo":"usageLimitExceeded","resetsInSeconds":90}`, limitNow.Add(90 * time.Second)},
		{"codex resets_at", `{"resets_at":1796640000}`, time.Unix(1796640000, 0)},
		{"codex try again in", "You've hit your usage limit. Try again in 2 hours 3 minutes.", limitNow.Add(2*time.Hour + 3*time.Minute)},
		{"gemini retryDelay", `{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"31s"}`, limitNow.Add(31 * time.Second)},
		{"gemini escaped retryDelay", `"{\"retryDelay\":\"12.5s\"}"`, limitNow.Add(12500 * time.Millisecond)},
		{"gemini please retry", "Quota exceeded for metric: x, limit: 50\nPlease retry in 31.5s.", limitNow.Add(31500 * time.Millisecond)},
		{"gemini retrying after", "Suggested retry after 31s.. Retrying after 33012ms...", limitNow.Add(31 * time.Second)},
		{"nothing", "API Error: Request rejected (429) · mock failure", time.Time{}},
		{"bad clock", "resets 25pm", time.Time{}},
	} {
		loc := time.UTC
		if tc.name == "codex 0.171 date in zone" {
			loc = paris
		}
		got, ok := ParseResetText(tc.text, limitNow, loc)
		if ok != !tc.want.IsZero() || !got.Equal(tc.want) {
			t.Errorf("%s: got %v %v, want %v", tc.name, got, ok, tc.want)
		}
	}
}

// TestLimitOfTurn: which failed turns are limits, of which kind, and
// their reset time.
func TestLimitOfTurn(t *testing.T) {
	te := func(code string, status int, msg string) TurnCompletedData {
		return TurnCompletedData{Error: &TurnError{Code: code, HTTPStatus: status, Message: msg}}
	}
	for _, tc := range []struct {
		name   string
		d      TurnCompletedData
		ok     bool
		kind   string
		status int
		reset  time.Time
	}{
		{"ok turn", TurnCompletedData{OK: true}, false, "", 0, time.Time{}},
		{"500", te(CodeAPI, 500, "boom"), false, "", 0, time.Time{}},
		{"auth", te(CodeAuth, 401, "no"), false, "", 0, time.Time{}},
		{"429", te(CodeRateLimit, 429, "API Error: Request rejected (429) · mock failure"), true, LimitRate, 429, time.Time{}},
		{"429 no status", te(CodeRateLimit, 0, "rate limited"), true, LimitRate, 429, time.Time{}},
		{"529", te(CodeOverloaded, 529, "Overloaded"), true, LimitOverloaded, 529, time.Time{}},
		{"claude plan limit as agent error", TurnCompletedData{Result: "Claude AI usage limit reached|1796640000",
			Error: &TurnError{Code: CodeAgent, Message: "Claude AI usage limit reached|1796640000"}}, true, LimitUsage, 0, time.Unix(1796640000, 0)},
		{"claude 5-hour", te(CodeAgent, 0, "5-hour limit reached ∙ resets 3pm"), true, LimitUsage, 0, time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC)},
		{"codex usage", te(CodeRateLimit, 0, "You've hit your usage limit. Try again in 2 hours."), true, LimitUsage, 429, limitNow.Add(2 * time.Hour)},
		{"codex 0.171 wording", te(CodeAgent, 0, "You\u2019ve hit your usage limit. Try again at Dec 7th, 2026 3:15 PM."), true, LimitUsage, 0, time.Date(2026, 12, 7, 15, 15, 0, 0, time.UTC)},
		{"gemini daily quota", te(CodeRateLimit, 429, "[API Error: You have exhausted your daily quota on this model.]"), true, LimitUsage, 429, time.Time{}},
	} {
		l, ok := LimitOfTurn(tc.d, limitNow, time.UTC)
		if ok != tc.ok || l.Kind != tc.kind || l.HTTPStatus != tc.status || !l.ResetAt.Equal(tc.reset) {
			t.Errorf("%s: got %+v %v", tc.name, l, ok)
		}
	}
}

// TestResetTime: the turn's own reset, else the hint's, else a default
// per kind.
func TestResetTime(t *testing.T) {
	own, hinted := limitNow.Add(time.Hour), limitNow.Add(time.Minute)
	for _, tc := range []struct {
		l, hint Limit
		want    time.Time
	}{
		{Limit{Kind: LimitUsage, ResetAt: own}, Limit{ResetAt: hinted}, own},
		{Limit{Kind: LimitRate}, Limit{ResetAt: hinted}, hinted},
		{Limit{Kind: LimitRate}, Limit{}, limitNow.Add(DefaultRateLimitWait)},
		{Limit{Kind: LimitOverloaded}, Limit{}, limitNow.Add(DefaultOverloadWait)},
	} {
		if got := ResetTime(tc.l, tc.hint, limitNow); !got.Equal(tc.want) {
			t.Errorf("ResetTime(%+v, %+v) = %v, want %v", tc.l, tc.hint, got, tc.want)
		}
	}
}

// TestLimitsOfRecordedRuns: the recorded 429 runs of each CLI end in a
// turn that LimitOfTurn calls a rate limit, and the recorded 500 runs do
// not; Gemini's stderr retry line of a quota gives a reset hint.
func TestLimitsOfRecordedRuns(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		conn func() Conn
	}{
		{"claude-2.1.197", func() Conn { return newClaude(&bytes.Buffer{}) }},
		{"codex-0.171.0", func() Conn { return newCodex(&bytes.Buffer{}, SessionOptions{}) }},
		{"gemini-0.61.0", newGemini},
	} {
		for _, run := range []struct {
			name  string
			limit bool
		}{{"error-http429", true}, {"error-http500", false}} {
			evs := decodeAll(t, tc.conn(), readLines(t, filepath.Join("testdata", tc.dir, run.name+".jsonl")))
			d := lastCompleted(t, evs)
			l, ok := LimitOfTurn(d, limitNow, time.UTC)
			if ok != run.limit || (ok && (l.Kind != LimitRate || l.HTTPStatus != 429)) {
				t.Errorf("%s/%s: limit %+v %v (error %+v)", tc.dir, run.name, l, ok, d.Error)
			}
		}
	}
	evs := decodeAll(t, newGemini(), readLines(t, filepath.Join("testdata", "gemini-0.61.0", "error-http429-daily-quota.jsonl")))
	if l, ok := LimitOfTurn(lastCompleted(t, evs), limitNow, time.UTC); !ok || l.Kind != LimitUsage {
		t.Errorf("gemini daily quota: %+v %v", l, ok)
	}
	var hint Limit
	var found bool
	for _, ev := range decodeStderr(t, newGemini(), []string{
		"Attempt 5 failed: You exceeded your current quota.",
		"Suggested retry after 31s.. Retrying after 33012ms...",
	}) {
		if h, ok := LimitHint(ev, limitNow, time.UTC); ok {
			hint, found = h, true
		}
	}
	if !found || !hint.ResetAt.Equal(limitNow.Add(31*time.Second)) {
		t.Errorf("gemini quota retry hint: %+v %v", hint, found)
	}
	// A Claude api_retry's delay is backoff, not a reset.
	for _, ev := range decodeAll(t, newClaude(&bytes.Buffer{}), readLines(t, filepath.Join("testdata", "claude-2.1.197", "error-http429.jsonl"))) {
		if ev.Kind == event.AgentRetry {
			if h, ok := LimitHint(ev, limitNow, time.UTC); ok {
				t.Errorf("claude api_retry gave a hint: %+v", h)
			}
		}
	}
}
