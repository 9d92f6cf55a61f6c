package agent

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/corral-dev/corral/event"
)

// Kinds of Limit.
const (
	// LimitUsage: a plan's usage allowance is used up until a reset
	// (Claude's "usage limit reached", "5-hour limit reached ∙ resets 3pm";
	// Codex's usage_limit_reached / usageLimitExceeded; a per-day quota).
	LimitUsage = "usage_limit"
	// LimitRate: the model API answered 429 and the agent gave up
	// retrying.
	LimitRate = "rate_limit"
	// LimitOverloaded: the model API answered 529 (overloaded) and the
	// agent gave up retrying.
	LimitOverloaded = "overloaded"
)

// Default waits before a limit without a reset time of its own is
// retried: DefaultRateLimitWait after a 429 or usage limit,
// DefaultOverloadWait after a 529.
const (
	DefaultRateLimitWait = 5 * time.Minute
	DefaultOverloadWait  = time.Minute
)

// Limit is a turn that ended on a rate or usage limit of the model API.
type Limit struct {
	Kind       string `json:"kind"`
	HTTPStatus int    `json:"httpStatus,omitempty"`
	// ResetAt is when the limit resets, as the agent said it (zero: it
	// did not say; see ResetTime).
	ResetAt time.Time `json:"resetAt,omitzero"`
	Message string    `json:"message,omitempty"`
}

// ResetTime is when to try again after l: its own reset time, else
// hint's (what the turn's retries said), else now plus the default wait
// of its kind. It is a pure function.
func ResetTime(l, hint Limit, now time.Time) time.Time {
	switch {
	case !l.ResetAt.IsZero():
		return l.ResetAt
	case !hint.ResetAt.IsZero():
		return hint.ResetAt
	case l.Kind == LimitOverloaded:
		return now.Add(DefaultOverloadWait)
	}
	return now.Add(DefaultRateLimitWait)
}

var usageLimitText = regexp.MustCompile(`(?i)usage limit (?:has been )?reached|limit reached ∙|limit reached \||hit your usage limit|usage_limit_reached|usageLimitExceeded|exhausted your (?:daily )?quota|quota exceeded`)

// IsLimitError reports whether a failed turn's error is a rate or usage
// limit: code rate_limited or overloaded, or a message that names a
// usage limit (Claude reports its plan limit as a plain agent error).
func IsLimitError(e *TurnError) bool {
	if e == nil {
		return false
	}
	return e.Code == CodeRateLimit || e.Code == CodeOverloaded || e.HTTPStatus == 429 || e.HTTPStatus == 529 ||
		usageLimitText.MatchString(e.Message)
}

// LimitOfTurn says whether a failed turn ended on a limit, and which. loc
// is the time zone a wall-clock reset time without its own zone is read
// in ("resets 3pm"); now is the time the turn ended. Pure.
func LimitOfTurn(d TurnCompletedData, now time.Time, loc *time.Location) (Limit, bool) {
	if d.OK || !IsLimitError(d.Error) {
		return Limit{}, false
	}
	e := d.Error
	text := e.Message
	if d.Result != "" && !strings.Contains(text, d.Result) {
		text += "\n" + d.Result
	}
	l := Limit{Kind: LimitRate, HTTPStatus: e.HTTPStatus, Message: e.Message}
	switch {
	case usageLimitText.MatchString(text):
		l.Kind = LimitUsage
	case e.Code == CodeOverloaded || e.HTTPStatus == 529:
		l.Kind = LimitOverloaded
	}
	if l.HTTPStatus == 0 && e.Code == CodeRateLimit {
		l.HTTPStatus = 429
	}
	l.ResetAt, _ = ParseResetText(text, now, loc)
	return l, true
}

// LimitHint reads one event of a running turn for what it says about a
// limit's reset: Gemini's "Retrying after" (the server's RetryInfo; a
// Claude api_retry's delay is its own backoff and says nothing), a Codex error's resets_in_seconds or "try again at",
// a Gemini error body's retryDelay on stderr. ok is false when the event
// says nothing of the kind. Pure.
func LimitHint(ev event.Event, now time.Time, loc *time.Location) (Limit, bool) {
	var text string
	switch ev.Kind {
	case event.AgentRetry, event.ErrorKind, event.Stderr:
		text = string(ev.Data) + "\n" + string(ev.Raw)
	case event.AgentOther, event.RateLimits:
		// Codex account/rateLimits/updated, Claude's rate_limit_event and the like.
		text = string(ev.Raw)
	default:
		return Limit{}, false
	}
	at, ok := ParseResetText(text, now, loc)
	if !ok {
		return Limit{}, false
	}
	l := Limit{Kind: LimitRate, ResetAt: at}
	if usageLimitText.MatchString(text) {
		l.Kind = LimitUsage
	}
	return l, true
}

var (
	// Claude Code: "Claude AI usage limit reached|1767301200".
	resetEpochPipe = regexp.MustCompile(`limit reached\|(\d{9,13})`)
	// Codex: "resets_in_seconds": 1234, "resetsInSeconds": 1234.
	resetInSeconds = regexp.MustCompile(`"?resets_?[iI]n_?[sS]econds"?\s*[:=]\s*(\d+)`)
	// "resets_at": 1767301200 / "resetsAt": 1767301200 (unix seconds).
	resetAtEpoch = regexp.MustCompile(`"?resets_?[aA]t"?\s*[:=]\s*(\d{9,13})\b`)
	// Gemini's RetryInfo: "retryDelay": "31s".
	retryDelay = regexp.MustCompile(`"?retryDelay\\?"?\s*:\s*\\?"(\d+(?:\.\d+)?)s\\?"`)
	// "Please retry in 31.5s", "try again in 2 hours 3 minutes", "retry after 30 seconds".
	retryIn = regexp.MustCompile(`(?i)(?:retry|retrying|try again) (?:in|after) ((?:\d+(?:\.\d+)?\s*(?:ms|milliseconds?|s|sec|seconds?|m|min|minutes?|h|hours?|d|days?)\b[\s,]*(?:and\s+)?)+)`)
	// "resets 3pm", "resets at 3:30 PM (Europe/Paris)", "try again at 12:16 PM".
	resetClock = regexp.MustCompile(`(?i)(?:resets(?: at)?|try again at)\s+(\d{1,2})(?::(\d{2}))?\s*([ap]\.?m\.?)?(?:\s*\(([A-Za-z_]+/[A-Za-z_/]+|UTC)\))?`)
	// Codex 0.171's reset on another day than today: "try again at Dec
	// 7th, 2026 3:15 PM" (chrono's "%b %-d<suffix>, %Y %-I:%M %p", local).
	resetDate = regexp.MustCompile(`(?i)try again at ([A-Z][a-z]{2}) (\d{1,2})(?:st|nd|rd|th)?, (\d{4}) (\d{1,2}):(\d{2}) ?([AP]M)`)
	durPart   = regexp.MustCompile(`(?i)(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|sec|seconds?|m|min|minutes?|h|hours?|d|days?)\b`)
)

// ParseResetText finds a limit's reset time in an agent's text: an epoch
// after "limit reached|", resets_in_seconds / resetsAt fields, a
// retryDelay, "retry in <duration>" ("Retrying after 33012ms"), a date
// and time ("try again at Dec 7th, 2026 3:15 PM", read in loc) or a wall
// clock time ("resets 3pm", "try again at 12:16 PM", read in loc or the
// zone named in parentheses; the next such time after now). The most
// explicit form found wins, in that order. Pure.
func ParseResetText(text string, now time.Time, loc *time.Location) (time.Time, bool) {
	if m := resetEpochPipe.FindStringSubmatch(text); m != nil {
		return epoch(m[1]), true
	}
	if m := resetInSeconds.FindStringSubmatch(text); m != nil {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		return now.Add(time.Duration(n) * time.Second), true
	}
	if m := resetAtEpoch.FindStringSubmatch(text); m != nil {
		return epoch(m[1]), true
	}
	if m := retryDelay.FindStringSubmatch(text); m != nil {
		f, _ := strconv.ParseFloat(m[1], 64)
		return now.Add(time.Duration(f * float64(time.Second))), true
	}
	if m := retryIn.FindStringSubmatch(text); m != nil {
		if d := parseDurationWords(m[1]); d > 0 {
			return now.Add(d), true
		}
	}
	if m := resetDate.FindStringSubmatch(text); m != nil {
		if t, ok := dateClock(m, loc); ok {
			return t, true
		}
	}
	if m := resetClock.FindStringSubmatch(text); m != nil {
		if t, ok := nextClock(m, now, loc); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

func epoch(s string) time.Time {
	n, _ := strconv.ParseInt(s, 10, 64)
	if len(s) >= 13 {
		return time.UnixMilli(n)
	}
	return time.Unix(n, 0)
}

// parseDurationWords adds up "2 hours 3 minutes", "31.5s", "5m".
func parseDurationWords(s string) time.Duration {
	var total time.Duration
	for _, m := range durPart.FindAllStringSubmatch(s, -1) {
		f, _ := strconv.ParseFloat(m[1], 64)
		var unit time.Duration
		switch u := strings.ToLower(m[2]); {
		case u == "ms" || strings.HasPrefix(u, "milli"):
			unit = time.Millisecond
		case u == "s" || strings.HasPrefix(u, "sec"):
			unit = time.Second
		case u == "m" || strings.HasPrefix(u, "min"):
			unit = time.Minute
		case u == "h" || strings.HasPrefix(u, "hour"):
			unit = time.Hour
		default:
			unit = 24 * time.Hour
		}
		total += time.Duration(f * float64(unit))
	}
	return total
}

// nextClock is the first time after now at the wall-clock hour and
// minute of m (resetClock's groups) in the zone m names, or loc.
func nextClock(m []string, now time.Time, loc *time.Location) (time.Time, bool) {
	h, _ := strconv.Atoi(m[1])
	mi := 0
	if m[2] != "" {
		mi, _ = strconv.Atoi(m[2])
	}
	ampm := strings.ToLower(strings.ReplaceAll(m[3], ".", ""))
	switch {
	case ampm == "" && h > 23, ampm != "" && (h < 1 || h > 12), mi > 59:
		return time.Time{}, false
	case ampm == "pm" && h < 12:
		h += 12
	case ampm == "am" && h == 12:
		h = 0
	}
	if loc == nil {
		loc = time.Local
	}
	if m[4] != "" {
		if z, err := time.LoadLocation(m[4]); err == nil {
			loc = z
		}
	}
	n := now.In(loc)
	t := time.Date(n.Year(), n.Month(), n.Day(), h, mi, 0, 0, loc)
	if !t.After(now) {
		t = time.Date(n.Year(), n.Month(), n.Day()+1, h, mi, 0, 0, loc)
	}
	return t, true
}

// dateClock reads resetDate's groups (month, day, year, hour, minute,
// AM/PM) as a time in loc (nil: the local zone).
func dateClock(m []string, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = time.Local
	}
	t, err := time.ParseInLocation("Jan 2 2006 3:04 PM", m[1]+" "+m[2]+" "+m[3]+" "+m[4]+":"+m[5]+" "+strings.ToUpper(m[6]), loc)
	return t, err == nil
}
