package workspace

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// treeState maps every file under dir (except .git) to its content, and
// symlinks to "-> target".
func treeState(t *testing.T, dir string) map[string]string {
	t.Helper()
	state := map[string]string{}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if info.Name() == ".git" {
			if info.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			state[filepath.ToSlash(rel)] = "-> " + target
		case info.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			state[filepath.ToSlash(rel)] = fmt.Sprintf("%o %s", info.Mode().Perm()&0o100, b)
		}
		return nil
	})
	return state
}

func fileHash(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

func TestCheckpointRestoreRoundTrip(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e.m.opts.Now = func() time.Time { return now }
	repo := e.repo(map[string]string{"keep.txt": "keep\n", "edit.txt": "one\ntwo\n", "gone.txt": "bye\n", ".gitignore": "*.log\n"})
	ws := e.create(repo, "cp")
	index := filepath.Join(repo, ".git", "worktrees", filepath.Base(ws.Path), "index")
	head := e.git(ws.Path, "rev-parse", "HEAD")

	// Turn 1: edit, delete, add an untracked file, stage one change, and
	// an ignored file (not part of checkpoints).
	e.write(ws.Path, map[string]string{"edit.txt": "one\ntwo\nthree\n", "new/untracked.txt": "u1\n", "staged.txt": "s\n", "debug.log": "log1\n"})
	os.Remove(filepath.Join(ws.Path, "gone.txt"))
	os.Symlink("keep.txt", filepath.Join(ws.Path, "link"))
	os.Chmod(filepath.Join(ws.Path, "keep.txt"), 0o755)
	e.git(ws.Path, "add", "staged.txt")
	e.git(ws.Path, "stash", "list")
	indexBefore := fileHash(t, index)
	status := e.git(ws.Path, "status", "--porcelain")
	cp1, err := e.m.Checkpoint(ctx, ws, CheckpointOptions{Turn: 1, Label: "first\nsecond line dropped"})
	if err != nil {
		t.Fatal(err)
	}
	if fileHash(t, index) != indexBefore || e.git(ws.Path, "status", "--porcelain") != status {
		t.Fatal("checkpoint changed the index or the status")
	}
	if e.git(ws.Path, "rev-parse", "HEAD") != head || e.git(ws.Path, "stash", "list") != "" {
		t.Fatal("checkpoint moved HEAD or used the stash")
	}
	want1 := treeState(t, ws.Path)
	if cp1.Seq != 1 || cp1.Ref != "refs/corral/"+ws.ID+"/1" || cp1.Turn != 1 || cp1.Label != "first" || !cp1.CreatedAt.Equal(now) {
		t.Fatalf("checkpoint %+v", cp1)
	}
	// edit.txt +1, gone.txt -1, untracked +1, staged +1, link +1, keep mode: 6 files.
	if cp1.Files != 6 || cp1.Additions != 4 || cp1.Deletions != 1 {
		t.Fatalf("stats %+v", cp1)
	}
	if got := e.git(repo, "ls-tree", "-r", "--name-only", cp1.Commit); strings.Contains(got, "debug.log") || !strings.Contains(got, "new/untracked.txt") {
		t.Fatalf("checkpoint tree:\n%s", got)
	}
	if e.git(repo, "rev-parse", cp1.Commit+"^") != head {
		t.Fatal("checkpoint parent is not HEAD")
	}

	// Turn 2: more changes, including a new directory.
	e.write(ws.Path, map[string]string{"edit.txt": "rewritten\n", "later/deep/new.txt": "n\n", "new/untracked.txt": "u2\n", "debug.log": "log2\n"})
	os.Remove(filepath.Join(ws.Path, "keep.txt"))
	cp2, err := e.m.Checkpoint(ctx, ws, CheckpointOptions{Turn: 2})
	if err != nil {
		t.Fatal(err)
	}
	want2 := treeState(t, ws.Path)

	saved, err := e.m.Restore(ctx, ws, 1)
	if err != nil {
		t.Fatal(err)
	}
	got := treeState(t, ws.Path)
	want1["debug.log"] = want2["debug.log"] // ignored files are left alone
	if fmt.Sprint(got) != fmt.Sprint(want1) {
		t.Fatalf("after restore:\n got %v\nwant %v", got, want1)
	}
	if exists(filepath.Join(ws.Path, "later")) {
		t.Fatal("directory created after the checkpoint survived")
	}
	if e.git(ws.Path, "rev-parse", "HEAD") != head || e.git(ws.Path, "symbolic-ref", "HEAD") != "refs/heads/"+ws.Branch {
		t.Fatal("restore moved HEAD or the branch")
	}
	if !strings.Contains(e.git(ws.Path, "diff", "--cached", "--name-only"), "staged.txt") {
		t.Fatal("restore changed what was staged")
	}
	if saved.Seq != 3 || saved.Label != "before restore to 1" {
		t.Fatalf("saved %+v", saved)
	}
	// The saved checkpoint undoes the restore.
	if _, err := e.m.Restore(ctx, ws, saved.Seq); err != nil {
		t.Fatal(err)
	}
	if got := treeState(t, ws.Path); fmt.Sprint(got) != fmt.Sprint(want2) {
		t.Fatalf("after undo:\n got %v\nwant %v", got, want2)
	}

	list, err := e.m.ListCheckpoints(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int
	for _, c := range list {
		seqs = append(seqs, c.Seq)
	}
	if !sort.IntsAreSorted(seqs) || len(list) != 4 || list[0].Commit != cp1.Commit || list[1].Commit != cp2.Commit || list[0].Files != 6 || list[0].Label != "first" || !list[0].CreatedAt.Equal(now) {
		t.Fatalf("list %+v", list)
	}
	if _, err := e.m.Restore(ctx, ws, 99); !errors.Is(err, ErrNotFound) {
		t.Fatalf("restore of a missing checkpoint: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(index), "corral-index-*")); len(left) != 0 {
		t.Fatalf("temporary indexes left: %v", left)
	}
}

// Checkpoints of two workspaces of one repository are numbered apart, and a
// workspace id that is a prefix of another does not see its refs.
func TestCheckpointRefsPerWorkspace(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	repo := e.repo(nil)
	a, err := e.m.Create(ctx, CreateOptions{Repo: repo, ID: "abc"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.m.Create(ctx, CreateOptions{Repo: repo, ID: "abcd"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := e.m.Checkpoint(ctx, b, CheckpointOptions{Turn: i}); err != nil {
			t.Fatal(err)
		}
	}
	cp, err := e.m.Checkpoint(ctx, a, CheckpointOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cp.Seq != 1 {
		t.Fatalf("seq %d", cp.Seq)
	}
	if l, _ := e.m.ListCheckpoints(ctx, a); len(l) != 1 {
		t.Fatalf("a sees %d checkpoints", len(l))
	}
}

// Concurrent checkpoints of one workspace get distinct numbers, and reads
// run beside them.
func TestConcurrentCheckpoints(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ws := e.create(e.repo(nil), "concurrent")
	e.write(ws.Path, map[string]string{"a.txt": "a\n"})
	errs := make(chan error, 6)
	for i := 0; i < 4; i++ {
		go func(turn int) {
			_, err := e.m.Checkpoint(ctx, ws, CheckpointOptions{Turn: turn})
			errs <- err
		}(i)
	}
	for i := 0; i < 2; i++ {
		go func() {
			_, err := e.m.Changes(ctx, ws, ChangesOptions{})
			errs <- err
		}()
	}
	for i := 0; i < 6; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	list, err := e.m.ListCheckpoints(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 4 || list[3].Seq != 4 || list[0].Files != 1 || list[1].Files != 0 {
		t.Fatalf("list %+v", list)
	}
}
