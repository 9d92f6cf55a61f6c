package config

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/corral-dev/corral/policy"
)

// Capability is one allow-listed command (`[[capability]]`), as the policy
// compiles it: see policy.Capability. Zero limits mean "use the [limits]
// default"; Cwd roots are "~"-expanded and absolute.
type Capability = policy.Capability

// Arg is one entry of a capability's positional argument list: a plain
// string in the file is a fixed argument (Validator == ""), a table
// {validator, optional, rest} a validator entry. See policy.Arg.
type Arg = policy.Arg

// rawArg is an entry of `args`: a plain string (a fixed argument) or a
// table with the keys validator, optional and rest.
type rawArg struct{ Arg }

// UnmarshalTOML reads either form.
func (r *rawArg) UnmarshalTOML(v any) error {
	a := &r.Arg
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

type rawCapability struct {
	Name      string            `toml:"name"`
	Program   string            `toml:"program"`
	Args      []rawArg          `toml:"args"`
	Flags     []string          `toml:"flags"`
	Env       map[string]string `toml:"env"`
	PassEnv   []string          `toml:"pass_env"`
	CallerEnv []string          `toml:"caller_env"`
	Cwd       []string          `toml:"cwd"`
	SHA256    string            `toml:"sha256"`
	rawLimitFields
}

var (
	capNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	sha256RE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

func (v *validator) capability(i int, rc rawCapability) (Capability, error) {
	where := fmt.Sprintf("%s: capability #%d", v.name, i+1)
	if rc.Name != "" {
		where = fmt.Sprintf("%s: capability %q", v.name, rc.Name)
	}
	if !capNameRE.MatchString(rc.Name) {
		return Capability{}, fmt.Errorf("%s: name %q must be 1-64 letters, digits, '.', '_' or '-' starting with a letter or digit", where, rc.Name)
	}
	c := Capability{
		Name: rc.Name, Program: rc.Program, Flags: rc.Flags,
		Env: rc.Env, PassEnv: rc.PassEnv, CallerEnv: rc.CallerEnv, SHA256: strings.ToLower(rc.SHA256),
	}
	for _, ra := range rc.Args {
		c.Args = append(c.Args, ra.Arg)
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
