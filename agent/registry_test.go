package agent

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// builtinCLI is the registry's CLI of a built-in agent.
func builtinCLI(t *testing.T, name string) CLISpec {
	t.Helper()
	e, ok := Lookup(name)
	if !ok || !e.Builtin {
		t.Fatalf("%s is not a built-in agent", name)
	}
	return e.CLI
}

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		name, protocol string
		wantProtocol   string
		wantAdapter    string // Adapter(name).Name()
		perTurn        bool
		wantErr        string // "" = no error
	}{
		{name: "claude", wantProtocol: "claude", wantAdapter: "claude"},
		{name: "codex", wantProtocol: "codex", wantAdapter: "codex"},
		{name: "gemini", wantProtocol: "gemini", wantAdapter: "gemini", perTurn: true},
		{name: "work-claude", protocol: "claude", wantProtocol: "claude", wantAdapter: "claude"},
		{name: "my-gemini", protocol: "acp", wantProtocol: "acp", wantAdapter: "my-gemini"},
		{name: "tool", protocol: "jsonl", wantProtocol: "jsonl", wantAdapter: "tool"},
		{name: "echo", protocol: "text", wantProtocol: "text", wantAdapter: "echo", perTurn: true},
		{name: "aider", wantErr: "protocol is required for an agent not named claude, codex or gemini (one of claude, codex, gemini, acp, jsonl, text)"},
		{name: "acp", wantErr: "protocol is required"}, // a protocol, not a built-in agent
		{name: "x", protocol: "grpc", wantErr: `protocol "grpc" is not one of claude, codex, gemini, acp, jsonl, text`},
		{name: "x", protocol: "text-per-turn", wantErr: `protocol "text-per-turn" is not one of`},
	} {
		e, err := Resolve(tc.name, tc.protocol)
		if tc.wantErr != "" {
			var pe *ProtocolError
			if !errors.As(err, &pe) || pe.Agent != tc.name || pe.Protocol != tc.protocol || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Resolve(%q, %q) error = %v, want a *ProtocolError with %q", tc.name, tc.protocol, err, tc.wantErr)
			}
			continue
		}
		if err != nil || e.Protocol != tc.wantProtocol {
			t.Errorf("Resolve(%q, %q) = %q, %v", tc.name, tc.protocol, e.Protocol, err)
			continue
		}
		a := e.Adapter(tc.name)
		if a.Name() != tc.wantAdapter || a.PerTurn() != tc.perTurn {
			t.Errorf("Resolve(%q, %q).Adapter = %s (per turn %v), want %s (per turn %v)", tc.name, tc.protocol,
				a.Name(), a.PerTurn(), tc.wantAdapter, tc.perTurn)
		}
	}
}

// Every built-in agent carries all its facts; the other protocols carry
// none of a CLI's.
func TestRegistryEntries(t *testing.T) {
	if got := BuiltinNames(); !reflect.DeepEqual(got, []string{"claude", "codex", "gemini"}) {
		t.Errorf("BuiltinNames = %v", got)
	}
	if got := Protocols(); !reflect.DeepEqual(got, []string{"claude", "codex", "gemini", "acp", "jsonl", "text"}) {
		t.Errorf("Protocols = %v", got)
	}
	seen := map[string]bool{}
	for _, e := range Entries() {
		if seen[e.Protocol] {
			t.Errorf("%s listed twice", e.Protocol)
		}
		seen[e.Protocol] = true
		if e.adapter == nil || e.Adapter("") == nil {
			t.Errorf("%s: no adapter", e.Protocol)
		}
		if !e.Builtin {
			if e.Display != "" || e.CLI != (CLISpec{}) || len(e.Credentials.Keys) > 0 || e.InstallHint() != "" {
				t.Errorf("%s: CLI facts on a protocol without a known CLI: %+v", e.Protocol, e)
			}
			continue
		}
		if e.Display == "" || e.CLI.Name != e.Protocol || e.CLI.Command == "" || ParseVersion(e.CLI.Tested) != e.CLI.Tested {
			t.Errorf("%s: incomplete CLI facts: %q %+v", e.Protocol, e.Display, e.CLI)
		}
		if !strings.HasPrefix(e.InstallHint(), "npm install -g @") {
			t.Errorf("%s: install hint %q", e.Protocol, e.InstallHint())
		}
		if len(e.Modes) == 0 || len(e.Credentials.Keys) == 0 || e.Credentials.Login == "" {
			t.Errorf("%s: modes %v, credentials %+v", e.Protocol, e.Modes, e.Credentials)
		}
		for _, k := range e.Credentials.Keys {
			if !contains(e.Credentials.Env, k) {
				t.Errorf("%s: key %s is not in Env", e.Protocol, k)
			}
		}
		if e.Adapter("other-name").Name() != e.Protocol {
			t.Errorf("%s: a built-in adapter names itself after its protocol", e.Protocol)
		}
	}
	// Entries and Lookup hand out copies: changing one changes nothing.
	es := Entries()
	es[0].Modes[0].Name = "changed"
	es[0].Credentials.Env[0] = "CHANGED"
	l, _ := Lookup(es[0].Protocol)
	l.Modes[1].Name = "changed"
	if e, _ := Lookup(es[0].Protocol); e.Modes[0].Name == "changed" || e.Modes[1].Name == "changed" ||
		e.Credentials.Env[0] == "CHANGED" || DefaultPassEnv(e.Protocol)[0] == "CHANGED" {
		t.Errorf("the registry was changed through a copy: %+v", e)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestEntryPermissionModes(t *testing.T) {
	for _, tc := range []struct {
		protocol, mode string
		ok, skips      bool
	}{
		{"claude", "", true, false},
		{"claude", "plan", true, false},
		{"claude", "auto", true, true},
		{"claude", "bypassPermissions", true, true},
		{"claude", "yolo", false, false},
		{"codex", "never", true, true},
		{"codex", "on-request", true, false},
		{"gemini", "yolo", true, true},
		{"gemini", "auto_edit", true, false},
		{"acp", "anything-plain", true, false},
		{"acp", "danger-full-access", true, true},
		{"acp", "--dangerously", false, false},
		{"jsonl", "default", false, false},
		{"text", "", true, false},
		{"unknown", "default", false, false},
	} {
		err := CheckPermissionMode(tc.protocol, tc.mode)
		var ioe *InvalidOptionError
		if tc.ok != (err == nil) || (err != nil && !errors.As(err, &ioe)) {
			t.Errorf("CheckPermissionMode(%q, %q) = %v, want ok %v", tc.protocol, tc.mode, err, tc.ok)
		}
		if got := SkipsApprovals(tc.protocol, tc.mode); got != tc.skips {
			t.Errorf("SkipsApprovals(%q, %q) = %v, want %v", tc.protocol, tc.mode, got, tc.skips)
		}
	}
}

func TestCheckVersion(t *testing.T) {
	for _, tc := range []struct {
		version, tested string
		want            VersionCheck
	}{
		{"2.1.197", "2.1.197", VersionTested},
		{"2.1.197 (Claude Code)", "2.1.197", VersionTested},
		{"2.1.198", "2.1.197", VersionNewer},
		{"2.10.0", "2.9.99", VersionNewer},
		{"3.0.0", "2.1.197", VersionNewer},
		{"0.170.9", "0.171.0", VersionOlder},
		{"0.61.0-nightly.2", "0.61.0", VersionTested},
		{"", "0.61.0", VersionUnknown},
		{"unknown", "0.61.0", VersionUnknown},
		{"1.2.3", "", VersionUnknown},
	} {
		if got := CheckVersion(tc.version, tc.tested); got != tc.want {
			t.Errorf("CheckVersion(%q, %q) = %q, want %q", tc.version, tc.tested, got, tc.want)
		}
	}
}

// The version probe reads what `CLI --version` prints: the semantic
// version when there is one, else its first line; a failure is an error.
func TestDiscovererVersion(t *testing.T) {
	outputs := map[string]string{"/a/claude": "2.1.197 (Claude Code)\n", "/a/odd": "odd build\nmore\n"}
	d := &Discoverer{Run: func(_ context.Context, program string, args ...string) ([]byte, error) {
		if len(args) != 1 || args[0] != "--version" {
			t.Errorf("args %v", args)
		}
		out, ok := outputs[program]
		if !ok {
			return nil, errors.New("exit status 1")
		}
		return []byte(out), nil
	}}
	for path, want := range map[string]string{"/a/claude": "2.1.197", "/a/odd": "odd build"} {
		if got, err := d.Version(context.Background(), path); err != nil || got != want {
			t.Errorf("Version(%s) = %q, %v; want %q", path, got, err, want)
		}
	}
	if _, err := d.Version(context.Background(), "/a/broken"); err == nil || !strings.Contains(err.Error(), "broken --version") {
		t.Errorf("a failing --version: %v", err)
	}
}
