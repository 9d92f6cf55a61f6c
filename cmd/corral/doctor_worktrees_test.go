package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
	"github.com/corral-dev/corral/workspace"
)

// corral doctor lists the orphaned worktrees (a problem) and the missing
// ones (pruned, as git would), not those sessions use.
func TestDoctorStaleWorktrees(t *testing.T) {
	git := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@x", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@x")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	repo, data := t.TempDir(), t.TempDir()
	git(repo, "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(repo, "f"), []byte("x\n"), 0o644)
	git(repo, "add", "-A")
	git(repo, "commit", "-q", "-m", "base")
	ctx := context.Background()
	if r, problems := checkWorktrees(ctx, data); len(problems) != 0 || len(r.Stale) != 0 || r.Message == "" {
		t.Fatalf("no worktrees yet: %+v %v", r, problems)
	}
	wm, err := workspace.New(ctx, workspace.Options{Root: filepath.Join(data, session.WorktreesDir)})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(id string) workspace.Workspace {
		ws, err := wm.Create(ctx, workspace.CreateOptions{Repo: repo, ID: id, Name: id})
		if err != nil {
			t.Fatal(err)
		}
		return ws
	}
	used, orphan, gone := mk("used0001"), mk("orphan01"), mk("gone0001")
	os.RemoveAll(gone.Path)
	st, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	meta, _ := json.Marshal(map[string]any{"workspace": used})
	if _, err := st.CreateSession(ctx, store.Session{ID: "s-used", Agent: "claude", Cwd: used.Path, Meta: meta}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	r, problems := checkWorktrees(ctx, data)
	if r.Known != 1 || len(r.Stale) != 2 {
		t.Fatalf("report %+v", r)
	}
	kinds := map[string]string{}
	for _, s := range r.Stale {
		kinds[s.Path] = s.Kind
	}
	if kinds[orphan.Path] != "unknown" || kinds[gone.Path] != "missing" {
		t.Fatalf("stale %+v", r.Stale)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], orphan.Path) || !strings.Contains(problems[0], orphan.Branch) {
		t.Fatalf("problems %v", problems)
	}
	if len(r.Pruned) != 1 || strings.Contains(git(repo, "worktree", "list"), gone.Path) {
		t.Fatalf("the missing worktree was not pruned: %+v\n%s", r.Pruned, git(repo, "worktree", "list"))
	}
	var out strings.Builder
	printWorktrees(&out, r)
	if !strings.Contains(out.String(), "1 used by sessions, 1 orphaned, 1 missing") {
		t.Fatalf("printed:\n%s", out.String())
	}
}
