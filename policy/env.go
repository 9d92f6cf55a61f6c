package policy

import (
	"fmt"
	"sort"
	"strings"
)

// injectionNames are variables that make a dynamic loader, an interpreter,
// a shell or a tool run code or load libraries chosen by whoever sets them.
// They are refused unless a capability (or agent) names them in full.
var injectionNames = map[string]bool{
	"NODE_OPTIONS": true, "NODE_PATH": true,
	"PERL5OPT": true, "PERL5LIB": true, "PERLLIB": true, "PERL5DB": true,
	"RUBYOPT": true, "RUBYLIB": true,
	"BASH_ENV": true, "ENV": true, "SHELLOPTS": true, "BASHOPTS": true, "PS4": true,
	"PROMPT_COMMAND": true, "IFS": true, "ZDOTDIR": true,
	"JAVA_TOOL_OPTIONS": true, "_JAVA_OPTIONS": true, "JDK_JAVA_OPTIONS": true, "CLASSPATH": true,
	"GCONV_PATH": true, "GLIBC_TUNABLES": true, "LOCPATH": true, "HOSTALIASES": true,
	"RESOLV_HOST_CONF": true, "OPENSSL_CONF": true, "OPENSSL_ENGINES": true,
	"LESSOPEN": true, "LESSCLOSE": true, "PAGER": true, "EDITOR": true, "VISUAL": true,
	"BROWSER": true, "SSH_ASKPASS": true, "SUDO_ASKPASS": true,
	"TCLLIBPATH": true, "R_PROFILE": true, "R_PROFILE_USER": true,
}

// injectionPrefixes are families of such variables: the dynamic loaders
// (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT, DYLD_INSERT_LIBRARIES, ...), git's
// hook and helper variables (GIT_SSH_COMMAND, GIT_EXTERNAL_DIFF,
// GIT_CONFIG_*, GIT_EXEC_PATH, ...), Python (PYTHONPATH, PYTHONSTARTUP,
// PYTHONWARNINGS, ...), Node, npm, .NET profilers and startup hooks, Lua and
// bash's exported functions.
var injectionPrefixes = []string{
	"LD_", "DYLD_", "GIT_", "PYTHON", "NODE_", "NPM_CONFIG_", "PERL", "RUBY",
	"DOTNET_", "COR_", "CORECLR_", "COMPLUS_", "LUA_", "BASH_FUNC_",
}

// IsInjectionKey reports whether k is a loader- or interpreter-injection
// variable. The comparison ignores case: Windows reads variable names
// without case and refusing "ld_preload" elsewhere costs nothing.
func IsInjectionKey(k string) bool {
	u := strings.ToUpper(k)
	if injectionNames[u] {
		return true
	}
	for _, p := range injectionPrefixes {
		if strings.HasPrefix(u, p) {
			return true
		}
	}
	return false
}

// envPattern is one pass_env entry: a full name or a prefix ("LC_*").
type envPattern struct {
	name   string // full name, or the prefix without '*'
	prefix bool
}

func compilePassEnv(list []string) []envPattern {
	out := make([]envPattern, 0, len(list))
	for _, e := range list {
		if strings.HasSuffix(e, "*") {
			out = append(out, envPattern{name: strings.TrimSuffix(e, "*"), prefix: true})
		} else {
			out = append(out, envPattern{name: e})
		}
	}
	return out
}

// collectPassEnv appends to env the variables of environ selected by
// patterns, skipping names in exclude (already set another way). A prefix
// pattern never selects an injection variable: those must be named in full.
func collectPassEnv(env []string, patterns []envPattern, lookup func(string) (string, bool), environ func() []string, exclude map[string]bool) []string {
	var all []string
	for _, p := range patterns {
		if !p.prefix {
			if exclude[envKey(p.name)] {
				continue
			}
			if v, ok := lookup(p.name); ok {
				env = append(env, p.name+"="+v)
				if exclude != nil {
					exclude[envKey(p.name)] = true
				}
			}
			continue
		}
		if all == nil {
			all = environ()
		}
		for _, kv := range all {
			k, _, ok := strings.Cut(kv, "=")
			if !ok || k == "" || !hasEnvPrefix(k, p.name) || IsInjectionKey(k) || exclude[envKey(k)] {
				continue
			}
			env = append(env, kv)
			exclude[envKey(k)] = true // a later pattern must not add it twice
		}
	}
	return env
}

// AgentEnv builds an agent's child environment from nothing: HOME and PATH
// (plus, on Windows, the few variables a program needs to find its profile
// and system directory) taken from parent, then the agent's pass_env
// variables taken from parent, then its fixed env values, which win. No other
// variable of corral's environment reaches the agent. A pass_env prefix
// ("ANTHROPIC_*") never selects a loader-injection variable; naming one in
// full (in env or pass_env) is the explicit opt-in. The result is sorted.
func AgentEnv(src AgentSource, parent []string) []string {
	agent := src.PolicyAgent()
	idx := make(map[string]string, len(parent))
	for _, kv := range parent {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			idx[envKey(k)] = k + "=" + v // last wins, as in exec.Cmd
		}
	}
	lookup := func(k string) (string, bool) {
		kv, ok := idx[envKey(k)]
		if !ok {
			return "", false
		}
		return kv[strings.IndexByte(kv, '=')+1:], true
	}
	set := map[string]string{} // envKey -> "K=V"
	for _, k := range baseAgentEnv {
		if v, ok := lookup(k); ok {
			set[envKey(k)] = k + "=" + v
		}
	}
	exclude := map[string]bool{}
	for _, kv := range collectPassEnv(nil, compilePassEnv(agent.PassEnv), lookup, func() []string { return parent }, exclude) {
		k, _, _ := strings.Cut(kv, "=")
		set[envKey(k)] = kv
	}
	for k, v := range agent.Env {
		set[envKey(k)] = k + "=" + v
	}
	out := make([]string, 0, len(set))
	for _, kv := range set {
		out = append(out, kv)
	}
	sort.Strings(out)
	return out
}

// envPlan is a capability's compiled environment rules.
type envPlan struct {
	fixed     []string          // "K=V", sorted
	fixedVals map[string]string // envKey -> value
	pass      []envPattern
	hasPrefix bool
	caller    map[string]bool // envKey -> may be set by the caller
	passNames map[string]bool // envKey of exact pass_env names
}

func compileEnv(c Capability) (envPlan, error) {
	p := envPlan{
		fixedVals: map[string]string{},
		caller:    map[string]bool{},
		passNames: map[string]bool{},
		pass:      compilePassEnv(c.PassEnv),
	}
	owner := map[string]string{}
	claim := func(k, where string) error {
		ek := envKey(k)
		if prev, ok := owner[ek]; ok {
			return fmt.Errorf("capability %q: variable %s is listed in both %s and %s; a variable has one source", c.Name, k, prev, where)
		}
		owner[ek] = where
		return nil
	}
	for k, v := range c.Env {
		if err := claim(k, "env"); err != nil {
			return p, err
		}
		p.fixed = append(p.fixed, k+"="+v)
		p.fixedVals[envKey(k)] = v
	}
	sort.Strings(p.fixed)
	for _, e := range p.pass {
		if e.prefix {
			p.hasPrefix = true
			continue
		}
		if err := claim(e.name, "pass_env"); err != nil {
			return p, err
		}
		p.passNames[envKey(e.name)] = true
	}
	for _, k := range c.CallerEnv {
		if err := claim(k, "caller_env"); err != nil {
			return p, err
		}
		p.caller[envKey(k)] = true
	}
	return p, nil
}

// build returns the complete child environment: fixed values, then pass_env
// values from corral's environment, then the caller's permitted values. It
// starts from nothing, so no variable reaches the child unless listed.
func (p *envPlan) build(capName string, req map[string]string, lookup func(string) (string, bool), environ func() []string) ([]string, *Denied) {
	env := make([]string, 0, len(p.fixed)+len(p.pass)+len(req))
	env = append(env, p.fixed...)
	var exclude map[string]bool
	if p.hasPrefix || len(req) > 0 {
		exclude = make(map[string]bool, len(p.fixedVals)+len(req))
		for k := range p.fixedVals {
			exclude[k] = true
		}
		for k := range p.caller {
			exclude[k] = true
		}
	}
	env = collectPassEnv(env, p.pass, lookup, environ, exclude)
	if len(req) == 0 {
		return env, nil
	}
	keys := make([]string, 0, len(req))
	for k := range req {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the first offending key is the same on every call
	for _, k := range keys {
		v := req[k]
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return nil, &Denied{Capability: capName, Rule: RuleEnvInvalid, Position: -1, Given: k,
				Message: fmt.Sprintf("environment variable name %s is not valid", quote(k))}
		}
		if strings.IndexByte(v, 0) >= 0 {
			return nil, &Denied{Capability: capName, Rule: RuleEnvInvalid, Position: -1, Given: k,
				Message: fmt.Sprintf("the value of %s contains a NUL byte", k)}
		}
		ek := envKey(k)
		switch {
		case p.caller[ek]:
			env = append(env, k+"="+v)
		case p.hasFixed(ek):
			if p.fixedVals[ek] != v {
				return nil, &Denied{Capability: capName, Rule: RuleEnvFixed, Position: -1,
					Pattern: k + "=" + p.fixedVals[ek], Given: k + "=" + v,
					Message: fmt.Sprintf("%s is fixed to %s by the capability; the caller asked for %s", k, quote(p.fixedVals[ek]), quote(v))}
			}
		case IsInjectionKey(k):
			return nil, &Denied{Capability: capName, Rule: RuleEnvInjection, Position: -1, Given: k + "=" + v,
				Message: fmt.Sprintf("%s can make the program load or run foreign code and the capability does not name it", k)}
		case p.passNames[ek]:
			return nil, &Denied{Capability: capName, Rule: RuleEnvUnlisted, Position: -1, Given: k + "=" + v,
				Message: fmt.Sprintf("%s is passed from corral's environment and is not in caller_env, so the caller may not set it", k)}
		default:
			return nil, &Denied{Capability: capName, Rule: RuleEnvUnlisted, Position: -1, Given: k + "=" + v,
				Message: fmt.Sprintf("%s is not in the capability's caller_env", k)}
		}
	}
	return env, nil
}

func (p *envPlan) hasFixed(ek string) bool { _, ok := p.fixedVals[ek]; return ok }
