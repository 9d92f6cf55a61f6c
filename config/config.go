// Package config loads corral's one TOML configuration file: the agents it
// can launch, the capabilities (allow-listed commands) callers may run, and
// server and limit defaults.
//
// Loading is strict: an unknown key is an error that names the key and its
// line, and every duration, byte size, regular expression and path is
// validated when the file is read, so a mistake is reported at start-up and
// never at the moment a command runs. The policy package turns a loaded
// Config into the checks every spawn goes through.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is a loaded, validated configuration. The zero value is the empty
// configuration (no agents overridden, no capabilities).
type Config struct {
	// Path is the file the configuration was read from; empty when no file
	// existed and the defaults were used.
	Path string
	// Agents maps an agent name ("claude", "codex", "gemini" or any other
	// name with an explicit protocol) to how it is launched.
	Agents map[string]Agent
	// Capabilities are the allow-listed commands, in file order.
	Capabilities []Capability
	Server       Server
	// Limits are defaults for capabilities that do not set their own.
	Limits   Limits
	Policy   Policy
	Sessions Sessions
}

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
	// Protocol is one of Protocols. It defaults to the agent's name for
	// claude, codex and gemini and is required for any other name.
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

// Protocols are the agent protocols an [Agent] may name.
var Protocols = []string{"claude", "codex", "gemini", "acp", "jsonl", "text"}

// Arg is one entry of a capability's positional argument list. A fixed
// argument (a plain string in the file) has Validator == "" and must be given
// by the caller exactly as Value; a validator entry (a table in the file)
// must match the caller's argument in full.
type Arg struct {
	// Value is the exact string a fixed argument requires.
	Value string
	// Validator is a Go (RE2) regular expression. It is always anchored at
	// both ends: "[a-z]+" means "^(?:[a-z]+)$".
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

// UnmarshalTOML reads either a plain string (a fixed argument) or a table
// with the keys validator, optional and rest.
func (a *Arg) UnmarshalTOML(v any) error {
	switch t := v.(type) {
	case string:
		*a = Arg{Value: t}
		return nil
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			val := t[k]
			switch k {
			case "validator":
				s, ok := val.(string)
				if !ok {
					return fmt.Errorf("argument key validator must be a string, not %T", val)
				}
				a.Validator = s
			case "optional", "rest":
				b, ok := val.(bool)
				if !ok {
					return fmt.Errorf("argument key %s must be true or false, not %T", k, val)
				}
				if k == "optional" {
					a.Optional = b
				} else {
					a.Rest = b
				}
			default:
				return &unknownArgKeyError{key: k}
			}
		}
		if a.Validator == "" {
			return fmt.Errorf("argument table needs a non-empty validator (a plain string is a fixed argument)")
		}
		return nil
	default:
		return fmt.Errorf("argument must be a string or a table {validator, optional, rest}, not %T", v)
	}
}

type unknownArgKeyError struct{ key string }

func (e *unknownArgKeyError) Error() string {
	return fmt.Sprintf("unknown key %q in an argument table (allowed: validator, optional, rest)", e.key)
}

// Capability is one allow-listed command (`[[capability]]`). Zero limits
// mean "use the [limits] default".
type Capability struct {
	Name string
	// Program is an absolute path, a PATH name (resolved once when the
	// policy is built) or "sidecar:NAME".
	Program string
	// Args is the exact positional shape the caller's arguments must have.
	Args []Arg
	// Flags are exact arguments the caller may add anywhere, each at most
	// once. A flag must be self-contained (no separate value argument).
	Flags []string
	// Env holds fixed values for the child's environment.
	Env map[string]string
	// PassEnv lists variables copied from corral's environment by name
	// (a trailing "*" copies a prefix, never a loader-injection variable).
	PassEnv []string
	// CallerEnv lists variables the caller may set for one run.
	CallerEnv []string
	// Cwd lists the allowed working-directory roots, "~" expanded and made
	// absolute at load.
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

// Server holds the `[server]` table.
type Server struct {
	// Addr is the listen address for browser mode; empty means
	// 127.0.0.1 on a free port.
	Addr string
	// NoOpen stops `corral serve` from opening a browser.
	NoOpen bool
}

// Limits holds the `[limits]` table: defaults applied to every capability
// that does not set its own value, and the global process cap.
type Limits struct {
	Timeout         time.Duration
	IdleTimeout     time.Duration
	MaxOutput       int64
	MaxStreamOutput int64
	MaxLine         int64
	MaxConcurrent   int
	// MaxProcesses caps all live children together (0 = no global cap).
	MaxProcesses int
}

// Policy holds the `[policy]` table.
type Policy struct {
	// SidecarDir is searched for sidecars before the directory of the corral
	// executable. "~" is expanded.
	SidecarDir string
}

// raw* mirror the file; durations and sizes stay untyped until validate
// turns them into values with errors that name the capability and key.
type rawConfig struct {
	Agents     map[string]rawAgent `toml:"agents"`
	Capability []rawCapability     `toml:"capability"`
	Server     rawServer           `toml:"server"`
	Limits     rawLimits           `toml:"limits"`
	Policy     rawPolicy           `toml:"policy"`
	Sessions   rawSessions         `toml:"sessions"`
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

type rawLimitFields struct {
	Timeout         *rawValue `toml:"timeout"`
	IdleTimeout     *rawValue `toml:"idle_timeout"`
	MaxOutput       *rawValue `toml:"max_output"`
	MaxStreamOutput *rawValue `toml:"max_stream_output"`
	MaxLine         *rawValue `toml:"max_line"`
	MaxConcurrent   *int64    `toml:"max_concurrent"`
}

type rawCapability struct {
	Name      string            `toml:"name"`
	Program   string            `toml:"program"`
	Args      []Arg             `toml:"args"`
	Flags     []string          `toml:"flags"`
	Env       map[string]string `toml:"env"`
	PassEnv   []string          `toml:"pass_env"`
	CallerEnv []string          `toml:"caller_env"`
	Cwd       []string          `toml:"cwd"`
	SHA256    string            `toml:"sha256"`
	rawLimitFields
}

type rawServer struct {
	Addr   string `toml:"addr"`
	NoOpen bool   `toml:"no_open"`
}

type rawLimits struct {
	rawLimitFields
	MaxProcesses *int64 `toml:"max_processes"`
}

type rawPolicy struct {
	SidecarDir string `toml:"sidecar_dir"`
}

// rawValue keeps a scalar as decoded so sizes may be written either as a
// string ("64MiB") or a plain integer number of bytes.
type rawValue struct{ v any }

func (r *rawValue) UnmarshalTOML(v any) error { r.v = v; return nil }

// Load reads and validates the configuration at path. An empty path means
// DefaultPath(), and a missing default file yields an empty Config; a
// missing file named explicitly is an error (it wraps fs.ErrNotExist).
func Load(path string) (*Config, error) {
	explicit := path != ""
	if !explicit {
		p, err := DefaultPath()
		if err != nil {
			return &Config{}, nil // no config dir at all: nothing to read
		}
		path = p
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return &Config{}, nil
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := Parse(data, path)
	if err != nil {
		return nil, err
	}
	cfg.Path = path
	return cfg, nil
}

// Parse validates TOML text; name is used in error messages only.
func Parse(data []byte, name string) (*Config, error) {
	var raw rawConfig
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&raw)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d: %s", name, pe.Position.Line, pe.Message)
		}
		var uk *unknownArgKeyError
		if errors.As(err, &uk) {
			return nil, fmt.Errorf("%s:%d: unknown key %q in an argument table (allowed: validator, optional, rest)",
				name, findKeyLine(data, toml.Key{uk.key}), uk.key)
		}
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0]
		return nil, fmt.Errorf("%s:%d: unknown key %q", name, findKeyLine(data, k), k.String())
	}
	home, _ := os.UserHomeDir()
	v := validator{name: name, home: home}
	return v.config(&raw)
}

type validator struct {
	name string
	home string
}

var (
	capNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	sha256RE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

func (v *validator) config(raw *rawConfig) (*Config, error) {
	cfg := &Config{
		Server: Server{Addr: raw.Server.Addr, NoOpen: raw.Server.NoOpen},
	}
	lim, err := v.limits("[limits]", raw.Limits.rawLimitFields)
	if err != nil {
		return nil, err
	}
	cfg.Limits = lim
	if raw.Limits.MaxProcesses != nil {
		if *raw.Limits.MaxProcesses < 0 {
			return nil, fmt.Errorf("%s: [limits]: max_processes must not be negative", v.name)
		}
		cfg.Limits.MaxProcesses = int(*raw.Limits.MaxProcesses)
	}
	if raw.Policy.SidecarDir != "" {
		d, err := v.dir(raw.Policy.SidecarDir)
		if err != nil {
			return nil, fmt.Errorf("%s: [policy]: sidecar_dir: %v", v.name, err)
		}
		cfg.Policy.SidecarDir = d
	}
	if cfg.Sessions, err = v.sessions(raw.Sessions); err != nil {
		return nil, err
	}
	if len(raw.Agents) > 0 {
		cfg.Agents = make(map[string]Agent, len(raw.Agents))
	}
	for name, ra := range raw.Agents {
		a, err := v.agent(name, ra)
		if err != nil {
			return nil, err
		}
		cfg.Agents[name] = a
	}
	seen := map[string]bool{}
	for i, rc := range raw.Capability {
		c, err := v.capability(i, rc)
		if err != nil {
			return nil, err
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("%s: capability %q is defined twice", v.name, c.Name)
		}
		seen[c.Name] = true
		cfg.Capabilities = append(cfg.Capabilities, c)
	}
	return cfg, nil
}

func (v *validator) agent(name string, ra rawAgent) (Agent, error) {
	where := fmt.Sprintf("%s: [agents.%s]", v.name, name)
	a := Agent{Command: ra.Command, Args: ra.Args, Env: ra.Env, PassEnv: ra.PassEnv, Protocol: ra.Protocol,
		AllowUnsafeModes: ra.AllowUnsafeModes,
		NoDefaultEnv:     ra.DefaultEnv != nil && !*ra.DefaultEnv}
	if a.Protocol == "" {
		switch name {
		case "claude", "codex", "gemini":
			a.Protocol = name
		default:
			return a, fmt.Errorf("%s: protocol is required for an agent not named claude, codex or gemini (one of %s)",
				where, strings.Join(Protocols, ", "))
		}
	}
	known := false
	for _, p := range Protocols {
		known = known || p == a.Protocol
	}
	if !known {
		return a, fmt.Errorf("%s: protocol %q is not one of %s", where, a.Protocol, strings.Join(Protocols, ", "))
	}
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

func (v *validator) capability(i int, rc rawCapability) (Capability, error) {
	where := fmt.Sprintf("%s: capability #%d", v.name, i+1)
	if rc.Name != "" {
		where = fmt.Sprintf("%s: capability %q", v.name, rc.Name)
	}
	if !capNameRE.MatchString(rc.Name) {
		return Capability{}, fmt.Errorf("%s: name %q must be 1-64 letters, digits, '.', '_' or '-' starting with a letter or digit", where, rc.Name)
	}
	c := Capability{
		Name: rc.Name, Program: rc.Program, Args: rc.Args, Flags: rc.Flags,
		Env: rc.Env, PassEnv: rc.PassEnv, CallerEnv: rc.CallerEnv, SHA256: strings.ToLower(rc.SHA256),
	}
	if c.Program == "" {
		return c, fmt.Errorf("%s: program is required", where)
	}
	if strings.ContainsRune(c.Program, 0) {
		return c, fmt.Errorf("%s: program contains a NUL byte", where)
	}
	for j, a := range c.Args {
		if a.Fixed() {
			if strings.ContainsRune(a.Value, 0) {
				return c, fmt.Errorf("%s: args[%d] contains a NUL byte", where, j)
			}
			continue
		}
		if _, err := regexp.Compile(a.Validator); err != nil {
			return c, fmt.Errorf("%s: args[%d]: validator %q: %v", where, j, a.Validator, err)
		}
		if a.Rest && j != len(c.Args)-1 {
			return c, fmt.Errorf("%s: args[%d]: only the last argument may have rest = true", where, j)
		}
	}
	for j := 1; j < len(c.Args); j++ {
		prev, cur := c.Args[j-1], c.Args[j]
		if (prev.Optional || prev.Rest) && !(cur.Optional || cur.Rest) {
			return c, fmt.Errorf("%s: args[%d]: a required argument cannot follow an optional one (arity would be ambiguous)", where, j)
		}
	}
	flagSeen := map[string]bool{}
	for j, f := range c.Flags {
		if !strings.HasPrefix(f, "-") || len(f) < 2 || strings.ContainsRune(f, 0) {
			return c, fmt.Errorf("%s: flags[%d] %q must start with '-'", where, j, f)
		}
		if flagSeen[f] {
			return c, fmt.Errorf("%s: flags[%d] %q is listed twice", where, j, f)
		}
		flagSeen[f] = true
		for k, a := range c.Args {
			if a.Fixed() && a.Value == f {
				return c, fmt.Errorf("%s: flags[%d] %q is also the fixed args[%d]; a flag may not double as a positional argument", where, j, f, k)
			}
		}
	}
	for k, val := range c.Env {
		if err := checkEnvName(k); err != nil {
			return c, fmt.Errorf("%s: env: %v", where, err)
		}
		if strings.ContainsRune(val, 0) {
			return c, fmt.Errorf("%s: env: value of %s contains a NUL byte", where, k)
		}
	}
	for _, k := range c.PassEnv {
		if err := checkEnvPattern(k); err != nil {
			return c, fmt.Errorf("%s: pass_env: %v", where, err)
		}
	}
	for _, k := range c.CallerEnv {
		if err := checkEnvName(k); err != nil {
			return c, fmt.Errorf("%s: caller_env: %v", where, err)
		}
	}
	for _, root := range rc.Cwd {
		d, err := v.dir(root)
		if err != nil {
			return c, fmt.Errorf("%s: cwd: %v", where, err)
		}
		c.Cwd = append(c.Cwd, d)
	}
	if c.SHA256 != "" && !sha256RE.MatchString(c.SHA256) {
		return c, fmt.Errorf("%s: sha256 %q must be 64 hex digits", where, rc.SHA256)
	}
	lim, err := v.limits(where, rc.rawLimitFields)
	if err != nil {
		return c, err
	}
	c.Timeout, c.IdleTimeout = lim.Timeout, lim.IdleTimeout
	c.MaxOutput, c.MaxStreamOutput, c.MaxLine = lim.MaxOutput, lim.MaxStreamOutput, lim.MaxLine
	c.MaxConcurrent = lim.MaxConcurrent
	return c, nil
}

// limits converts the shared limit keys; where prefixes every error.
func (v *validator) limits(where string, r rawLimitFields) (Limits, error) {
	var l Limits
	var err error
	if where == "[limits]" {
		where = v.name + ": [limits]"
	}
	if l.Timeout, err = duration(r.Timeout); err != nil {
		return l, fmt.Errorf("%s: timeout: %v", where, err)
	}
	if l.IdleTimeout, err = duration(r.IdleTimeout); err != nil {
		return l, fmt.Errorf("%s: idle_timeout: %v", where, err)
	}
	if l.MaxOutput, err = size(r.MaxOutput); err != nil {
		return l, fmt.Errorf("%s: max_output: %v", where, err)
	}
	if l.MaxStreamOutput, err = size(r.MaxStreamOutput); err != nil {
		return l, fmt.Errorf("%s: max_stream_output: %v", where, err)
	}
	if l.MaxLine, err = size(r.MaxLine); err != nil {
		return l, fmt.Errorf("%s: max_line: %v", where, err)
	}
	if l.MaxOutput > 0 && l.MaxStreamOutput > l.MaxOutput {
		return l, fmt.Errorf("%s: max_stream_output (%s) exceeds max_output (%s)", where,
			FormatSize(l.MaxStreamOutput), FormatSize(l.MaxOutput))
	}
	if r.MaxConcurrent != nil {
		if *r.MaxConcurrent < 0 || *r.MaxConcurrent > 1<<20 {
			return l, fmt.Errorf("%s: max_concurrent %d must be between 0 and %d", where, *r.MaxConcurrent, 1<<20)
		}
		l.MaxConcurrent = int(*r.MaxConcurrent)
	}
	return l, nil
}

func duration(r *rawValue) (time.Duration, error) {
	if r == nil {
		return 0, nil
	}
	s, ok := r.v.(string)
	if !ok {
		return 0, fmt.Errorf("must be a duration string such as \"10m\" or \"90s\", not %v", r.v)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as \"10m\" or \"90s\"", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q must not be negative", s)
	}
	return d, nil
}

func size(r *rawValue) (int64, error) {
	if r == nil {
		return 0, nil
	}
	switch t := r.v.(type) {
	case int64:
		if t <= 0 {
			return 0, fmt.Errorf("%d must be positive", t)
		}
		return t, nil
	case string:
		n, err := ParseSize(t)
		if err != nil {
			return 0, err
		}
		if n <= 0 {
			return 0, fmt.Errorf("%q must be positive", t)
		}
		return n, nil
	default:
		return 0, fmt.Errorf("must be a size such as \"64MiB\" or a number of bytes, not %v", r.v)
	}
}

// dir expands a leading "~" and requires an absolute result. It does not
// require the directory to exist: the policy resolves symlinks when it is
// built and refuses what it cannot resolve.
func (v *validator) dir(p string) (string, error) {
	if strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("%q contains a NUL byte", p)
	}
	e, err := ExpandHome(p, v.home)
	if err != nil {
		return "", err
	}
	if !filepath.IsAbs(e) {
		return "", fmt.Errorf("%q must be absolute or start with ~/", p)
	}
	return filepath.Clean(e), nil
}

// ExpandHome replaces a leading "~" or "~/" with home. "~user" forms are
// refused because they depend on a user database corral does not consult.
func ExpandHome(p, home string) (string, error) {
	if p != "~" && !strings.HasPrefix(p, "~/") && !strings.HasPrefix(p, `~\`) {
		if strings.HasPrefix(p, "~") {
			return "", fmt.Errorf("%q: only ~ and ~/ are expanded, not ~user", p)
		}
		return p, nil
	}
	if home == "" {
		return "", fmt.Errorf("%q: the home directory is unknown", p)
	}
	return filepath.Join(home, p[1:]), nil
}

// checkEnvName accepts a variable name usable in an environment block.
func checkEnvName(k string) error {
	if k == "" || strings.ContainsAny(k, "=\x00") {
		return fmt.Errorf("%q is not a valid variable name", k)
	}
	return nil
}

// checkEnvPattern accepts a name or a prefix ending in "*".
func checkEnvPattern(k string) error {
	base := strings.TrimSuffix(k, "*")
	if base == "" && k == "*" {
		return fmt.Errorf("%q would pass the whole environment; list names instead", k)
	}
	if strings.Contains(base, "*") {
		return fmt.Errorf("%q: '*' is only allowed at the end", k)
	}
	return checkEnvName(base)
}

// findKeyLine returns the 1-based line on which key is defined, following
// table headers so that "capability.progam" finds the progam line inside a
// [[capability]] block; 0 when it cannot be found.
func findKeyLine(data []byte, key toml.Key) int {
	if len(key) == 0 {
		return 0
	}
	var table []string
	lines := strings.Split(string(data), "\n")
	last := key[len(key)-1]
	fallback := 0
	for i, line := range lines {
		s := strings.TrimSpace(line)
		if s == "" || s[0] == '#' {
			continue
		}
		if s[0] == '[' {
			h := strings.Trim(s, "[] \t")
			if j := strings.Index(h, "]"); j >= 0 {
				h = h[:j]
			}
			table = splitDotted(h)
			if equalKeys(table, key) {
				return i + 1
			}
			continue
		}
		eq := strings.Index(s, "=")
		if eq < 0 {
			continue
		}
		full := append(append([]string{}, table...), splitDotted(s[:eq])...)
		if equalKeys(full, key) {
			return i + 1
		}
		// An inline table: the key appears after the '=' on this line.
		if fallback == 0 && hasPrefix(key, full) && containsKey(s[eq+1:], last) {
			fallback = i + 1
		}
		if fallback == 0 && len(key) == 1 && containsKey(s, last) {
			fallback = i + 1
		}
	}
	return fallback
}

func splitDotted(s string) []string {
	parts := strings.Split(s, ".")
	out := parts[:0]
	for _, p := range parts {
		out = append(out, strings.Trim(strings.TrimSpace(p), `"'`))
	}
	return out
}

func equalKeys(a []string, b toml.Key) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func hasPrefix(k toml.Key, p []string) bool {
	if len(p) > len(k) {
		return false
	}
	for i := range p {
		if k[i] != p[i] {
			return false
		}
	}
	return true
}

var keyBoundary = func(c byte) bool {
	return c == ' ' || c == '\t' || c == '{' || c == ',' || c == '"' || c == '\''
}

// containsKey reports whether name appears in s as a key, i.e. followed by
// optional spaces and '='.
func containsKey(s, name string) bool {
	for off := 0; ; {
		j := strings.Index(s[off:], name)
		if j < 0 {
			return false
		}
		j += off
		before := j == 0 || keyBoundary(s[j-1])
		rest := strings.TrimLeft(s[j+len(name):], ` "'`+"\t")
		if before && strings.HasPrefix(rest, "=") {
			return true
		}
		off = j + 1
	}
}
