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

// acpGemini runs Gemini CLI as an ACP agent (gemini --acp).
func acpGemini(t *testing.T, sc mockllm.Scenario) (*agenttest.Proc, *mockllm.Server, agent.SessionOptions) {
	t.Helper()
	m, opts := geminiSetup(t, sc)
	opts.Args = []string{"--acp"}
	return startProc(t, agent.ACP{}, opts, nil), m, opts
}

func TestACPContractGeminiMultiTurn(t *testing.T) {
	p, m, _ := acpGemini(t, mockllm.Echo())
	ctx := deadline(t)
	if err := p.Conn.SendUserTurn("hello acp"); err != nil {
		t.Fatal(err)
	}
	t1, err := p.WaitTurn(ctx, turnIdle)
	if err != nil {
		t.Fatal(err)
	}
	if t1.Text() != "reply 1: hello acp" || t1.Completed.StopReason != "end_turn" {
		t.Fatalf("turn 1 %q %+v", t1.Text(), t1.Completed)
	}
	init := agenttest.Data[agent.InitData](t1.Kinds(event.AgentInit)[0])
	if init.SessionID == "" || init.Version != clitest.Gemini.Version {
		t.Fatalf("init %+v", init)
	}
	if err := p.Conn.SendUserTurn("second"); err != nil {
		t.Fatal(err)
	}
	t2, err := p.WaitTurn(ctx, turnIdle)
	if err != nil {
		t.Fatal(err)
	}
	if t2.Text() != "reply 2: second" {
		t.Fatalf("turn 2 %q", t2.Text())
	}
	_ = m
	record(t, clitest.Gemini, "acp-multiturn", p.Stdout())
}

func acpPermission(t *testing.T, allow bool) {
	p, m, opts := acpGemini(t, mockllm.ToolThenText(mockllm.Shell("touch marker.txt")))
	ctx := deadline(t)
	if err := p.Conn.SendUserTurn("make a file"); err != nil {
		t.Fatal(err)
	}
	evs, err := p.Until(ctx, turnIdle, func(ev event.Event) bool { return ev.Kind == event.PermissionRequest })
	if err != nil {
		t.Fatal(err)
	}
	req := agenttest.Data[agent.PermissionRequestData](evs[len(evs)-1])
	if !strings.Contains(string(req.Input), "touch marker.txt") && !strings.Contains(req.Tool, "touch") {
		t.Fatalf("request %+v", req)
	}
	if err := p.Conn.RespondPermission(agent.PermissionAnswer{RequestID: req.RequestID, Allow: allow}); err != nil {
		t.Fatal(err)
	}
	tr, err := p.WaitTurn(ctx, turnIdle)
	if err != nil {
		t.Fatal(err)
	}
	if got := fileExists(filepath.Join(opts.Cwd, "marker.txt")); got != allow {
		t.Fatalf("file exists %v, allowed %v", got, allow)
	}
	// Gemini reports no tool call update for a rejected call: only the
	// model's request shows the rejection.
	if res := tr.Kinds(event.ToolResult); allow && (len(res) != 1 || agenttest.Data[agent.ToolResultData](res[0]).IsError) {
		t.Fatalf("tool results %v", res)
	}
	reqs := m.ModelRequests()
	if last, ok := reqs[len(reqs)-1].LastToolResult(); !ok || last.IsError == allow {
		t.Fatalf("model saw %+v", last)
	}
	name := "acp-permission-allow"
	if !allow {
		name = "acp-permission-deny"
	}
	record(t, clitest.Gemini, name, p.Stdout())
}

func TestACPContractGeminiPermissionAllow(t *testing.T) { acpPermission(t, true) }
func TestACPContractGeminiPermissionDeny(t *testing.T)  { acpPermission(t, false) }

func TestACPContractGeminiCancel(t *testing.T) {
	p, _, _ := acpGemini(t, mockllm.Slow("one two three four five six seven eight nine ten eleven twelve", 400*time.Millisecond))
	ctx := deadline(t)
	if err := p.Conn.SendUserTurn("talk slowly"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Until(ctx, turnIdle, func(ev event.Event) bool { return ev.Kind == event.AssistantText }); err != nil {
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
		t.Fatal("whole reply streamed despite the cancel")
	}
	record(t, clitest.Gemini, "acp-cancel", p.Stdout())
}

func TestACPContractGeminiLoadSession(t *testing.T) {
	p, m, opts := acpGemini(t, mockllm.Echo())
	ctx := deadline(t)
	if err := p.Conn.SendUserTurn("remember apple"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitTurn(ctx, turnIdle); err != nil {
		t.Fatal(err)
	}
	id := p.Conn.SessionID()
	p.Stop(5 * time.Second)

	opts.ResumeID = id
	p2 := startProc(t, agent.ACP{}, opts, nil)
	if err := p2.Conn.SendUserTurn("what was it"); err != nil {
		t.Fatal(err)
	}
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
	m, opts := geminiSetup(t, mockllm.ToolThenText(mockllm.Shell("touch marker.txt")))
	// Gemini refuses yolo ("privileged approval modes") in a folder it
	// does not trust; --skip-trust trusts the working directory.
	opts.Args = []string{"--acp", "--skip-trust"}
	opts.PermissionMode = "yolo"
	p := startProc(t, agent.ACP{}, opts, nil)
	if err := p.Conn.SendUserTurn("make a file"); err != nil {
		t.Fatal(err)
	}
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
	if !fileExists(filepath.Join(opts.Cwd, "marker.txt")) {
		t.Fatal("tool did not run")
	}
	if len(tr.Kinds(event.ErrorKind)) != 0 {
		t.Fatalf("errors: %v", tr.Kinds(event.ErrorKind))
	}
	_ = m
}
