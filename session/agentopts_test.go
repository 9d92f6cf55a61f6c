package session

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/policy"
)

// TestCheckAgentOptions: every built-in agent's modes that skip approvals
// need allow_unsafe_modes; a model or mode that is not a plain value, or a
// mode the agent does not know, is invalid.
func TestCheckAgentOptions(t *testing.T) {
	for _, tt := range []struct{ agent, protocol, mode string }{
		{"claude", "claude", "bypassPermissions"},
		{"claude", "claude", "auto"},
		{"codex", "codex", "never"},
		{"gemini", "gemini", "yolo"},
		{"gemini-acp", "acp", "yolo"},
		{"claude-acp", "acp", "bypassPermissions"},
	} {
		cfg := config.Agent{Command: tt.agent, Protocol: tt.protocol}
		err := checkAgentOptions(tt.agent, cfg, "", tt.mode)
		var d *policy.Denied
		if !errors.As(err, &d) || d.Rule != policy.RuleAgentUnsafeMode || d.Capability != policy.AgentPrefix+tt.agent || d.Given != tt.mode {
			t.Errorf("%s %s without opt-in: %v", tt.agent, tt.mode, err)
			continue
		}
		for _, want := range []string{"allow_unsafe_modes = true", "[agents." + tt.agent + "]", tt.mode} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s %s: %q does not say %q", tt.agent, tt.mode, err, want)
			}
		}
		cfg.AllowUnsafeModes = true
		if err := checkAgentOptions(tt.agent, cfg, "", tt.mode); err != nil {
			t.Errorf("%s %s with opt-in: %v", tt.agent, tt.mode, err)
		}
	}
	claude := config.Agent{Command: "claude", Protocol: "claude", AllowUnsafeModes: true}
	for _, tt := range []struct{ model, mode string }{
		{"--dangerously-skip-permissions", ""},
		{"-p", ""},
		{"", "--dangerously-skip-permissions"},
		{"", "yolo"}, // gemini's, not claude's
		{"", "-y"},
	} {
		err := checkAgentOptions("claude", claude, tt.model, tt.mode)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("model %q mode %q: %v, want ErrInvalid", tt.model, tt.mode, err)
		}
	}
	for _, mode := range []string{"", "default", "acceptEdits", "plan"} {
		if err := checkAgentOptions("claude", config.Agent{Protocol: "claude"}, "claude-opus-4-1[1m]", mode); err != nil {
			t.Errorf("mode %q: %v", mode, err)
		}
	}
}

// TestCreateRefusesUnsafeModeWithoutOptIn: through the Manager, a session
// in a mode that skips approvals is refused (and not stored) unless its
// agent opts in; with the opt-in it is marked approvalsSkipped. Later
// launches (resume) check again against the current configuration.
func TestCreateRefusesUnsafeModeWithoutOptIn(t *testing.T) {
	dir := t.TempDir()
	rt := openRT(t, dir, nil)
	ctx := context.Background()
	_, err := rt.Manager.Create(ctx, CreateOptions{Agent: "fake", Cwd: t.TempDir(), PermissionMode: "bypassPermissions"})
	var d *policy.Denied
	if !errors.As(err, &d) || d.Rule != policy.RuleAgentUnsafeMode {
		t.Fatalf("bypassPermissions without opt-in: %v", err)
	}
	if _, err := rt.Manager.Create(ctx, CreateOptions{Agent: "fake", Cwd: t.TempDir(), Model: "--dangerously-skip-permissions"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("option as model: %v", err)
	}
	if l, _ := rt.Manager.List(ctx); len(l) != 0 {
		t.Fatalf("refused sessions were stored: %+v", l)
	}
	for _, a := range rt.agentsFor(t, "fake") {
		if a == "bypassPermissions" || a == "auto" {
			t.Errorf("ListAgents offers %q without the opt-in", a)
		}
	}
	closeRT(t, rt)

	cfg := fakeConfig(t)
	a := cfg.Agents["fake"]
	a.AllowUnsafeModes = true
	cfg.Agents["fake"] = a
	rt, err = OpenRuntime(ctx, dir, cfg, RuntimeOptions{MonitorInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	info, err := rt.Manager.Create(ctx, CreateOptions{Agent: "fake", Cwd: t.TempDir(), PermissionMode: "bypassPermissions"})
	if err != nil {
		t.Fatalf("with opt-in: %v", err)
	}
	if !info.ApprovalsSkipped {
		t.Errorf("info does not say approvals are skipped: %+v", info)
	}
	if l, _ := rt.Manager.List(ctx); len(l) != 1 || !l[0].ApprovalsSkipped {
		t.Errorf("list: %+v", l)
	}
	var offered bool
	for _, m := range rt.agentsFor(t, "fake") {
		offered = offered || m == "bypassPermissions"
	}
	if !offered {
		t.Error("ListAgents does not offer bypassPermissions with the opt-in")
	}
	if err := rt.Manager.Stop(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	closeRT(t, rt)

	// The opt-in is withdrawn: the stored session cannot be resumed.
	rt = openRT(t, dir, nil)
	defer closeRT(t, rt)
	if _, err := rt.Manager.Resume(ctx, info.ID); !errors.Is(err, &policy.Denied{Rule: policy.RuleAgentUnsafeMode}) {
		t.Fatalf("resume after the opt-in was removed: %v", err)
	}
}

// agentsFor returns the permission modes ListAgents offers for agent.
func (rt *Runtime) agentsFor(t *testing.T, name string) []string {
	t.Helper()
	as, err := rt.Manager.Agents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.Name == name {
			return a.PermissionModes
		}
	}
	t.Fatalf("agent %s not listed", name)
	return nil
}
