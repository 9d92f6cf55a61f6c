package agent

import "testing"

func TestNewAdapter(t *testing.T) {
	for _, tc := range []struct {
		name, protocol, want string
		perTurn              bool
	}{
		{"claude", "", "claude", false},
		{"codex", "", "codex", false},
		{"gemini", "", "gemini", true},
		{"my-gemini", "acp", "my-gemini", false},
		{"tool", "jsonl", "tool", false},
		{"tool", "text-per-turn", "tool", true},
		{"work-claude", "claude", "claude", false},
	} {
		a, err := New(tc.name, tc.protocol)
		if err != nil || a.Name() != tc.want || a.PerTurn() != tc.perTurn {
			t.Errorf("New(%q, %q) = %v, %v", tc.name, tc.protocol, a, err)
		}
	}
	for _, bad := range [][2]string{{"aider", ""}, {"x", "grpc"}} {
		if _, err := New(bad[0], bad[1]); err == nil {
			t.Errorf("New(%q, %q) accepted", bad[0], bad[1])
		}
	}
}
