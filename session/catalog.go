package session

import (
	"context"
	"fmt"
	"strings"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/policy"
)

// DefaultAdapters returns the adapters of every protocol in the agent
// registry, by protocol.
func DefaultAdapters() map[string]agent.Adapter {
	m := map[string]agent.Adapter{}
	for _, e := range agent.Entries() {
		m[e.Protocol] = e.Adapter("")
	}
	return m
}

func (m *Manager) agentConfig(name string) (config.Agent, bool) {
	if a, ok := m.settings.get().agents[name]; ok {
		if a.Protocol == "" {
			a.Protocol = name
		}
		if a.Command == "" {
			a.Command = name
		}
		return withDefaultEnv(a), true
	}
	if e, ok := agent.Lookup(name); ok && e.Builtin {
		return withDefaultEnv(config.Agent{Command: name, Protocol: name}), true
	}
	return config.Agent{}, false
}

// agentProtocol is the protocol of agent name, as agentConfig resolves
// it, without the rest of the config (the session list asks it of every
// session on every call).
func (m *Manager) agentProtocol(name string) (string, bool) {
	if a, ok := m.settings.get().agents[name]; ok {
		if a.Protocol == "" {
			return name, true
		}
		return a.Protocol, true
	}
	if e, ok := agent.Lookup(name); ok && e.Builtin {
		return name, true
	}
	return "", false
}

func (m *Manager) adapterFor(name string) (agent.Adapter, config.Agent, error) {
	cfg, ok := m.agentConfig(name)
	if !ok {
		return nil, cfg, fmt.Errorf("%w: unknown agent %q (configure it under [agents.%s])", ErrInvalid, name, name)
	}
	ad, ok := m.o.Adapters[cfg.Protocol]
	if !ok {
		return nil, cfg, fmt.Errorf("%w: agent %q uses protocol %q, which this build does not support", ErrInvalid, name, cfg.Protocol)
	}
	return ad, cfg, nil
}

// Agents lists every configured or built-in agent with its resolved path
// and availability, as the policy sees it.
func (m *Manager) Agents(ctx context.Context) ([]AgentInfo, error) {
	var out []AgentInfo
	for _, c := range m.settings.get().policy.ListCapabilities() {
		if c.Kind != "agent" {
			continue
		}
		name := strings.TrimPrefix(c.Name, policy.AgentPrefix)
		cfg, _ := m.agentConfig(name)
		entry, _ := agent.Lookup(cfg.Protocol)
		ai := AgentInfo{Name: name, Command: c.ProgramSpec, Protocol: cfg.Protocol, Path: c.Program, Status: "ok"}
		if !c.Available {
			ai.Status, ai.Message = "missing", c.Reason
			ai.Install = entry.InstallHint()
		}
		if _, ok := m.o.Adapters[cfg.Protocol]; !ok {
			ai.Status, ai.Message = "error", "protocol "+cfg.Protocol+" is not supported by this build"
		}
		ai.DisplayName = entry.Display
		ai.PermissionModes = offeredModes(cfg)
		ai.Capabilities = entry.Capabilities()
		ai.CanFork = m.canFork(name)
		out = append(out, ai)
	}
	return out, nil
}

// withDefaultEnv adds the variables an agent's CLI documents for its
// credentials, endpoints and proxies (agent.DefaultPassEnv) in front of
// its own pass_env, unless its configuration says default_env = false.
// Its env values still win over anything passed.
func withDefaultEnv(a config.Agent) config.Agent {
	if a.NoDefaultEnv {
		return a
	}
	a.PassEnv = append(agent.DefaultPassEnv(a.Protocol), a.PassEnv...)
	return a
}
