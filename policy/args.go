package policy

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
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

// Anchor returns the display form of an anchored validator, "^(?:v)$":
// what an error message shows as the pattern an argument had to match.
func Anchor(validator string) string { return `^(?:` + validator + `)$` }

// CompileAnchored compiles validator so that it matches only a whole
// argument. The anchors are attached to the parsed expression, not spliced
// into its text: textual wrapping can be undone by the validator itself
// (`a)|(?:b` would turn "^(?:a)|(?:b)$" into two half-anchored branches, and
// an unterminated \Q would swallow the closing anchor).
func CompileAnchored(validator string) (*regexp.Regexp, error) {
	re, err := syntax.Parse(validator, syntax.Perl)
	if err != nil {
		return nil, err
	}
	whole := &syntax.Regexp{Op: syntax.OpConcat, Sub: []*syntax.Regexp{
		{Op: syntax.OpBeginText}, re, {Op: syntax.OpEndText},
	}}
	return regexp.Compile(whole.String())
}

func compileArgs(c Capability) (argMatcher, error) {
	m := argMatcher{}
	for i, a := range c.Args {
		if a.Fixed() {
			m.specs = append(m.specs, argSpec{fixed: true, value: a.Value, pattern: a.Value})
			continue
		}
		src := Anchor(a.Validator)
		re, err := CompileAnchored(a.Validator)
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
		// An optional entry that does not match is skipped and the next
		// one tried. Taking the earliest entry that matches is never worse
		// than skipping it, since only optional and rest entries follow
		// an optional one, so no backtracking is needed.
		start := pos
		for ; pos < len(m.specs); pos++ {
			s := &m.specs[pos]
			if s.fixed && a == s.value || !s.fixed && s.re.MatchString(a) {
				break
			}
			if !s.optional {
				break
			}
		}
		if pos == len(m.specs) {
			return m.mismatch(capName, i, a, start, pos)
		}
		s := &m.specs[pos]
		if s.fixed && a != s.value || !s.fixed && !s.re.MatchString(a) {
			return m.mismatch(capName, i, a, start, pos+1)
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

// mismatch builds the denial for argument i that matched none of the
// entries specs[from:to].
func (m *argMatcher) mismatch(capName string, i int, a string, from, to int) *Denied {
	if to-from == 1 && m.specs[from].fixed {
		s := m.specs[from]
		return denyArg(capName, RuleArgFixed, i, s.value, a,
			fmt.Sprintf("args[%d] must be exactly %s, got %s", i, quote(s.value), quote(a)))
	}
	pats := make([]string, 0, to-from)
	for _, s := range m.specs[from:to] {
		if s.fixed {
			pats = append(pats, quote(s.value))
		} else {
			pats = append(pats, s.pattern)
		}
	}
	pattern := strings.Join(pats, " or ")
	what := "the pattern"
	if len(pats) > 1 {
		what = "any of the patterns"
	}
	return denyArg(capName, RuleArgPattern, i, pattern, a,
		fmt.Sprintf("args[%d] %s does not match %s %s", i, quote(a), what, pattern))
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
