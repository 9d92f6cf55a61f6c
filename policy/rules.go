package policy

import "time"

// Rules are what New compiles: the allow-listed commands, the agents and
// the default limits. They are plain values; package config reads them
// from corral's TOML file (config.Config satisfies RuleSource), and a
// program that embeds policy may build them by hand.
type Rules struct {
	// Capabilities are the allow-listed commands, in the order
	// ListCapabilities reports them.
	Capabilities []Capability
	// Agents maps an agent name to how its program is launched; each is
	// checked as AgentPrefix+name.
	Agents map[string]Agent
	// BuiltinAgents are agent names checked as AgentPrefix+name even
	// without an entry in Agents: they run the program of that name found
	// on PATH. A built-in agent whose program is missing is listed as
	// unavailable and never makes New fail, even with Options.Strict.
	BuiltinAgents []string
	// Defaults are the limits of every capability and agent that does not
	// set its own; zero fields fall back to DefaultMaxOutput and
	// DefaultMaxLine (byte caps) or no limit (times, concurrency).
	Defaults Limits
	// SidecarDir is searched for "sidecar:NAME" programs before the
	// directory of corral's executable; Options.SidecarDir overrides it.
	SidecarDir string
}

// PolicyRules returns r itself, so that a Rules value can be passed to New.
func (r Rules) PolicyRules() Rules { return r }

// RuleSource is anything New can compile: a Rules value, or a loaded
// configuration that converts itself (config.Config).
type RuleSource interface {
	PolicyRules() Rules
}

// Capability is one allow-listed command. Zero limits mean "use
// Rules.Defaults".
type Capability struct {
	// Name is what a Request names; it must not be empty or contain ':'.
	Name string
	// Program is an absolute path, a PATH name (resolved once by New) or
	// "sidecar:NAME".
	Program string
	// Args is the exact positional shape the caller's arguments must have.
	Args []Arg
	// Flags are exact arguments the caller may add anywhere, each at most
	// once. A flag must be self-contained (no separate value argument).
	Flags []string
	// Env holds fixed values for the child's environment.
	Env map[string]string
	// PassEnv lists variables copied from corral's environment by name (a
	// trailing "*" copies a prefix, never a loader-injection variable).
	PassEnv []string
	// CallerEnv lists variables the caller may set for one run.
	CallerEnv []string
	// Cwd lists the allowed working-directory roots, absolute paths.
	Cwd             []string
	Timeout         time.Duration
	IdleTimeout     time.Duration
	MaxOutput       int64
	MaxStreamOutput int64
	MaxLine         int64
	MaxConcurrent   int
	// SHA256 is an optional lower-case hex pin of the program's contents.
	SHA256 string
}

// Arg is one entry of a capability's positional argument list. A fixed
// argument has Validator == "" and must be given exactly as Value; a
// validator entry must match the caller's argument in full.
type Arg struct {
	// Value is the exact string a fixed argument requires.
	Value string
	// Validator is a Go (RE2) regular expression. It is always anchored at
	// both ends: "[a-z]+" means "^(?:[a-z]+)$" (see Anchor).
	Validator string
	// Optional lets the caller leave this argument out. Only optional or
	// rest entries may follow an optional one.
	Optional bool
	// Rest makes this last entry match zero or more remaining arguments,
	// each of which must match Validator.
	Rest bool
}

// Fixed reports whether a is a fixed string rather than a validator.
func (a Arg) Fixed() bool { return a.Validator == "" }

// Agent is how one agent's program is launched, as far as the policy is
// concerned: the adapter builds the argv, so only the program and the
// environment are rules.
type Agent struct {
	// Command is a PATH name or an absolute path.
	Command string
	// Env holds fixed values for the child's environment; they win over
	// PassEnv.
	Env map[string]string
	// PassEnv lists variables copied from corral's environment by name. An
	// entry ending in "*" copies every variable with that prefix, except
	// loader-injection variables, which must be named in full.
	PassEnv []string
}

// PolicyAgent returns a itself, so that an Agent can be passed to
// AgentEnv.
func (a Agent) PolicyAgent() Agent { return a }

// AgentSource is anything AgentEnv can read an agent's environment rules
// from: an Agent, or a configured agent that converts itself
// (config.Agent).
type AgentSource interface {
	PolicyAgent() Agent
}
