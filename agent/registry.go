package agent

import (
	"fmt"
	"strconv"
	"strings"
)

// Entry is everything corral knows about one agent protocol and, for a
// built-in agent, the CLI that speaks it: the one place these facts live.
// Configuration validation, sessions, `corral doctor` and ListAgents read
// them through Lookup and Resolve.
type Entry struct {
	// Protocol is the `protocol` value of an [agents.NAME] table.
	Protocol string
	// Display is the CLI's name for people ("Claude Code"); empty for a
	// protocol whose agents are named by the configuration (acp, jsonl,
	// text).
	Display string
	// Builtin: an agent named Protocol works without an [agents] table,
	// running the CLI of that name.
	Builtin bool
	// CLI is the CLI of a built-in agent: its command, npm package and the
	// version the adapter was verified against (the version probe of
	// `corral doctor`); zero for the other protocols.
	CLI CLISpec
	// Modes are the permission modes the protocol accepts, in the order a
	// UI offers them; nil when it has none or the agent defines its own
	// (OwnModes).
	Modes []Mode
	// OwnModes: the agent names its own modes (ACP), so any plain token
	// is accepted; UnsafeModes are the known ids among them that run
	// tools without asking.
	OwnModes    bool
	UnsafeModes []string
	// Steer: the protocol takes user input into a running turn (its Conn
	// implements Steerer); a UI offers "send now" for queued messages
	// only then.
	Steer bool
	// Models are models the CLI is known to accept, for a model picker
	// (the agent's own report, agent.init's model, adds to them); any
	// plain model name is still accepted (CheckModel).
	Models []ModelInfo
	// PlanMode is the permission mode in which the agent only plans and
	// changes nothing ("" when it has none).
	PlanMode string
	// ModelSwitch and ModeSwitch say when a model or permission mode
	// chosen while a session runs takes effect.
	ModelSwitch, ModeSwitch Switch
	// Credentials are the CLI's documented credential and endpoint
	// variables; zero for protocols without a known CLI.
	Credentials Credentials
	// adapter builds the adapter for an agent named name ("" for the
	// protocol's own name).
	adapter func(name string) Adapter
}

// Mode is one permission (approval) mode of an agent protocol.
type Mode struct {
	Name string
	// SkipsApprovals is true for a mode in which the agent runs tools
	// (shell commands, file writes) without asking anyone: such a mode
	// needs the agent's allow_unsafe_modes opt-in.
	SkipsApprovals bool
}

// registry holds the protocols in the order they are documented. Modes are
// as the pinned CLI versions document them (claude --permission-mode,
// codex app-server approvalPolicy, gemini --approval-mode); Claude's
// "auto" lets a classifier approve tool calls instead of the user, so it
// counts as skipping approvals. Credentials: Claude Code's "Environment
// variables" page, Codex's config docs and `codex login --with-api-key`,
// Gemini CLI's docs/get-started/authentication. ACP mode ids are the
// agent's own; the unsafe ones are those claude-code-acp, gemini --acp and
// codex-acp use.
var registry = []Entry{
	{
		Protocol: "claude", Display: "Claude Code", Builtin: true,
		CLI: CLISpec{Name: "claude", Command: "claude", Package: "@anthropic-ai/claude-code", Tested: "2.1.197"},
		Modes: []Mode{{Name: "default"}, {Name: "acceptEdits"}, {Name: "plan"}, {Name: "dontAsk"},
			{Name: "auto", SkipsApprovals: true}, {Name: "bypassPermissions", SkipsApprovals: true}},
		Models:   knownModels("claude-sonnet-4-5", "claude-opus-4-5", "claude-haiku-4-5", "claude-sonnet-4-5[1m]"),
		PlanMode: "plan", ModelSwitch: SwitchLive, ModeSwitch: SwitchLive,
		Credentials: Credentials{
			Keys: []string{"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"},
			Env: []string{
				"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_BASE_URL",
				"ANTHROPIC_CUSTOM_HEADERS", "ANTHROPIC_MODEL", "ANTHROPIC_SMALL_FAST_MODEL",
				"ANTHROPIC_DEFAULT_OPUS_MODEL", "ANTHROPIC_DEFAULT_SONNET_MODEL", "ANTHROPIC_DEFAULT_HAIKU_MODEL",
				"CLAUDE_CONFIG_DIR",
				"CLAUDE_CODE_USE_BEDROCK", "AWS_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
				"AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK", "ANTHROPIC_BEDROCK_BASE_URL",
				"CLAUDE_CODE_USE_VERTEX", "ANTHROPIC_VERTEX_PROJECT_ID", "CLOUD_ML_REGION", "ANTHROPIC_VERTEX_BASE_URL",
				"GOOGLE_APPLICATION_CREDENTIALS",
			},
			Files: []string{".claude/.credentials.json", ".claude.json"},
			Login: "claude /login",
		},
		adapter: func(string) Adapter { return Claude{} },
	},
	{
		Protocol: "codex", Display: "Codex", Builtin: true,
		CLI:    CLISpec{Name: "codex", Command: "codex", Package: "@openai/codex", Tested: "0.171.0"},
		Modes:  []Mode{{Name: "untrusted"}, {Name: "on-request"}, {Name: "never", SkipsApprovals: true}},
		Models: knownModels("gpt-5-codex", "gpt-5", "gpt-5-mini"), ModelSwitch: SwitchNextTurn, ModeSwitch: SwitchNextTurn,
		Steer: true, // turn/steer
		Credentials: Credentials{
			Keys: []string{"OPENAI_API_KEY", "CODEX_API_KEY"},
			Env: []string{
				"OPENAI_API_KEY", "CODEX_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORGANIZATION", "OPENAI_PROJECT",
				"CODEX_HOME", "AZURE_OPENAI_API_KEY",
			},
			Files: []string{".codex/auth.json"},
			Login: "codex login",
		},
		adapter: func(string) Adapter { return Codex{} },
	},
	{
		Protocol: "gemini", Display: "Gemini CLI", Builtin: true,
		CLI:      CLISpec{Name: "gemini", Command: "gemini", Package: "@google/gemini-cli", Tested: "0.61.0"},
		Modes:    []Mode{{Name: "default"}, {Name: "auto_edit"}, {Name: "plan"}, {Name: "yolo", SkipsApprovals: true}},
		Models:   knownModels("gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"),
		PlanMode: "plan", ModelSwitch: SwitchNextStart, ModeSwitch: SwitchNextStart,
		Credentials: Credentials{
			Keys: []string{"GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_APPLICATION_CREDENTIALS"},
			Env: []string{
				"GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "GEMINI_MODEL",
				"GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_GCA", "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION",
				"GOOGLE_APPLICATION_CREDENTIALS", "GEMINI_CLI_SYSTEM_SETTINGS_PATH",
			},
			Files: []string{".gemini/oauth_creds.json", ".gemini/settings.json"},
			Login: "gemini (choose \"Login with Google\")",
		},
		adapter: func(string) Adapter { return Gemini{} },
	},
	{
		Protocol: "acp", OwnModes: true, ModelSwitch: SwitchLive, ModeSwitch: SwitchLive,
		UnsafeModes: []string{"bypassPermissions", "yolo", "never", "full-access", "danger-full-access"},
		adapter:     func(name string) Adapter { return ACP{AdapterName: name} },
	},
	// A JSONL program speaks corral's events (turn.completed included)
	// and keeps running; a plain-text program runs once per turn, which
	// is the only way its turns can end.
	{Protocol: "jsonl", adapter: func(name string) Adapter { return Generic{AdapterName: name, JSONL: true} }},
	{Protocol: "text", adapter: func(name string) Adapter { return Generic{AdapterName: name, PerTurnMode: true} }},
}

// Entries returns the registry, in the order protocols are documented.
// The entries are copies: changing one changes nothing else.
func Entries() []Entry {
	out := make([]Entry, len(registry))
	for i, e := range registry {
		out[i] = e.clone()
	}
	return out
}

// Lookup returns (a copy of) the entry of protocol.
func Lookup(protocol string) (Entry, bool) {
	for _, e := range registry {
		if e.Protocol == protocol {
			return e.clone(), true
		}
	}
	return Entry{}, false
}

// clone copies the slices of e, so no caller can change the registry.
func (e Entry) clone() Entry {
	e.Modes = append([]Mode(nil), e.Modes...)
	e.UnsafeModes = append([]string(nil), e.UnsafeModes...)
	e.Models = append([]ModelInfo(nil), e.Models...)
	c := &e.Credentials
	c.Keys = append([]string(nil), c.Keys...)
	c.Env = append([]string(nil), c.Env...)
	c.Files = append([]string(nil), c.Files...)
	return e
}

// Protocols lists every protocol an [agents.NAME] table may name.
func Protocols() []string {
	out := make([]string, len(registry))
	for i, e := range registry {
		out[i] = e.Protocol
	}
	return out
}

// BuiltinNames lists the agents that work without configuration.
func BuiltinNames() []string {
	var out []string
	for _, e := range registry {
		if e.Builtin {
			out = append(out, e.Protocol)
		}
	}
	return out
}

// ProtocolError is an [agents.NAME] table whose protocol is missing (for
// a name that is not a built-in agent) or unknown.
type ProtocolError struct {
	Agent    string
	Protocol string // "" when missing
}

func (e *ProtocolError) Error() string {
	if e.Protocol == "" {
		return fmt.Sprintf("protocol is required for an agent not named %s (one of %s)",
			orList(BuiltinNames()), strings.Join(Protocols(), ", "))
	}
	return fmt.Sprintf("protocol %q is not one of %s", e.Protocol, strings.Join(Protocols(), ", "))
}

// orList is "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// Resolve returns the entry of the agent configured as name with protocol
// (its `protocol` value; "" selects the built-in agent of that name). It
// replaces a factory: Entry.Adapter builds the adapter. The error is a
// *ProtocolError.
func Resolve(name, protocol string) (Entry, error) {
	if protocol == "" {
		if e, ok := Lookup(name); ok && e.Builtin {
			return e, nil
		}
		return Entry{}, &ProtocolError{Agent: name}
	}
	if e, ok := Lookup(protocol); ok {
		return e, nil
	}
	return Entry{}, &ProtocolError{Agent: name, Protocol: protocol}
}

// Adapter returns the adapter for an agent of this protocol named name;
// name is what ACP and generic adapters report as Name ("" for the
// protocol's name). Adapters are stateless values.
func (e Entry) Adapter(name string) Adapter { return e.adapter(name) }

// InstallHint is the command that installs the CLI, "" when there is none.
func (e Entry) InstallHint() string { return e.CLI.InstallHint() }

// SkipsApprovals reports whether mode runs tools without asking.
func (e Entry) SkipsApprovals(mode string) bool {
	if e.OwnModes {
		for _, m := range e.UnsafeModes {
			if m == mode {
				return true
			}
		}
		return false
	}
	for _, m := range e.Modes {
		if m.Name == mode {
			return m.SkipsApprovals
		}
	}
	return false
}

// CheckPermissionMode accepts an empty mode (the agent's default), one of
// Modes, or, when the agent names its own, any plain token. The error is
// an *InvalidOptionError.
func (e Entry) CheckPermissionMode(mode string) error {
	switch {
	case mode == "":
		return nil
	case e.OwnModes && tokenRE.MatchString(mode):
		return nil
	case e.OwnModes:
		return &InvalidOptionError{Option: "permission mode", Value: mode, Reason: "is not a plain mode id"}
	case len(e.Modes) == 0:
		return &InvalidOptionError{Option: "permission mode", Value: mode,
			Reason: "cannot be set: protocol " + strconv.Quote(e.Protocol) + " has no permission modes"}
	}
	names := make([]string, len(e.Modes))
	for i, m := range e.Modes {
		if m.Name == mode {
			return nil
		}
		names[i] = m.Name
	}
	return &InvalidOptionError{Option: "permission mode", Value: mode, Reason: "is not one of " + strings.Join(names, ", ")}
}

// PermissionModes returns the modes protocol accepts and true, or nil and
// false when the agent defines its own (acp: any plain token) or has none
// (jsonl, text).
func PermissionModes(protocol string) ([]Mode, bool) {
	e, _ := Lookup(protocol)
	return e.Modes, len(e.Modes) > 0
}

// SkipsApprovals reports whether mode, for an agent speaking protocol,
// runs tools without asking.
func SkipsApprovals(protocol, mode string) bool {
	e, _ := Lookup(protocol)
	return e.SkipsApprovals(mode)
}

// CheckPermissionMode is Entry.CheckPermissionMode for protocol; an
// unknown protocol has no modes.
func CheckPermissionMode(protocol, mode string) error {
	e, ok := Lookup(protocol)
	if !ok {
		e = Entry{Protocol: protocol}
	}
	return e.CheckPermissionMode(mode)
}
