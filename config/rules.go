package config

import (
	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/policy"
)

// PolicyRules converts the configuration into the rules policy.New
// compiles: the capabilities as they are, the [limits] defaults, the
// [policy] sidecar directory, each [agents.NAME] table's program and
// environment, and the built-in agents of agent's registry (which run
// without a table). A nil Config yields the built-in agents only. It makes
// *Config a policy.RuleSource.
func (c *Config) PolicyRules() policy.Rules {
	r := policy.Rules{BuiltinAgents: agent.BuiltinNames()}
	if c == nil {
		return r
	}
	r.Capabilities = c.Capabilities
	r.SidecarDir = c.Policy.SidecarDir
	l := c.Limits
	r.Defaults = policy.Limits{Timeout: l.Timeout, IdleTimeout: l.IdleTimeout, MaxOutput: l.MaxOutput,
		MaxStreamOutput: l.MaxStreamOutput, MaxLine: l.MaxLine, MaxConcurrent: l.MaxConcurrent}
	if len(c.Agents) > 0 {
		r.Agents = make(map[string]policy.Agent, len(c.Agents))
		for name, a := range c.Agents {
			r.Agents[name] = a.PolicyAgent()
		}
	}
	return r
}
