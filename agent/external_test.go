package agent_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
)

func TestClaudeProjectNameMatchesTheCLI(t *testing.T) {
	long := "/home/user/" + strings.Repeat("very-long-directory-name/", 9) + "ünïcode 🎉"
	for in, want := range map[string]string{
		// seen in ~/.claude/projects after running Claude Code 2.1.197 there
		"/root/.cache/corral-clis/homes/imp-HEWl/work.dir/sub_x": "-root--cache-corral-clis-homes-imp-HEWl-work-dir-sub-x",
		// computed with the CLI's own function (node)
		"/tmp/a b/ü🎉.x": "-tmp-a-b-----x",
		long:            "-home-user-very-long-directory-name-very-long-directory-name-very-long-directory-name-very-long-directory-name-very-long-directory-name-very-long-directory-name-very-long-directory-name-very-long-dire-loc252",
	} {
		if got := agent.ClaudeProjectName(in); got != want {
			t.Errorf("ClaudeProjectName(%q) = %q, want %q", in, got, want)
		}
	}
}

// fixtureCwd reads the cwd a recorded session file names.
func fixtureCwd(t *testing.T, path string) (cwd, id string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		var e struct {
			Cwd       string `json:"cwd"`
			SessionID string `json:"sessionId"`
			Payload   struct {
				Cwd string `json:"cwd"`
				ID  string `json:"id"`
			} `json:"payload"`
		}
		if json.Unmarshal([]byte(l), &e) != nil {
			continue
		}
		if e.Cwd != "" {
			return e.Cwd, e.SessionID
		}
		if e.Payload.Cwd != "" {
			return e.Payload.Cwd, e.Payload.ID
		}
	}
	t.Fatalf("%s names no cwd", path)
	return "", ""
}

func copyFile(t *testing.T, from, to string, mod time.Time) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	mkdir(t, filepath.Dir(to))
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(to, mod, mod); err != nil {
		t.Fatal(err)
	}
}

// TestExternalRecordedFixtures lists and reads the session files the real
// CLIs wrote (external_contract_test.go records them), laid out in a HOME
// as each CLI lays them out.
func TestExternalRecordedFixtures(t *testing.T) {
	for _, c := range []struct{ protocol, fixture string }{
		{"claude", "testdata/external/claude-2.1.197/two-turns-with-tool.jsonl"},
		{"codex", "testdata/external/codex-0.171.0/two-turns-with-tool.jsonl"},
	} {
		t.Run(c.protocol, func(t *testing.T) {
			home := t.TempDir()
			env := []string{"HOME=" + home}
			cwd, id := fixtureCwd(t, c.fixture)
			now := time.Now()
			var dst string
			if c.protocol == "claude" {
				dst = filepath.Join(home, ".claude", "projects", agent.ClaudeProjectName(cwd), id+".jsonl")
			} else {
				dst = filepath.Join(home, ".codex", "sessions", "2026", "12", "06", "rollout-2026-12-06T03-06-00-"+id+".jsonl")
			}
			copyFile(t, c.fixture, dst, now)
			list, err := agent.ListExternal(c.protocol, env, cwd, 0)
			if err != nil || len(list) != 1 {
				t.Fatalf("ListExternal: %+v, %v", list, err)
			}
			s := list[0]
			if s.ExternalID != id || s.Agent != c.protocol || s.Cwd != cwd || s.Title != "first prompt of the imported conversation" ||
				s.Messages != 6 || s.Partial || s.UpdatedAt.Sub(now).Abs() > time.Second {
				t.Fatalf("listed %+v", s)
			}
			_, msgs, err := agent.ReadExternal(c.protocol, env, id)
			if err != nil {
				t.Fatal(err)
			}
			checkMessages(t, msgs)
			// The environment's own directory wins over HOME.
			other := t.TempDir()
			key := map[string]string{"claude": "CLAUDE_CONFIG_DIR", "codex": "CODEX_HOME"}[c.protocol]
			if l, err := agent.ListExternal(c.protocol, append(env, key+"="+other), cwd, 0); err != nil || len(l) != 0 {
				t.Fatalf("with %s: %+v, %v", key, l, err)
			}
		})
	}
}

func writeClaudeSession(t *testing.T, dir, id, cwd string, prompts []string, mod time.Time) {
	t.Helper()
	var b strings.Builder
	for i, p := range prompts {
		line, _ := json.Marshal(map[string]any{"type": "user", "sessionId": id, "cwd": cwd,
			"timestamp": mod.Add(time.Duration(i-len(prompts)) * time.Second).UTC().Format(time.RFC3339Nano),
			"message":   map[string]any{"role": "user", "content": p}})
		b.Write(line)
		b.WriteByte('\n')
	}
	copyBytes(t, filepath.Join(dir, id+".jsonl"), b.String(), mod)
}

func copyBytes(t *testing.T, path, s string, mod time.Time) {
	t.Helper()
	mkdir(t, filepath.Dir(path))
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mod, mod); err != nil {
		t.Fatal(err)
	}
}

func TestListExternalNewestFirstBoundedAndHeadOnly(t *testing.T) {
	home := t.TempDir()
	env := []string{"HOME=" + home}
	cwd := "/srv/project.x"
	dir := filepath.Join(home, ".claude", "projects", agent.ClaudeProjectName(cwd))
	base := time.Now().Add(-time.Hour)
	for i, id := range []string{"a1", "b2", "c3"} {
		writeClaudeSession(t, dir, id, cwd, []string{"  \n  prompt " + id + "  \nsecond line", "more"}, base.Add(time.Duration(i)*time.Minute))
	}
	// A session that never got a prompt is not listed.
	copyBytes(t, filepath.Join(dir, "empty.jsonl"), `{"type":"queue-operation"}`+"\n", base.Add(time.Hour))
	list, err := agent.ListExternal("claude", env, cwd, 2)
	if err != nil || len(list) != 2 || list[0].ExternalID != "c3" || list[1].ExternalID != "b2" {
		t.Fatalf("limit 2: %+v, %v", list, err)
	}
	if list[0].Title != "prompt c3" || list[0].Messages != 2 || list[0].StartedAt.IsZero() {
		t.Fatalf("title/messages: %+v", list[0])
	}
	// A big file: only its head is read, and the entry says so.
	big := []string{"big one"}
	for i := 0; i < 3000; i++ {
		big = append(big, strings.Repeat("x", 600))
	}
	writeClaudeSession(t, dir, "d4", cwd, big, base.Add(2*time.Hour))
	list, err = agent.ListExternal("claude", env, cwd, 1)
	if err != nil || len(list) != 1 || list[0].ExternalID != "d4" || !list[0].Partial || list[0].Messages >= 3001 || list[0].Title != "big one" {
		t.Fatalf("big: %+v, %v", list, err)
	}
	_, msgs, err := agent.ReadExternal("claude", env, "d4")
	if err != nil || len(msgs) != 3001 {
		t.Fatalf("import reads the whole file: %d messages, %v", len(msgs), err)
	}
}

func TestExternalErrors(t *testing.T) {
	env := []string{"HOME=" + t.TempDir()}
	if _, err := agent.ListExternal("gemini", env, "/x", 0); !errors.Is(err, agent.ErrNoImport) {
		t.Fatalf("gemini list: %v", err)
	}
	if _, _, err := agent.ReadExternal("acp", env, "abc"); !errors.Is(err, agent.ErrNoImport) {
		t.Fatalf("acp read: %v", err)
	}
	for _, p := range []string{"claude", "codex"} {
		if l, err := agent.ListExternal(p, env, "/no/such/dir", 0); err != nil || len(l) != 0 {
			t.Fatalf("%s list of nothing: %+v, %v", p, l, err)
		}
		for _, id := range []string{"0a6c1f7e-0000-4000-8000-000000000000", "../../etc/passwd", "*", ""} {
			if _, _, err := agent.ReadExternal(p, env, id); !errors.Is(err, agent.ErrExternalNotFound) {
				t.Fatalf("%s read %q: %v", p, id, err)
			}
		}
	}
	if !agent.CanImport("claude") || !agent.CanImport("codex") || agent.CanImport("gemini") {
		t.Fatal("CanImport")
	}
}
