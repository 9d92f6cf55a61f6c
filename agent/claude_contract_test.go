package agent_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/agent/agenttest"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
)

func claudeEnv(home, url string) []string { return clitest.ClaudeEnv(home, url) }

// claudeSession starts claude against a mock serving sc, in a fresh HOME
// and working directory.
func claudeSession(t *testing.T, sc mockllm.Scenario, mode string) (*agenttest.Proc, *mockllm.Server, agent.SessionOptions) {
	t.Helper()
	m, opts := cliSetup(t, clitest.Claude, sc, claudeEnv)
	opts.PermissionMode = mode
	return startProc(t, agent.Claude{}, opts, nil), m, opts
}

func TestClaudeContractTextAndMultiTurn(t *testing.T) {
	p, m, _ := claudeSession(t, mockllm.Echo(), "")
	ctx := deadline(t)

	t1 := sendTurn(t, ctx, p, "hello there")
	if got := t1.Text(); got != "reply 1: hello there" {
		t.Fatalf("turn 1 text %q", got)
	}
	inits := t1.Kinds(event.AgentInit)
	if len(inits) == 0 {
		t.Fatal("no agent.init")
	}
	init := agenttest.Data[agent.InitData](inits[0])
	if init.SessionID == "" || init.Version != clitest.Claude.Version {
		t.Fatalf("init %+v", init)
	}
	if p.Conn.SessionID() != init.SessionID {
		t.Fatalf("conn session %q, init %q", p.Conn.SessionID(), init.SessionID)
	}
	if len(t1.Kinds(event.Usage)) != 1 || !t1.Completed.OK {
		t.Fatalf("usage/completed: %+v", t1.Completed)
	}
	if u := agenttest.Data[agent.UsageData](t1.Kinds(event.Usage)[0]); u.InputTokens == 0 || u.OutputTokens == 0 {
		t.Fatalf("usage %+v", u)
	}

	t2 := sendTurn(t, ctx, p, "second message")
	// "reply 2" proves the second request carried the first turn.
	if got := t2.Text(); got != "reply 2: second message" {
		t.Fatalf("turn 2 text %q", got)
	}
	reqs := m.ModelRequests()
	if len(reqs) != 2 || strings.Join(reqs[1].UserTexts(), "|") != "hello there|second message" {
		t.Fatalf("model requests: %d, second carries %q", len(reqs), reqs[len(reqs)-1].UserTexts())
	}
	record(t, clitest.Claude, "multiturn", p.Stdout())
}

func TestClaudeContractThinkingAndWholeBlocks(t *testing.T) {
	p, _, _ := claudeSession(t, mockllm.ScenarioFunc(func(*mockllm.Request) mockllm.Reply {
		return mockllm.Reply{Thinking: "let me think", Text: "done thinking"}
	}), "")
	tr := sendTurn(t, deadline(t), p, "think")
	var deltas, whole string
	for _, ev := range tr.Kinds(event.AssistantThinking) {
		d := agenttest.Data[agent.TextData](ev)
		if d.Delta {
			deltas += d.Text
		} else {
			whole += d.Text
		}
	}
	if deltas != "let me think" || whole != "let me think" {
		t.Fatalf("thinking deltas %q whole %q", deltas, whole)
	}
	record(t, clitest.Claude, "thinking", p.Stdout())
}

func TestClaudeContractPermissionAllowWithEditedInput(t *testing.T) {
	p, m, opts := claudeSession(t, touch("original.txt"), "")
	ctx := deadline(t)
	evs, req := awaitPermission(t, ctx, p, "make a file")
	if req.Tool != "Bash" || !strings.Contains(string(req.Input), "touch original.txt") {
		t.Fatalf("permission request %+v", req)
	}
	if len(agenttest.Turn{Events: evs}.Kinds(event.ToolCall)) == 0 {
		t.Fatal("no tool.call before the permission request")
	}
	edited, _ := json.Marshal(map[string]any{"command": "touch edited.txt"})
	answer(t, p, agent.PermissionAnswer{RequestID: req.RequestID, Allow: true, Input: edited})
	wantNoSuchRequest(t, p, req.RequestID)
	tr, err := p.WaitTurn(ctx, turnIdle)
	if err != nil {
		t.Fatal(err)
	}
	// The edited command ran instead of the original.
	wantFile(t, opts.Cwd, "edited.txt", true)
	wantFile(t, opts.Cwd, "original.txt", false)
	wantToolResult(t, tr, false)
	if !strings.HasPrefix(tr.Text(), "tool result:") {
		t.Fatalf("final text %q", tr.Text())
	}
	if n := len(m.ModelRequests()); n != 2 {
		t.Fatalf("%d model requests", n)
	}
	record(t, clitest.Claude, "permission-allow", p.Stdout())
}

func TestClaudeContractPermissionDeny(t *testing.T) {
	p, m, opts := claudeSession(t, touch("marker.txt"), "")
	_, tr, err := answerPermission(t, p, false, "not in this repo")
	if err != nil {
		t.Fatal(err)
	}
	wantFile(t, opts.Cwd, "marker.txt", false)
	wantToolResult(t, tr, true)
	last, ok := lastToolResult(m)
	if !ok || !last.IsError || !strings.Contains(last.Content, "not in this repo") {
		t.Fatalf("model saw %+v", last)
	}
	if len(tr.Completed.PermissionDenials) == 0 {
		t.Fatal("result has no permission_denials")
	}
	record(t, clitest.Claude, "permission-deny", p.Stdout())
}

func TestClaudeContractInterruptSlowStream(t *testing.T) {
	p, _, _ := claudeSession(t, slowReply(), "")
	checkInterruptSlowStream(t, p, textDelta)
	record(t, clitest.Claude, "interrupt", p.Stdout())
}

func TestClaudeContractResumeAfterExit(t *testing.T) {
	p, m, opts := claudeSession(t, mockllm.Echo(), "")
	id, p2, tr := resumeAfterExit(t, p, agent.Claude{}, opts)
	if tr.Text() != "reply 2: what was the word" || tr.Completed.SessionID != id {
		t.Fatalf("resumed turn %q in session %q (want %q)", tr.Text(), tr.Completed.SessionID, id)
	}
	// Fixtures for the cost decoding: a resumed process starts its running
	// total (total_cost_usd) from zero again.
	record(t, clitest.Claude, "resume-1", p.Stdout())
	record(t, clitest.Claude, "resume-2", p2.Stdout())
	reqs := m.ModelRequests()
	if got := reqs[len(reqs)-1].UserTexts(); len(got) != 2 || got[0] != "remember the word apple" {
		t.Fatalf("resumed request carried %q", got)
	}
}

func TestClaudeContractAPIErrors(t *testing.T) {
	for _, tc := range apiErrorCases {
		t.Run(http(tc.status), func(t *testing.T) {
			p, _, _ := claudeSession(t, mockllm.Error(tc.status, "mock failure"), "")
			send(t, p, "hi")
			tr, err := p.WaitTurn(deadline(t), turnIdle)
			wantAPIError(t, err, tc.code, tc.status)
			if len(tr.Kinds(event.AgentRetry)) == 0 {
				t.Fatal("no agent.retry before the failure")
			}
			record(t, clitest.Claude, "error-"+http(tc.status), p.Stdout())
		})
	}
}

func TestClaudeContractStallEndsByIdleTimeout(t *testing.T) {
	p, _, _ := claudeSession(t, mockllm.Stall(), "")
	checkStall(t, p)
}

func TestClaudeContractPermissionRemember(t *testing.T) {
	p, _, opts := claudeSession(t, touch("remembered.txt"), "")
	checkRememberedPermission(t, p, opts.Cwd, "remembered.txt")
	// Nothing was written into the project's settings.
	if fileExists(filepath.Join(opts.Cwd, ".claude", "settings.local.json")) {
		t.Fatal("remember wrote project settings")
	}
}

func TestClaudeContractInterruptCancelsPendingPermission(t *testing.T) {
	p, _, opts := claudeSession(t, touch("never.txt"), "")
	checkInterruptPendingPermission(t, p, opts.Cwd, "never.txt", nil)
	record(t, clitest.Claude, "interrupt-permission", p.Stdout())
}

// TestClaudeContractModelAndAcceptEdits checks the model and permission
// mode options: the request names the chosen model, and in acceptEdits
// mode the Write tool runs without a permission request.
func TestClaudeContractModelAndAcceptEdits(t *testing.T) {
	bin, home, cwd := cliDirs(t, clitest.Claude)
	target := filepath.Join(cwd, "notes.txt")
	m := mock(t, mockllm.ToolThenText(mockllm.WriteFile(target, "written by the model")))
	opts := agent.SessionOptions{Program: bin, Cwd: cwd, Env: clitest.ClaudeEnv(home, m.URL),
		Model: "claude-sonnet-4-5", PermissionMode: "acceptEdits"}
	p := startProc(t, agent.Claude{}, opts, nil)
	tr := sendTurn(t, deadline(t), p, "write the notes")
	if n := len(tr.Kinds(event.PermissionRequest)); n != 0 {
		t.Fatalf("%d permission requests in acceptEdits mode", n)
	}
	if b, err := os.ReadFile(target); err != nil || string(b) != "written by the model" {
		t.Fatalf("file: %q %v", b, err)
	}
	if init := agenttest.Data[agent.InitData](tr.Kinds(event.AgentInit)[0]); init.PermissionMode != "acceptEdits" {
		t.Fatalf("init %+v", init)
	}
	if got := m.ModelRequests()[0].Model; got != "claude-sonnet-4-5" {
		t.Fatalf("request model %q", got)
	}
}
