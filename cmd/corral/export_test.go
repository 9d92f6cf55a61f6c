package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// seedExport writes a session of n turns into a store in dir and returns
// the store, still open (as a running corral serve holds it).
func seedExport(t *testing.T, dir string, turns int) *store.Store {
	t.Helper()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	if _, err := st.CreateSession(ctx, store.Session{ID: "s-exp", Agent: "claude", Cwd: "/w", Title: "Export me"}); err != nil {
		t.Fatal(err)
	}
	var evs []event.Event
	for i := 0; i < turns; i++ {
		for _, e := range []event.Event{
			event.New(event.RunStarted, map[string]any{"prompt": "prompt " + string(rune('a'+i%26))}),
			event.New(event.ToolResult, map[string]any{"id": "t", "output": "```\nout"}),
			event.New(event.AssistantText, map[string]any{"text": "answer"}),
		} {
			e.SessionID = "s-exp"
			evs = append(evs, e)
		}
	}
	if _, err := st.AppendWait(ctx, evs...); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	st := seedExport(t, dir, 700) // 2100 events: three pages
	want, err := st.Events("s-exp", 0, store.MaxPage)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "s.jsonl")
	var stdout, stderr bytes.Buffer
	// The store stays open here, as under a running server.
	if code := runMain(context.Background(), []string{"export", "--data", dir, "s-exp", "--format", "jsonl", "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != len(want) || stdout.Len() != 0 {
		t.Fatalf("%d lines for %d events; stdout %q", len(lines), len(want), stdout.String())
	}
	for i, line := range lines {
		var ev event.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Seq != want[i].Seq || ev.Kind != want[i].Kind {
			t.Fatalf("line %d: %s (%v)", i+1, line, err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*.tmp")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}

	stdout.Reset()
	if code := runMain(context.Background(), []string{"export", "--data", dir, "s-exp"}, &stdout, &stderr); code != 0 {
		t.Fatalf("markdown: exit %d: %s", code, stderr.String())
	}
	md := stdout.String()
	if !strings.HasPrefix(md, "# Export me\n") || strings.Count(md, "## User") != 700 || strings.Count(md, "````text\n```\nout\n````\n") != 700 {
		t.Fatalf("markdown export:\n%.600s", md)
	}
}

func TestExportCommandRefuses(t *testing.T) {
	dir := t.TempDir()
	seedExport(t, dir, 1)
	out := filepath.Join(t.TempDir(), "x.md")
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"export", "--data", dir, "nope", "--out", out}, 1},
		{[]string{"export", "--data", dir, "s-exp", "--format", "html"}, 2},
		{[]string{"export", "--data", dir}, 2},
		{[]string{"export", "--data", dir, "s-exp", "s-2"}, 2},
		{[]string{"export", "--data", t.TempDir(), "s-exp"}, 1},
	} {
		var stdout, stderr bytes.Buffer
		if code := runMain(context.Background(), c.args, &stdout, &stderr); code != c.code || stderr.Len() == 0 {
			t.Errorf("%v: exit %d, want %d; stderr %q", c.args, code, c.code, stderr.String())
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("a failed export left %s: %v", out, err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}
