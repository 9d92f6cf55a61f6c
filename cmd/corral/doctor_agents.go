package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/policy"
	"github.com/corral-dev/corral/proc"
)

// agentProbe is what doctor learned of one agent's program besides the
// policy's view of it.
type agentProbe struct {
	version    string // `--version` of the resolved program
	versionErr error
	found      *agent.Found // a missing program found outside corral's PATH
}

// checkAgents reports every agent the policy knows (configured or
// built-in): the policy resolves its program; an installed one is asked
// its version, compared with the version its adapter was tested with; a
// missing CLI is looked for where the Discoverer looks (the login shell's
// PATH, npm, nvm, volta, Homebrew). An agent whose --version fails is a
// problem; a missing one is not.
func checkAgents(ctx context.Context, cfg *config.Config, pol *policy.Policy, d *agent.Discoverer) ([]doctorAgent, []string) {
	out := []doctorAgent{}
	var problems []string
	for _, c := range pol.ListCapabilities() {
		if c.Kind != "agent" {
			continue
		}
		name := strings.TrimPrefix(c.Name, policy.AgentPrefix)
		e, _ := agent.Lookup(agentConfig(cfg, name).Protocol)
		var p agentProbe
		switch {
		case c.Available:
			p.version, p.versionErr = d.Version(ctx, c.Program)
		case e.Builtin && !filepath.IsAbs(c.ProgramSpec):
			spec := e.CLI
			spec.Name, spec.Command = name, c.ProgramSpec
			if f, err := d.Find(ctx, spec); err == nil {
				p.found = &f
			}
		}
		a := agentReport(name, c, e, p)
		a.Credentials = credentialSource(cfg, name)
		if a.Status == "error" {
			problems = append(problems, fmt.Sprintf("agent %s: %s", name, a.Message))
		}
		out = append(out, a)
	}
	return out, problems
}

// agentReport decides what doctor says of one agent: c is the policy's
// view, e its registry entry, p what probing found.
func agentReport(name string, c policy.CapabilityInfo, e agent.Entry, p agentProbe) doctorAgent {
	a := doctorAgent{Name: name, Protocol: e.Protocol, Command: c.ProgramSpec, Path: c.Program,
		TestedVersion: e.CLI.Tested, Status: "ok"}
	if !c.Available {
		a.Status, a.Message = "missing", c.Reason
		if p.found != nil {
			a.Found = p.found
			a.Message += fmt.Sprintf("; found at %s (%s), where corral does not look: set command = %q under [agents.%s], or start corral with its directory on PATH",
				p.found.Path, p.found.Source, p.found.Path, name)
		} else {
			a.Install = e.InstallHint()
		}
		return a
	}
	if p.versionErr != nil {
		a.Status, a.Message = "error", p.versionErr.Error()
		return a
	}
	a.Version = p.version
	a.VersionCheck = agent.CheckVersion(p.version, e.CLI.Tested)
	switch a.VersionCheck {
	case agent.VersionNewer:
		a.Message = "newer than " + e.CLI.Tested + ", the version corral was tested with; its output may have changed"
	case agent.VersionOlder:
		a.Message = "older than " + e.CLI.Tested + ", the version corral was tested with; update it with: " + e.InstallHint()
	}
	return a
}

// agentConfig is agent name's configuration, or a built-in agent's
// defaults, with its protocol filled in.
func agentConfig(cfg *config.Config, name string) config.Agent {
	a, ok := cfg.Agents[name]
	if !ok {
		a = config.Agent{Protocol: name}
	}
	if a.Protocol == "" {
		a.Protocol = name
	}
	return a
}

// credentialSource is where agent name would find its credentials with
// the environment corral passes it (agent.CredentialSource).
func credentialSource(cfg *config.Config, name string) string {
	a := agentConfig(cfg, name)
	if !a.NoDefaultEnv {
		a.PassEnv = append(agent.DefaultPassEnv(a.Protocol), a.PassEnv...)
	}
	home, _ := os.UserHomeDir()
	return agent.CredentialSource(a.Protocol, policy.AgentEnv(a, os.Environ()), home)
}

// runQuiet is the Discoverer's runner for doctor: the program gets only
// PATH and HOME from corral's environment, its whole process group is
// stopped when ctx ends, and a failure carries the program's stderr.
func runQuiet(ctx context.Context, program string, args ...string) ([]byte, error) {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	res, err := proc.Execute(ctx, proc.Spec{Program: program, Args: args, Env: env},
		proc.ExecOptions{MaxStdout: 64 << 10, MaxStderr: 4096})
	if err != nil {
		return nil, err
	}
	if res.TimedOut {
		return nil, errors.New("did not answer in time")
	}
	if !res.Success() {
		return nil, fmt.Errorf("failed (%s): %s", res.ExitStatus, strings.TrimSpace(string(res.Stderr)))
	}
	return res.Stdout, nil
}
