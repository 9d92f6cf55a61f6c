package policy

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/corral-dev/corral/config"
)

// argSpec is one compiled positional entry.
type argSpec struct {
	fixed    bool
	value    string         // the fixed value
	re       *regexp.Regexp // anchored validator
	pattern  string         // the anchored source, for messages
	optional bool
	rest     bool
}

// maxFlags bounds the flag allowlist so a bit set fits in a uint64.
const maxFlags = 64

// argMatcher checks a caller's argv against a capability's shape.
type argMatcher struct {
	specs []argSpec
	flags map[string]uint // flag -> bit index
}

// Anchor wraps a validator so that it must match a whole argument. The
// group keeps alternations inside it ("a|b" must not become "^a|b$"), and
// flags set inside the group, such as (?m), cannot reach the anchors.
func Anchor(validator string) string { return `^(?:` + validator + `)$` }

func compileArgs(c config.Capability) (argMatcher, error) {
	m := argMatcher{}
	for i, a := range c.Args {
		if a.Fixed() {
			m.specs = append(m.specs, argSpec{fixed: true, value: a.Value, pattern: a.Value})
			continue
		}
		src := Anchor(a.Validator)
		re, err := regexp.Compile(src)
		if err != nil {
			return m, fmt.Errorf("capability %q: args[%d]: validator %q: %v", c.Name, i, a.Validator, err)
		}
		m.specs = append(m.specs, argSpec{re: re, pattern: src, optional: a.Optional || a.Rest, rest: a.Rest})
	}
	if len(c.Flags) > maxFlags {
		return m, fmt.Errorf("capability %q: at most %d flags may be listed", c.Name, maxFlags)
	}
	if len(c.Flags) > 0 {
		m.flags = make(map[string]uint, len(c.Flags))
		for i, f := range c.Flags {
			m.flags[f] = uint(i)
		}
	}
	return m, nil
}

// match returns nil when args fit the shape exactly. It never rewrites,
// drops or supplies an argument: the caller's argv is either accepted as it
// is or refused with the first offending position.
//
// An argument equal to an allow-listed flag is always read as that flag
// (wherever it appears, at most once); every other argument is matched in
// order against the positional entries.
func (m *argMatcher) match(capName string, args []string) *Denied {
	var seen uint64
	pos := 0
	for i, a := range args {
		if strings.IndexByte(a, 0) >= 0 {
			return denyArg(capName, RuleArgNUL, i, "", a,
				fmt.Sprintf("args[%d] %s contains a NUL byte", i, quote(a)))
		}
		if bit, ok := m.flags[a]; ok {
			if seen&(1<<bit) != 0 {
				return denyArg(capName, RuleFlagRepeated, i, a, a,
					fmt.Sprintf("args[%d]: flag %s may be given only once", i, quote(a)))
			}
			seen |= 1 << bit
			continue
		}
		if pos >= len(m.specs) {
			return denyArg(capName, RuleArgExtra, i, "", a,
				fmt.Sprintf("args[%d] %s is one argument too many: the capability takes %s%s",
					i, quote(a), m.arity(), m.flagHint()))
		}
		s := &m.specs[pos]
		if s.fixed {
			if a != s.value {
				return denyArg(capName, RuleArgFixed, i, s.value, a,
					fmt.Sprintf("args[%d] must be exactly %s, got %s", i, quote(s.value), quote(a)))
			}
		} else if !s.re.MatchString(a) {
			return denyArg(capName, RuleArgPattern, i, s.pattern, a,
				fmt.Sprintf("args[%d] %s does not match the pattern %s", i, quote(a), s.pattern))
		}
		if !s.rest {
			pos++
		}
	}
	if pos < len(m.specs) && !m.specs[pos].optional {
		s := m.specs[pos]
		what := "an argument matching " + s.pattern
		if s.fixed {
			what = "the fixed argument " + quote(s.value)
		}
		return denyArg(capName, RuleArgMissing, len(args), s.pattern, "",
			fmt.Sprintf("args[%d] is missing: expected %s (the capability takes %s)", len(args), what, m.arity()))
	}
	return nil
}

// arity describes how many positional arguments are accepted.
func (m *argMatcher) arity() string {
	min, max := 0, 0
	for _, s := range m.specs {
		if s.rest {
			max = -1
			break
		}
		max++
		if !s.optional {
			min++
		}
	}
	switch {
	case max < 0:
		return fmt.Sprintf("at least %d positional arguments", min)
	case min == max:
		return fmt.Sprintf("exactly %d positional arguments", min)
	default:
		return fmt.Sprintf("%d to %d positional arguments", min, max)
	}
}

func (m *argMatcher) flagHint() string {
	if len(m.flags) == 0 {
		return ""
	}
	return " plus allow-listed flags"
}
