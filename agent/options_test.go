package agent

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestLaunchRefusesOptionLikeValues: a model or mode that a CLI would read
// as an option (or that is not one of the protocol's modes) never reaches
// a command line or a JSON-RPC request.
func TestLaunchRefusesOptionLikeValues(t *testing.T) {
	adapters := map[string]Adapter{"claude": Claude{}, "codex": Codex{}, "gemini": Gemini{}, "acp": ACP{AdapterName: "x"}}
	bad := []SessionOptions{
		{Model: "--dangerously-skip-permissions"},
		{Model: "-p"},
		{Model: "sonnet --dangerously-skip-permissions"},
		{Model: "opus\n"},
		{PermissionMode: "--dangerously-skip-permissions"},
		{PermissionMode: "-y"},
		{PermissionMode: "default yolo"},
	}
	for proto, ad := range adapters {
		for _, o := range bad {
			o.Program = "/usr/bin/agent"
			spec, err := ad.Launch(o, &Turn{Text: "hi"})
			var ie *InvalidOptionError
			if !errors.As(err, &ie) {
				t.Errorf("%s: Launch(model %q, mode %q) = %v, %v; want an InvalidOptionError", proto, o.Model, o.PermissionMode, spec.Args, err)
			}
		}
	}
	// Built-in protocols take only their own modes.
	for proto, mode := range map[string]string{"claude": "yolo", "codex": "bypassPermissions", "gemini": "never"} {
		_, err := adapters[proto].Launch(SessionOptions{PermissionMode: mode}, &Turn{Text: "hi"})
		if err == nil || !strings.Contains(err.Error(), "is not one of") {
			t.Errorf("%s accepted mode %q: %v", proto, mode, err)
		}
	}
	// Ordinary values still launch, as separate argv entries.
	spec, err := Claude{}.Launch(SessionOptions{Model: "claude-opus-4-1[1m]", PermissionMode: "acceptEdits"}, nil)
	if err != nil || !slices.Contains(spec.Args, "claude-opus-4-1[1m]") || !slices.Contains(spec.Args, "acceptEdits") {
		t.Errorf("claude: %v %v", spec.Args, err)
	}
	spec, err = Gemini{}.Launch(SessionOptions{Model: "gemini-2.5-pro", PermissionMode: "auto_edit"}, &Turn{Text: "hi"})
	if err != nil || !slices.Contains(spec.Args, "gemini-2.5-pro") {
		t.Errorf("gemini: %v %v", spec.Args, err)
	}
	if _, err := (ACP{AdapterName: "x"}).Launch(SessionOptions{Program: "/usr/bin/agent", Model: "openai/gpt-4o", PermissionMode: "read-only"}, nil); err != nil {
		t.Errorf("acp: %v", err)
	}
}

func TestCheckModel(t *testing.T) {
	for _, ok := range []string{"", "sonnet", "opus", "claude-sonnet-4-5-20250929", "claude-opus-4-1[1m]", "gpt-5-codex",
		"o3", "gemini-2.5-pro", "openai/gpt-4o", "us.anthropic.claude-3-7-sonnet-20250219-v1:0", "gpt-oss:20b"} {
		if err := CheckModel(ok); err != nil {
			t.Errorf("CheckModel(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"-", "--model", "-opus", ".hidden", "a b", "a\x00b", "a;b", "a=b", "$(x)", strings.Repeat("a", 129)} {
		if err := CheckModel(bad); err == nil {
			t.Errorf("CheckModel(%q) accepted", bad)
		}
	}
}

func TestPermissionModes(t *testing.T) {
	unsafe := map[string][]string{"claude": {"auto", "bypassPermissions"}, "codex": {"never"}, "gemini": {"yolo"}}
	for proto, want := range unsafe {
		modes, ok := PermissionModes(proto)
		if !ok || len(modes) == 0 {
			t.Fatalf("%s: no modes", proto)
		}
		var got []string
		for _, m := range modes {
			if err := CheckPermissionMode(proto, m.Name); err != nil {
				t.Errorf("%s: listed mode %q refused: %v", proto, m.Name, err)
			}
			if m.SkipsApprovals != SkipsApprovals(proto, m.Name) {
				t.Errorf("%s: %q SkipsApprovals disagrees", proto, m.Name)
			}
			if m.SkipsApprovals {
				got = append(got, m.Name)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: modes that skip approvals = %v, want %v", proto, got, want)
		}
	}
	for _, m := range []string{"bypassPermissions", "yolo", "full-access"} {
		if !SkipsApprovals("acp", m) {
			t.Errorf("acp %q does not count as skipping approvals", m)
		}
	}
	if SkipsApprovals("acp", "default") || SkipsApprovals("claude", "plan") {
		t.Error("a safe mode counts as skipping approvals")
	}
	if _, ok := PermissionModes("acp"); ok {
		t.Error("acp modes are the agent's own, not a closed list")
	}
	if err := CheckPermissionMode("text", "default"); err == nil {
		t.Error("a text agent accepted a permission mode")
	}
}
