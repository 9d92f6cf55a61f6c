package clitest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCachePathsAndInstallIsIdempotent(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("CORRAL_CLI_CACHE", cache)
	c := CLI{Name: "fake", Package: "@example/fake", Version: "1.0.0", Bin: "fake"}
	if got := c.Path(); got != filepath.Join(cache, "fake-1.0.0", "node_modules", ".bin", "fake") {
		t.Fatalf("path %s", got)
	}
	// Already installed: Install must not call npm (PATH is empty, so
	// any attempt would fail).
	if err := os.MkdirAll(filepath.Dir(c.Path()), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.Path(), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", "")
	if err := Install(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	// Missing and no npm: the error names the package and version.
	missing := CLI{Name: "gone", Package: "@example/gone", Version: "2.0.0", Bin: "gone"}
	if err := Install(context.Background(), missing); err == nil || !strings.Contains(err.Error(), "@example/gone@2.0.0") {
		t.Fatalf("install without npm: %v", err)
	}
}

func TestEnvsPointAtTheMock(t *testing.T) {
	home := t.TempDir()
	env := strings.Join(ClaudeEnv(home, "http://127.0.0.1:1"), "\n")
	for _, want := range []string{"HOME=" + home, "ANTHROPIC_BASE_URL=http://127.0.0.1:1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1"} {
		if !strings.Contains(env, want) {
			t.Errorf("claude env lacks %s", want)
		}
	}
	codex := strings.Join(CodexEnv(t, home, "http://127.0.0.1:2", `approval_policy = "untrusted"`), "\n")
	cfg, err := os.ReadFile(filepath.Join(home, ".codex", "config.toml"))
	if err != nil || !strings.Contains(string(cfg), `base_url = "http://127.0.0.1:2/v1"`) ||
		strings.Index(string(cfg), "approval_policy") > strings.Index(string(cfg), "[model_providers.mock]") ||
		!strings.Contains(codex, "CODEX_HOME="+filepath.Join(home, ".codex")) {
		t.Fatalf("codex config %s (%v), env %s", cfg, err, codex)
	}
	GeminiEnv(t, home, "http://127.0.0.1:3")
	if b, err := os.ReadFile(filepath.Join(home, ".gemini", "settings.json")); err != nil || !strings.Contains(string(b), "gemini-api-key") {
		t.Fatalf("gemini settings %s %v", b, err)
	}
	GeminiEnvWith(t, home, "http://127.0.0.1:3", GeminiOptions{MaxAttempts: 2})
	b, err := os.ReadFile(filepath.Join(home, ".gemini", "settings.json"))
	var s struct {
		Security struct {
			Auth struct {
				SelectedType string `json:"selectedType"`
			} `json:"auth"`
		} `json:"security"`
		General struct {
			MaxAttempts int `json:"maxAttempts"`
		} `json:"general"`
	}
	if err != nil || json.Unmarshal(b, &s) != nil || s.General.MaxAttempts != 2 || s.Security.Auth.SelectedType != "gemini-api-key" {
		t.Fatalf("gemini settings with attempts %s %v", b, err)
	}
}
