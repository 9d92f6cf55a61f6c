package config

import (
	"errors"
	"os"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/policy"
)

// PolicyRules hands the policy everything it checks, and the built-in
// agents of the registry.
func TestPolicyRules(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse([]byte(`
[limits]
timeout = "1h"
max_output = "8MiB"
max_concurrent = 3
max_processes = 9

[policy]
sidecar_dir = "/opt/sidecars"

[agents.claude]
command = `+strconv.Quote(exe)+`
args = ["--verbose"]
env = { ANTHROPIC_BASE_URL = "http://127.0.0.1:9" }
pass_env = ["ANTHROPIC_API_KEY"]
allow_unsafe_modes = true

[agents.local]
command = "/nonexistent/local-agent"
protocol = "jsonl"

[[capability]]
name = "echo"
program = `+strconv.Quote(exe)+`
args = ["-test.run=none", { validator = "[a-z]+", optional = true }]
timeout = "1m"
`), "rules.toml")
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.PolicyRules()
	if !reflect.DeepEqual(r.BuiltinAgents, agent.BuiltinNames()) || r.SidecarDir != "/opt/sidecars" {
		t.Errorf("builtins %v, sidecar dir %q", r.BuiltinAgents, r.SidecarDir)
	}
	if want := (policy.Limits{Timeout: time.Hour, MaxOutput: 8 << 20, MaxConcurrent: 3}); r.Defaults != want {
		t.Errorf("defaults %+v, want %+v", r.Defaults, want)
	}
	if len(r.Capabilities) != 1 || !reflect.DeepEqual(r.Capabilities[0], cfg.Capabilities[0]) || r.Capabilities[0].Timeout != time.Minute {
		t.Errorf("capabilities %+v", r.Capabilities)
	}
	wantClaude := policy.Agent{Command: exe, Env: map[string]string{"ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}, PassEnv: []string{"ANTHROPIC_API_KEY"}}
	if !reflect.DeepEqual(r.Agents["claude"], wantClaude) || r.Agents["local"].Command != "/nonexistent/local-agent" {
		t.Errorf("agents %+v", r.Agents)
	}

	// The policy built from the configuration checks both kinds.
	p, err := policy.New(cfg, policy.Options{Environ: func() []string { return []string{"ANTHROPIC_API_KEY=k", "PATH=/usr/bin"} }})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := p.Check(policy.Request{Capability: "echo", Args: []string{"-test.run=none", "abc"}}); err != nil || res.Limits.Timeout != time.Minute {
		t.Errorf("capability: %+v %v", res, err)
	}
	res, err := p.Check(policy.Request{Capability: policy.AgentPrefix + "claude"})
	if err != nil || !reflect.DeepEqual(res.Env, []string{"ANTHROPIC_API_KEY=k", "ANTHROPIC_BASE_URL=http://127.0.0.1:9", "PATH=/usr/bin"}) {
		t.Errorf("agent: %+v %v", res, err)
	}
	// Configured agents are strict; missing built-ins never are.
	if _, err := policy.New(cfg, policy.Options{Strict: true}); !errors.Is(err, &policy.Denied{Rule: policy.RuleProgramNotFound}) {
		t.Errorf("strict with a missing configured agent: %v", err)
	}
	delete(cfg.Agents, "local")
	if _, err := policy.New(cfg, policy.Options{Strict: true, Path: t.TempDir()}); err != nil {
		t.Errorf("strict with missing built-in agents: %v", err)
	}

	var none *Config
	if r := none.PolicyRules(); len(r.Agents)+len(r.Capabilities) != 0 || len(r.BuiltinAgents) != 3 {
		t.Errorf("nil config: %+v", r)
	}
	// policy.AgentEnv reads a configured agent directly.
	if env := policy.AgentEnv(cfg.Agents["claude"], []string{"ANTHROPIC_API_KEY=k"}); len(env) != 2 {
		t.Errorf("AgentEnv = %v", env)
	}
}

// The protocol of an agent table is checked against the registry, with
// its typed error.
func TestAgentProtocolFromTheRegistry(t *testing.T) {
	for _, p := range agent.Protocols() {
		if _, err := Parse([]byte("[agents.x]\nprotocol = \""+p+"\"\n"), "t.toml"); err != nil {
			t.Errorf("protocol %s: %v", p, err)
		}
	}
	for _, name := range agent.BuiltinNames() {
		cfg, err := Parse([]byte("[agents."+name+"]\n"), "t.toml")
		if err != nil || cfg.Agents[name].Protocol != name || cfg.Agents[name].Command != name {
			t.Errorf("built-in %s: %+v %v", name, cfg, err)
		}
	}
	_, err := Parse([]byte("[agents.x]\nprotocol = \"text-per-turn\"\n"), "t.toml")
	var pe *agent.ProtocolError
	if !errors.As(err, &pe) || pe.Agent != "x" || pe.Protocol != "text-per-turn" {
		t.Errorf("unknown protocol: %v", err)
	}
}
