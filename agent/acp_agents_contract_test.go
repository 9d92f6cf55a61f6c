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
	bin := clitest.Require(t, a.cli)
	m := mock(t, sc)
	home := clitest.Home(t)
	cwd := filepath.Join(home, "work")
	mkdir(t, cwd)
	opts := agent.SessionOptions{Program: bin, Args: a.args, Cwd: cwd, Env: a.env(t, home, m.URL)}
	return startProc(t, agent.ACP{AdapterName: a.cli.Name}, opts, nil), m, opts
}

func TestACPContractAgents(t *testing.T) {
	for _, a := range acpAgents {
		t.Run(a.cli.Name, func(t *testing.T) {
			t.Run("multiturn", func(t *testing.T) {
				p, _, _ := acpAgentSession(t, a, mockllm.Echo())
				ctx := deadline(t)
				for i, text := range []string{"hello acp", "second"} {
					if err := p.Conn.SendUserTurn(text); err != nil {
						t.Fatal(err)
					}
					tr, err := p.WaitTurn(ctx, turnIdle)
					if err != nil {
						t.Fatal(err)
					}
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
					p, m, opts := acpAgentSession(t, a, mockllm.ToolThenText(mockllm.Shell("touch marker.txt")))
					ctx := deadline(t)
					if err := p.Conn.SendUserTurn("make a file"); err != nil {
						t.Fatal(err)
					}
					evs, err := p.Until(ctx, turnIdle, func(ev event.Event) bool { return ev.Kind == event.PermissionRequest })
					if err != nil {
						t.Fatal(err)
					}
					req := agenttest.Data[agent.PermissionRequestData](evs[len(evs)-1])
					if err := p.Conn.RespondPermission(agent.PermissionAnswer{RequestID: req.RequestID, Allow: allow}); err != nil {
						t.Fatal(err)
					}
					tr, err := p.WaitTurn(ctx, turnIdle)
					record(t, a.cli, "acp-permission-"+name, p.Stdout())
					if fileExists(filepath.Join(opts.Cwd, "marker.txt")) != allow {
						t.Fatalf("file exists %v, allowed %v", !allow, allow)
					}
					stop := "end_turn"
					if !allow {
						stop = a.denyStop
					}
					if stop == "cancelled" {
						var te *agent.TurnError
						if !errors.As(err, &te) || te.Code != agent.CodeInterrupted {
							t.Fatalf("want a cancelled prompt, got %v", err)
						}
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
				p, _, _ := acpAgentSession(t, a, mockllm.Slow("one two three four five six seven eight nine ten eleven twelve", 400*time.Millisecond))
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
					t.Fatalf("want cancelled, got %v", err)
				}
				if strings.Contains(tr.Text(), "twelve") {
					t.Fatal("whole reply streamed despite the cancel")
				}
			})
		})
	}
}
