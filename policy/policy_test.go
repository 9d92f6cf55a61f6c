package policy

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
)

const mainConfig = `
[limits]
max_output = "8MiB"

[[capability]]
name = "git-log"
program = "{{prog}}"
args = ["log", { validator = "--max-count=[0-9]{1,3}" }, { validator = "[A-Za-z0-9._/-]+", optional = true }]
flags = ["--oneline", "--stat"]
env = { GIT_PAGER = "cat" }
pass_env = ["LANG", "LC_*"]
caller_env = ["TERM"]
cwd = ["{{root}}"]
timeout = "10m"
idle_timeout = "2m"
max_line = "64KiB"
max_concurrent = 2

[[capability]]
name = "words"
program = "tool"
args = [{ validator = "[a-z]+", rest = true }]

[[capability]]
name = "noargs"
program = "{{prog}}"

[[capability]]
name = "alt"
program = "{{prog}}"
args = [{ validator = "a|b" }]
`

func TestCheckRules(t *testing.T) {
	f := newFixture(t)
	p, rec := f.policy(t, mainConfig, Options{})
	sub := filepath.Join(f.root, "sub")
	tests := []struct {
		name    string
		req     Request
		rule    string // "" = allowed
		pos     int
		pattern string
		given   string
	}{
		{name: "minimal", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=5"}}},
		{name: "optional given", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=5", "main"}, Cwd: sub}},
		{name: "flags anywhere", req: Request{Capability: "git-log", Args: []string{"log", "--stat", "--max-count=5", "--oneline"}}},
		{name: "flag before fixed", req: Request{Capability: "git-log", Args: []string{"--oneline", "log", "--max-count=5"}}},
		{name: "rest zero", req: Request{Capability: "words", Args: nil}},
		{name: "rest many", req: Request{Capability: "words", Args: []string{"a", "b", "c"}}},
		{name: "alternation", req: Request{Capability: "alt", Args: []string{"b"}}},
		{name: "no args", req: Request{Capability: "noargs"}},

		{name: "unknown", req: Request{Capability: "rm"}, rule: RuleCapabilityUnknown, pos: -1, given: "rm"},
		{name: "fixed wrong", req: Request{Capability: "git-log", Args: []string{"push", "--max-count=5"}},
			rule: RuleArgFixed, pos: 0, pattern: "log", given: "push"},
		{name: "pattern", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=5000"}},
			rule: RuleArgPattern, pos: 1, pattern: "^(?:--max-count=[0-9]{1,3})$", given: "--max-count=5000"},
		{name: "optional pattern", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=5", "a b"}},
			rule: RuleArgPattern, pos: 2, pattern: "^(?:[A-Za-z0-9._/-]+)$", given: "a b"},
		{name: "missing required", req: Request{Capability: "git-log", Args: []string{"log"}},
			rule: RuleArgMissing, pos: 1, pattern: "^(?:--max-count=[0-9]{1,3})$"},
		{name: "missing fixed", req: Request{Capability: "git-log"}, rule: RuleArgMissing, pos: 0, pattern: "log"},
		{name: "extra", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=5", "main", "x"}},
			rule: RuleArgExtra, pos: 3, given: "x"},
		{name: "extra on noargs", req: Request{Capability: "noargs", Args: []string{"-rf"}}, rule: RuleArgExtra, pos: 0, given: "-rf"},
		{name: "unlisted flag is positional", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=5", "--exec=sh"}},
			rule: RuleArgPattern, pos: 2, given: "--exec=sh"},
		{name: "flag repeated", req: Request{Capability: "git-log", Args: []string{"log", "--stat", "--max-count=5", "--stat"}},
			rule: RuleFlagRepeated, pos: 3, given: "--stat"},
		{name: "nul", req: Request{Capability: "words", Args: []string{"ab\x00c"}}, rule: RuleArgNUL, pos: 0},
		{name: "rest pattern", req: Request{Capability: "words", Args: []string{"a", "B"}}, rule: RuleArgPattern, pos: 1, given: "B"},
		{name: "alternation anchored", req: Request{Capability: "alt", Args: []string{"ab"}}, rule: RuleArgPattern, pos: 0, given: "ab"},

		{name: "caller env listed", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=1"}, Env: map[string]string{"TERM": "dumb"}}},
		{name: "caller env same as fixed", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=1"}, Env: map[string]string{"GIT_PAGER": "cat"}}},
		{name: "caller env fixed changed", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=1"}, Env: map[string]string{"GIT_PAGER": "sh -c id"}},
			rule: RuleEnvFixed, pos: -1, pattern: "GIT_PAGER=cat", given: "GIT_PAGER=sh -c id"},
		{name: "caller env unlisted", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=1"}, Env: map[string]string{"FOO": "1"}},
			rule: RuleEnvUnlisted, pos: -1, given: "FOO=1"},
		{name: "caller env pass_env name", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=1"}, Env: map[string]string{"LANG": "C"}},
			rule: RuleEnvUnlisted, pos: -1, given: "LANG=C"},
		{name: "caller env injection", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=1"}, Env: map[string]string{"GIT_SSH_COMMAND": "sh"}},
			rule: RuleEnvInjection, pos: -1, given: "GIT_SSH_COMMAND=sh"},
		{name: "caller env bad name", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=1"}, Env: map[string]string{"A=B": "1"}},
			rule: RuleEnvInvalid, pos: -1, given: "A=B"},
		{name: "caller env nul value", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=1"}, Env: map[string]string{"TERM": "x\x00"}},
			rule: RuleEnvInvalid, pos: -1, given: "TERM"},

		{name: "cwd sub", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=1"}, Cwd: filepath.Join(f.root, "sub", "deep")}},
		{name: "cwd dotdot inside", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=1"}, Cwd: filepath.Join(f.root, "sub", "..", "sub")}},
		{name: "cwd dotdot escape", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=1"}, Cwd: f.root + string(filepath.Separator) + ".." + string(filepath.Separator) + "outside"},
			rule: RuleCwdOutside, pos: -1},
		{name: "cwd outside", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=1"}, Cwd: f.outside}, rule: RuleCwdOutside, pos: -1, given: f.outside},
		{name: "cwd sibling prefix", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=1"}, Cwd: f.root + "x"}, rule: RuleCwdOutside, pos: -1},
		{name: "cwd relative", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=1"}, Cwd: "sub"}, rule: RuleCwdRelative, pos: -1, given: "sub"},
		{name: "cwd missing", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=1"}, Cwd: filepath.Join(f.root, "nope")}, rule: RuleCwdMissing, pos: -1},
		{name: "cwd file", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=1"}, Cwd: filepath.Join(f.root, "file.txt")}, rule: RuleCwdNotDir, pos: -1},
		{name: "cwd without roots", req: Request{Capability: "noargs", Cwd: f.root}, rule: RuleCwdNone, pos: -1},

		{name: "shorter timeout", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=1"}, Timeout: time.Minute}},
		{name: "longer timeout", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=1"}, Timeout: time.Hour},
			rule: RuleLimitTimeout, pos: -1, pattern: "10m0s", given: "1h0m0s"},
		{name: "negative timeout", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=1"}, Timeout: -time.Second}, rule: RuleLimitTimeout, pos: -1},
	}
	if runtime.GOOS != "windows" {
		tests = append(tests,
			struct {
				name    string
				req     Request
				rule    string
				pos     int
				pattern string
				given   string
			}{name: "cwd symlink inside root", req: Request{Capability: "git-log", Args: []string{"log", "--max-count=1"}, Cwd: filepath.Join(f.root, "inner")}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec.take()
			r, err := p.Check(tt.req)
			evs := rec.take()
			if len(evs) != 1 || evs[0].Kind != event.PolicyDecision {
				t.Fatalf("audit events = %+v, want one %s", evs, event.PolicyDecision)
			}
			var data DecisionData
			if err := json.Unmarshal(evs[0].Data, &data); err != nil {
				t.Fatal(err)
			}
			if tt.rule == "" {
				if err != nil {
					t.Fatalf("denied: %v", err)
				}
				if !r.Issued() || r.Program != f.prog && tt.req.Capability != "words" {
					t.Errorf("resolved = %+v", r)
				}
				if !reflect.DeepEqual(r.Args, append([]string{}, tt.req.Args...)) && len(tt.req.Args)+len(r.Args) > 0 {
					t.Errorf("args = %q, want exactly %q", r.Args, tt.req.Args)
				}
				if !data.Allowed || data.Rule != RuleAllow || data.Program != r.Program {
					t.Errorf("audit = %+v", data)
				}
				return
			}
			var d *Denied
			if !errors.As(err, &d) {
				t.Fatalf("err = %v (%T), want *Denied %s", err, err, tt.rule)
			}
			if d.Rule != tt.rule || d.Position != tt.pos || d.Capability != tt.req.Capability {
				t.Errorf("denied %+v, want rule %s position %d", d, tt.rule, tt.pos)
			}
			if tt.pattern != "" && d.Pattern != tt.pattern {
				t.Errorf("pattern = %q, want %q", d.Pattern, tt.pattern)
			}
			if tt.given != "" && d.Given != tt.given {
				t.Errorf("given = %q, want %q", d.Given, tt.given)
			}
			msg := d.Error()
			if !strings.Contains(msg, `"`+tt.req.Capability+`"`) || !strings.Contains(msg, tt.rule) {
				t.Errorf("message %q does not name capability and rule", msg)
			}
			if d.Position >= 0 && !strings.Contains(msg, "args[") {
				t.Errorf("message %q does not name the position", msg)
			}
			if !errors.Is(err, &Denied{Rule: tt.rule}) {
				t.Errorf("errors.Is by rule failed")
			}
			if r.Issued() || r.Program != "" {
				t.Errorf("denied call returned a resolved value %+v", r)
			}
			if data.Allowed || data.Rule != tt.rule || data.Capability != tt.req.Capability {
				t.Errorf("audit = %+v", data)
			}
			if d.Position >= 0 && (data.Position == nil || *data.Position != d.Position) {
				t.Errorf("audit position = %v, want %d", data.Position, d.Position)
			}
		})
	}
}

func TestResolvedValue(t *testing.T) {
	f := newFixture(t)
	p, _ := f.policy(t, mainConfig, Options{})
	in := []string{"log", "--oneline", "--max-count=7", "main"}
	r, err := p.Check(Request{Capability: "git-log", Args: in, Env: map[string]string{"TERM": "xterm"}})
	if err != nil {
		t.Fatal(err)
	}
	// The child env starts empty: only fixed, pass_env (exact and prefix)
	// and permitted caller values. No PATH, HOME, secrets or loader keys.
	wantEnv := []string{"GIT_PAGER=cat", "LANG=C.UTF-8", "LC_ALL=C", "LC_PRELOADISH=x", "LC_TIME=en_GB", "TERM=xterm"}
	if got := sortedCopy(r.Env); !reflect.DeepEqual(got, wantEnv) {
		t.Errorf("env = %q, want %q", got, wantEnv)
	}
	if r.Dir != f.root {
		t.Errorf("dir = %q, want the first root %q", r.Dir, f.root)
	}
	want := Limits{MaxOutput: 8 << 20, MaxStreamOutput: 8 << 20, MaxLine: 64 << 10, Timeout: 10 * time.Minute, IdleTimeout: 2 * time.Minute, MaxConcurrent: 2}
	if r.Limits != want {
		t.Errorf("limits = %+v, want %+v", r.Limits, want)
	}
	// Frozen: the caller's slice and the policy are not shared.
	in[0] = "push"
	r.Args[1] = "changed"
	r2, err := p.Check(Request{Capability: "git-log", Args: []string{"log", "--max-count=7"}})
	if err != nil || r.Args[0] != "log" || r2.Args[1] != "--max-count=7" {
		t.Errorf("resolved values share memory: %q %q %v", r.Args, r2.Args, err)
	}
	if (Resolved{Program: f.prog}).Issued() {
		t.Error("a hand-built Resolved claims to be issued")
	}

	// A capability without pass_env or env gets an empty, non-nil env.
	r3, err := p.Check(Request{Capability: "noargs"})
	if err != nil || r3.Env == nil || len(r3.Env) != 0 || r3.Dir != "" {
		t.Errorf("noargs = %+v, %v", r3, err)
	}
	if r3.Limits.MaxOutput != 8<<20 || r3.Limits.MaxLine != DefaultMaxLine {
		t.Errorf("default limits = %+v", r3.Limits)
	}
	// PATH names resolve once, to the absolute file.
	r4, err := p.Check(Request{Capability: "words", Args: []string{"x"}})
	if err != nil || r4.Program != f.prog {
		t.Errorf("words program = %q, %v; want %q", r4.Program, err, f.prog)
	}
}

func TestNewErrors(t *testing.T) {
	f := newFixture(t)
	tests := []struct{ name, toml, want string }{
		{"env twice", `[[capability]]
name = "x"
program = "{{prog}}"
env = { A = "1" }
caller_env = ["A"]`, "both env and caller_env"},
		{"pass and caller", `[[capability]]
name = "x"
program = "{{prog}}"
pass_env = ["A"]
caller_env = ["A"]`, "both pass_env and caller_env"},
		{"line above stream", `[[capability]]
name = "x"
program = "{{prog}}"
max_stream_output = "1KiB"
max_line = "2KiB"`, "max_line (2KiB) exceeds max_stream_output (1KiB)"},
		{"stream above default output", `[limits]
max_output = "1MiB"
[[capability]]
name = "x"
program = "{{prog}}"
max_stream_output = "2MiB"`, "max_stream_output (2MiB) exceeds max_output (1MiB)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(f.config(t, tt.toml), Options{Environ: func() []string { return nil }})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestProgramResolution(t *testing.T) {
	f := newFixture(t)
	noexec := mkProg(t, f.bin, "noexec", 0o644)
	wdir := filepath.Join(f.dir, "wbin")
	worldw := mkProg(t, wdir, "worldw", 0o755)
	if err := os.Chmod(worldw, 0o757); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, program, path, rule string
		unixOnly                  bool
	}{
		{"absolute", f.prog, "", "", false},
		{"path name", "tool", f.bin, "", false},
		{"not on path", "nosuch", f.bin, RuleProgramNotFound, false},
		{"absolute missing", filepath.Join(f.bin, "nosuch"), "", RuleProgramNotFound, false},
		{"dot slash", "./tool", f.bin, RuleProgramRelative, false},
		{"sub path", "bin/tool", f.bin, RuleProgramRelative, false},
		{"directory", f.bin, "", RuleProgramNotExec, false},
		{"not executable", noexec, "", RuleProgramNotExec, true},
		{"world writable", worldw, "", RuleProgramWritable, true},
		{"world writable via PATH", "worldw", wdir, RuleProgramWritable, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.unixOnly && runtime.GOOS == "windows" {
				t.Skip("Windows permissions are ACLs, not mode bits: a world-writable program cannot be made this way there")
			}
			toml := "[[capability]]\nname = \"c\"\nprogram = '" + tt.program + "'\n"
			cfg := f.config(t, toml)
			opts := Options{Path: tt.path, Environ: func() []string { return nil }}
			p, err := New(cfg, opts)
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Check(Request{Capability: "c"})
			info := p.ListCapabilities()[0]
			if tt.rule == "" {
				if err != nil || !info.Available || !filepath.IsAbs(info.Program) {
					t.Fatalf("err = %v, info = %+v", err, info)
				}
				return
			}
			var d *Denied
			if !errors.As(err, &d) || d.Rule != tt.rule {
				t.Fatalf("err = %v, want rule %s", err, tt.rule)
			}
			if info.Available || info.Rule != tt.rule || info.Reason == "" {
				t.Errorf("list info = %+v", info)
			}
			opts.Strict = true
			if _, err := New(cfg, opts); !errors.Is(err, &Denied{Rule: tt.rule}) {
				t.Errorf("strict New err = %v, want %s", err, tt.rule)
			}
		})
	}
}

func TestSHA256Pin(t *testing.T) {
	f := newFixture(t)
	toml := "[[capability]]\nname = \"pinned\"\nprogram = \"{{prog}}\"\nsha256 = \"{{sha}}\"\n"
	p, _ := f.policy(t, toml, Options{})
	r, err := p.Check(Request{Capability: "pinned"})
	if err != nil || r.SHA256 != f.sha {
		t.Fatalf("pinned check: %+v %v", r, err)
	}
	// Replace the program after load: the next Check notices.
	if err := os.WriteFile(f.prog, []byte("#!/bin/sh\necho replaced, longer\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = p.Check(Request{Capability: "pinned"})
	var d *Denied
	if !errors.As(err, &d) || d.Rule != RuleSHA256Mismatch || d.Pattern != f.sha || !strings.Contains(d.Error(), f.sha) {
		t.Fatalf("after replace: %v", err)
	}
	// A wrong pin at load makes the capability unavailable.
	bad := strings.Repeat("0", 64)
	p2, _ := f.policy(t, "[[capability]]\nname = \"pinned\"\nprogram = \"{{prog}}\"\nsha256 = \""+bad+"\"\n", Options{})
	if _, err := p2.Check(Request{Capability: "pinned"}); !errors.Is(err, &Denied{Rule: RuleSHA256Mismatch}) {
		t.Fatalf("bad pin: %v", err)
	}
}

func TestAcquire(t *testing.T) {
	f := newFixture(t)
	p, rec := f.policy(t, mainConfig, Options{})
	r1, err := p.Acquire("git-log")
	if err != nil {
		t.Fatal(err)
	}
	r2, err := p.Acquire("git-log")
	if err != nil {
		t.Fatal(err)
	}
	rec.take()
	_, err = p.Acquire("git-log")
	var d *Denied
	if !errors.As(err, &d) || d.Rule != RuleLimitConcurrent || d.Pattern != "2" {
		t.Fatalf("third acquire: %v", err)
	}
	if evs := rec.take(); len(evs) != 1 {
		t.Errorf("limit denial audit events = %d", len(evs))
	}
	r1()
	r1() // idempotent: must not free a second slot
	if p.Live("git-log") != 1 {
		t.Fatalf("live = %d after one release", p.Live("git-log"))
	}
	r3, err := p.Acquire("git-log")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Acquire("git-log"); err == nil {
		t.Fatal("double release freed two slots")
	}
	r2()
	r3()
	if _, err := p.Acquire("nope"); !errors.Is(err, &Denied{Rule: RuleCapabilityUnknown}) {
		t.Errorf("unknown: %v", err)
	}
	// No limit: always succeeds.
	for i := 0; i < 100; i++ {
		if _, err := p.Acquire("noargs"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestListCapabilities(t *testing.T) {
	f := newFixture(t)
	p, _ := f.policy(t, mainConfig, Options{})
	list := p.ListCapabilities()
	names := []string{}
	for _, c := range list {
		names = append(names, c.Name)
	}
	want := []string{"git-log", "words", "noargs", "alt", "agent:claude", "agent:codex", "agent:gemini"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("names = %q, want %q", names, want)
	}
	g := list[0]
	if g.Kind != "capability" || g.Program != f.prog || len(g.Args) != 3 || g.Args[0].Fixed != "log" ||
		g.Args[1].Pattern != "^(?:--max-count=[0-9]{1,3})$" || !g.Args[2].Optional ||
		!reflect.DeepEqual(g.Flags, []string{"--oneline", "--stat"}) || !reflect.DeepEqual(g.EnvKeys, []string{"GIT_PAGER"}) ||
		!reflect.DeepEqual(g.CwdRoots, []string{f.root}) || g.Limits.MaxConcurrent != 2 || !g.Available {
		t.Errorf("git-log info = %+v", g)
	}
	if !list[1].Args[0].Rest {
		t.Errorf("words info = %+v", list[1])
	}
	if b, err := json.Marshal(list); err != nil || !strings.Contains(string(b), `"name":"git-log"`) {
		t.Errorf("json: %s %v", b, err)
	}
}
