package policy

import (
	"errors"
	"reflect"
	"testing"
)

func TestAgentEnv(t *testing.T) {
	parent := []string{
		"HOME=/home/u", "PATH=/usr/bin", "SECRET=x", "LD_PRELOAD=/evil.so", "NODE_OPTIONS=--require x",
		"ANTHROPIC_API_KEY=sk", "ANTHROPIC_LOG=debug", "PATH=/usr/local/bin:/usr/bin", "MALFORMED",
	}
	tests := []struct {
		name  string
		agent Agent
		want  []string
	}{
		{"base only", Agent{}, []string{"HOME=/home/u", "PATH=/usr/local/bin:/usr/bin"}},
		{"pass_env and env", Agent{PassEnv: []string{"ANTHROPIC_API_KEY", "NOPE"}, Env: map[string]string{"ANTHROPIC_BASE_URL": "http://127.0.0.1:1"}},
			[]string{"ANTHROPIC_API_KEY=sk", "ANTHROPIC_BASE_URL=http://127.0.0.1:1", "HOME=/home/u", "PATH=/usr/local/bin:/usr/bin"}},
		{"prefix", Agent{PassEnv: []string{"ANTHROPIC_*"}},
			[]string{"ANTHROPIC_API_KEY=sk", "ANTHROPIC_LOG=debug", "HOME=/home/u", "PATH=/usr/local/bin:/usr/bin"}},
		{"prefix never selects injection keys", Agent{PassEnv: []string{"LD_*", "NODE_*"}},
			[]string{"HOME=/home/u", "PATH=/usr/local/bin:/usr/bin"}},
		{"named injection key is the opt-in", Agent{PassEnv: []string{"NODE_OPTIONS"}},
			[]string{"HOME=/home/u", "NODE_OPTIONS=--require x", "PATH=/usr/local/bin:/usr/bin"}},
		{"env overrides", Agent{PassEnv: []string{"ANTHROPIC_LOG"}, Env: map[string]string{"ANTHROPIC_LOG": "error", "PATH": "/opt/bin"}},
			[]string{"ANTHROPIC_LOG=error", "HOME=/home/u", "PATH=/opt/bin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AgentEnv(tt.agent, parent)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("AgentEnv = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAgentCheck(t *testing.T) {
	f := newFixture(t)
	p, _ := f.policy(t, `
[agents.claude]
command = "tool"
pass_env = ["ANTHROPIC_API_KEY"]
env = { ANTHROPIC_BASE_URL = "http://127.0.0.1:9" }

[agents.local]
command = "{{prog}}"
protocol = "acp"
`, Options{})
	r, err := p.Check(Request{Capability: "agent:claude", Args: []string{"-p", "--output-format", "stream-json", "anything goes; the adapter builds argv"}, Cwd: f.root})
	if err != nil {
		t.Fatal(err)
	}
	if r.Program != f.prog || r.Dir != f.root || len(r.Args) != 4 {
		t.Errorf("resolved = %+v", r)
	}
	want := []string{"ANTHROPIC_API_KEY=sk-test", "ANTHROPIC_BASE_URL=http://127.0.0.1:9", "HOME=" + f.dir, "PATH=" + f.bin}
	if !reflect.DeepEqual(r.Env, want) {
		t.Errorf("env = %q, want %q", r.Env, want)
	}
	if _, err := p.Check(Request{Capability: "agent:local", Cwd: f.outside}); err != nil {
		t.Errorf("agent in any directory: %v", err)
	}
	_, err = p.Check(Request{Capability: "agent:claude", Env: map[string]string{"NODE_OPTIONS": "--require /x"}})
	mustDeny(t, err, RuleEnvInjection, "NODE_OPTIONS")
	_, err = p.Check(Request{Capability: "agent:claude", Cwd: "relative"})
	mustDeny(t, err, RuleCwdRelative)
	_, err = p.Check(Request{Capability: "agent:claude", Args: []string{"a\x00b"}})
	mustDeny(t, err, RuleArgNUL, "args[0]")
	// Built-in agents that are not installed are listed as unavailable.
	_, err = p.Check(Request{Capability: "agent:gemini"})
	if !errors.Is(err, &Denied{Rule: RuleProgramNotFound, Capability: "agent:gemini"}) {
		t.Errorf("gemini: %v", err)
	}
}
