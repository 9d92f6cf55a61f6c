package agent_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/agent/agenttest"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
)

// claudeSession starts claude against a mock serving sc, in a fresh HOME
// and working directory.
func claudeSession(t *testing.T, sc mockllm.Scenario, mode string) (*agenttest.Proc, *mockllm.Server, agent.SessionOptions) {
	t.Helper()
	bin := clitest.Require(t, clitest.Claude)
	m := mock(t, sc)
	home := clitest.Home(t)
	cwd := filepath.Join(home, "work")
	mkdir(t, cwd)
	opts := agent.SessionOptions{Program: bin, Cwd: cwd, Env: clitest.ClaudeEnv(home, m.URL), PermissionMode: mode}
	return startProc(t, agent.Claude{}, opts, nil), m, opts
}

func TestClaudeContractTextAndMultiTurn(t *testing.T) {
	p, m, _ := claudeSession(t, mockllm.Echo(), "")
	ctx := deadline(t)

	if err := p.Conn.SendUserTurn("hello there"); err != nil {
		t.Fatal(err)
	}
	t1, err := p.WaitTurn(ctx, turnIdle)
	if err != nil {
		t.Fatal(err)
	}
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

	if err := p.Conn.SendUserTurn("second message"); err != nil {
		t.Fatal(err)
	}
	t2, err := p.WaitTurn(ctx, turnIdle)
	if err != nil {
		t.Fatal(err)
	}
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
	ctx := deadline(t)
	if err := p.Conn.SendUserTurn("think"); err != nil {
		t.Fatal(err)
	}
	tr, err := p.WaitTurn(ctx, turnIdle)
	if err != nil {
		t.Fatal(err)
	}
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
	p, m, opts := claudeSession(t, mockllm.ToolThenText(mockllm.Shell("touch original.txt")), "")
	ctx := deadline(t)
	if err := p.Conn.SendUserTurn("make a file"); err != nil {
		t.Fatal(err)
	}
	evs, err := p.Until(ctx, turnIdle, func(ev event.Event) bool { return ev.Kind == event.PermissionRequest })
	if err != nil {
		t.Fatal(err)
	}
	req := agenttest.Data[agent.PermissionRequestData](evs[len(evs)-1])
	if req.Tool != "Bash" || !strings.Contains(string(req.Input), "touch original.txt") {
		t.Fatalf("permission request %+v", req)
	}
	if len(findKind(evs, event.ToolCall)) == 0 {
		t.Fatal("no tool.call before the permission request")
	}
	edited, _ := json.Marshal(map[string]any{"command": "touch edited.txt"})
	if err := p.Conn.RespondPermission(agent.PermissionAnswer{RequestID: req.RequestID, Allow: true, Input: edited}); err != nil {
		t.Fatal(err)
	}
	if err := p.Conn.RespondPermission(agent.PermissionAnswer{RequestID: req.RequestID, Allow: true}); !errors.Is(err, agent.ErrNoSuchRequest) {
		t.Fatalf("second answer: %v", err)
	}
	tr, err := p.WaitTurn(ctx, turnIdle)
	if err != nil {
		t.Fatal(err)
	}
	if !fileExists(filepath.Join(opts.Cwd, "edited.txt")) || fileExists(filepath.Join(opts.Cwd, "original.txt")) {
		t.Fatal("the edited command did not run instead of the original")
	}
	res := tr.Kinds(event.ToolResult)
	if len(res) != 1 || agenttest.Data[agent.ToolResultData](res[0]).IsError {
		t.Fatalf("tool results %v", res)
	}
	if !strings.HasPrefix(tr.Text(), "tool result:") {
		t.Fatalf("final text %q", tr.Text())
	}
	if n := len(m.ModelRequests()); n != 2 {
		t.Fatalf("%d model requests", n)
	}
	record(t, clitest.Claude, "permission-allow", p.Stdout())
}

func TestClaudeContractPermissionDeny(t *testing.T) {
	p, m, opts := claudeSession(t, mockllm.ToolThenText(mockllm.Shell("touch marker.txt")), "")
	ctx := deadline(t)
	if err := p.Conn.SendUserTurn("make a file"); err != nil {
		t.Fatal(err)
	}
	evs, err := p.Until(ctx, turnIdle, func(ev event.Event) bool { return ev.Kind == event.PermissionRequest })
	if err != nil {
		t.Fatal(err)
	}
	req := agenttest.Data[agent.PermissionRequestData](evs[len(evs)-1])
	if err := p.Conn.RespondPermission(agent.PermissionAnswer{RequestID: req.RequestID, Message: "not in this repo"}); err != nil {
		t.Fatal(err)
	}
	tr, err := p.WaitTurn(ctx, turnIdle)
	if err != nil {
		t.Fatal(err)
	}
	if fileExists(filepath.Join(opts.Cwd, "marker.txt")) {
		t.Fatal("denied command ran")
	}
	res := tr.Kinds(event.ToolResult)
	if len(res) != 1 || !agenttest.Data[agent.ToolResultData](res[0]).IsError {
		t.Fatalf("tool results %v", res)
	}
	reqs := m.ModelRequests()
	last, ok := reqs[len(reqs)-1].LastToolResult()
	if !ok || !last.IsError || !strings.Contains(last.Content, "not in this repo") {
		t.Fatalf("model saw %+v", last)
	}
	if len(tr.Completed.PermissionDenials) == 0 {
		t.Fatal("result has no permission_denials")
	}
	record(t, clitest.Claude, "permission-deny", p.Stdout())
}

func TestClaudeContractInterruptSlowStream(t *testing.T) {
	p, _, _ := claudeSession(t, mockllm.Slow("one two three four five six seven eight nine ten eleven twelve", 400*time.Millisecond), "")
	ctx := deadline(t)
	if err := p.Conn.SendUserTurn("talk slowly"); err != nil {
		t.Fatal(err)
	}
	_, err := p.Until(ctx, turnIdle, func(ev event.Event) bool {
		return ev.Kind == event.AssistantText && agenttest.Data[agent.TextData](ev).Delta
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Conn.Interrupt(); err != nil {
		t.Fatal(err)
	}
	tr, err := p.WaitTurn(ctx, turnIdle)
	var te *agent.TurnError
	if !errors.As(err, &te) || te.Code != agent.CodeInterrupted {
		t.Fatalf("interrupted turn: %v", err)
	}
	if strings.Contains(tr.Text(), "twelve") {
		t.Fatal("the whole reply streamed despite the interrupt")
	}
	record(t, clitest.Claude, "interrupt", p.Stdout())
}

func TestClaudeContractResumeAfterExit(t *testing.T) {
	p, m, opts := claudeSession(t, mockllm.Echo(), "")
	ctx := deadline(t)
	if err := p.Conn.SendUserTurn("remember the word apple"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitTurn(ctx, turnIdle); err != nil {
		t.Fatal(err)
	}
	id := p.Conn.SessionID()
	p.CloseStdin()
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("claude exit after stdin closed: %v", err)
	}

	opts.ResumeID = id
	p2 := startProc(t, agent.Claude{}, opts, nil)
	if err := p2.Conn.SendUserTurn("what was the word"); err != nil {
		t.Fatal(err)
	}
	tr, err := p2.WaitTurn(ctx, turnIdle)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Text() != "reply 2: what was the word" || tr.Completed.SessionID != id {
		t.Fatalf("resumed turn %q in session %q (want %q)", tr.Text(), tr.Completed.SessionID, id)
	}
	reqs := m.ModelRequests()
	if got := reqs[len(reqs)-1].UserTexts(); len(got) != 2 || got[0] != "remember the word apple" {
		t.Fatalf("resumed request carried %q", got)
	}
}

func TestClaudeContractAPIErrors(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   string
	}{{500, agent.CodeAPI}, {429, agent.CodeRateLimit}, {401, agent.CodeAuth}} {
		t.Run(http(tc.status), func(t *testing.T) {
			p, _, _ := claudeSession(t, mockllm.Error(tc.status, "mock failure"), "")
			ctx := deadline(t)
			if err := p.Conn.SendUserTurn("hi"); err != nil {
				t.Fatal(err)
			}
			tr, err := p.WaitTurn(ctx, turnIdle)
			var te *agent.TurnError
			if !errors.As(err, &te) || te.Code != tc.code || te.HTTPStatus != tc.status {
				t.Fatalf("want %s/%d, got %v", tc.code, tc.status, err)
			}
			if len(tr.Kinds(event.AgentRetry)) == 0 {
				t.Fatal("no agent.retry before the failure")
			}
			record(t, clitest.Claude, "error-"+http(tc.status), p.Stdout())
		})
	}
}

func TestClaudeContractStallEndsByIdleTimeout(t *testing.T) {
	p, _, _ := claudeSession(t, mockllm.Stall(), "")
	ctx := deadline(t)
	if err := p.Conn.SendUserTurn("hi"); err != nil {
		t.Fatal(err)
	}
	_, err := p.WaitTurn(ctx, 5*time.Second)
	var idle *agenttest.IdleTimeoutError
	if !errors.As(err, &idle) {
		t.Fatalf("want idle timeout, got %v", err)
	}
}

func http(status int) string { return "http" + itoa(status) }

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func findKind(evs []event.Event, kind string) []event.Event {
	var out []event.Event
	for _, ev := range evs {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := osMkdirAll(dir); err != nil {
		t.Fatal(err)
	}
}

func TestClaudeContractPermissionRemember(t *testing.T) {
	p, _, opts := claudeSession(t, mockllm.ToolThenText(mockllm.Shell("touch remembered.txt")), "")
	ctx := deadline(t)
	if err := p.Conn.SendUserTurn("make a file"); err != nil {
		t.Fatal(err)
	}
	evs, err := p.Until(ctx, turnIdle, func(ev event.Event) bool { return ev.Kind == event.PermissionRequest })
	if err != nil {
		t.Fatal(err)
	}
	req := agenttest.Data[agent.PermissionRequestData](evs[len(evs)-1])
	if err := p.Conn.RespondPermission(agent.PermissionAnswer{RequestID: req.RequestID, Allow: true, Remember: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitTurn(ctx, turnIdle); err != nil {
		t.Fatal(err)
	}
	if !fileExists(filepath.Join(opts.Cwd, "remembered.txt")) {
		t.Fatal("allowed command did not run")
	}
	// The same command again: the session rule answers, no new request.
	if err := p.Conn.SendUserTurn("again"); err != nil {
		t.Fatal(err)
	}
	tr, err := p.WaitTurn(ctx, turnIdle)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tr.Kinds(event.PermissionRequest)); n != 0 {
		t.Fatalf("%d permission requests after remember", n)
	}
	if len(tr.Kinds(event.ToolResult)) != 1 {
		t.Fatal("the tool did not run in the second turn")
	}
	// Nothing was written into the project's settings.
	if fileExists(filepath.Join(opts.Cwd, ".claude", "settings.local.json")) {
		t.Fatal("remember wrote project settings")
	}
}

func TestClaudeContractInterruptCancelsPendingPermission(t *testing.T) {
	p, _, opts := claudeSession(t, mockllm.ToolThenText(mockllm.Shell("touch never.txt")), "")
	ctx := deadline(t)
	if err := p.Conn.SendUserTurn("make a file"); err != nil {
		t.Fatal(err)
	}
	evs, err := p.Until(ctx, turnIdle, func(ev event.Event) bool { return ev.Kind == event.PermissionRequest })
	if err != nil {
		t.Fatal(err)
	}
	req := agenttest.Data[agent.PermissionRequestData](evs[len(evs)-1])
	if err := p.Conn.Interrupt(); err != nil {
		t.Fatal(err)
	}
	tr, err := p.WaitTurn(ctx, turnIdle)
	var te *agent.TurnError
	if !errors.As(err, &te) || te.Code != agent.CodeInterrupted {
		t.Fatalf("want interrupted, got %v", err)
	}
	res := tr.Kinds(event.PermissionResolved)
	if len(res) != 1 || agenttest.Data[agent.PermissionResolvedData](res[0]).RequestID != req.RequestID {
		t.Fatalf("permission.resolved %v", res)
	}
	if err := p.Conn.RespondPermission(agent.PermissionAnswer{RequestID: req.RequestID, Allow: true}); !errors.Is(err, agent.ErrNoSuchRequest) {
		t.Fatalf("late answer: %v", err)
	}
	if fileExists(filepath.Join(opts.Cwd, "never.txt")) {
		t.Fatal("command ran after the interrupt")
	}
	record(t, clitest.Claude, "interrupt-permission", p.Stdout())
}

// TestClaudeContractModelAndAcceptEdits checks the model and permission
// mode options: the request names the chosen model, and in acceptEdits
// mode the Write tool runs without a permission request.
func TestClaudeContractModelAndAcceptEdits(t *testing.T) {
	bin := clitest.Require(t, clitest.Claude)
	home := clitest.Home(t)
	cwd := filepath.Join(home, "work")
	mkdir(t, cwd)
	target := filepath.Join(cwd, "notes.txt")
	m := mock(t, mockllm.ToolThenText(mockllm.WriteFile(target, "written by the model")))
	opts := agent.SessionOptions{Program: bin, Cwd: cwd, Env: clitest.ClaudeEnv(home, m.URL),
		Model: "claude-sonnet-4-5", PermissionMode: "acceptEdits"}
	p := startProc(t, agent.Claude{}, opts, nil)
	if err := p.Conn.SendUserTurn("write the notes"); err != nil {
		t.Fatal(err)
	}
	tr, err := p.WaitTurn(deadline(t), turnIdle)
	if err != nil {
		t.Fatal(err)
	}
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
