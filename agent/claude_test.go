package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/corral-dev/corral/event"
)

const claudeFixtures = "claude-2.1.197"

func newClaude(w *bytes.Buffer) *claudeConn {
	var wr = w
	return Claude{}.NewConn(SessionOptions{}, wr, ConnConfig{Now: fixedNow}).(*claudeConn)
}

func TestClaudeLaunchKeepsPromptOutOfArgv(t *testing.T) {
	spec, err := Claude{}.Launch(SessionOptions{Program: "/opt/claude", Args: []string{"--x"}, Cwd: "/w", Model: "opus",
		PermissionMode: "plan", ResumeID: "abc", Env: []string{"A=1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(spec.Args, " ")
	want := "--x -p --input-format stream-json --output-format stream-json --verbose --include-partial-messages --permission-prompt-tool stdio --model opus --permission-mode plan --resume abc"
	if got != want || spec.Program != "/opt/claude" || spec.Dir != "/w" || !spec.Stdin || spec.Env[0] != "A=1" {
		t.Fatalf("spec %+v", spec)
	}
}

// A fork resumes the conversation as a new one, cut at a message when
// asked; without a conversation there is nothing to fork.
func TestClaudeLaunchFork(t *testing.T) {
	for _, c := range []struct {
		opts SessionOptions
		want string
	}{
		{SessionOptions{ResumeID: "abc", Fork: true, ForkAt: "u-1"}, "--resume abc --fork-session --resume-session-at u-1"},
		{SessionOptions{ResumeID: "abc", Fork: true}, "--resume abc --fork-session"},
		{SessionOptions{Fork: true, ForkAt: "u-1"}, "--permission-prompt-tool stdio"},
	} {
		spec, err := Claude{}.Launch(c.opts, nil)
		if err != nil || !strings.HasSuffix(strings.Join(spec.Args, " "), c.want) {
			t.Errorf("%+v: %v %v", c.opts, spec.Args, err)
		}
	}
	if !(Claude{}).Forks() {
		t.Error("claude forks")
	}
}

func TestClaudeMultiturnFixture(t *testing.T) {
	c := newClaude(&bytes.Buffer{})
	evs := decodeAll(t, c, readLines(t, fixture(claudeFixtures, "multiturn")))
	if got := deltaText(t, evs, event.AssistantText); got != "reply 1: hello therereply 2: second message" {
		t.Fatalf("deltas %q", got)
	}
	tcs := kinds(evs, event.TurnCompleted)
	if len(tcs) != 2 {
		t.Fatalf("%d turns", len(tcs))
	}
	for _, e := range tcs {
		if d := data[TurnCompletedData](t, e); !d.OK || d.Error != nil || d.SessionID == "" {
			t.Fatalf("turn %+v", d)
		}
	}
	inits := kinds(evs, event.AgentInit)
	if len(inits) != 2 || data[InitData](t, inits[0]).Version != "2.1.197" {
		t.Fatalf("inits %v", inits)
	}
	if c.SessionID() != data[InitData](t, inits[0]).SessionID {
		t.Fatal("session id not tracked")
	}
	u := data[UsageData](t, kinds(evs, event.Usage)[0])
	if u.InputTokens == 0 || u.OutputTokens == 0 || u.CostUSD == 0 || u.DurationMs == 0 || len(u.Models) == 0 {
		t.Fatalf("usage %+v", u)
	}
	if len(kinds(evs, event.AgentStatus)) == 0 {
		t.Fatal("system/status not mapped")
	}
}

func TestClaudeThinkingFixture(t *testing.T) {
	evs := decodeAll(t, newClaude(&bytes.Buffer{}), readLines(t, fixture(claudeFixtures, "thinking")))
	if got := deltaText(t, evs, event.AssistantThinking); got != "let me think" {
		t.Fatalf("thinking %q", got)
	}
	var whole []string
	for _, e := range kinds(evs, event.AssistantThinking) {
		if d := data[TextData](t, e); !d.Delta {
			whole = append(whole, d.Text)
		}
	}
	if len(whole) != 1 || whole[0] != "let me think" {
		t.Fatalf("whole thinking %q", whole)
	}
}

func TestClaudeErrorFixtures(t *testing.T) {
	for _, tc := range apiErrorRuns {
		evs := decodeAll(t, newClaude(&bytes.Buffer{}), readLines(t, fixture(claudeFixtures, tc.name)))
		turnErr := wantFailed(t, evs, tc)
		if turnErr.Message == "" {
			t.Fatalf("%s: no message in %+v", tc.name, turnErr)
		}
		var te *TurnError
		if !errors.As(error(turnErr), &te) {
			t.Fatal("TurnError is not an error")
		}
		r := kinds(evs, event.AgentRetry)
		if len(r) == 0 || data[RetryData](t, r[0]).HTTPStatus != tc.status {
			t.Fatalf("%s: retries %v", tc.name, r)
		}
		var apiText bool
		for _, e := range kinds(evs, event.AssistantText) {
			apiText = apiText || data[TextData](t, e).Error != ""
		}
		if !apiText {
			t.Fatalf("%s: the error message is not flagged", tc.name)
		}
	}
}

func TestClaudeInterruptFixtures(t *testing.T) {
	evs := decodeAll(t, newClaude(&bytes.Buffer{}), readLines(t, fixture(claudeFixtures, "interrupt")))
	if d := lastCompleted(t, evs); d.Error == nil || d.Error.Code != CodeInterrupted {
		t.Fatalf("interrupt: %+v", d)
	}

	// A pending permission request is withdrawn by the CLI on interrupt.
	c := newClaude(&bytes.Buffer{})
	evs = decodeAll(t, c, readLines(t, fixture(claudeFixtures, "interrupt-permission")))
	req := data[PermissionRequestData](t, kinds(evs, event.PermissionRequest)[0])
	res := kinds(evs, event.PermissionResolved)
	if len(res) != 1 || data[PermissionResolvedData](t, res[0]).RequestID != req.RequestID {
		t.Fatalf("resolved %v", res)
	}
	if err := c.RespondPermission(PermissionAnswer{RequestID: req.RequestID, Allow: true}); !errors.Is(err, ErrNoSuchRequest) {
		t.Fatalf("answer after cancel: %v", err)
	}
	if d := lastCompleted(t, evs); d.Error == nil || d.Error.Code != CodeInterrupted || len(d.PermissionDenials) == 0 {
		t.Fatalf("completed %+v", d)
	}
}

func TestClaudePermissionFixtureAndAnswers(t *testing.T) {
	var w bytes.Buffer
	c := newClaude(&w)
	evs := decodeAll(t, c, readLines(t, fixture(claudeFixtures, "permission-deny")))
	reqs := kinds(evs, event.PermissionRequest)
	if len(reqs) != 1 {
		t.Fatalf("%d permission requests", len(reqs))
	}
	req := data[PermissionRequestData](t, reqs[0])
	if req.Tool != "Bash" || !strings.Contains(string(req.Input), "touch marker.txt") || len(req.Suggestions) == 0 || req.ToolUseID == "" {
		t.Fatalf("request %+v", req)
	}
	calls := kinds(evs, event.ToolCall)
	if len(calls) != 1 || data[ToolCallData](t, calls[0]).Name != "Bash" {
		t.Fatalf("tool calls %v", calls)
	}
	results := kinds(evs, event.ToolResult)
	if len(results) != 1 || !data[ToolResultData](t, results[0]).IsError {
		t.Fatalf("tool results %v", results)
	}
	if d := lastCompleted(t, evs); !d.OK || len(d.PermissionDenials) == 0 {
		t.Fatalf("completed %+v", d)
	}

	// The request is still pending in this Conn (the fixture's answer
	// went through the real stdin): answer it three ways.
	answer := func(a PermissionAnswer) map[string]any {
		t.Helper()
		c.mu.Lock()
		c.pending[req.RequestID] = claudePending{input: req.Input, suggestions: req.Suggestions}
		c.mu.Unlock()
		w.Reset()
		if err := c.RespondPermission(a); err != nil {
			t.Fatal(err)
		}
		var m struct {
			Type     string
			Response struct {
				Subtype   string
				RequestID string `json:"request_id"`
				Response  map[string]any
			}
		}
		if err := json.Unmarshal(w.Bytes(), &m); err != nil || m.Type != "control_response" || m.Response.RequestID != req.RequestID || m.Response.Subtype != "success" {
			t.Fatalf("answer line %s: %v", w.Bytes(), err)
		}
		return m.Response.Response
	}
	r := answer(PermissionAnswer{RequestID: req.RequestID, Allow: true})
	if r["behavior"] != "allow" || r["updatedInput"].(map[string]any)["command"] != "touch marker.txt" || r["updatedPermissions"] != nil {
		t.Fatalf("allow %v", r)
	}
	r = answer(PermissionAnswer{RequestID: req.RequestID, Allow: true, Remember: true, Input: []byte(`{"command":"ls"}`)})
	perms, _ := r["updatedPermissions"].([]any)
	if r["updatedInput"].(map[string]any)["command"] != "ls" || len(perms) != 1 ||
		perms[0].(map[string]any)["type"] != "addRules" || perms[0].(map[string]any)["destination"] != "session" {
		t.Fatalf("remember %v", r)
	}
	r = answer(PermissionAnswer{RequestID: req.RequestID, Message: "no"})
	if r["behavior"] != "deny" || r["message"] != "no" {
		t.Fatalf("deny %v", r)
	}
	if err := c.RespondPermission(PermissionAnswer{RequestID: req.RequestID}); !errors.Is(err, ErrNoSuchRequest) {
		t.Fatalf("answered twice: %v", err)
	}
}

func TestClaudeCommandsAreSingleJSONLines(t *testing.T) {
	var w bytes.Buffer
	c := newClaude(&w)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if err := c.SendUserTurn("line one\nline two"); err != nil {
		t.Fatal(err)
	}
	if err := c.Interrupt(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(w.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines: %q", len(lines), w.String())
	}
	var init, user, intr map[string]any
	for i, p := range []*map[string]any{&init, &user, &intr} {
		if err := json.Unmarshal([]byte(lines[i]), p); err != nil {
			t.Fatal(err)
		}
	}
	if init["request"].(map[string]any)["subtype"] != "initialize" || intr["request"].(map[string]any)["subtype"] != "interrupt" ||
		init["request_id"] == intr["request_id"] {
		t.Fatalf("control requests %v %v", init, intr)
	}
	if user["type"] != "user" || user["message"].(map[string]any)["content"] != "line one\nline two" {
		t.Fatalf("user line %v", user)
	}
}

func TestClaudeSchemaDriftAndUnsupportedRequests(t *testing.T) {
	var w bytes.Buffer
	c := newClaude(&w)
	nonJSONCases(t, c)
	for _, line := range []string{
		`{"type":"brand_new_type","x":1}`,
		`{"type":"system","subtype":"compact_boundary","session_id":"s"}`,
		`{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta"}}}`,
		`{"type":"keep_alive"}`,
		`{"type":"user","message":{"role":"user","content":[{"type":"text","text":"[Request interrupted by user]"}]}}`,
	} {
		evs := decodeAll(t, c, [][]byte{[]byte(line)})
		if len(evs) != 1 || evs[0].Kind != event.AgentOther {
			t.Fatalf("%s: %v", line, evs)
		}
	}
	// A control request corral does not serve is refused at once, so the
	// CLI does not wait forever.
	w.Reset()
	evs := decodeAll(t, c, [][]byte{[]byte(`{"type":"control_request","request_id":"r9","request":{"subtype":"elicitation"}}`)})
	if evs[0].Kind != event.AgentOther || !strings.Contains(w.String(), `"subtype":"error"`) || !strings.Contains(w.String(), `"request_id":"r9"`) {
		t.Fatalf("unsupported request: %v, wrote %s", evs, w.String())
	}
	// A control request the CLI rejected is an error event.
	evs = decodeAll(t, c, [][]byte{[]byte(`{"type":"control_response","response":{"subtype":"error","request_id":"x","error":"Unsupported"}}`)})
	if evs[0].Kind != event.ErrorKind || data[ErrorData](t, evs[0]).Message != "Unsupported" {
		t.Fatalf("control error %v", evs)
	}
}

func TestClaudeResultOutcomes(t *testing.T) {
	for _, tc := range []struct {
		line string
		ok   bool
		code string
	}{
		{`{"type":"result","subtype":"success","is_error":false,"result":"hi","session_id":"s"}`, true, ""},
		{`{"type":"result","subtype":"success","is_error":true,"api_error_status":529,"result":"overloaded"}`, false, CodeOverloaded},
		{`{"type":"result","subtype":"success","is_error":true,"api_error_status":403,"result":"no"}`, false, CodeAuth},
		{`{"type":"result","subtype":"error_max_turns","is_error":true}`, false, CodeMaxTurns},
		{`{"type":"result","subtype":"error_during_execution","is_error":true,"terminal_reason":"aborted_tools"}`, false, CodeInterrupted},
		{`{"type":"result","subtype":"error_during_execution","is_error":true,"errors":["boom"]}`, false, CodeAgent},
	} {
		evs := decodeAll(t, newClaude(&bytes.Buffer{}), [][]byte{[]byte(tc.line)})
		if len(evs) != 2 || evs[0].Kind != event.Usage || evs[1].Kind != event.TurnCompleted {
			t.Fatalf("%s: %v", tc.line, evs)
		}
		d := data[TurnCompletedData](t, evs[1])
		if d.OK != tc.ok || (d.Error == nil) != tc.ok || (d.Error != nil && d.Error.Code != tc.code) {
			t.Fatalf("%s: %+v", tc.line, d)
		}
	}
}
