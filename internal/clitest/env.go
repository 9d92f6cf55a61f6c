package clitest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// baseEnv is the environment every CLI gets: a PATH that finds node, a
// temporary HOME and TMPDIR, and no proxy or credential from the machine.
func baseEnv(home string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"TMPDIR=" + filepath.Join(home, "tmp"),
		"LANG=C.UTF-8",
		"NO_COLOR=1",
		"NO_PROXY=127.0.0.1,localhost",
	}
}

// Home makes a temporary HOME under a directory that is not /tmp-based
// when possible: Codex refuses to set up its sandbox helpers under /tmp.
func Home(t testing.TB) string {
	t.Helper()
	base := os.Getenv("CORRAL_TEST_HOME_BASE")
	if base == "" {
		base = filepath.Join(CacheDir(), "homes")
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	home, err := os.MkdirTemp(base, "home-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	if err := os.MkdirAll(filepath.Join(home, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	return home
}

// ClaudeEnv is Claude Code's environment for the mock at baseURL: the base
// URL without /v1 (the CLI appends /v1/messages), a fake key, no
// non-essential traffic, and few retries so error paths end quickly.
// IS_SANDBOX=1 lets bypassPermissions work when tests run as root.
func ClaudeEnv(home, baseURL string) []string {
	return append(baseEnv(home),
		"ANTHROPIC_BASE_URL="+baseURL,
		"ANTHROPIC_API_KEY=sk-test",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
		"DISABLE_TELEMETRY=1",
		"DISABLE_AUTOUPDATER=1",
		"DISABLE_ERROR_REPORTING=1",
		"CLAUDE_CODE_MAX_RETRIES=1",
		"IS_SANDBOX=1",
	)
}

// CodexEnv writes $home/.codex/config.toml with a mock provider at
// baseURL and returns Codex's environment. topLevel is TOML placed before
// the provider table (approval_policy, sandbox_mode, ...).
func CodexEnv(t testing.TB, home, baseURL, topLevel string) []string {
	t.Helper()
	dir := filepath.Join(home, ".codex")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "model = %q\nmodel_provider = \"mock\"\n", "gpt-5.5")
	b.WriteString(topLevel)
	b.WriteString("\n")
	fmt.Fprintf(&b, `
[model_providers.mock]
name = "Mock"
base_url = %q
wire_api = "responses"
env_key = "MOCK_API_KEY"
request_max_retries = 0
stream_max_retries = 0
stream_idle_timeout_ms = 300000
`, baseURL+"/v1")
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return append(baseEnv(home), "CODEX_HOME="+dir, "MOCK_API_KEY=sk-test")
}

// GeminiEnv writes $home/.gemini/settings.json pinning API-key auth (with
// only GOOGLE_GEMINI_BASE_URL set the CLI picks an auth type it then
// rejects) and returns Gemini CLI's environment. The CLI keeps its
// default retries (see GeminiOptions).
func GeminiEnv(t testing.TB, home, baseURL string) []string {
	t.Helper()
	return GeminiEnvWith(t, home, baseURL, GeminiOptions{})
}

// GeminiOptions adjust the settings.json GeminiEnvWith writes.
type GeminiOptions struct {
	// MaxAttempts is the documented setting general.maxAttempts: the
	// attempts per request to the main chat model (default 10, at most
	// 10). The CLI waits 5 s, then 10, 20 and 30 s (±30%) between
	// attempts and ignores Retry-After, so an HTTP 5xx, or a 429 it
	// thinks will pass, keeps a turn going for minutes; 1 or 2 end it in
	// seconds. 0 leaves the default.
	MaxAttempts int
}

// GeminiEnvWith is GeminiEnv with settings adjusted by o.
func GeminiEnvWith(t testing.TB, home, baseURL string, o GeminiOptions) []string {
	t.Helper()
	dir := filepath.Join(home, ".gemini")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	general := map[string]any{"disableAutoUpdate": true}
	if o.MaxAttempts > 0 {
		general["maxAttempts"] = o.MaxAttempts
	}
	settings, err := json.Marshal(map[string]any{
		"security": map[string]any{"auth": map[string]any{"selectedType": "gemini-api-key"}},
		"general":  general,
		"privacy":  map[string]any{"usageStatisticsEnabled": false},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "settings.json"), settings, 0o644); err != nil {
		t.Fatal(err)
	}
	return append(baseEnv(home),
		"GOOGLE_GEMINI_BASE_URL="+baseURL,
		"GEMINI_API_KEY=test-key",
	)
}
