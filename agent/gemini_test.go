package agent

import (
	"bytes"
	"errors"
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

	evs = decodeAll(t, newGemini(), readLines(t, fixture(geminiFixtures, "error-http401")))
	if d := lastCompleted(t, evs); d.OK || d.Error == nil || d.Error.Code != CodeAuth || d.Error.HTTPStatus != 401 {
		t.Fatalf("401: %+v", d.Error)
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
	evs = decodeAll(t, c, [][]byte{[]byte(`{"type":"error","severity":"warning","message":"loop detected"}`)})
	if evs[0].Kind != event.ErrorKind {
		t.Fatalf("error line %v", evs)
	}
}
