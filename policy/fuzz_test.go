package policy

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// FuzzValidator checks that an anchored validator accepts exactly the
// arguments the pattern matches in full, never a substring: the
// leftmost-longest unanchored match must span the whole input.
func FuzzValidator(f *testing.F) {
	for _, s := range [][2]string{
		{"--foo", "--foo; rm -rf /"}, {"--foo", "--foo"}, {"a|b", "ab"}, {"[a-z]+", "abc\n"},
		{"(?m)^a$", "a\nb"}, {`\S+`, "Hello World"}, {".*", "x\ny"}, {"(?s).*", "x\ny"},
		{"--max-count=[0-9]{1,3}", "--max-count=1000"}, {`\bfoo`, "foo"}, {"", ""}, {"a*", "aaa"}, {`\Q`, "0"}, {`x\Q)$`, "x)$"}, {"a{2}{3}", "aaaaaa"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, input string) {
		if len(pattern) > 64 || len(input) > 256 {
			return
		}
		if _, err := regexp.Compile(pattern); err != nil {
			return
		}
		anchored, err := CompileAnchored(pattern)
		if err != nil {
			t.Fatalf("pattern %q compiles but its anchored form does not: %v", pattern, err)
		}
		longest := regexp.MustCompile(pattern)
		longest.Longest()
		loc := longest.FindStringIndex(input)
		whole := loc != nil && loc[0] == 0 && loc[1] == len(input)
		if got := anchored.MatchString(input); got != whole {
			t.Fatalf("pattern %q input %q: anchored match = %v, whole-input match = %v (%v)", pattern, input, got, whole, loc)
		}
		// The same verdict through the argument matcher.
		m := argMatcher{specs: []argSpec{{re: anchored, pattern: Anchor(pattern)}}}
		d := m.match("fuzz", []string{input})
		wantOK := whole && !strings.ContainsRune(input, 0)
		if (d == nil) != wantOK {
			t.Fatalf("pattern %q input %q: matcher denial %v, want allowed=%v", pattern, input, d, wantOK)
		}
		if d != nil && d.Rule == RuleArgPattern && (d.Given != input || d.Position != 0) {
			t.Fatalf("denial does not carry the given value: %+v", d)
		}
	})
}

// fuzzShape is the capability FuzzArgMatch checks against: a fixed
// subcommand, a validator, an optional validator, then a rest validator;
// two flags.
const fuzzShape = `
[[capability]]
name = "shape"
program = "{{prog}}"
args = ["sub", { validator = "-n=[0-9]{1,3}" }, { validator = "[a-z]+", optional = true }, { validator = "[A-Z][a-z]*", rest = true }]
flags = ["-v", "--dry-run"]
`

// refMatch is an independent, deliberately naive statement of the rules:
// remove flags (each at most once), then the remaining arguments must be
// "sub", a count, optionally a word, and any number of capitalised words.
func refMatch(args []string) bool {
	count := regexp.MustCompile(`\A-n=[0-9]{1,3}\z`)
	word := regexp.MustCompile(`\A[a-z]+\z`)
	capw := regexp.MustCompile(`\A[A-Z][a-z]*\z`)
	seen := map[string]bool{}
	var pos []string
	for _, a := range args {
		if strings.ContainsRune(a, 0) {
			return false
		}
		if a == "-v" || a == "--dry-run" {
			if seen[a] {
				return false
			}
			seen[a] = true
			continue
		}
		pos = append(pos, a)
	}
	if len(pos) < 2 || pos[0] != "sub" || !count.MatchString(pos[1]) {
		return false
	}
	rest := pos[2:]
	if len(rest) > 0 && word.MatchString(rest[0]) {
		rest = rest[1:]
	}
	for _, a := range rest {
		if !capw.MatchString(a) {
			return false
		}
	}
	return true
}

// FuzzArgMatch drives Check with arbitrary argument vectors and holds it
// to the reference: the same verdict, an allowed argv returned unchanged,
// and a denial that points at an argument that exists.
func FuzzArgMatch(f *testing.F) {
	for _, s := range []string{
		"sub\x1f-n=5", "sub\x1f-n=5\x1fword\x1fAbc\x1fDef", "-v\x1fsub\x1f-n=1\x1f--dry-run", "sub\x1f-n=5\x1f-v\x1f-v",
		"sub\x1f-n=5; rm -rf", "sub", "", "sub\x1f-n=1\x1fAbc\x1fword", "sub\x1f-n=1\x1fword\x1fword", "push\x1f-n=1",
		"sub\x1f-n=12\x1f\x00", "sub\x1f-n=1\x1fAbc\x1f--dry-run\x1fZ",
	} {
		f.Add(s)
	}
	fx := newFixture(f)
	p, _ := fx.policy(f, fuzzShape, Options{Sink: func(eventT) {}})
	f.Fuzz(func(t *testing.T, joined string) {
		if len(joined) > 512 {
			return
		}
		var args []string
		if joined != "" {
			args = strings.Split(joined, "\x1f")
		}
		in := append([]string(nil), args...)
		r, err := p.Check(Request{Capability: "shape", Args: args})
		want := refMatch(in)
		if (err == nil) != want {
			t.Fatalf("args %q: Check err = %v, reference allowed = %v", in, err, want)
		}
		if err == nil {
			if !reflect.DeepEqual(r.Args, in) && !(len(r.Args) == 0 && len(in) == 0) {
				t.Fatalf("args %q came back as %q", in, r.Args)
			}
			return
		}
		var d *Denied
		if !errors.As(err, &d) || d.Capability != "shape" || d.Rule == "" || d.Message == "" {
			t.Fatalf("bad denial %#v", err)
		}
		if d.Position < 0 || d.Position > len(in) {
			t.Fatalf("denial position %d outside 0..%d", d.Position, len(in))
		}
		if d.Position < len(in) && d.Given != in[d.Position] {
			t.Fatalf("denial given %q, args[%d] = %q", d.Given, d.Position, in[d.Position])
		}
	})
}
