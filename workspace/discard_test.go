package workspace

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiscardHunks(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	long := numbered(100)
	ws := e.create(e.repo(map[string]string{"long.txt": long}), "discard")
	edited := replaceLine(replaceLine(replaceLine(long, 10, "ten\n"), 50, "fifty\n"), 90, "ninety\n")
	e.write(ws.Path, map[string]string{"long.txt": edited})
	ch, err := e.m.Changes(ctx, ws, ChangesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := fileOf(t, ch, "long.txt")
	if len(f.Hunks) != 3 {
		t.Fatalf("hunks %d", len(f.Hunks))
	}

	err = e.m.Discard(ctx, ws, DiscardRequest{Path: "long.txt", HunkIDs: []string{"nope"}, Fingerprint: f.Fingerprint})
	if !errors.Is(err, ErrNotFound) || e.read(ws.Path, "long.txt") != edited {
		t.Fatalf("unknown hunk: %v", err)
	}

	// Revert the first and the last hunk: only the middle change stays.
	err = e.m.Discard(ctx, ws, DiscardRequest{Path: "long.txt", HunkIDs: []string{f.Hunks[0].ID, f.Hunks[2].ID}, Fingerprint: f.Fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.read(ws.Path, "long.txt"); got != replaceLine(long, 50, "fifty\n") {
		t.Fatalf("after discard:\n%s", got)
	}
	// The old fingerprint is now stale: refused, file untouched.
	before := e.read(ws.Path, "long.txt")
	err = e.m.Discard(ctx, ws, DiscardRequest{Path: "long.txt", HunkIDs: []string{f.Hunks[1].ID}, Fingerprint: f.Fingerprint})
	if c := wantErr[*ConflictError](t, err); c.Op != "discard" || e.read(ws.Path, "long.txt") != before {
		t.Fatalf("stale fingerprint: %v", c)
	}
	if e.git(ws.Path, "diff", "--cached", "--name-only") != "" {
		t.Fatal("discard staged something")
	}
}

func TestDiscardWholeFiles(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ws := e.create(e.repo(map[string]string{"mod.txt": "m\n", "del.txt": "d\n", "old/ren.txt": numbered(20)}), "whole")
	e.write(ws.Path, map[string]string{"mod.txt": "changed\n", "added/deep/new.txt": "n\n"})
	os.Remove(filepath.Join(ws.Path, "del.txt"))
	os.MkdirAll(filepath.Join(ws.Path, "new"), 0o755)
	os.Rename(filepath.Join(ws.Path, "old/ren.txt"), filepath.Join(ws.Path, "new/ren.txt"))
	ch, err := e.m.Changes(ctx, ws, ChangesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ch.Files {
		var ids []string
		if f.Status == "added" { // the single hunk of an added file
			ids = []string{f.Hunks[0].ID}
		}
		if err := e.m.Discard(ctx, ws, DiscardRequest{Path: f.Path, OldPath: f.OldPath, HunkIDs: ids, Fingerprint: f.Fingerprint}); err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
	}
	if out := e.git(ws.Path, "status", "--porcelain", "--untracked-files=all"); out != "" {
		t.Fatalf("left after discarding everything:\n%s", out)
	}
	if exists(filepath.Join(ws.Path, "added")) || exists(filepath.Join(ws.Path, "new")) {
		t.Fatal("empty directories left")
	}
}

func TestDiscardAgainstCheckpoint(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ws := e.create(e.repo(map[string]string{"a.txt": "a\n"}), "cpdiscard")
	e.write(ws.Path, map[string]string{"a.txt": "turn1\n"})
	if _, err := e.m.Checkpoint(ctx, ws, CheckpointOptions{Turn: 1}); err != nil {
		t.Fatal(err)
	}
	e.write(ws.Path, map[string]string{"a.txt": "turn2\n"})
	ch, err := e.m.Changes(ctx, ws, ChangesOptions{From: 1})
	if err != nil {
		t.Fatal(err)
	}
	f := fileOf(t, ch, "a.txt")
	if err := e.m.Discard(ctx, ws, DiscardRequest{From: 1, Path: "a.txt", Fingerprint: f.Fingerprint}); err != nil {
		t.Fatal(err)
	}
	if got := e.read(ws.Path, "a.txt"); got != "turn1\n" {
		t.Fatalf("a.txt = %q", got)
	}
}

func TestPathsConfinedToWorktree(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("secret\n"), 0o644)
	ws := e.create(e.repo(map[string]string{"a.txt": "a\n"}), "confine")
	os.Symlink(outside, filepath.Join(ws.Path, "out"))
	os.Symlink("/", filepath.Join(ws.Path, "rootlink"))

	for _, p := range []string{"../x", "a/../../x", "/etc/passwd", "out/secret.txt", "rootlink/etc/passwd", ".git/config", "sub/.GIT/x", "", "."} {
		err := e.m.Discard(ctx, ws, DiscardRequest{Path: p, Fingerprint: "deleted"})
		wantErr[*PathError](t, err)
		_, err = e.m.Commit(ctx, ws, CommitOptions{Message: "m", Paths: []string{p}})
		wantErr[*PathError](t, err)
	}
	// OldPath is confined too.
	wantErr[*PathError](t, e.m.Discard(ctx, ws, DiscardRequest{Path: "a.txt", OldPath: "out/secret.txt"}))
	if b, _ := os.ReadFile(filepath.Join(outside, "secret.txt")); string(b) != "secret\n" {
		t.Fatal("file outside touched")
	}
	// A symlink that is itself the file is fine (never followed).
	if p, err := confine(ws.Path, "out"); err != nil || p != "out" {
		t.Fatalf("confine(out) = %q, %v", p, err)
	}
	if p, err := confine(ws.Path, "./dir//x.txt"); err != nil || p != "dir/x.txt" {
		t.Fatalf("confine clean = %q, %v", p, err)
	}
}

func TestCommit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ws := e.create(e.repo(map[string]string{"a.txt": "a\n"}), "commit")
	if _, err := e.m.Commit(ctx, ws, CommitOptions{Message: "nothing"}); !errors.Is(err, ErrNothingToCommit) {
		t.Fatalf("empty commit: %v", err)
	}
	if _, err := e.m.Commit(ctx, ws, CommitOptions{Message: "  "}); err == nil {
		t.Fatal("empty message accepted")
	}
	e.write(ws.Path, map[string]string{"a.txt": "a2\n", "b.txt": "b\n", "c.txt": "c\n"})
	c, err := e.m.Commit(ctx, ws, CommitOptions{Message: "only b and a", Paths: []string{"b.txt", "a.txt"}, Author: &Identity{Name: "Agent", Email: "agent@x"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.git(ws.Path, "show", "--name-only", "--format=%an %s", c); got != "Agent only b and a\n\na.txt\nb.txt" {
		t.Fatalf("commit:\n%s", got)
	}
	if got := e.git(ws.Path, "status", "--porcelain"); got != "?? c.txt" {
		t.Fatalf("status %q", got)
	}
	if _, err := e.m.Commit(ctx, ws, CommitOptions{Message: "rest"}); err != nil {
		t.Fatal(err)
	}
	if got := e.git(ws.Path, "log", "-1", "--format=%an"); got != "Test User" {
		t.Fatalf("author %q", got)
	}
	if !strings.Contains(e.git(ws.Path, "ls-files"), "c.txt") {
		t.Fatal("untracked file not committed")
	}
}
