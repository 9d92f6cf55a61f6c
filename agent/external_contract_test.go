package agent_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
)

// The external-session readers against files the real CLIs wrote: each
// CLI runs two turns (a tool call, then text) in a temporary HOME against
// the mock; its session file is then listed for the cwd and read back.
// CORRAL_RECORD_FIXTURES=1 keeps the file as a fixture of
// external_test.go (testdata/external/<cli>-<version>/).

func TestExternalContractClaude(t *testing.T) {
	p, _, opts := claudeSession(t, mockllm.ToolThenText(mockllm.Shell("echo imported-tool-output")), "bypassPermissions")
	ctx := deadline(t)
	sendTurn(t, ctx, p, "first prompt of the imported conversation")
	sendTurn(t, ctx, p, "second prompt")
	id := p.Conn.SessionID()
	p.Stop(5 * time.Second)
	checkExternal(t, clitest.Claude, "claude", opts, id)
}

func TestExternalContractCodex(t *testing.T) {
	_, opts := codexSetup(t, mockllm.ToolThenText(mockllm.Shell("echo imported-tool-output")))
	opts.PermissionMode, opts.Sandbox = "never", "workspace-write"
	p := startProc(t, agent.Codex{}, opts, nil)
	ctx := deadline(t)
	sendTurn(t, ctx, p, "first prompt of the imported conversation")
	sendTurn(t, ctx, p, "second prompt")
	id := p.Conn.SessionID()
	p.Stop(5 * time.Second)
	checkExternal(t, clitest.Codex, "codex", opts, id)
}

func checkExternal(t *testing.T, cli clitest.CLI, protocol string, opts agent.SessionOptions, id string) {
	t.Helper()
	list, err := agent.ListExternal(protocol, opts.Env, opts.Cwd, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListExternal: %+v, %v", list, err)
	}
	s := list[0]
	if s.ExternalID != id || s.Cwd != opts.Cwd || s.Title != "first prompt of the imported conversation" || s.Messages < 4 ||
		s.StartedAt.IsZero() || s.UpdatedAt.Before(s.StartedAt) {
		t.Fatalf("listed %+v (want id %s, cwd %s)", s, id, opts.Cwd)
	}
	if other, err := agent.ListExternal(protocol, opts.Env, filepath.Join(opts.Cwd, "elsewhere"), 10); err != nil || len(other) != 0 {
		t.Fatalf("another cwd lists %+v, %v", other, err)
	}
	got, msgs, err := agent.ReadExternal(protocol, opts.Env, id)
	if err != nil || got.ExternalID != id {
		t.Fatalf("ReadExternal: %+v, %v", got, err)
	}
	checkMessages(t, msgs)
	if os.Getenv("CORRAL_RECORD_FIXTURES") == "1" {
		b, err := os.ReadFile(got.Path)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join("testdata", "external", cli.Name+"-"+cli.Version)
		mkdir(t, dir)
		if err := os.WriteFile(filepath.Join(dir, "two-turns-with-tool.jsonl"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkMessages wants the two turns in order: prompt, tool call, its
// result, the reply quoting it; twice.
func checkMessages(t *testing.T, msgs []agent.ExternalMessage) {
	t.Helper()
	var roles []string
	for _, m := range msgs {
		roles = append(roles, m.Role)
	}
	users := 0
	for i, m := range msgs {
		switch m.Role {
		case agent.RoleUser:
			users++
		case agent.RoleToolCall:
			if m.ToolName == "" || m.ToolID == "" || !strings.Contains(string(m.Input), "imported-tool-output") {
				t.Errorf("tool call %d: %+v", i, m)
			}
		case agent.RoleToolResult:
			if m.ToolID == "" || !strings.Contains(m.Text, "imported-tool-output") {
				t.Errorf("tool result %d: %+v", i, m)
			}
		}
	}
	if users != 2 || msgs[0].Role != agent.RoleUser || msgs[0].Text != "first prompt of the imported conversation" ||
		!slices.Contains(roles, agent.RoleToolCall) || !slices.Contains(roles, agent.RoleToolResult) ||
		msgs[len(msgs)-1].Role != agent.RoleAssistant || !strings.HasPrefix(msgs[len(msgs)-1].Text, "tool result:") || !strings.Contains(msgs[len(msgs)-1].Text, "imported-tool-output") {
		t.Fatalf("messages %v: %+v", roles, msgs)
	}
}
