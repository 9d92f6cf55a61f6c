package agent

import "fmt"

// New returns the adapter for an agent named in the configuration. name is
// the [agents.NAME] key; protocol is its `protocol` value, empty for the
// built-in agents: "claude", "codex" and "gemini" need none; any other
// name needs "acp", "jsonl" or "text" ("jsonl-per-turn" and
// "text-per-turn" start one process per turn).
func New(name, protocol string) (Adapter, error) {
	switch protocol {
	case "":
		switch name {
		case "claude", "codex", "gemini":
			// A built-in agent speaks the protocol named after it.
			return New(name, name)
		}
		return nil, fmt.Errorf("agent %q: not a built-in agent; set protocol to acp, jsonl or text", name)
	case "claude":
		return Claude{}, nil
	case "codex":
		return Codex{}, nil
	case "gemini":
		return Gemini{}, nil
	case "acp":
		return ACP{AdapterName: name}, nil
	case "jsonl":
		return Generic{AdapterName: name, JSONL: true}, nil
	case "jsonl-per-turn":
		return Generic{AdapterName: name, JSONL: true, PerTurnMode: true}, nil
	case "text":
		return Generic{AdapterName: name}, nil
	case "text-per-turn":
		return Generic{AdapterName: name, PerTurnMode: true}, nil
	}
	return nil, fmt.Errorf("agent %q: unknown protocol %q (want acp, jsonl, text, jsonl-per-turn or text-per-turn)", name, protocol)
}
