package session

import (
	"fmt"

	"github.com/corral-dev/corral/agent"
)

// AgentModels is what a model picker and a mode switch offer for an agent
// (ListModels).
type AgentModels struct {
	Agent string `json:"agent"`
	// Models are the models the agent is known to run, with their context
	// windows; an agent may report more (agent.init's model and models),
	// and any plain model name is accepted.
	Models []agent.ModelInfo `json:"models"`
	// PermissionModes are the modes offered (as ListAgents); PlanMode is
	// the one in which the agent only plans ("" when it has none).
	PermissionModes []string `json:"permissionModes,omitempty"`
	PlanMode        string   `json:"planMode,omitempty"`
	// ModelSwitch and ModeSwitch say when a change made while the session
	// runs takes effect (live, next_turn, next_start; "" when the agent
	// has no such option).
	ModelSwitch agent.Switch `json:"modelSwitch"`
	ModeSwitch  agent.Switch `json:"modeSwitch"`
	// Limits says in words what the agent cannot do, for the UI.
	Limits []string `json:"limits,omitempty"`
}

// Models returns the model and mode choices of the agent named name.
func (m *Manager) Models(name string) (AgentModels, error) {
	cfg, ok := m.agentConfig(name)
	if !ok {
		return AgentModels{}, fmt.Errorf("%w: unknown agent %q (configure it under [agents.%s])", ErrInvalid, name, name)
	}
	e, _ := agent.Lookup(cfg.Protocol)
	out := AgentModels{Agent: name, Models: e.Models, PermissionModes: offeredModes(cfg), ModelSwitch: e.ModelSwitch, ModeSwitch: e.ModeSwitch}
	if out.Models == nil {
		out.Models = []agent.ModelInfo{}
	}
	for _, md := range out.PermissionModes {
		if md == e.PlanMode && md != "" {
			out.PlanMode = md
		}
	}
	out.Limits = switchLimits(displayName(name, e), e)
	return out, nil
}

// displayName is the CLI's name, else the agent's.
func displayName(name string, e agent.Entry) string {
	if e.Display != "" {
		return e.Display
	}
	return name
}

// switchLimits says, per option, when a change does not apply at once.
func switchLimits(who string, e agent.Entry) []string {
	var out []string
	for _, o := range []struct {
		what string
		sw   agent.Switch
	}{{"model", e.ModelSwitch}, {"permission mode", e.ModeSwitch}} {
		switch o.sw {
		case agent.SwitchNextTurn:
			out = append(out, fmt.Sprintf("%s: a %s change applies from the next turn", who, o.what))
		case agent.SwitchNextStart:
			out = append(out, fmt.Sprintf("%s: a %s change applies on the next start of the agent", who, o.what))
		case agent.SwitchNone:
			out = append(out, fmt.Sprintf("%s has no %s to choose", who, o.what))
		}
	}
	if e.OwnModes {
		out = append(out, who+": models and modes are the agent's own; changes apply if the agent supports session/set_model and session/set_mode")
	}
	return out
}
