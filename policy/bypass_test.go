package policy

// Regression tests for the known ways around Tauri's shell-plugin scope
// (plugins-workspace #687, #3015, #2527; PR #1603; tauri #4788). Each one
// must be refused with a denial naming the rule.

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const bypassConfig = `
[[capability]]
name = "node-script"
program = "{{prog}}"
args = ["run.js", { validator = "[a-z]+" }]
cwd = ["{{root}}"]

[[capability]]
name = "unanchored"
program = "{{prog}}"
args = [{ validator = "--foo" }]

[[capability]]
name = "fixed"
program = "{{prog}}"
args = ["status", "--short"]
`

func mustDeny(t *testing.T, err error, rule string, mentions ...string) *Denied {
	t.Helper()
	var d *Denied
	if !errors.As(err, &d) {
		t.Fatalf("expected a %s denial, got %v", rule, err)
	}
	if d.Rule != rule {
		t.Fatalf("rule = %s, want %s (%v)", d.Rule, rule, d)
	}
	for _, m := range mentions {
		if !strings.Contains(d.Error(), m) {
			t.Errorf("error %q does not mention %q", d.Error(), m)
		}
	}
	return d
}

func TestBypassEnvInjection(t *testing.T) {
	f := newFixture(t)
	p, _ := f.policy(t, bypassConfig, Options{})
	for _, k := range []string{"LD_PRELOAD", "NODE_OPTIONS", "DYLD_INSERT_LIBRARIES", "LD_LIBRARY_PATH", "PYTHONPATH", "BASH_ENV", "GIT_SSH_COMMAND", "ld_preload"} {
		t.Run(k, func(t *testing.T) {
			_, err := p.Check(Request{Capability: "node-script", Args: []string{"run.js", "x"}, Env: map[string]string{k: "/tmp/evil"}})
			mustDeny(t, err, RuleEnvInjection, k, `"node-script"`)
		})
	}
	// corral's own LD_PRELOAD and NODE_OPTIONS never leak into the child.
	r, err := p.Check(Request{Capability: "node-script", Args: []string{"run.js", "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Env) != 0 {
		t.Errorf("child env = %q, want empty", r.Env)
	}
	// Naming the variable explicitly is the opt-in.
	p2, _ := f.policy(t, "[[capability]]\nname = \"c\"\nprogram = \"{{prog}}\"\ncaller_env = [\"LD_PRELOAD\"]\npass_env = [\"NODE_OPTIONS\", \"LD_*\"]\n", Options{})
	r, err = p2.Check(Request{Capability: "c", Env: map[string]string{"LD_PRELOAD": "/opt/ok.so"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"LD_PRELOAD=/opt/ok.so", "NODE_OPTIONS=--require /tmp/evil.js"}
	if got := sortedCopy(r.Env); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("env = %q, want %q (LD_* prefix must not pass corral's LD_PRELOAD)", got, want)
	}
}

func TestBypassCwd(t *testing.T) {
	f := newFixture(t)
	p, _ := f.policy(t, bypassConfig, Options{})
	args := []string{"run.js", "x"}
	_, err := p.Check(Request{Capability: "node-script", Args: args, Cwd: f.outside})
	mustDeny(t, err, RuleCwdOutside, f.outside)
	_, err = p.Check(Request{Capability: "node-script", Args: args, Cwd: filepath.Join(f.root, "..", "outside")})
	mustDeny(t, err, RuleCwdOutside)
	_, err = p.Check(Request{Capability: "node-script", Args: args, Cwd: filepath.Join(f.root, "sub", "..", "..")})
	mustDeny(t, err, RuleCwdOutside)
	if runtime.GOOS == "windows" {
		return
	}
	// A symlink inside the root that points outside is judged by its target.
	_, err = p.Check(Request{Capability: "node-script", Args: args, Cwd: filepath.Join(f.root, "escape")})
	d := mustDeny(t, err, RuleCwdOutside, "resolves to", f.outside)
	if d.Given != filepath.Join(f.root, "escape") {
		t.Errorf("given = %q", d.Given)
	}
	// A symlink that stays inside the root is allowed, and the child runs in
	// the directory it resolves to, not through the link.
	r, err := p.Check(Request{Capability: "node-script", Args: args, Cwd: filepath.Join(f.root, "inner", "deep")})
	if err != nil || r.Dir != filepath.Join(f.root, "sub", "deep") {
		t.Errorf("symlink inside root: dir %q, %v", r.Dir, err)
	}
	// A root given through a symlink still accepts its real subdirectories.
	link := filepath.Join(f.dir, "rootlink")
	if err := os.Symlink(f.root, link); err != nil {
		t.Fatal(err)
	}
	p2, _ := f.policy(t, "[[capability]]\nname = \"c\"\nprogram = \"{{prog}}\"\ncwd = [\""+filepath.ToSlash(link)+"\"]\n", Options{})
	r, err = p2.Check(Request{Capability: "c", Cwd: filepath.Join(link, "sub")})
	if err != nil || r.Dir != filepath.Join(f.root, "sub") {
		t.Errorf("via symlinked root: %+v %v", r, err)
	}
	_, err = p2.Check(Request{Capability: "c", Cwd: filepath.Join(link, "escape")})
	mustDeny(t, err, RuleCwdOutside)
}

func TestBypassExtraArgs(t *testing.T) {
	f := newFixture(t)
	p, _ := f.policy(t, bypassConfig, Options{})
	_, err := p.Check(Request{Capability: "node-script", Args: []string{"run.js", "x", "--inspect=0.0.0.0:9229"}})
	d := mustDeny(t, err, RuleArgExtra, "args[2]", "--inspect=0.0.0.0:9229", "exactly 2")
	if d.Position != 2 {
		t.Errorf("position = %d", d.Position)
	}
	_, err = p.Check(Request{Capability: "fixed", Args: []string{"status", "--short", "-c", "core.pager=sh"}})
	mustDeny(t, err, RuleArgExtra, "args[2]")
}

func TestBypassUnanchoredValidator(t *testing.T) {
	f := newFixture(t)
	p, _ := f.policy(t, bypassConfig, Options{})
	for _, a := range []string{"--foo; rm -rf ~", "x--foo", "--foo\n--bar", "--foo\x00", "--fooo"} {
		_, err := p.Check(Request{Capability: "unanchored", Args: []string{a}})
		var d *Denied
		if !errors.As(err, &d) || (d.Rule != RuleArgPattern && d.Rule != RuleArgNUL) {
			t.Fatalf("%q: err = %v", a, err)
		}
		if d.Rule == RuleArgPattern && (d.Pattern != "^(?:--foo)$" || d.Given != a || !strings.Contains(d.Error(), "^(?:--foo)$")) {
			t.Errorf("%q: denial %+v", a, d)
		}
	}
	if _, err := p.Check(Request{Capability: "unanchored", Args: []string{"--foo"}}); err != nil {
		t.Fatal(err)
	}
}

func TestBypassFixedArgOverride(t *testing.T) {
	f := newFixture(t)
	p, _ := f.policy(t, bypassConfig, Options{})
	_, err := p.Check(Request{Capability: "fixed", Args: []string{"status", "--porcelain"}})
	d := mustDeny(t, err, RuleArgFixed, "args[1]", `"--short"`, `"--porcelain"`)
	if d.Pattern != "--short" || d.Given != "--porcelain" {
		t.Errorf("denial %+v", d)
	}
	// Leaving a fixed argument out is refused too, never filled in.
	_, err = p.Check(Request{Capability: "fixed", Args: []string{"status"}})
	mustDeny(t, err, RuleArgMissing, "args[1]", `"--short"`)
}

func TestBypassRelativeProgram(t *testing.T) {
	f := newFixture(t)
	work := filepath.Join(f.dir, "work")
	mkProg(t, work, "git", 0o755)
	t.Chdir(work)
	sysbin := filepath.Join(f.dir, "sys")
	mkProg(t, sysbin, "git", 0o755)
	for _, path := range []string{
		"." + string(filepath.ListSeparator) + sysbin, // explicit "."
		string(filepath.ListSeparator) + sysbin,       // empty entry = current directory
	} {
		p, err := New(f.config(t, "[[capability]]\nname = \"g\"\nprogram = \"git\"\n"), Options{Path: path, Environ: func() []string { return nil }})
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Check(Request{Capability: "g"})
		mustDeny(t, err, RuleProgramRelative, `"git"`, "relative PATH entry")
	}
	// A relative path in the config itself.
	p, _ := f.policy(t, "[[capability]]\nname = \"g\"\nprogram = \"./git\"\n", Options{Path: sysbin})
	_, err := p.Check(Request{Capability: "g"})
	mustDeny(t, err, RuleProgramRelative, `"./git"`)
	// With only absolute PATH entries the system binary is found.
	p, _ = f.policy(t, "[[capability]]\nname = \"g\"\nprogram = \"git\"\n", Options{Path: sysbin})
	r, err := p.Check(Request{Capability: "g"})
	if err != nil || r.Program != filepath.Join(sysbin, exeName("git")) {
		t.Fatalf("absolute PATH: %+v %v", r, err)
	}
}

func TestBypassOtherOwner(t *testing.T) {
	reg := NewRegistry(nil)
	alice, bob := SessionOwner("alice"), GrantOwner("bob")
	id := NewProcessID()
	if err := reg.Register(id, alice); err != nil {
		t.Fatal(err)
	}
	for _, action := range []string{"write", "close-stdin", "kill"} {
		err := reg.Authorize(bob, id, action)
		mustDeny(t, err, RuleOwnerMismatch, action, id)
	}
	// The same id under another owner kind is not the same owner.
	mustDeny(t, reg.Authorize(GrantOwner("alice"), id, "kill"), RuleOwnerMismatch)
	// A raw pid is never accepted, even for a registered owner.
	mustDeny(t, reg.Authorize(alice, "4242", "kill"), RuleOwnerRawPID, "4242")
	mustDeny(t, reg.Register("4242", alice), RuleOwnerRawPID)
	if err := reg.Authorize(alice, id, "kill"); err != nil {
		t.Fatal(err)
	}
}

func TestBypassSidecarName(t *testing.T) {
	f := newFixture(t)
	for _, name := range []string{"../tool", "bin/tool", `bin\tool`, "/bin/sh", "..", ".hidden", "a..b", "tool/", "", "C:tool", "tool name"} {
		t.Run(name, func(t *testing.T) {
			p, _ := f.policy(t, "[[capability]]\nname = \"s\"\nprogram = 'sidecar:"+name+"'\n", Options{SidecarDir: f.bin})
			_, err := p.Check(Request{Capability: "s"})
			mustDeny(t, err, RuleSidecarName, "sidecar name")
		})
	}
}

// TestAnchorCannotBeUnwrapped: a validator cannot undo the anchoring by
// closing the wrapping group itself or by quoting the closing anchor.
func TestAnchorCannotBeUnwrapped(t *testing.T) {
	if _, err := CompileAnchored("a)|(?:b"); err == nil {
		t.Error(`"a)|(?:b" compiled; textual wrapping would make it "^(?:a)|(?:b)$"`)
	}
	re, err := CompileAnchored(`x\Q)$`)
	if err != nil {
		t.Fatal(err)
	}
	if !re.MatchString("x)$") || re.MatchString("x)$y") || re.MatchString("x") {
		t.Errorf(`x\Q)$ anchored wrongly: %s`, re)
	}
	re, err = CompileAnchored("--foo|--bar")
	if err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]bool{"--foo": true, "--bar": true, "--foo; rm": false, "x--bar": false, "--foo--bar": false} {
		if re.MatchString(s) != want {
			t.Errorf("%q: match = %v", s, !want)
		}
	}
}

// TestOptionalThenRest: an optional entry that does not match is skipped,
// never forced, and the error lists every pattern that was tried.
func TestOptionalThenRest(t *testing.T) {
	f := newFixture(t)
	p, _ := f.policy(t, fuzzShape, Options{})
	if _, err := p.Check(Request{Capability: "shape", Args: []string{"sub", "-n=1", "Abc", "--dry-run", "Z"}}); err != nil {
		t.Fatal(err)
	}
	_, err := p.Check(Request{Capability: "shape", Args: []string{"sub", "-n=1", "123"}})
	d := mustDeny(t, err, RuleArgPattern, "args[2]", "^(?:[a-z]+)$", "^(?:[A-Z][a-z]*)$")
	if d.Position != 2 || d.Given != "123" {
		t.Errorf("denial %+v", d)
	}
}
