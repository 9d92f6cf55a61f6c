package agent

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/event"
)

const geminiFixtures = "gemini-0.61.0"

type closeRecorder struct {
	bytes.Buffer
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestGeminiLaunchAndStart(t *testing.T) {
	if _, err := (Gemini{}).Launch(SessionOptions{}, nil); !errors.Is(err, ErrPerTurn) {
		t.Fatalf("launch without a turn: %v", err)
	}
	spec, err := Gemini{}.Launch(SessionOptions{Model: "m", PermissionMode: "yolo", ResumeID: "s1"}, &Turn{Text: "secret prompt"})
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Join(spec.Args, " ")
	if strings.Contains(args, "secret") || args != "-p  --output-format stream-json --skip-trust --model m --approval-mode yolo --resume s1" || !spec.Stdin {
		t.Fatalf("args %q", args)
	}
	spec, _ = Gemini{SettingsFile: "/etc/corral/gemini.json"}.Launch(SessionOptions{Env: []string{"A=1"}}, &Turn{})
	if len(spec.Env) != 2 || spec.Env[1] != "GEMINI_CLI_SYSTEM_SETTINGS_PATH=/etc/corral/gemini.json" {
		t.Fatalf("env %q", spec.Env)
	}
	var w closeRecorder
	c := Gemini{}.NewConn(SessionOptions{ResumeID: "s1"}, &w, ConnConfig{Turn: &Turn{Text: "secret prompt"}})
	if err := c.Start(); err != nil || w.String() != "secret prompt" || !w.closed {
		t.Fatalf("start wrote %q closed %v: %v", w.String(), w.closed, err)
	}
	if c.SessionID() != "s1" || !errors.Is(c.SendUserTurn("x"), ErrPerTurn) || !errors.Is(c.Interrupt(), ErrSignalRequired) ||
		!errors.Is(c.RespondPermission(PermissionAnswer{}), ErrUnsupported) {
		t.Fatal("per-turn conn contract")
	}
}

func newGemini() Conn { return Gemini{}.NewConn(SessionOptions{}, nil, ConnConfig{Now: fixedNow}) }

func TestGeminiFixtures(t *testing.T) {
	c := newGemini()
	evs := decodeAll(t, c, readLines(t, fixture(geminiFixtures, "turn1")))
	if got := deltaText(t, evs, event.AssistantText); got != "reply 1: hello gemini" {
		t.Fatalf("text %q", got)
	}
	d := lastCompleted(t, evs)
	if !d.OK || d.SessionID == "" || c.SessionID() != d.SessionID {
		t.Fatalf("completed %+v", d)
	}
	if u := data[UsageData](t, kinds(evs, event.Usage)[0]); u.InputTokens == 0 || u.OutputTokens == 0 {
		t.Fatalf("usage %+v", u)
	}

	evs = decodeAll(t, newGemini(), readLines(t, fixture(geminiFixtures, "tool-yolo")))
	call := data[ToolCallData](t, kinds(evs, event.ToolCall)[0])
	res := data[ToolResultData](t, kinds(evs, event.ToolResult)[0])
	if call.Name != "run_shell_command" || res.ID != call.ID || res.IsError {
		t.Fatalf("call %+v result %+v", call, res)
	}
	evs = decodeAll(t, newGemini(), readLines(t, fixture(geminiFixtures, "tool-default")))
	if res := data[ToolResultData](t, kinds(evs, event.ToolResult)[0]); !res.IsError || res.Output == "" {
		t.Fatalf("refused tool %+v", res)
	}

	for _, tc := range []struct {
		name   string
		code   string
		status int
	}{
		{"error-http401", CodeAuth, 401},
		{"error-http500", CodeAPI, 500},
		// A retryable 429 after the last attempt, and a used-up daily
		// quota: the message names no status, only the CLI's
		// rate-limit advice does.
		{"error-http429", CodeRateLimit, 429},
		{"error-http429-daily-quota", CodeRateLimit, 429},
	} {
		evs = decodeAll(t, newGemini(), readLines(t, fixture(geminiFixtures, tc.name)))
		if d := lastCompleted(t, evs); d.OK || d.Error == nil || d.Error.Code != tc.code || d.Error.HTTPStatus != tc.status {
			t.Fatalf("%s: %+v", tc.name, d.Error)
		}
	}
}

// decodeStderr decodes stderr lines; each must give a stderr event first.
func decodeStderr(t *testing.T, c Conn, lines []string) []event.Event {
	t.Helper()
	var all []event.Event
	for _, l := range lines {
		var evs []event.Event
		c.Decode(Stderr, []byte(l), func(e event.Event) { evs = append(evs, e) })
		if len(evs) == 0 || evs[0].Kind != event.Stderr {
			t.Fatalf("stderr line %q gave %v", l, evs)
		}
		all = append(all, evs...)
	}
	return all
}

func lines(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	for _, l := range readLines(t, path) {
		out = append(out, string(l))
	}
	return out
}

// TestGeminiRetriesFromStderr: the CLI reports the model calls it retries
// only on stderr; each becomes agent.retry with the attempt and, when the
// line names it, the HTTP status. The final "Max attempts reached" is no
// retry.
func TestGeminiRetriesFromStderr(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
	}{{"error-http500.stderr", 500}, {"error-http429.stderr", 429}} {
		evs := kinds(decodeStderr(t, newGemini(), lines(t, filepath.Join("testdata", geminiFixtures, tc.name))), event.AgentRetry)
		if len(evs) != 1 {
			t.Fatalf("%s: %d retries", tc.name, len(evs))
		}
		if d := data[RetryData](t, evs[0]); d.Attempt != 1 || d.HTTPStatus != tc.status || !strings.Contains(d.Error, "Retrying with backoff") {
			t.Fatalf("%s: %+v", tc.name, d)
		}
	}

	// The other wordings of the retry logger (utils/retry.js), one of
	// them a quota message over several lines with its delay on the last.
	evs := kinds(decodeStderr(t, newGemini(), []string{
		"Attempt 2 failed with 429 error (no Retry-After header). Retrying with backoff... Error: got 429",
		"Attempt 3 failed with 5xx error. Retrying with backoff... Error: 503",
		"Attempt 4 failed. Retrying with backoff... TypeError: fetch failed",
		"Attempt 5 failed: You exceeded your current quota.",
		"* Quota exceeded for metric: generate_content_free_tier_requests, limit: 5",
		"Suggested retry after 31s.. Retrying after 33012ms...",
		"Attempt 6 failed: quota. Retrying after 60000ms...",
		"Attempt 7 failed: quota. Max attempts reached",
		"Retrying after 1ms...", // no attempt pending: not a retry
		"    at retryWithBackoff (chunk.js:1:1)",
	}), event.AgentRetry)
	want := []RetryData{
		{Attempt: 2, HTTPStatus: 429},
		{Attempt: 3},
		{Attempt: 4},
		{Attempt: 5, DelayMs: 33012, Error: "Attempt 5 failed: You exceeded your current quota."},
		{Attempt: 6, DelayMs: 60000, Error: "Attempt 6 failed: quota"},
	}
	if len(evs) != len(want) {
		t.Fatalf("%d retries, want %d", len(evs), len(want))
	}
	for i, w := range want {
		d := data[RetryData](t, evs[i])
		if d.Attempt != w.Attempt || d.HTTPStatus != w.HTTPStatus || d.DelayMs != w.DelayMs || (w.Error != "" && d.Error != w.Error) || d.Error == "" {
			t.Errorf("retry %d: %+v, want %+v", i, d, w)
		}
	}
}

func TestGeminiDrift(t *testing.T) {
	c := newGemini()
	nonJSONCases(t, c)
	for _, line := range []string{`{"type":"thought","content":"x"}`, `{"type":"message","role":"user","content":"hi"}`} {
		if evs := decodeAll(t, c, [][]byte{[]byte(line)}); evs[0].Kind != event.AgentOther {
			t.Fatalf("%s: %v", line, evs)
		}
	}
	evs := decodeAll(t, c, [][]byte{[]byte(`{"type":"result","status":"error","error":{"type":"x","message":"Attempt 3 failed with status 429"}}`)})
	if d := lastCompleted(t, evs); d.Error == nil || d.Error.Code != CodeRateLimit {
		t.Fatalf("429 %+v", d.Error)
	}
	// The status by its google.rpc name, when the CLI prints that.
	evs = decodeAll(t, c, [][]byte{[]byte(`{"type":"result","status":"error","error":{"type":"x","message":"[API Error: overloaded (Status: UNAVAILABLE)]"}}`)})
	if d := lastCompleted(t, evs); d.Error == nil || d.Error.Code != CodeAPI || d.Error.HTTPStatus != 503 {
		t.Fatalf("503 %+v", d.Error)
	}
	evs = decodeAll(t, c, [][]byte{[]byte(`{"type":"error","severity":"warning","message":"loop detected"}`)})
	if evs[0].Kind != event.ErrorKind {
		t.Fatalf("error line %v", evs)
	}
}
