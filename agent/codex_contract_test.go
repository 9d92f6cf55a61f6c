package agent_test

import (
	"errors"
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

func codexSession(t *testing.T, sc mockllm.Scenario) (*agenttest.Proc, *mockllm.Server, agent.SessionOptions) {
	t.Helper()
	bin := clitest.Require(t, clitest.Codex)
	m := mock(t, sc)
	home := clitest.Home(t)
	cwd := filepath.Join(home, "work")
	mkdir(t, cwd)
	opts := agent.SessionOptions{
		Program: bin, Cwd: cwd, Env: clitest.CodexEnv(t, home, m.URL, ""),
		PermissionMode: "untrusted", Sandbox: "workspace-write",
	}
	return startProc(t, agent.Codex{}, opts, nil), m, opts
}

func TestCodexContractTextAndMultiTurn(t *testing.T) {
	p, m, _ := codexSession(t, mockllm.Echo())
	ctx := deadline(t)
	// Sent before thread/start answers: the Conn queues it.
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
	init := agenttest.Data[agent.InitData](t1.Kinds(event.AgentInit)[0])
	if init.SessionID == "" || init.Version != clitest.Codex.Version || p.Conn.SessionID() != init.SessionID {
		t.Fatalf("init %+v", init)
	}
	if u := t1.Kinds(event.Usage); len(u) == 0 || agenttest.Data[agent.UsageData](u[0]).InputTokens == 0 {
		t.Fatalf("usage %v", u)
	}
	if err := p.Conn.SendUserTurn("second message"); err != nil {
		t.Fatal(err)
	}
	t2, err := p.WaitTurn(ctx, turnIdle)
	if err != nil {
		t.Fatal(err)
	}
	if got := t2.Text(); got != "reply 2: second message" {
		t.Fatalf("turn 2 text %q", got)
	}
	if n := len(m.ModelRequests()); n != 2 {
		t.Fatalf("%d model requests", n)
	}
	record(t, clitest.Codex, "multiturn", p.Stdout())
}

func codexApproval(t *testing.T, allow bool) {
	p, m, opts := codexSession(t, mockllm.ToolThenText(mockllm.Shell("touch marker.txt")))
	ctx := deadline(t)
	if err := p.Conn.SendUserTurn("make a file"); err != nil {
		t.Fatal(err)
	}
	evs, err := p.Until(ctx, turnIdle, func(ev event.Event) bool { return ev.Kind == event.PermissionRequest })
	if err != nil {
		t.Fatal(err)
	}
	req := agenttest.Data[agent.PermissionRequestData](evs[len(evs)-1])
	if req.Tool != "commandExecution" || !strings.Contains(string(req.Input), "touch marker.txt") {
		t.Fatalf("request %+v", req)
	}
	if err := p.Conn.RespondPermission(agent.PermissionAnswer{RequestID: req.RequestID, Allow: allow, Message: "no"}); err != nil {
		t.Fatal(err)
	}
	tr, err := p.WaitTurn(ctx, turnIdle)
	if err != nil {
		t.Fatal(err)
	}
	if got := fileExists(filepath.Join(opts.Cwd, "marker.txt")); got != allow {
		t.Fatalf("file exists %v, allowed %v", got, allow)
	}
	res := tr.Kinds(event.ToolResult)
	if len(res) != 1 || agenttest.Data[agent.ToolResultData](res[0]).IsError == allow {
		t.Fatalf("tool results %v", res)
	}
	reqs := m.ModelRequests()
	last, ok := reqs[len(reqs)-1].LastToolResult()
	if !ok || last.IsError == allow {
		t.Fatalf("model saw %+v", last)
	}
	name := "approval-allow"
	if !allow {
		name = "approval-deny"
	}
	record(t, clitest.Codex, name, p.Stdout())
}

func TestCodexContractApprovalAllow(t *testing.T) { codexApproval(t, true) }
func TestCodexContractApprovalDeny(t *testing.T)  { codexApproval(t, false) }

func TestCodexContractInterruptSlowStream(t *testing.T) {
	p, _, _ := codexSession(t, mockllm.Slow("one two three four five six seven eight nine ten eleven twelve", 400*time.Millisecond))
	ctx := deadline(t)
	if err := p.Conn.SendUserTurn("talk slowly"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Until(ctx, turnIdle, func(ev event.Event) bool {
		return ev.Kind == event.AssistantText && agenttest.Data[agent.TextData](ev).Delta
	}); err != nil {
		t.Fatal(err)
	}
	if err := p.Conn.Interrupt(); err != nil {
		t.Fatal(err)
	}
	tr, err := p.WaitTurn(ctx, turnIdle)
	var te *agent.TurnError
	if !errors.As(err, &te) || te.Code != agent.CodeInterrupted {
		t.Fatalf("want interrupted, got %v", err)
	}
	if strings.Contains(tr.Text(), "twelve") {
		t.Fatal("whole reply streamed despite the interrupt")
	}
	record(t, clitest.Codex, "interrupt", p.Stdout())
}

func TestCodexContractResumeAfterExit(t *testing.T) {
	p, m, opts := codexSession(t, mockllm.Echo())
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
		t.Fatalf("exit after stdin closed: %v", err)
	}
	opts.ResumeID = id
	p2 := startProc(t, agent.Codex{}, opts, nil)
	if err := p2.Conn.SendUserTurn("what was the word"); err != nil {
		t.Fatal(err)
	}
	tr, err := p2.WaitTurn(ctx, turnIdle)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Text() != "reply 2: what was the word" || p2.Conn.SessionID() != id {
		t.Fatalf("resumed turn %q in thread %q (want %q)", tr.Text(), p2.Conn.SessionID(), id)
	}
	if got := m.ModelRequests(); len(got[len(got)-1].UserTexts()) < 2 {
		t.Fatalf("resumed request carried %q", got[len(got)-1].UserTexts())
	}
}

func TestCodexContractAPIErrors(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   string
	}{{500, agent.CodeAPI}, {429, agent.CodeRateLimit}, {401, agent.CodeAuth}} {
		t.Run(http(tc.status), func(t *testing.T) {
			p, _, _ := codexSession(t, mockllm.Error(tc.status, "mock failure"))
			ctx := deadline(t)
			if err := p.Conn.SendUserTurn("hi"); err != nil {
				t.Fatal(err)
			}
			_, err := p.WaitTurn(ctx, turnIdle)
			record(t, clitest.Codex, "error-"+http(tc.status), p.Stdout())
			var te *agent.TurnError
			if !errors.As(err, &te) || te.Code != tc.code || te.HTTPStatus != tc.status {
				t.Fatalf("want %s/%d, got %v", tc.code, tc.status, err)
			}
		})
	}
}

func TestCodexContractStallEndsByIdleTimeout(t *testing.T) {
	p, _, _ := codexSession(t, mockllm.Stall())
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

// TestCodexContractModelOption checks that the model chosen in the
// session options reaches the model API.
func TestCodexContractModelOption(t *testing.T) {
	bin := clitest.Require(t, clitest.Codex)
	m := mock(t, mockllm.Text("ok"))
	home := clitest.Home(t)
	cwd := filepath.Join(home, "work")
	mkdir(t, cwd)
	opts := agent.SessionOptions{Program: bin, Cwd: cwd, Env: clitest.CodexEnv(t, home, m.URL, ""), Model: "gpt-5.4"}
	p := startProc(t, agent.Codex{}, opts, nil)
	if err := p.Conn.SendUserTurn("hi"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitTurn(deadline(t), turnIdle); err != nil {
		t.Fatal(err)
	}
	if got := m.ModelRequests()[0].Model; got != "gpt-5.4" {
		t.Fatalf("request model %q", got)
	}
}

// TestCodexContractInterruptWithPendingApproval interrupts while an
// approval is pending: the turn ends interrupted and the command never
// runs.
func TestCodexContractInterruptWithPendingApproval(t *testing.T) {
	p, _, opts := codexSession(t, mockllm.ToolThenText(mockllm.Shell("touch never.txt")))
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
	record(t, clitest.Codex, "interrupt-approval", p.Stdout())
	var te *agent.TurnError
	if !errors.As(err, &te) || te.Code != agent.CodeInterrupted {
		t.Fatalf("want interrupted, got %v", err)
	}
	if fileExists(filepath.Join(opts.Cwd, "never.txt")) {
		t.Fatal("command ran after the interrupt")
	}
	// Codex says nothing about the dropped approval; the adapter
	// withdraws it when the turn ends.
	resolved := tr.Kinds(event.PermissionResolved)
	if len(resolved) != 1 || agenttest.Data[agent.PermissionResolvedData](resolved[0]).RequestID != req.RequestID {
		t.Fatalf("permission.resolved %v", resolved)
	}
	if err := p.Conn.RespondPermission(agent.PermissionAnswer{RequestID: req.RequestID, Allow: true}); !errors.Is(err, agent.ErrNoSuchRequest) {
		t.Fatalf("late answer: %v", err)
	}
}

// TestCodexContractRememberApproval accepts for the session: the same
// command in the next turn runs without a new approval request.
func TestCodexContractRememberApproval(t *testing.T) {
	p, _, opts := codexSession(t, mockllm.ToolThenText(mockllm.Shell("touch remembered.txt")))
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
	if err := p.Conn.SendUserTurn("again"); err != nil {
		t.Fatal(err)
	}
	tr, err := p.WaitTurn(ctx, turnIdle)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tr.Kinds(event.PermissionRequest)); n != 0 {
		t.Fatalf("%d approval requests after acceptForSession", n)
	}
	if len(tr.Kinds(event.ToolResult)) != 1 {
		t.Fatal("the command did not run in the second turn")
	}
}
