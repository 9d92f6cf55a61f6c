package agent_test

import (
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/agent/agenttest"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
)

// acpGemini runs Gemini CLI as an ACP agent (gemini --acp).
func acpGemini(t *testing.T, sc mockllm.Scenario) (*agenttest.Proc, *mockllm.Server, agent.SessionOptions) {
	t.Helper()
	m, opts := geminiSetup(t, sc)
	opts.Args = []string{"--acp"}
	return startProc(t, agent.ACP{}, opts, nil), m, opts
}

func TestACPContractGeminiMultiTurn(t *testing.T) {
	p, _, _ := acpGemini(t, mockllm.Echo())
	ctx := deadline(t)
	t1 := sendTurn(t, ctx, p, "hello acp")
	if t1.Text() != "reply 1: hello acp" || t1.Completed.StopReason != "end_turn" {
		t.Fatalf("turn 1 %q %+v", t1.Text(), t1.Completed)
	}
	init := agenttest.Data[agent.InitData](t1.Kinds(event.AgentInit)[0])
	if init.SessionID == "" || init.Version != clitest.Gemini.Version {
		t.Fatalf("init %+v", init)
	}
	if t2 := sendTurn(t, ctx, p, "second"); t2.Text() != "reply 2: second" {
		t.Fatalf("turn 2 %q", t2.Text())
	}
	record(t, clitest.Gemini, "acp-multiturn", p.Stdout())
}

func acpPermission(t *testing.T, allow bool) {
	p, m, opts := acpGemini(t, touch("marker.txt"))
	req, tr, err := answerPermission(t, p, allow, "")
	if !strings.Contains(string(req.Input), "touch marker.txt") && !strings.Contains(req.Tool, "touch") {
		t.Fatalf("request %+v", req)
	}
	if err != nil {
		t.Fatal(err)
	}
	wantFile(t, opts.Cwd, "marker.txt", allow)
	// Gemini reports no tool call update for a rejected call: only the
	// model's request shows the rejection.
	if allow {
		wantToolResult(t, tr, false)
	}
	wantModelSawResult(t, m, !allow)
	name := "acp-permission-allow"
	if !allow {
		name = "acp-permission-deny"
	}
	record(t, clitest.Gemini, name, p.Stdout())
}

func TestACPContractGeminiPermissionAllow(t *testing.T) { acpPermission(t, true) }
func TestACPContractGeminiPermissionDeny(t *testing.T)  { acpPermission(t, false) }

func TestACPContractGeminiCancel(t *testing.T) {
	p, _, _ := acpGemini(t, slowReply())
	checkInterruptSlowStream(t, p, anyText)
	record(t, clitest.Gemini, "acp-cancel", p.Stdout())
}

func TestACPContractGeminiLoadSession(t *testing.T) {
	p, m, opts := acpGemini(t, mockllm.Echo())
	ctx := deadline(t)
	sendTurn(t, ctx, p, "remember apple")
	id := p.Conn.SessionID()
	p.Stop(5 * time.Second)

	opts.ResumeID = id
	p2 := startProc(t, agent.ACP{}, opts, nil)
	send(t, p2, "what was it")
	tr, err := p2.WaitTurn(ctx, turnIdle)
	if err != nil && strings.Contains(err.Error(), "No previous sessions found for this project") {
		// Gemini CLI 0.61.0 advertises loadSession, but its lookup does
		// not find the session it wrote (docs/agents.md). The per-turn
		// Gemini adapter resumes with --resume instead.
		t.Skipf("gemini %s cannot load ACP sessions: %v", clitest.Gemini.Version, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(tr.Text(), "reply 2: what was it") {
		t.Fatalf("loaded session turn %q", tr.Text())
	}
	reqs := m.ModelRequests()
	if got := reqs[len(reqs)-1].UserTexts(); len(got) != 2 {
		t.Fatalf("loaded request carried %q", got)
	}
}

// TestACPContractGeminiModeYolo sets the session mode from the permission
// mode option (session/set_mode): in yolo mode the tool runs unasked.
func TestACPContractGeminiModeYolo(t *testing.T) {
	_, opts := geminiSetup(t, touch("marker.txt"))
	// Gemini refuses yolo ("privileged approval modes") in a folder it
	// does not trust; --skip-trust trusts the working directory.
	opts.Args = []string{"--acp", "--skip-trust"}
	opts.PermissionMode = "yolo"
	p := startProc(t, agent.ACP{}, opts, nil)
	send(t, p, "make a file")
	tr, err := p.WaitTurn(deadline(t), 20*time.Second)
	if err != nil {
		for _, l := range p.Stdout() {
			t.Logf("%.300s", l)
		}
		t.Fatal(err)
	}
	if n := len(tr.Kinds(event.PermissionRequest)); n != 0 {
		t.Fatalf("%d permission requests in yolo mode", n)
	}
	wantFile(t, opts.Cwd, "marker.txt", true)
	if len(tr.Kinds(event.ErrorKind)) != 0 {
		t.Fatalf("errors: %v", tr.Kinds(event.ErrorKind))
	}
}
