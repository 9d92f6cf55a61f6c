package agent

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDefaultPassEnvNamesTheDocumentedVariables(t *testing.T) {
	for proto, want := range map[string][]string{
		"claude": {"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "CLAUDE_CONFIG_DIR"},
		"codex":  {"OPENAI_API_KEY", "OPENAI_BASE_URL", "CODEX_HOME"},
		"gemini": {"GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_CLOUD_PROJECT"},
		"acp":    {},
	} {
		got := DefaultPassEnv(proto)
		for _, k := range append(want, "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS") {
			if !slices.Contains(got, k) {
				t.Errorf("%s: %s not passed by default", proto, k)
			}
		}
		if proto == "acp" && slices.Contains(got, "ANTHROPIC_API_KEY") {
			t.Error("a credential reaches an agent of an unknown protocol")
		}
		for _, k := range got {
			if k == "HOME" || k == "PATH" || strings.Contains(k, "*") {
				t.Errorf("%s: %q", proto, k)
			}
		}
	}
}

func TestCredentialSourceNeverShowsTheSecret(t *testing.T) {
	home := t.TempDir()
	if got := CredentialSource("claude", []string{"ANTHROPIC_API_KEY=sk-secret"}, home); got != "env ANTHROPIC_API_KEY" {
		t.Fatalf("%q", got)
	}
	if got := CredentialSource("claude", []string{"ANTHROPIC_API_KEY="}, home); got != "" {
		t.Fatalf("empty key counted: %q", got)
	}
	os.MkdirAll(filepath.Join(home, ".claude"), 0o700)
	os.WriteFile(filepath.Join(home, ".claude", ".credentials.json"), []byte(`{"secret":1}`), 0o600)
	if got := CredentialSource("claude", nil, home); got != "file ~/.claude/.credentials.json" {
		t.Fatalf("%q", got)
	}
	if got := CredentialSource("gemini", []string{"GOOGLE_API_KEY=x"}, home); got != "env GOOGLE_API_KEY" {
		t.Fatalf("%q", got)
	}
	if got := CredentialSource("acp", []string{"ANTHROPIC_API_KEY=x"}, home); got != "" {
		t.Fatalf("%q", got)
	}
}

func TestAuthAdviceSaysWhatToDo(t *testing.T) {
	none := AuthAdvice("claude", nil, 0)
	for _, want := range []string{"export ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "claude /login"} {
		if !strings.Contains(none, want) {
			t.Errorf("%q lacks %q", none, want)
		}
	}
	bad := AuthAdvice("codex", []string{"OPENAI_API_KEY=sk-secret"}, 401)
	if !strings.Contains(bad, "OPENAI_API_KEY (HTTP 401)") || strings.Contains(bad, "sk-secret") {
		t.Errorf("%q", bad)
	}
	if g := AuthAdvice("gemini", nil, 0); !strings.Contains(g, "export GEMINI_API_KEY") {
		t.Errorf("%q", g)
	}
	if a := AuthAdvice("acp", nil, 403); !strings.Contains(a, "pass_env") {
		t.Errorf("%q", a)
	}
}
