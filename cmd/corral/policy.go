package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/policy"
)

func init() {
	register("policy", &command{
		Summary: "explain a policy decision without running anything: corral policy check --capability NAME -- ARGS...",
		Run:     policyCommand,
	})
}

// loadPolicy loads the configuration named by the global flags and builds
// the policy from it.
func loadPolicy(g *globals) (*config.Config, *policy.Policy, error) {
	cfg, err := config.Load(g.Config)
	if err != nil {
		return nil, nil, err
	}
	pol, err := policy.New(cfg, policy.Options{})
	if err != nil {
		return nil, nil, err
	}
	return cfg, pol, nil
}

func policyCommand(_ context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(g.usageOut(stderr), "usage: corral policy check [--cwd DIR] --capability NAME -- ARGS...")
		if len(args) > 0 && isHelpFlag(args[0]) {
			return 0
		}
		return 2
	}
	fs := newFlagSet("policy check", g, stderr)
	capName := fs.String("capability", "", "capability `name` to check against")
	cwd := fs.String("cwd", "", "working `directory` the command would run in")
	if code, ok := parseFlags(fs, args[1:]); !ok {
		return code
	}
	if *capName == "" {
		fmt.Fprintln(stderr, "corral policy check: --capability is required")
		return 2
	}
	_, pol, err := loadPolicy(g)
	if err != nil {
		fmt.Fprintf(stderr, "corral: %v\n", err)
		return 2
	}
	dir := *cwd
	if dir != "" {
		if dir, err = filepath.Abs(dir); err != nil {
			fmt.Fprintf(stderr, "corral: %v\n", err)
			return 2
		}
	}
	d := pol.Decide(policy.Request{Capability: *capName, Args: fs.Args(), Cwd: dir, DryRun: true})
	return policy.Explain(stdout, d)
}
