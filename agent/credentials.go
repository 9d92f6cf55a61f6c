package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Credentials is what an agent CLI documents for reaching its model API:
// the environment variables it reads for credentials, endpoints and model
// choice, the files in HOME where a login keeps its credentials, and how a
// user logs in. The session layer passes Env (with NetworkEnv) to the
// agent by default; `corral doctor` reports which source an agent would
// see.
type Credentials struct {
	// Display is the CLI's name for messages ("Claude Code").
	Display string
	// Keys are the variables that hold a credential, in the CLI's order
	// of preference; setting one of them is enough.
	Keys []string
	// Env is every variable the CLI documents for credentials, endpoints,
	// model selection and its configuration directory (Keys included).
	Env []string
	// Files are paths relative to HOME where a login stores credentials
	// (or the CLI's settings that name an auth type).
	Files []string
	// Login is the command that logs in interactively, "" when none.
	Login string
}

// NetworkEnv are the variables every agent gets by default: proxies (both
// spellings, as Node and Go read either) and extra CA certificates.
var NetworkEnv = []string{
	"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy",
	"SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS",
}

// credentials are the documented variables per protocol (Claude Code:
// docs.claude.com "Environment variables"; Codex: its config docs and
// `codex login --with-api-key`; Gemini CLI: docs/get-started/authentication).
var credentials = map[string]Credentials{
	"claude": {
		Display: "Claude Code",
		Keys:    []string{"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"},
		Env: []string{
			"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_BASE_URL",
			"ANTHROPIC_CUSTOM_HEADERS", "ANTHROPIC_MODEL", "ANTHROPIC_SMALL_FAST_MODEL",
			"ANTHROPIC_DEFAULT_OPUS_MODEL", "ANTHROPIC_DEFAULT_SONNET_MODEL", "ANTHROPIC_DEFAULT_HAIKU_MODEL",
			"CLAUDE_CONFIG_DIR",
			"CLAUDE_CODE_USE_BEDROCK", "AWS_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
			"AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK", "ANTHROPIC_BEDROCK_BASE_URL",
			"CLAUDE_CODE_USE_VERTEX", "ANTHROPIC_VERTEX_PROJECT_ID", "CLOUD_ML_REGION", "ANTHROPIC_VERTEX_BASE_URL",
			"GOOGLE_APPLICATION_CREDENTIALS",
		},
		Files: []string{".claude/.credentials.json", ".claude.json"},
		Login: "claude /login",
	},
	"codex": {
		Display: "Codex",
		Keys:    []string{"OPENAI_API_KEY", "CODEX_API_KEY"},
		Env: []string{
			"OPENAI_API_KEY", "CODEX_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORGANIZATION", "OPENAI_PROJECT",
			"CODEX_HOME", "AZURE_OPENAI_API_KEY",
		},
		Files: []string{".codex/auth.json"},
		Login: "codex login",
	},
	"gemini": {
		Display: "Gemini CLI",
		Keys:    []string{"GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_APPLICATION_CREDENTIALS"},
		Env: []string{
			"GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "GEMINI_MODEL",
			"GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_GCA", "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION",
			"GOOGLE_APPLICATION_CREDENTIALS", "GEMINI_CLI_SYSTEM_SETTINGS_PATH",
		},
		Files: []string{".gemini/oauth_creds.json", ".gemini/settings.json"},
		Login: "gemini (choose \"Login with Google\")",
	},
}

// CredentialsFor returns the documented credentials of a protocol; ok is
// false for protocols without a known CLI (acp, jsonl, text).
func CredentialsFor(protocol string) (Credentials, bool) {
	c, ok := credentials[protocol]
	return c, ok
}

// DefaultPassEnv is what an agent of protocol gets from corral's
// environment besides HOME and PATH when its configuration does not turn
// it off: the CLI's documented variables and NetworkEnv. Agents of other
// protocols get NetworkEnv only (their credentials go in pass_env).
func DefaultPassEnv(protocol string) []string {
	c := credentials[protocol]
	out := make([]string, 0, len(c.Env)+len(NetworkEnv))
	out = append(out, c.Env...)
	return append(out, NetworkEnv...)
}

// CredentialSource says where an agent would find its credentials: the
// first of its Keys set in env ("env ANTHROPIC_API_KEY"), else the first
// of its Files present under home ("file ~/.claude/.credentials.json"),
// else "". It never returns a secret.
func CredentialSource(protocol string, env []string, home string) string {
	c, ok := credentials[protocol]
	if !ok {
		return ""
	}
	for _, k := range c.Keys {
		if v, ok := lookup(env, k); ok && v != "" {
			return "env " + k
		}
	}
	if home != "" {
		for _, f := range c.Files {
			if _, err := os.Stat(filepath.Join(home, f)); err == nil {
				return "file ~/" + filepath.ToSlash(f)
			}
		}
	}
	return ""
}

// AuthAdvice is the message of an agent_auth error: what the user must do
// after the agent's model API refused it or it found no credentials. env
// is the agent's environment (which keys it had); httpStatus is 0 when the
// CLI reported no status (Claude's "Not logged in").
func AuthAdvice(protocol string, env []string, httpStatus int) string {
	c, ok := credentials[protocol]
	if !ok {
		return "the agent's model API refused its credentials: set them in the agent's env or pass_env ([agents] in the configuration) and reload it"
	}
	for _, k := range c.Keys {
		if v, ok := lookup(env, k); ok && v != "" {
			status := ""
			if httpStatus != 0 {
				status = fmt.Sprintf(" (HTTP %d)", httpStatus)
			}
			return fmt.Sprintf("%s's model API refused the credential in %s%s: check its value (and the base URL, if one is set), export the right one and restart corral or reload its configuration", c.Display, k, status)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s has no credentials: export %s", c.Display, c.Keys[0])
	if len(c.Keys) > 1 {
		fmt.Fprintf(&b, " (or %s)", strings.Join(c.Keys[1:], ", "))
	}
	b.WriteString(" in the environment corral is started from, or pass it under [agents] in the configuration")
	if c.Login != "" {
		fmt.Fprintf(&b, ", or run `%s` once as this user", c.Login)
	}
	b.WriteString("; then send the message again")
	return b.String()
}

func lookup(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}
