package agent_test

import (
	"testing"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/agent/agenttest"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
)

// lastModel is the model named by the last model request.
func lastModel(t *testing.T, m *mockllm.Server) string {
	t.Helper()
	reqs := m.ModelRequests()
	if len(reqs) == 0 {
		t.Fatal("no model request")
	}
	return reqs[len(reqs)-1].Model
}

// switchModelMidSession runs a turn, switches the model of the running
// process through the Conn's OptionSetter, runs a second turn, and checks
// that the second turn's request names the new model.
func switchModelMidSession(t *testing.T, p *agenttest.Proc, m *mockllm.Server, from, to string) {
	t.Helper()
	ctx := deadline(t)
	sendTurn(t, ctx, p, "first")
	if got := lastModel(t, m); got != from {
		t.Fatalf("turn 1 model %q, want %q", got, from)
	}
	setter, ok := p.Conn.(agent.OptionSetter)
	if !ok {
		t.Fatalf("%T cannot switch options", p.Conn)
	}
	if err := setter.SetModel(to); err != nil {
		t.Fatal(err)
	}
	tr := sendTurn(t, ctx, p, "second")
	if errs := tr.Kinds(event.ErrorKind); len(errs) != 0 {
		t.Fatalf("the agent refused the switch: %s", errs[0].Data)
	}
	if got := lastModel(t, m); got != to {
		t.Fatalf("turn 2 model %q, want %q", got, to)
	}
	if got := m.ModelRequests()[len(m.ModelRequests())-1].UserTexts(); len(got) < 2 {
		t.Fatalf("turn 2 lost the conversation: %q", got)
	}
}

// TestClaudeContractSetModelMidSession: the set_model control request
// switches the running CLI's model for the next request.
func TestClaudeContractSetModelMidSession(t *testing.T) {
	m, opts := cliSetup(t, clitest.Claude, mockllm.Echo(), claudeEnv)
	opts.Model = "claude-sonnet-4-5"
	p := startProc(t, agent.Claude{}, opts, nil)
	switchModelMidSession(t, p, m, "claude-sonnet-4-5", "claude-opus-4-5")
}

// TestClaudeContractSetPlanModeMidSession: set_permission_mode is
// accepted by the running CLI, which reports the new mode, and the next
// turn still runs.
func TestClaudeContractSetPlanModeMidSession(t *testing.T) {
	m, opts := cliSetup(t, clitest.Claude, mockllm.Echo(), claudeEnv)
	p := startProc(t, agent.Claude{}, opts, nil)
	ctx := deadline(t)
	sendTurn(t, ctx, p, "first")
	if err := p.Conn.(agent.OptionSetter).SetPermissionMode("plan"); err != nil {
		t.Fatal(err)
	}
	tr := sendTurn(t, ctx, p, "second")
	if errs := tr.Kinds(event.ErrorKind); len(errs) != 0 {
		t.Fatalf("the CLI refused plan mode: %s", errs[0].Data)
	}
	plan := false
	for _, ev := range p.Events() {
		if ev.Kind == event.AgentStatus && agenttest.Data[agent.StatusData](ev).PermissionMode == "plan" {
			plan = true
		}
		if ev.Kind == event.AgentInit && agenttest.Data[agent.InitData](ev).PermissionMode == "plan" {
			plan = true
		}
	}
	if !plan {
		t.Fatalf("the CLI never reported plan mode; model requests: %d", len(m.ModelRequests()))
	}
}

// TestCodexContractSetModelMidSession: the model goes with the next
// turn/start and Codex asks the API with it.
func TestCodexContractSetModelMidSession(t *testing.T) {
	m, opts := codexSetup(t, mockllm.Echo())
	opts.Model = "gpt-5-codex"
	p := startProc(t, agent.Codex{}, opts, nil)
	switchModelMidSession(t, p, m, "gpt-5-codex", "gpt-5")
}
