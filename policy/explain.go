package policy

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/corral-dev/corral/event"
)

// Decision is one decided request, as Decide returns it.
type Decision struct {
	Request  Request
	Allowed  bool
	Resolved Resolved // set when Allowed
	Denied   *Denied  // set when not Allowed
}

// Rule is the decision's rule id: RuleAllow or the denial's rule.
func (d Decision) Rule() string {
	if d.Allowed {
		return RuleAllow
	}
	return d.Denied.Rule
}

// Explain writes a human-readable account of d to w without running
// anything and returns the exit status `corral policy check` should use:
// 0 when allowed, 1 when denied. The first line is "allowed" or
// "denied <rule>", so scripts can read the rule from stdout. Environment
// values are not printed (pass_env values may be secrets), only names.
func Explain(w io.Writer, d Decision) int {
	var b strings.Builder
	if d.Allowed {
		r := d.Resolved
		b.WriteString("allowed\n")
		fmt.Fprintf(&b, "capability: %s\n", r.Capability)
		fmt.Fprintf(&b, "program:    %s\n", r.Program)
		fmt.Fprintf(&b, "args:       %s\n", quoteList(r.Args))
		dir := r.Dir
		if dir == "" {
			dir = "(corral's working directory)"
		}
		fmt.Fprintf(&b, "dir:        %s\n", dir)
		names := make([]string, 0, len(r.Env))
		for _, kv := range r.Env {
			k, _, _ := strings.Cut(kv, "=")
			names = append(names, k)
		}
		sort.Strings(names)
		if len(names) == 0 {
			names = []string{"(empty)"}
		}
		fmt.Fprintf(&b, "env:        %s\n", strings.Join(names, " "))
		fmt.Fprintf(&b, "limits:     %s\n", describeLimits(r.Limits))
		if r.SHA256 != "" {
			fmt.Fprintf(&b, "sha256:     %s (verified)\n", r.SHA256)
		}
		_, _ = io.WriteString(w, b.String())
		return 0
	}
	dn := d.Denied
	fmt.Fprintf(&b, "denied %s\n", dn.Rule)
	fmt.Fprintf(&b, "capability: %s\n", dn.Capability)
	if dn.Position >= 0 {
		fmt.Fprintf(&b, "position:   args[%d]\n", dn.Position)
	}
	if dn.Pattern != "" {
		fmt.Fprintf(&b, "required:   %s\n", dn.Pattern)
	}
	if dn.Given != "" || dn.Position >= 0 {
		fmt.Fprintf(&b, "given:      %s\n", quote(dn.Given))
	}
	fmt.Fprintf(&b, "reason:     %s\n", dn.Message)
	_, _ = io.WriteString(w, b.String())
	return 1
}

func quoteList(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = quote(a)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func describeLimits(l Limits) string {
	parts := []string{
		"max_output=" + FormatSize(l.MaxOutput),
		"max_stream_output=" + FormatSize(l.MaxStreamOutput),
		"max_line=" + FormatSize(l.MaxLine),
	}
	if l.Timeout > 0 {
		parts = append(parts, "timeout="+l.Timeout.String())
	}
	if l.IdleTimeout > 0 {
		parts = append(parts, "idle_timeout="+l.IdleTimeout.String())
	}
	if l.MaxConcurrent > 0 {
		parts = append(parts, "max_concurrent="+strconv.Itoa(l.MaxConcurrent))
	}
	return strings.Join(parts, " ")
}

// Audit caps: an audit event records at most auditMaxArgs arguments of at
// most auditMaxArg bytes each, so a hostile request cannot make the event
// log grow without bound.
const (
	auditMaxArgs = 64
	auditMaxArg  = 1024
)

// DecisionData is the Data of an event.PolicyDecision event.
type DecisionData struct {
	Allowed    bool     `json:"allowed"`
	Capability string   `json:"capability"`
	Rule       string   `json:"rule"`
	Args       []string `json:"args"`
	// ArgsOmitted counts arguments beyond the audit cap; ArgsTruncated
	// says whether some argument was cut.
	ArgsOmitted   int      `json:"argsOmitted,omitempty"`
	ArgsTruncated bool     `json:"argsTruncated,omitempty"`
	Cwd           string   `json:"cwd,omitempty"`
	Dir           string   `json:"dir,omitempty"`
	Program       string   `json:"program,omitempty"`
	EnvKeys       []string `json:"envKeys,omitempty"` // caller-requested names only
	Position      *int     `json:"position,omitempty"`
	Pattern       string   `json:"pattern,omitempty"`
	Given         string   `json:"given,omitempty"`
	Message       string   `json:"message,omitempty"`
	Owner         string   `json:"owner,omitempty"`
	DryRun        bool     `json:"dryRun,omitempty"`
}

func (p *Policy) audit(req Request, r Resolved, d *Denied) {
	if p.sink == nil {
		return
	}
	data := DecisionData{Allowed: d == nil, Capability: req.Capability, Rule: RuleAllow, Cwd: req.Cwd, DryRun: req.DryRun}
	n := len(req.Args)
	if n > auditMaxArgs {
		data.ArgsOmitted = n - auditMaxArgs
		n = auditMaxArgs
	}
	data.Args = make([]string, n)
	for i := 0; i < n; i++ {
		a := req.Args[i]
		if len(a) > auditMaxArg {
			a = a[:auditMaxArg]
			data.ArgsTruncated = true
		}
		data.Args[i] = a
	}
	if len(req.Env) > 0 {
		for k := range req.Env {
			data.EnvKeys = append(data.EnvKeys, k)
		}
		sort.Strings(data.EnvKeys)
	}
	if !req.Owner.IsZero() {
		data.Owner = req.Owner.String()
	}
	if d == nil {
		data.Program, data.Dir = r.Program, r.Dir
	} else {
		data.Rule, data.Pattern, data.Message = d.Rule, d.Pattern, d.Message
		data.Given = d.Given
		if len(data.Given) > auditMaxArg {
			data.Given = data.Given[:auditMaxArg]
		}
		if d.Position >= 0 {
			pos := d.Position
			data.Position = &pos
		}
	}
	raw, _ := data.MarshalJSON() // cannot fail
	ev := event.Event{Time: p.now(), Kind: event.PolicyDecision, Data: raw}
	if req.Owner.Kind == OwnerSession {
		ev.SessionID = req.Owner.ID
	}
	p.sink(ev)
}

// CapabilityInfo describes one capability for a UI (ListCapabilities).
type CapabilityInfo struct {
	Name string `json:"name"`
	// Kind is "capability" or "agent".
	Kind string `json:"kind"`
	// ProgramSpec is the program as configured; Program the resolved
	// absolute path (empty when unavailable).
	ProgramSpec string    `json:"programSpec"`
	Program     string    `json:"program,omitempty"`
	Args        []ArgInfo `json:"args"`
	// AnyArgs is true for agents, whose adapter builds the argv.
	AnyArgs   bool     `json:"anyArgs,omitempty"`
	Flags     []string `json:"flags,omitempty"`
	EnvKeys   []string `json:"envKeys,omitempty"` // fixed variables (names only)
	PassEnv   []string `json:"passEnv,omitempty"`
	CallerEnv []string `json:"callerEnv,omitempty"`
	CwdRoots  []string `json:"cwdRoots,omitempty"`
	Limits    Limits   `json:"limits"`
	SHA256    string   `json:"sha256,omitempty"`
	// Available is false when the program could not be resolved; Reason
	// and Rule then say why, and every Check is denied with that rule.
	Available bool   `json:"available"`
	Rule      string `json:"rule,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Live      int    `json:"live"`
}

// ArgInfo describes one positional argument.
type ArgInfo struct {
	Fixed    string `json:"fixed,omitempty"`
	Pattern  string `json:"pattern,omitempty"` // anchored
	Optional bool   `json:"optional,omitempty"`
	Rest     bool   `json:"rest,omitempty"`
}

// ListCapabilities describes every capability and agent, in config order
// (capabilities first, then agents by name).
func (p *Policy) ListCapabilities() []CapabilityInfo {
	out := make([]CapabilityInfo, 0, len(p.order))
	for _, c := range p.order {
		ci := CapabilityInfo{
			Name: c.name, Kind: c.kind, ProgramSpec: c.spec, Program: c.program,
			AnyArgs: c.anyArgs, Limits: c.limits, Available: c.unavailable == nil, Live: int(c.live.Load()),
			Args: []ArgInfo{},
		}
		if c.unavailable != nil {
			ci.Rule, ci.Reason = c.unavailable.Rule, c.unavailable.Message
		}
		for _, s := range c.args.specs {
			if s.fixed {
				ci.Args = append(ci.Args, ArgInfo{Fixed: s.value})
			} else {
				ci.Args = append(ci.Args, ArgInfo{Pattern: s.pattern, Optional: s.optional && !s.rest, Rest: s.rest})
			}
		}
		if c.agent != nil {
			ci.PassEnv = append([]string{}, c.agent.PassEnv...)
			for k := range c.agent.Env {
				ci.EnvKeys = append(ci.EnvKeys, k)
			}
		} else {
			ci.Flags = append([]string(nil), c.cfg.Flags...)
			ci.PassEnv = append([]string(nil), c.cfg.PassEnv...)
			ci.CallerEnv = append([]string(nil), c.cfg.CallerEnv...)
			for k := range c.cfg.Env {
				ci.EnvKeys = append(ci.EnvKeys, k)
			}
			for _, r := range c.roots {
				ci.CwdRoots = append(ci.CwdRoots, r.configured)
			}
		}
		sort.Strings(ci.EnvKeys)
		if c.pin != nil {
			ci.SHA256 = c.pin.want
		}
		out = append(out, ci)
	}
	return out
}
