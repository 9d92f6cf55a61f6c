package policy_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/corral-dev/corral/policy"
)

// A policy is built from plain rules: here one capability that lets a
// caller run `git log --max-count=N` and nothing else. Check either
// resolves a request completely (the program, argv, directory and
// environment a supervisor must use) or names the rule that refused it.
func Example() {
	git, _ := os.Executable() // any absolute executable stands in for git here
	p, err := policy.New(policy.Rules{Capabilities: []policy.Capability{{
		Name:    "git-log",
		Program: git,
		Args:    []policy.Arg{{Value: "log"}, {Validator: "--max-count=[0-9]{1,3}"}},
		Env:     map[string]string{"GIT_PAGER": "cat"},
	}}}, policy.Options{})
	if err != nil {
		panic(err)
	}

	r, err := p.Check(policy.Request{Capability: "git-log", Args: []string{"log", "--max-count=5"}})
	fmt.Println(err, r.Program == git, r.Args, r.Env)

	_, err = p.Check(policy.Request{Capability: "git-log", Args: []string{"log", "--max-count=5; rm -rf ~"}})
	fmt.Println(err)
	// Output:
	// <nil> true [log --max-count=5] [GIT_PAGER=cat]
	// policy: capability "git-log" denied (arg.pattern): args[1] "--max-count=5; rm -rf ~" does not match the pattern ^(?:--max-count=[0-9]{1,3})$
}

// A capability states everything a run may vary: the positional shape of
// the arguments (fixed words, validated values, optional and rest
// entries), flags that may appear anywhere, the variables taken from
// corral's environment or set by the caller, and the directories it may
// run in. Anything else is refused; nothing is dropped or supplied.
func ExamplePolicy_Check() {
	tool, _ := os.Executable()
	work, _ := os.MkdirTemp("", "policy-example-")
	defer os.RemoveAll(work)
	work, _ = filepath.EvalSymlinks(work)
	os.Mkdir(filepath.Join(work, "repo"), 0o755)

	p, err := policy.New(policy.Rules{Capabilities: []policy.Capability{{
		Name:    "fmt",
		Program: tool,
		Args: []policy.Arg{
			{Value: "format"},
			{Validator: `[A-Za-z0-9_/.-]+\.go`, Rest: true}, // zero or more Go files
		},
		Flags:     []string{"-w", "--check"},
		PassEnv:   []string{"LANG"},    // copied from corral's environment
		CallerEnv: []string{"FMT_TAB"}, // the caller may set it per run
		Cwd:       []string{work},      // runs only below this root
		Timeout:   time.Minute,
	}}}, policy.Options{Environ: func() []string { return []string{"LANG=C.UTF-8", "SECRET=x"} }})
	if err != nil {
		panic(err)
	}

	r, err := p.Check(policy.Request{Capability: "fmt", Args: []string{"format", "-w", "a.go", "b/c.go"},
		Cwd: filepath.Join(work, "repo"), Env: map[string]string{"FMT_TAB": "4"}})
	fmt.Println(err, r.Args, r.Env, r.Dir == filepath.Join(work, "repo"), r.Limits.Timeout)

	for _, req := range []policy.Request{
		{Capability: "fmt", Args: []string{"format", "-w", "-w"}},
		{Capability: "fmt", Args: []string{"format"}, Env: map[string]string{"NODE_OPTIONS": "--require evil.js"}},
		{Capability: "fmt", Args: []string{"format"}, Cwd: filepath.Dir(work)},
		{Capability: "fmt", Args: []string{"format"}, Timeout: time.Hour},
	} {
		_, err := p.Check(req)
		var d *policy.Denied
		errors.As(err, &d)
		fmt.Println(d.Rule)
	}
	// Output:
	// <nil> [format -w a.go b/c.go] [LANG=C.UTF-8 FMT_TAB=4] true 1m0s
	// arg.flag-repeated
	// env.injection
	// cwd.outside
	// limit.timeout
}

// Explain prints a decision for a person, as `corral policy check` does:
// the first line is "allowed" or "denied RULE", then what was required
// and what was given. It runs nothing.
func ExampleExplain() {
	tool, _ := os.Executable()
	p, _ := policy.New(policy.Rules{Capabilities: []policy.Capability{{
		Name: "deploy", Program: tool,
		Args: []policy.Arg{{Value: "deploy"}, {Validator: "staging|production"}},
	}}}, policy.Options{})

	d := p.Decide(policy.Request{Capability: "deploy", Args: []string{"deploy", "prod"}, DryRun: true})
	code := policy.Explain(os.Stdout, d)
	fmt.Println("exit status", code)
	// Output:
	// denied arg.pattern
	// capability: deploy
	// position:   args[1]
	// required:   ^(?:staging|production)$
	// given:      "prod"
	// reason:     args[1] "prod" does not match the pattern ^(?:staging|production)$
	// exit status 1
}

// An agent is checked as AgentPrefix+name. Its adapter builds the argv, so
// the rules are its program and environment: AgentEnv starts from nothing
// but HOME and PATH, adds what pass_env names, and lets fixed values win.
func ExampleAgentEnv() {
	parent := []string{"HOME=/home/u", "PATH=/usr/bin", "ANTHROPIC_API_KEY=sk-1", "AWS_SECRET_ACCESS_KEY=s",
		"LD_PRELOAD=/tmp/evil.so"}
	env := policy.AgentEnv(policy.Agent{
		Command: "claude",
		PassEnv: []string{"ANTHROPIC_*", "LD_*"}, // a prefix never selects a loader variable
		Env:     map[string]string{"ANTHROPIC_BASE_URL": "http://127.0.0.1:8080"},
	}, parent)
	fmt.Println(env)
	// Output:
	// [ANTHROPIC_API_KEY=sk-1 ANTHROPIC_BASE_URL=http://127.0.0.1:8080 HOME=/home/u PATH=/usr/bin]
}
