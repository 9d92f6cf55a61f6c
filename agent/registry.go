package agent

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

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

// Mode is one permission (approval) mode of an agent protocol.
type Mode struct {
	Name string
	// SkipsApprovals is true for a mode in which the agent runs tools
	// (shell commands, file writes) without asking anyone: such a mode
	// needs the agent's allow_unsafe_modes opt-in.
	SkipsApprovals bool
}

// protocolModes are the modes the built-in protocols accept, in the order
// a UI offers them, as the pinned CLI versions document them (claude
// --permission-mode, codex app-server approvalPolicy, gemini
// --approval-mode). Claude's "auto" lets a classifier approve tool calls
// instead of the user, so it counts as skipping approvals.
var protocolModes = map[string][]Mode{
	"claude": {{Name: "default"}, {Name: "acceptEdits"}, {Name: "plan"}, {Name: "dontAsk"},
		{Name: "auto", SkipsApprovals: true}, {Name: "bypassPermissions", SkipsApprovals: true}},
	"codex":  {{Name: "untrusted"}, {Name: "on-request"}, {Name: "never", SkipsApprovals: true}},
	"gemini": {{Name: "default"}, {Name: "auto_edit"}, {Name: "plan"}, {Name: "yolo", SkipsApprovals: true}},
}

// acpUnsafeModes are the mode ids known ACP agents use for running tools
// without asking (claude-code-acp, gemini --acp, codex-acp). ACP mode ids
// are the agent's own, so any other plain id is passed through.
var acpUnsafeModes = map[string]bool{"bypassPermissions": true, "yolo": true, "never": true,
	"full-access": true, "danger-full-access": true}

// PermissionModes returns the modes protocol accepts and true, or nil and
// false when the agent defines its own (acp: any plain token) or has none
// (jsonl, text).
func PermissionModes(protocol string) ([]Mode, bool) {
	m, ok := protocolModes[protocol]
	return append([]Mode(nil), m...), ok
}

// SkipsApprovals reports whether mode, for an agent speaking protocol,
// runs tools without asking.
func SkipsApprovals(protocol, mode string) bool {
	if protocol == "acp" {
		return acpUnsafeModes[mode]
	}
	for _, m := range protocolModes[protocol] {
		if m.Name == mode {
			return m.SkipsApprovals
		}
	}
	return false
}

// InvalidOptionError is a model or permission mode an agent cannot be
// given.
type InvalidOptionError struct {
	Option string // "model" or "permission mode"
	Value  string
	Reason string
}

func (e *InvalidOptionError) Error() string {
	return fmt.Sprintf("%s %s %s", e.Option, strconv.Quote(e.Value), e.Reason)
}

// tokenRE is a plain model or mode token: it starts with a letter or a
// digit (so never with '-', which a CLI would read as an option) and holds
// only characters model names use (claude-opus-4-1[1m], gpt-5-codex,
// gemini-2.5-pro, openai/gpt-4o, us.anthropic.claude-3-7-sonnet-v1:0,
// gpt-oss:20b).
var tokenRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/@+\[\]-]{0,127}$`)

// CheckModel accepts an empty model (the agent's default) or a plain token
// (tokenRE). Model names change too often for a closed list, so any plain
// token is passed on and the agent itself refuses names it does not know.
func CheckModel(model string) error {
	if model == "" || tokenRE.MatchString(model) {
		return nil
	}
	return &InvalidOptionError{Option: "model", Value: model,
		Reason: "is not a plain model name (a letter or digit, then letters, digits and . _ : / @ + [ ] -, at most 128)"}
}

// CheckPermissionMode accepts an empty mode (the agent's default), one of
// the protocol's modes, or for acp any plain token. jsonl and text agents
// take no mode.
func CheckPermissionMode(protocol, mode string) error {
	if mode == "" {
		return nil
	}
	if modes, ok := protocolModes[protocol]; ok {
		names := make([]string, len(modes))
		for i, m := range modes {
			if m.Name == mode {
				return nil
			}
			names[i] = m.Name
		}
		return &InvalidOptionError{Option: "permission mode", Value: mode,
			Reason: "is not one of " + strings.Join(names, ", ")}
	}
	if protocol == "acp" && tokenRE.MatchString(mode) {
		return nil
	}
	if protocol == "acp" {
		return &InvalidOptionError{Option: "permission mode", Value: mode, Reason: "is not a plain mode id"}
	}
	return &InvalidOptionError{Option: "permission mode", Value: mode,
		Reason: "cannot be set: protocol " + strconv.Quote(protocol) + " has no permission modes"}
}

// checkOptions is what every adapter's Launch checks before it builds a
// command line: a value that could be read as an option never reaches it.
func checkOptions(protocol string, opts SessionOptions) error {
	if err := CheckModel(opts.Model); err != nil {
		return err
	}
	return CheckPermissionMode(protocol, opts.PermissionMode)
}
