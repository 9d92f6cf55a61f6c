package config

import (
	"fmt"
	"strings"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/policy"
)

// Agent says how one agent CLI is launched (`[agents.NAME]`).
type Agent struct {
	// Command is a PATH name or an absolute path.
	Command string
	// Args are extra arguments placed before those the adapter adds.
	Args []string
	// Env holds fixed values for the child's environment.
	Env map[string]string
	// PassEnv lists variables copied from corral's environment by name. An
	// entry ending in "*" copies every variable with that prefix, except
	// loader-injection variables, which must be named in full.
	PassEnv []string
	// Protocol is one of agent.Protocols(). It defaults to the agent's name
	// for a built-in agent (agent.BuiltinNames: claude, codex, gemini) and
	// is required for any other name.
	Protocol string
	// AllowUnsafeModes (`allow_unsafe_modes`) lets sessions of this agent
	// use permission modes that run tools without asking (claude
	// bypassPermissions and auto, codex never, gemini yolo; see
	// agent.SkipsApprovals). Off by default: without it such a session is
	// refused.
	AllowUnsafeModes bool
	// NoDefaultEnv (`default_env = false`) turns off the variables an
	// agent gets by default besides HOME and PATH (agent.DefaultPassEnv).
	NoDefaultEnv bool
}

// PolicyAgent is what the policy checks of a's launch: its program and
// environment rules. It lets an Agent be passed to policy.AgentEnv.
func (a Agent) PolicyAgent() policy.Agent {
	return policy.Agent{Command: a.Command, Env: a.Env, PassEnv: a.PassEnv}
}

type rawAgent struct {
	Command  string            `toml:"command"`
	Args     []string          `toml:"args"`
	Env      map[string]string `toml:"env"`
	PassEnv  []string          `toml:"pass_env"`
	Protocol string            `toml:"protocol"`
	// AllowUnsafeModes opts in to modes that skip approvals.
	AllowUnsafeModes bool `toml:"allow_unsafe_modes"`
	// DefaultEnv is a pointer: a missing key means true.
	DefaultEnv *bool `toml:"default_env"`
}

func (v *validator) agent(name string, ra rawAgent) (Agent, error) {
	where := fmt.Sprintf("%s: [agents.%s]", v.name, name)
	a := Agent{Command: ra.Command, Args: ra.Args, Env: ra.Env, PassEnv: ra.PassEnv, Protocol: ra.Protocol,
		AllowUnsafeModes: ra.AllowUnsafeModes,
		NoDefaultEnv:     ra.DefaultEnv != nil && !*ra.DefaultEnv}
	e, err := agent.Resolve(name, a.Protocol)
	if err != nil {
		return a, fmt.Errorf("%s: %w", where, err)
	}
	a.Protocol = e.Protocol
	if a.Command == "" {
		a.Command = name // the CLI is usually called like the agent
	}
	if strings.ContainsRune(a.Command, 0) {
		return a, fmt.Errorf("%s: command contains a NUL byte", where)
	}
	for k, val := range a.Env {
		if err := checkEnvName(k); err != nil {
			return a, fmt.Errorf("%s: env: %v", where, err)
		}
		if strings.ContainsRune(val, 0) {
			return a, fmt.Errorf("%s: env: value of %s contains a NUL byte", where, k)
		}
	}
	for _, k := range a.PassEnv {
		if err := checkEnvPattern(k); err != nil {
			return a, fmt.Errorf("%s: pass_env: %v", where, err)
		}
	}
	for i, s := range a.Args {
		if strings.ContainsRune(s, 0) {
			return a, fmt.Errorf("%s: args[%d] contains a NUL byte", where, i)
		}
	}
	return a, nil
}
