package policy

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/corral-dev/corral/event"
)

// Built-in limits for capabilities and agents when neither the capability
// nor the [limits] table sets one. Byte caps are never unlimited.
const (
	DefaultMaxOutput = 64 << 20
	DefaultMaxLine   = 1 << 20
)

// AgentPrefix names the capability an agent launch is checked against:
// "agent:claude". Capability names cannot contain ':' so the two never clash.
const AgentPrefix = "agent:"

// RuleAllow is the rule recorded for an allowed decision.
const RuleAllow = "allow"

// Options are the inputs of New that do not come from the config file.
// Every field is optional.
type Options struct {
	// Sink receives one event.PolicyDecision event per decision. It is
	// called synchronously and must not block.
	Sink func(event.Event)
	// Environ returns corral's environment, the only source of pass_env
	// values. Default os.Environ.
	Environ func() []string
	// LookupEnv looks one variable up. Default os.LookupEnv; when Environ
	// is set and LookupEnv is not, lookups search Environ's result.
	LookupEnv func(string) (string, bool)
	// Path is the PATH used to resolve program names. Default: PATH from
	// Environ.
	Path string
	// SidecarDir overrides Rules.SidecarDir.
	SidecarDir string
	// ExecutableDir is where corral's binary lives, searched for sidecars
	// after SidecarDir. Default: the directory of os.Executable with
	// symlinks resolved.
	ExecutableDir string
	// Now stamps audit events. Default time.Now.
	Now func() time.Time
	// Strict makes New fail when a program cannot be resolved. Otherwise
	// such a capability is kept, listed as unavailable, and every Check of
	// it returns the resolution denial: a missing tool must not stop corral
	// from starting.
	Strict bool
}

// Limits are the resource caps the supervisor enforces for one run. Zero
// Timeout, IdleTimeout or MaxConcurrent means no limit; the byte caps are
// always positive.
type Limits struct {
	MaxOutput       int64         `json:"maxOutput"`       // stdout+stderr bytes per run
	MaxStreamOutput int64         `json:"maxStreamOutput"` // bytes per stream per run
	MaxLine         int64         `json:"maxLine"`         // bytes per line before it is cut
	Timeout         time.Duration `json:"timeout"`         // total run time
	IdleTimeout     time.Duration `json:"idleTimeout"`     // time without output
	MaxConcurrent   int           `json:"maxConcurrent"`   // live runs of this capability
}

// Request is what a caller asks to run.
type Request struct {
	// Capability is a capability name, or AgentPrefix+agent name.
	Capability string
	// Args is the complete argv after the program, exactly as the child
	// will receive it if allowed.
	Args []string
	// Cwd is an absolute directory; empty selects the capability's first
	// root (or corral's directory when it has none).
	Cwd string
	// Env holds extra variables the caller wants set; each must be listed
	// in the capability's caller_env (or equal a fixed value).
	Env map[string]string
	// Timeout, when positive, asks for a shorter total timeout than the
	// capability's; asking for a longer one is denied.
	Timeout time.Duration
	// Owner is who asks, recorded in the audit event.
	Owner Owner
	// DryRun marks decisions made only to explain them (`corral policy
	// check`); it is recorded in the audit event.
	DryRun bool
}

// Resolved is an allowed, fully resolved spawn. Policy builds a fresh
// value for every Check and never retains or changes it; its slices are
// shared with nothing. The supervisor must use exactly these fields:
// Program with Args as argv[1:], Dir as the working directory ("" = its
// own), Env as the complete environment (a non-nil, possibly empty slice:
// never inherit).
type Resolved struct {
	Capability string   `json:"capability"`
	Program    string   `json:"program"`
	Args       []string `json:"args"`
	Dir        string   `json:"dir"`
	Env        []string `json:"-"` // may hold secrets: never serialized
	Limits     Limits   `json:"limits"`
	// SHA256 is the verified pin, when the capability has one.
	SHA256 string `json:"sha256,omitempty"`
	issued bool
}

// Issued reports whether r was produced by Check rather than assembled by
// hand; a supervisor should refuse a Resolved that was not issued.
func (r Resolved) Issued() bool { return r.issued }

// Policy is a compiled set of capabilities. It is safe for concurrent use.
type Policy struct {
	caps      map[string]*capability
	order     []*capability
	sink      func(event.Event)
	environ   func() []string
	lookupEnv func(string) (string, bool)
	now       func() time.Time
}

type capability struct {
	name        string
	kind        string // "capability" or "agent"
	spec        string // program as configured
	program     string
	unavailable *Denied
	pin         *pin
	args        argMatcher
	anyArgs     bool // agents: the adapter builds argv
	env         envPlan
	agent       *Agent
	roots       []root
	anyCwd      bool // agents: any absolute existing directory
	limits      Limits
	cfg         Capability
	live        atomic.Int64
}

// New compiles the rules of src (a Rules value, or a loaded configuration;
// nil means no rules). It fails on anything that makes a capability
// ambiguous (a bad validator, a variable listed in two places, limits that
// contradict each other); with Options.Strict it also fails when the
// program of a capability or of an agent in Rules.Agents cannot be
// resolved.
func New(src RuleSource, opts Options) (*Policy, error) {
	var rules Rules
	if src != nil {
		rules = src.PolicyRules()
	}
	p := &Policy{caps: map[string]*capability{}, sink: opts.Sink, environ: opts.Environ, lookupEnv: opts.LookupEnv, now: opts.Now}
	if p.environ == nil {
		p.environ = os.Environ
		if p.lookupEnv == nil {
			p.lookupEnv = os.LookupEnv
		}
	}
	if p.lookupEnv == nil {
		env := p.environ
		p.lookupEnv = func(k string) (string, bool) {
			ek := envKey(k)
			val, found := "", false
			for _, kv := range env() {
				if kk, v, ok := strings.Cut(kv, "="); ok && envKey(kk) == ek {
					val, found = v, true // last wins
				}
			}
			return val, found
		}
	}
	if p.now == nil {
		p.now = time.Now
	}
	res := &resolver{triple: HostTriple(), path: opts.Path}
	if res.path == "" {
		res.path, _ = p.lookupEnv("PATH")
	}
	sd := opts.SidecarDir
	if sd == "" {
		sd = rules.SidecarDir
	}
	if sd != "" {
		res.sidecarDir = append(res.sidecarDir, sd)
	}
	ed := opts.ExecutableDir
	if ed == "" {
		ed = executableDir()
	}
	if ed != "" {
		res.sidecarDir = append(res.sidecarDir, ed)
	}

	for _, cc := range rules.Capabilities {
		c, err := p.compile(cc, rules.Defaults, res, opts.Strict)
		if err != nil {
			return nil, err
		}
		p.caps[c.name] = c
		p.order = append(p.order, c)
	}
	agents := map[string]Agent{}
	for _, name := range rules.BuiltinAgents {
		agents[name] = Agent{Command: name}
	}
	for name, a := range rules.Agents {
		agents[name] = a
	}
	names := make([]string, 0, len(agents))
	for name := range agents {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		_, configured := rules.Agents[name]
		// A built-in agent that is not installed must not stop corral.
		c, err := p.compileAgent(name, agents[name], rules.Defaults, res, opts.Strict && configured)
		if err != nil {
			return nil, err
		}
		p.caps[c.name] = c
		p.order = append(p.order, c)
	}
	return p, nil
}

func (p *Policy) compile(cc Capability, defaults Limits, res *resolver, strict bool) (*capability, error) {
	if strings.Contains(cc.Name, ":") || cc.Name == "" {
		return nil, fmt.Errorf("policy: capability name %q must not be empty or contain ':'", cc.Name)
	}
	if _, dup := p.caps[cc.Name]; dup {
		return nil, fmt.Errorf("policy: capability %q is defined twice", cc.Name)
	}
	c := &capability{name: cc.Name, kind: "capability", spec: cc.Program, cfg: cc}
	var err error
	if c.args, err = compileArgs(cc); err != nil {
		return nil, fmt.Errorf("policy: %v", err)
	}
	if c.env, err = compileEnv(cc); err != nil {
		return nil, fmt.Errorf("policy: %v", err)
	}
	c.roots = compileRoots(cc.Cwd)
	if c.limits, err = mergeLimits(cc.Name, cc, defaults); err != nil {
		return nil, err
	}
	if err := p.resolveProgram(c, cc.Program, cc.SHA256, res, strict); err != nil {
		return nil, err
	}
	return c, nil
}

func (p *Policy) compileAgent(name string, a Agent, defaults Limits, res *resolver, strict bool) (*capability, error) {
	agent := a
	c := &capability{name: AgentPrefix + name, kind: "agent", spec: a.Command, agent: &agent, anyArgs: true, anyCwd: true}
	var err error
	if c.limits, err = mergeLimits(c.name, Capability{}, defaults); err != nil {
		return nil, err
	}
	if err := p.resolveProgram(c, a.Command, "", res, strict); err != nil {
		return nil, err
	}
	return c, nil
}

func (p *Policy) resolveProgram(c *capability, program, sha string, res *resolver, strict bool) error {
	prog, d := res.resolve(c.name, program)
	if d == nil && sha != "" {
		c.pin = &pin{want: sha}
		d = c.pin.verify(c.name, prog)
	}
	if d != nil {
		if strict {
			return d
		}
		c.unavailable = d
		return nil
	}
	c.program = prog
	return nil
}

func mergeLimits(name string, c Capability, d Limits) (Limits, error) {
	pick64 := func(v, def, builtin int64) int64 {
		if v > 0 {
			return v
		}
		if def > 0 {
			return def
		}
		return builtin
	}
	pickDur := func(v, def time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return def
	}
	l := Limits{
		MaxOutput:     pick64(c.MaxOutput, d.MaxOutput, DefaultMaxOutput),
		Timeout:       pickDur(c.Timeout, d.Timeout),
		IdleTimeout:   pickDur(c.IdleTimeout, d.IdleTimeout),
		MaxConcurrent: c.MaxConcurrent,
	}
	if l.MaxConcurrent == 0 {
		l.MaxConcurrent = d.MaxConcurrent
	}
	l.MaxStreamOutput = pick64(c.MaxStreamOutput, d.MaxStreamOutput, l.MaxOutput)
	l.MaxLine = pick64(c.MaxLine, d.MaxLine, min(DefaultMaxLine, l.MaxStreamOutput))
	if l.MaxStreamOutput > l.MaxOutput {
		return l, fmt.Errorf("policy: capability %q: max_stream_output (%s) exceeds max_output (%s)", name,
			FormatSize(l.MaxStreamOutput), FormatSize(l.MaxOutput))
	}
	if l.MaxLine > l.MaxStreamOutput {
		return l, fmt.Errorf("policy: capability %q: max_line (%s) exceeds max_stream_output (%s)", name,
			FormatSize(l.MaxLine), FormatSize(l.MaxStreamOutput))
	}
	return l, nil
}

// Check decides req and reports the decision to the sink. On success the
// Resolved value is the only thing a spawn may use; on refusal the error is
// a *Denied.
func (p *Policy) Check(req Request) (Resolved, error) {
	r, d := p.decide(req)
	p.audit(req, r, d)
	if d != nil {
		return Resolved{}, d
	}
	return r, nil
}

// Decide is Check returning a Decision, for `corral policy check` and
// Explain. It audits like Check.
func (p *Policy) Decide(req Request) Decision {
	r, d := p.decide(req)
	p.audit(req, r, d)
	return Decision{Request: req, Allowed: d == nil, Resolved: r, Denied: d}
}

func (p *Policy) decide(req Request) (Resolved, *Denied) {
	c, ok := p.caps[req.Capability]
	if !ok {
		return Resolved{}, &Denied{Capability: req.Capability, Rule: RuleCapabilityUnknown, Position: -1, Given: req.Capability,
			Message: fmt.Sprintf("no capability named %s is configured", quote(req.Capability))}
	}
	if c.unavailable != nil {
		d := *c.unavailable
		return Resolved{}, &d
	}
	if c.pin != nil {
		if d := c.pin.verify(c.name, c.program); d != nil {
			return Resolved{}, d
		}
	}
	if c.anyArgs {
		for i, a := range req.Args {
			if strings.IndexByte(a, 0) >= 0 {
				return Resolved{}, denyArg(c.name, RuleArgNUL, i, "", a, fmt.Sprintf("args[%d] %s contains a NUL byte", i, quote(a)))
			}
		}
	} else if d := c.args.match(c.name, req.Args); d != nil {
		return Resolved{}, d
	}

	var env []string
	if c.agent != nil {
		if len(req.Env) > 0 {
			keys := make([]string, 0, len(req.Env))
			for k := range req.Env {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			rule := RuleEnvUnlisted
			if IsInjectionKey(keys[0]) {
				rule = RuleEnvInjection
			}
			return Resolved{}, &Denied{Capability: c.name, Rule: rule, Position: -1, Given: keys[0],
				Message: fmt.Sprintf("%s cannot be set per launch; an agent's environment comes only from its [agents] env and pass_env", keys[0])}
		}
		env = AgentEnv(*c.agent, p.environ())
	} else {
		var d *Denied
		if env, d = c.env.build(c.name, req.Env, p.lookupEnv, p.environ); d != nil {
			return Resolved{}, d
		}
	}

	var dir string
	var d *Denied
	if c.anyCwd {
		dir, d = resolveAnyCwd(c.name, req.Cwd)
	} else {
		dir, d = resolveCwd(c.name, c.roots, req.Cwd)
	}
	if d != nil {
		return Resolved{}, d
	}

	lim := c.limits
	if req.Timeout < 0 {
		return Resolved{}, &Denied{Capability: c.name, Rule: RuleLimitTimeout, Position: -1, Given: req.Timeout.String(),
			Message: fmt.Sprintf("requested timeout %v is negative", req.Timeout)}
	}
	if req.Timeout > 0 {
		if lim.Timeout > 0 && req.Timeout > lim.Timeout {
			return Resolved{}, &Denied{Capability: c.name, Rule: RuleLimitTimeout, Position: -1,
				Pattern: lim.Timeout.String(), Given: req.Timeout.String(),
				Message: fmt.Sprintf("requested timeout %v exceeds the capability's timeout %v", req.Timeout, lim.Timeout)}
		}
		lim.Timeout = req.Timeout
	}

	args := make([]string, len(req.Args))
	copy(args, req.Args)
	if env == nil {
		env = []string{}
	}
	r := Resolved{Capability: c.name, Program: c.program, Args: args, Dir: dir, Env: env, Limits: lim, issued: true}
	if c.pin != nil {
		r.SHA256 = c.pin.want
	}
	return r, nil
}

// resolveAnyCwd accepts any absolute, existing directory (agents work in
// the directory the user picked for the session) and resolves its symlinks.
func resolveAnyCwd(capName, cwd string) (string, *Denied) {
	if cwd == "" {
		return "", nil
	}
	return resolveCwd(capName, []root{{configured: string(os.PathSeparator), resolved: volumeRoot(cwd)}}, cwd)
}

// Acquire reserves one of the capability's max_concurrent slots. The
// supervisor calls it after Check and before starting the child, and calls
// release (idempotent) once the child has been reaped. With no limit it
// always succeeds. When every slot is taken it returns a *Denied with rule
// limit.concurrent; queueing instead of refusing is the supervisor's choice.
func (p *Policy) Acquire(capName string) (release func(), err error) {
	c, ok := p.caps[capName]
	if !ok {
		return nil, &Denied{Capability: capName, Rule: RuleCapabilityUnknown, Position: -1, Given: capName,
			Message: fmt.Sprintf("no capability named %s is configured", quote(capName))}
	}
	max := int64(c.limits.MaxConcurrent)
	if max <= 0 {
		c.live.Add(1)
	} else {
		for {
			n := c.live.Load()
			if n >= max {
				d := &Denied{Capability: c.name, Rule: RuleLimitConcurrent, Position: -1,
					Pattern: fmt.Sprint(max), Given: fmt.Sprint(n + 1),
					Message: fmt.Sprintf("%d runs are already live and max_concurrent is %d", n, max)}
				p.audit(Request{Capability: capName}, Resolved{}, d)
				return nil, d
			}
			if c.live.CompareAndSwap(n, n+1) {
				break
			}
		}
	}
	var done atomic.Bool
	return func() {
		if done.CompareAndSwap(false, true) {
			c.live.Add(-1)
		}
	}, nil
}

// Live returns how many Acquire slots of a capability are held.
func (p *Policy) Live(capName string) int {
	if c, ok := p.caps[capName]; ok {
		return int(c.live.Load())
	}
	return 0
}
