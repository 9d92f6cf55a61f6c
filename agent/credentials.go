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
// user logs in (Entry.Credentials). The session layer passes Env (with
// NetworkEnv) to the agent by default; `corral doctor` reports which
// source an agent would see.
type Credentials struct {
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

// DefaultPassEnv is what an agent of protocol gets from corral's
// environment besides HOME and PATH when its configuration does not turn
// it off: the CLI's documented variables and NetworkEnv. Agents of other
// protocols get NetworkEnv only (their credentials go in pass_env).
func DefaultPassEnv(protocol string) []string {
	e, _ := Lookup(protocol)
	c := e.Credentials
	out := make([]string, 0, len(c.Env)+len(NetworkEnv))
	out = append(out, c.Env...)
	return append(out, NetworkEnv...)
}

// CredentialSource says where an agent would find its credentials: the
// first of its Keys set in env ("env ANTHROPIC_API_KEY"), else the first
// of its Files present under home ("file ~/.claude/.credentials.json"),
// else "". It never returns a secret.
func CredentialSource(protocol string, env []string, home string) string {
	e, _ := Lookup(protocol)
	c := e.Credentials
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
	e, _ := Lookup(protocol)
	c := e.Credentials
	if len(c.Keys) == 0 {
		return "the agent's model API refused its credentials: set them in the agent's env or pass_env ([agents] in the configuration) and reload it"
	}
	for _, k := range c.Keys {
		if v, ok := lookup(env, k); ok && v != "" {
			status := ""
			if httpStatus != 0 {
				status = fmt.Sprintf(" (HTTP %d)", httpStatus)
			}
			return fmt.Sprintf("%s's model API refused the credential in %s%s: check its value (and the base URL, if one is set), export the right one and restart corral or reload its configuration", e.Display, k, status)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s has no credentials: export %s", e.Display, c.Keys[0])
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
