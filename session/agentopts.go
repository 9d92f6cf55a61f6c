package session

import (
	"fmt"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/policy"
)

// checkAgentOptions decides whether a session of agent name (configured as
// cfg) may run with model and permission mode: a model or mode that is not
// a plain value, or a mode the agent's protocol does not know, is
// ErrInvalid; a mode that runs tools without asking (agent.SkipsApprovals)
// is a *policy.Denied with rule agent.unsafe-mode unless the agent sets
// allow_unsafe_modes. It is checked when a session is created and again
// before every launch, so withdrawing the opt-in stops stored sessions too.
func checkAgentOptions(name string, cfg config.Agent, model, mode string) error {
	if err := agent.CheckModel(model); err != nil {
		return fmt.Errorf("%w: agent %q: %v", ErrInvalid, name, err)
	}
	if err := agent.CheckPermissionMode(cfg.Protocol, mode); err != nil {
		return fmt.Errorf("%w: agent %q: %v", ErrInvalid, name, err)
	}
	if agent.SkipsApprovals(cfg.Protocol, mode) && !cfg.AllowUnsafeModes {
		return &policy.Denied{Capability: policy.AgentPrefix + name, Rule: policy.RuleAgentUnsafeMode, Position: -1,
			Pattern: "allow_unsafe_modes = true", Given: mode,
			Message: fmt.Sprintf("permission mode %q runs tools without asking for approval; to allow it, set allow_unsafe_modes = true under [agents.%s] in the configuration", mode, name)}
	}
	return nil
}

// checkOptions is checkAgentOptions for an agent looked up by name.
func (m *Manager) checkOptions(name, model, mode string) error {
	cfg, ok := m.agentConfig(name)
	if !ok {
		return fmt.Errorf("%w: unknown agent %q (configure it under [agents.%s])", ErrInvalid, name, name)
	}
	return checkAgentOptions(name, cfg, model, mode)
}

// skipsApprovals reports whether a session of agent name in mode runs
// tools without asking (Info.ApprovalsSkipped).
func (m *Manager) skipsApprovals(name, mode string) bool {
	if mode == "" {
		return false
	}
	protocol, ok := m.agentProtocol(name)
	return ok && agent.SkipsApprovals(protocol, mode)
}

// offeredModes are the permission modes ListAgents offers for an agent:
// its protocol's modes, without those that skip approvals unless the
// agent opts in. nil for protocols whose modes are the agent's own.
func offeredModes(cfg config.Agent) []string {
	modes, _ := agent.PermissionModes(cfg.Protocol)
	var out []string
	for _, md := range modes {
		if !md.SkipsApprovals || cfg.AllowUnsafeModes {
			out = append(out, md.Name)
		}
	}
	return out
}
