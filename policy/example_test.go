package policy_test

import (
	"fmt"
	"os"
	"strconv"

	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/policy"
)

// A capability allows one command shape; Check either resolves a request
// completely or names the rule that refused it.
func Example() {
	exe, _ := os.Executable() // any absolute executable will do here
	cfg, err := config.Parse([]byte(`
[[capability]]
name = "git-log"
program = `+strconv.Quote(exe)+`
args = ["log", { validator = "--max-count=[0-9]{1,3}" }]
env = { GIT_PAGER = "cat" }
`), "example.toml")
	if err != nil {
		panic(err)
	}
	audit := 0
	p, err := policy.New(cfg, policy.Options{Sink: func(event.Event) { audit++ }})
	if err != nil {
		panic(err)
	}

	r, err := p.Check(policy.Request{Capability: "git-log", Args: []string{"log", "--max-count=5"}})
	fmt.Println(err, r.Args, r.Env)

	_, err = p.Check(policy.Request{Capability: "git-log", Args: []string{"log", "--max-count=5; rm -rf ~"}})
	fmt.Println(err)

	_, err = p.Check(policy.Request{Capability: "git-log", Args: []string{"log", "--max-count=5"},
		Env: map[string]string{"LD_PRELOAD": "/tmp/x.so"}})
	fmt.Println(err)

	d := p.Decide(policy.Request{Capability: "git-log", Args: []string{"log", "--max-count=5", "--all"}, DryRun: true})
	code := policy.Explain(os.Stdout, d)
	fmt.Println("exit", code, "audited", audit)
	// Output:
	// <nil> [log --max-count=5] [GIT_PAGER=cat]
	// policy: capability "git-log" denied (arg.pattern): args[1] "--max-count=5; rm -rf ~" does not match the pattern ^(?:--max-count=[0-9]{1,3})$
	// policy: capability "git-log" denied (env.injection): LD_PRELOAD can make the program load or run foreign code and the capability does not name it
	// denied arg.extra
	// capability: git-log
	// position:   args[2]
	// given:      "--all"
	// reason:     args[2] "--all" is one argument too many: the capability takes exactly 2 positional arguments
	// exit 1 audited 4
}
