package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/policy"
)

func TestDoctorAgentReport(t *testing.T) {
	claude, _ := agent.Lookup("claude")
	acp, _ := agent.Lookup("acp")
	ok := policy.CapabilityInfo{Name: "agent:claude", ProgramSpec: "claude", Program: "/bin/claude", Available: true}
	missing := policy.CapabilityInfo{Name: "agent:claude", ProgramSpec: "claude", Reason: `program "claude" was not found on PATH`}
	found := &agent.Found{Name: "claude", Path: "/home/u/.local/bin/claude", Version: "2.1.197", Source: "~/.local/bin"}
	for _, tc := range []struct {
		name    string
		c       policy.CapabilityInfo
		e       agent.Entry
		p       agentProbe
		status  string
		check   agent.VersionCheck
		message string // substring; "" = no message
		install string
	}{
		{"tested version", ok, claude, agentProbe{version: "2.1.197"}, "ok", agent.VersionTested, "", ""},
		{"newer version", ok, claude, agentProbe{version: "2.2.0"}, "ok", agent.VersionNewer, "newer than 2.1.197", ""},
		{"older version", ok, claude, agentProbe{version: "2.0.1"}, "ok", agent.VersionOlder, "update it with: npm install -g @anthropic-ai/claude-code", ""},
		{"version fails", ok, claude, agentProbe{versionErr: errors.New("claude --version: failed (exit status 1): boom")}, "error", "", "boom", ""},
		{"missing, not installed", missing, claude, agentProbe{}, "missing", "", "not found on PATH", "npm install -g @anthropic-ai/claude-code"},
		{"missing, found elsewhere", missing, claude, agentProbe{found: found}, "missing", "",
			`set command = "/home/u/.local/bin/claude" under [agents.claude]`, ""},
		{"acp agent has no tested version", ok, acp, agentProbe{version: "0.16.2"}, "ok", agent.VersionUnknown, "", ""},
	} {
		a := agentReport("claude", tc.c, tc.e, tc.p)
		if a.Status != tc.status || a.VersionCheck != tc.check || a.Install != tc.install ||
			(tc.message == "") != (a.Message == "") || !strings.Contains(a.Message, tc.message) {
			t.Errorf("%s: %+v", tc.name, a)
		}
		if (a.Found != nil) != (tc.p.found != nil) || a.TestedVersion != tc.e.CLI.Tested || a.Protocol != tc.e.Protocol {
			t.Errorf("%s: found %v, tested %q, protocol %q", tc.name, a.Found, a.TestedVersion, a.Protocol)
		}
	}
}

func TestDoctorDataDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o600)
	if c := checkDataDir(dir); !c.OK || c.Message != "" {
		t.Errorf("writable dir: %+v", c)
	}
	if c := checkDataDir(filepath.Join(dir, "new")); !c.OK || !strings.Contains(c.Message, "created on first start") {
		t.Errorf("missing dir: %+v", c)
	}
	if c := checkDataDir(file); c.OK || c.Message != "is not a directory" {
		t.Errorf("file: %+v", c)
	}
}

// checkAgents asks the installed CLI its version and looks for a missing
// built-in one where the Discoverer looks, through the runner it is given.
func TestDoctorCheckAgents(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake CLIs are shell scripts")
	}
	home := t.TempDir()
	bin := filepath.Join(home, "bin")
	elsewhere := filepath.Join(home, ".local", "bin")
	for _, p := range []string{filepath.Join(bin, "claude"), filepath.Join(elsewhere, "codex")} {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfg := &config.Config{Agents: map[string]config.Agent{"claude": {Command: filepath.Join(bin, "claude"), Protocol: "claude"}}}
	pol, err := policy.New(cfg, policy.Options{Path: filepath.Join(home, "empty"), Environ: func() []string { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	var ran []string
	d := &agent.Discoverer{Home: home, Getenv: func(string) string { return "" },
		Run: func(_ context.Context, program string, args ...string) ([]byte, error) {
			ran = append(ran, filepath.Base(program)+" "+strings.Join(args, " "))
			switch filepath.Base(program) {
			case "claude":
				return []byte("9.0.0 (Claude Code)\n"), nil
			case "codex":
				return []byte("codex-cli 0.171.0\n"), nil
			}
			return nil, errors.New("not found")
		}}
	agents, problems := checkAgents(context.Background(), cfg, pol, d)
	if len(agents) != 3 || len(problems) != 0 {
		t.Fatalf("agents %+v, problems %v", agents, problems)
	}
	byName := map[string]doctorAgent{}
	for _, a := range agents {
		byName[a.Name] = a
	}
	if a := byName["claude"]; a.Status != "ok" || a.Version != "9.0.0" || a.VersionCheck != agent.VersionNewer {
		t.Errorf("claude: %+v", a)
	}
	if a := byName["codex"]; a.Status != "missing" || a.Found == nil || a.Found.Version != "0.171.0" || a.Found.Source != "~/.local/bin" {
		t.Errorf("codex: %+v", a)
	}
	// Not in the fake home; the Discoverer also looks in system places
	// (Homebrew, /usr/local/bin), where a machine may have it.
	if a := byName["gemini"]; a.Status != "missing" || (a.Found == nil) != (a.Install == "npm install -g @google/gemini-cli") {
		t.Errorf("gemini: %+v", a)
	}
	var out bytes.Buffer
	printDoctor(&out, doctorReport{Agents: agents})
	for _, want := range []string{"claude   ok", "(9.0.0)", "codex    missing", "found at " + filepath.Join(elsewhere, "codex")} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("printed report lacks %q:\n%s", want, out.String())
		}
	}
	// The version probe and the search ran through the given runner.
	if len(ran) < 2 || ran[0] != "claude --version" || ran[1] != "codex --version" {
		t.Errorf("ran %q", ran)
	}
}
