package session

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/event"
)

// importRT is openRT with the fake Claude agent's HOME set to home (where
// it keeps its conversations) and a Gemini agent configured.
func importRT(t *testing.T, home string) *Runtime {
	t.Helper()
	cfg := fakeConfig(t)
	a := cfg.Agents["fake"]
	a.Env["HOME"] = home
	cfg.Agents["fake"] = a
	cfg.Agents["gem"] = config.Agent{Command: a.Command, Protocol: "gemini"}
	o := RuntimeOptions{MonitorInterval: -1}
	o.Manager.StopGrace = 2 * time.Second
	rt, err := OpenRuntime(context.Background(), t.TempDir(), cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeRT(t, rt) })
	return rt
}

// writeConversation writes a Claude Code session file of cwd: a prompt,
// a tool call and its result, the reply, as Claude Code 2.1 writes them.
func writeConversation(t *testing.T, home, cwd, id string) {
	t.Helper()
	lines := []map[string]any{
		{"type": "queue-operation", "operation": "enqueue", "sessionId": id},
		{"type": "user", "sessionId": id, "cwd": cwd, "timestamp": "2026-12-01T10:00:00.000Z",
			"message": map[string]any{"role": "user", "content": "list the files\nplease"}},
		{"type": "assistant", "sessionId": id, "cwd": cwd, "timestamp": "2026-12-01T10:00:01.000Z",
			"message": map[string]any{"role": "assistant", "content": []any{
				map[string]any{"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": map[string]any{"command": "ls"}}}}},
		{"type": "user", "sessionId": id, "cwd": cwd, "timestamp": "2026-12-01T10:00:02.000Z",
			"message": map[string]any{"role": "user", "content": []any{
				map[string]any{"type": "tool_result", "tool_use_id": "toolu_1", "content": "a.txt\nb.txt"}}}},
		{"type": "user", "sessionId": id, "cwd": cwd, "isSidechain": true, "timestamp": "2026-12-01T10:00:02.500Z",
			"message": map[string]any{"role": "user", "content": "a subagent's prompt"}},
		{"type": "assistant", "sessionId": id, "cwd": cwd, "timestamp": "2026-12-01T10:00:03.000Z",
			"message": map[string]any{"role": "assistant", "content": []any{map[string]any{"type": "text", "text": "Two files: a.txt and b.txt."}}}},
	}
	var b strings.Builder
	for _, l := range lines {
		j, _ := json.Marshal(l)
		b.Write(j)
		b.WriteByte('\n')
	}
	dir := filepath.Join(home, ".claude", "projects", agent.ClaudeProjectName(cwd))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, id+".jsonl"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestImportSession(t *testing.T) {
	home, cwd := t.TempDir(), t.TempDir()
	const id = "3f1c9a52-8d7e-4b6a-9c0d-2e5f7a8b9c10"
	writeConversation(t, home, cwd, id)
	rt := importRT(t, home)
	ctx := context.Background()

	list, err := rt.Manager.ListExternalSessions(ctx, "fake", cwd, 0)
	if err != nil || len(list) != 1 || list[0].ExternalID != id || list[0].Agent != "fake" || list[0].Title != "list the files" || list[0].Messages != 2 {
		t.Fatalf("ListExternalSessions: %+v, %v", list, err)
	}
	res, err := rt.Manager.ImportSession(ctx, "fake", id)
	if err != nil || res.AlreadyImported {
		t.Fatalf("ImportSession: %+v, %v", res, err)
	}
	in := res.Session
	if in.Imported == nil || in.Imported.ExternalID != id || in.Imported.Agent != "fake" || in.Cwd != cwd ||
		in.Title != "list the files" || in.Messages != 1 || in.Process == nil {
		t.Fatalf("imported session %+v (imported %+v)", in, in.Imported)
	}
	if err := rt.Store.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	evs, _, err := rt.Manager.Events(ctx, in.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		var d map[string]any
		json.Unmarshal(ev.Data, &d) // error ignored: checked through d's members
		if d["imported"] != true {
			continue
		}
		if ev.RunID != "" {
			t.Errorf("imported %s names run %q", ev.Kind, ev.RunID)
		}
		got = append(got, ev.Kind+" "+ev.Time.UTC().Format("15:04:05"))
	}
	want := []string{event.RunStarted + " 10:00:00", event.ToolCall + " 10:00:01", event.ToolResult + " 10:00:02", event.AssistantText + " 10:00:03"}
	if strings.Join(got, ",") != strings.Join(want, ",") || len(evs) < len(want) || evs[0].Kind != event.RunStarted {
		t.Fatalf("imported events %v, want %v first", got, want)
	}

	// Again: the same session, nothing new.
	again, err := rt.Manager.ImportSession(ctx, "fake", id)
	if err != nil || !again.AlreadyImported || again.Session.ID != in.ID {
		t.Fatalf("second import: %+v, %v", again, err)
	}
	if all, _ := rt.Manager.List(ctx); len(all) != 1 {
		t.Fatalf("%d sessions after two imports", len(all))
	}
}

func TestImportSessionRefuses(t *testing.T) {
	home, cwd := t.TempDir(), t.TempDir()
	rt := importRT(t, home)
	ctx := context.Background()
	if _, err := rt.Manager.ImportSession(ctx, "nope", "x"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown agent: %v", err)
	}
	if _, err := rt.Manager.ImportSession(ctx, "gem", "x"); !errors.Is(err, ErrInvalid) || !errors.Is(err, ErrNoImport) {
		t.Fatalf("agent without import: %v", err)
	}
	if _, err := rt.Manager.ListExternalSessions(ctx, "gem", cwd, 0); !errors.Is(err, ErrNoImport) {
		t.Fatalf("list of an agent without import: %v", err)
	}
	if _, err := rt.Manager.ImportSession(ctx, "fake", "0a6c1f7e-0000-4000-8000-000000000000"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing file: %v", err)
	}
	gone := filepath.Join(cwd, "gone")
	writeConversation(t, home, gone, "abc")
	if _, err := rt.Manager.ImportSession(ctx, "fake", "abc"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), gone) {
		t.Fatalf("directory gone: %v", err)
	}
	if all, _ := rt.Manager.List(ctx); len(all) != 0 {
		t.Fatalf("refused imports left %d sessions", len(all))
	}
}
