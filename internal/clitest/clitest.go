// Package clitest locates the real agent CLIs that contract tests drive and
// prepares the isolated environment each one needs to talk to the mock
// model API (internal/mockllm) on 127.0.0.1 and nothing else.
//
// The CLIs are installed at pinned versions by scripts/install-agent-clis.sh
// (or Install) into a cache directory: $CORRAL_CLI_CACHE, else
// ~/.cache/corral-clis, one npm prefix per CLI and version. Contract tests
// run only when CORRAL_AGENT_CLIS=1; otherwise Require skips them with a
// message saying how to enable them.
package clitest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// CLI is an agent CLI at a pinned version.
type CLI struct {
	Name    string // adapter name and cache directory prefix
	Package string // npm package
	Version string // exact npm version
	Bin     string // executable name in node_modules/.bin
}

// Pinned versions, verified against the adapters. Keep in sync with
// scripts/install-agent-clis.sh.
var (
	Claude = CLI{Name: "claude", Package: "@anthropic-ai/claude-code", Version: "2.1.197", Bin: "claude"}
	Codex  = CLI{Name: "codex", Package: "@openai/codex", Version: "0.171.0", Bin: "codex"}
	Gemini = CLI{Name: "gemini", Package: "@google/gemini-cli", Version: "0.61.0", Bin: "gemini"}
	// ACP servers wrapping Claude Code and Codex; each bundles its own
	// agent core rather than using the CLIs above.
	ClaudeACP = CLI{Name: "claude-code-acp", Package: "@zed-industries/claude-code-acp", Version: "0.16.2", Bin: "claude-code-acp"}
	CodexACP  = CLI{Name: "codex-acp", Package: "@zed-industries/codex-acp", Version: "0.16.0", Bin: "codex-acp"}
)

// EnvEnable is the variable that turns the contract tests on.
const EnvEnable = "CORRAL_AGENT_CLIS"

// CacheDir returns the CLI cache directory.
func CacheDir() string {
	if d := os.Getenv("CORRAL_CLI_CACHE"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "corral-clis")
	}
	return filepath.Join(home, ".cache", "corral-clis")
}

// Prefix is the npm prefix of c in the cache.
func (c CLI) Prefix() string {
	return filepath.Join(CacheDir(), c.Name+"-"+c.Version)
}

// Path is the installed executable of c.
func (c CLI) Path() string {
	return filepath.Join(c.Prefix(), "node_modules", ".bin", c.Bin)
}

// Require skips the test unless contract tests are enabled, and fails it
// when they are enabled but c is not installed. It returns c's path.
func Require(t testing.TB, c CLI) string {
	t.Helper()
	if os.Getenv(EnvEnable) != "1" {
		t.Skipf("contract test against the real %s CLI: set %s=1 after scripts/install-agent-clis.sh", c.Name, EnvEnable)
	}
	p := c.Path()
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s %s is not installed at %s: run scripts/install-agent-clis.sh (%v)", c.Package, c.Version, p, err)
	}
	return p
}

// Install installs c into the cache with npm unless it is there already.
func Install(ctx context.Context, c CLI) error {
	if _, err := os.Stat(c.Path()); err == nil {
		return nil
	}
	if err := os.MkdirAll(c.Prefix(), 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "npm", "install", "--prefix", c.Prefix(), "--no-save", "--no-audit", "--no-fund",
		"--loglevel=error", c.Package+"@"+c.Version)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("npm install %s@%s: %v: %s", c.Package, c.Version, err, out)
	}
	return nil
}
