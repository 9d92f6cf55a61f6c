package agent_test

import (
	"testing"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/agent/agenttest"
	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
)

// acpAgent is an ACP server under test and how it behaves where the
// protocol leaves room.
type acpAgent struct {
	cli  clitest.CLI
	args []string
	env  func(t *testing.T, home, url string) []string
	// denyStop is the prompt's stopReason after a rejected permission:
	// Gemini and claude-code-acp end the turn normally, codex-acp
	// cancels the whole prompt.
	denyStop string
	// denyReachesModel: the model gets a follow-up request carrying the
	// rejection (Gemini only; claude-code-acp stops the turn at once).
	denyReachesModel bool
}

var acpAgents = []acpAgent{
	{
		cli: clitest.ClaudeACP,
		env: func(t *testing.T, home, url string) []string { return clitest.ClaudeEnv(home, url) },
		// claude-code-acp ends the turn without a model follow-up.
		denyStop: "end_turn",
	},
	{
		cli: clitest.CodexACP,
		env: func(t *testing.T, home, url string) []string {
			// Its default mode never asks; untrusted asks before commands.
			return clitest.CodexEnv(t, home, url, "approval_policy = \"untrusted\"\nsandbox_mode = \"workspace-write\"")
		},
		denyStop: "cancelled",
	},
}

func acpAgentSession(t *testing.T, a acpAgent, sc mockllm.Scenario) (*agenttest.Proc, *mockllm.Server, agent.SessionOptions) {
	t.Helper()
	m, opts := cliSetup(t, a.cli, sc, func(home, url string) []string { return a.env(t, home, url) })
	opts.Args = a.args
	return startProc(t, agent.ACP{AdapterName: a.cli.Name}, opts, nil), m, opts
}

func TestACPContractAgents(t *testing.T) {
	for _, a := range acpAgents {
		t.Run(a.cli.Name, func(t *testing.T) {
			t.Run("multiturn", func(t *testing.T) {
				p, _, _ := acpAgentSession(t, a, mockllm.Echo())
				ctx := deadline(t)
				for i, text := range []string{"hello acp", "second"} {
					tr := sendTurn(t, ctx, p, text)
					want := "reply " + itoa(i+1) + ": " + text
					if tr.Text() != want {
						t.Fatalf("turn %d: %q, want %q", i+1, tr.Text(), want)
					}
				}
				record(t, a.cli, "acp-multiturn", p.Stdout())
			})
			for _, allow := range []bool{true, false} {
				name := map[bool]string{true: "allow", false: "deny"}[allow]
				t.Run(name, func(t *testing.T) {
					p, m, opts := acpAgentSession(t, a, touch("marker.txt"))
					_, tr, err := answerPermission(t, p, allow, "")
					record(t, a.cli, "acp-permission-"+name, p.Stdout())
					wantFile(t, opts.Cwd, "marker.txt", allow)
					stop := "end_turn"
					if !allow {
						stop = a.denyStop
					}
					if stop == "cancelled" {
						wantInterrupted(t, err)
					} else if err != nil || tr.Completed.StopReason != stop {
						t.Fatalf("stop %q, err %v", tr.Completed.StopReason, err)
					}
					reqs := m.ModelRequests()
					last, ok := reqs[len(reqs)-1].LastToolResult()
					switch {
					case allow && (!ok || last.IsError):
						t.Fatalf("model saw %+v", last)
					case !allow && a.denyReachesModel && (!ok || !last.IsError):
						t.Fatalf("model saw %+v", last)
					case !allow && !a.denyReachesModel && len(reqs) != 1:
						t.Fatalf("%d model requests after a rejection that should end the turn", len(reqs))
					}
				})
			}
			t.Run("cancel", func(t *testing.T) {
				p, _, _ := acpAgentSession(t, a, slowReply())
				checkInterruptSlowStream(t, p, anyText)
			})
		})
	}
}
