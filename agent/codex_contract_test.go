package agent_test

import (
	"strings"
	"testing"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/agent/agenttest"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
)

func codexSetup(t *testing.T, sc mockllm.Scenario) (*mockllm.Server, agent.SessionOptions) {
	t.Helper()
	return cliSetup(t, clitest.Codex, sc, func(home, url string) []string { return clitest.CodexEnv(t, home, url, "") })
}

func codexSession(t *testing.T, sc mockllm.Scenario) (*agenttest.Proc, *mockllm.Server, agent.SessionOptions) {
	t.Helper()
	m, opts := codexSetup(t, sc)
	opts.PermissionMode, opts.Sandbox = "untrusted", "workspace-write"
	return startProc(t, agent.Codex{}, opts, nil), m, opts
}

func TestCodexContractTextAndMultiTurn(t *testing.T) {
	p, m, _ := codexSession(t, mockllm.Echo())
	ctx := deadline(t)
	// Sent before thread/start answers: the Conn queues it.
	t1 := sendTurn(t, ctx, p, "hello there")
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
	if got := sendTurn(t, ctx, p, "second message").Text(); got != "reply 2: second message" {
		t.Fatalf("turn 2 text %q", got)
	}
	if n := len(m.ModelRequests()); n != 2 {
		t.Fatalf("%d model requests", n)
	}
	record(t, clitest.Codex, "multiturn", p.Stdout())
}

func codexApproval(t *testing.T, allow bool) {
	p, m, opts := codexSession(t, touch("marker.txt"))
	req, tr, err := answerPermission(t, p, allow, "no")
	if req.Tool != "commandExecution" || !strings.Contains(string(req.Input), "touch marker.txt") {
		t.Fatalf("request %+v", req)
	}
	if err != nil {
		t.Fatal(err)
	}
	wantFile(t, opts.Cwd, "marker.txt", allow)
	wantToolResult(t, tr, !allow)
	wantModelSawResult(t, m, !allow)
	name := "approval-allow"
	if !allow {
		name = "approval-deny"
	}
	record(t, clitest.Codex, name, p.Stdout())
}

func TestCodexContractApprovalAllow(t *testing.T) { codexApproval(t, true) }
func TestCodexContractApprovalDeny(t *testing.T)  { codexApproval(t, false) }

func TestCodexContractInterruptSlowStream(t *testing.T) {
	p, _, _ := codexSession(t, slowReply())
	checkInterruptSlowStream(t, p, textDelta)
	record(t, clitest.Codex, "interrupt", p.Stdout())
}

func TestCodexContractResumeAfterExit(t *testing.T) {
	p, m, opts := codexSession(t, mockllm.Echo())
	id, p2, tr := resumeAfterExit(t, p, agent.Codex{}, opts)
	if tr.Text() != "reply 2: what was the word" || p2.Conn.SessionID() != id {
		t.Fatalf("resumed turn %q in thread %q (want %q)", tr.Text(), p2.Conn.SessionID(), id)
	}
	if got := m.ModelRequests(); len(got[len(got)-1].UserTexts()) < 2 {
		t.Fatalf("resumed request carried %q", got[len(got)-1].UserTexts())
	}
	record(t, clitest.Codex, "resume-1", p.Stdout())
	record(t, clitest.Codex, "resume-2", p2.Stdout())
}

func TestCodexContractAPIErrors(t *testing.T) {
	for _, tc := range apiErrorCases {
		t.Run(http(tc.status), func(t *testing.T) {
			p, _, _ := codexSession(t, mockllm.Error(tc.status, "mock failure"))
			send(t, p, "hi")
			_, err := p.WaitTurn(deadline(t), turnIdle)
			record(t, clitest.Codex, "error-"+http(tc.status), p.Stdout())
			wantAPIError(t, err, tc.code, tc.status)
		})
	}
}

func TestCodexContractStallEndsByIdleTimeout(t *testing.T) {
	p, _, _ := codexSession(t, mockllm.Stall())
	checkStall(t, p)
}

// TestCodexContractModelOption checks that the model chosen in the
// session options reaches the model API.
func TestCodexContractModelOption(t *testing.T) {
	m, opts := codexSetup(t, mockllm.Text("ok"))
	opts.Model = "gpt-5.4"
	p := startProc(t, agent.Codex{}, opts, nil)
	sendTurn(t, deadline(t), p, "hi")
	if got := m.ModelRequests()[0].Model; got != "gpt-5.4" {
		t.Fatalf("request model %q", got)
	}
}

// TestCodexContractInterruptWithPendingApproval interrupts while an
// approval is pending: the turn ends interrupted and the command never
// runs. Codex says nothing about the dropped approval; the adapter
// withdraws it when the turn ends.
func TestCodexContractInterruptWithPendingApproval(t *testing.T) {
	p, _, opts := codexSession(t, touch("never.txt"))
	checkInterruptPendingPermission(t, p, opts.Cwd, "never.txt", func() {
		record(t, clitest.Codex, "interrupt-approval", p.Stdout())
	})
}

// TestCodexContractRememberApproval accepts for the session: the same
// command in the next turn runs without a new approval request.
func TestCodexContractRememberApproval(t *testing.T) {
	p, _, opts := codexSession(t, touch("remembered.txt"))
	checkRememberedPermission(t, p, opts.Cwd, "remembered.txt")
}
