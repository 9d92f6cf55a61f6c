package workspace

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRemoveRefusesUnsavedWorkAndForceRemoves(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	repo := e.repo(map[string]string{"a.txt": "a\n", "b.txt": "b\n", ".gitignore": "*.log\n"})
	ws := e.create(repo, "rm")

	// Ignored files alone are not work: removal goes through.
	e.write(ws.Path, map[string]string{"build.log": "noise\n"})
	if lost, err := e.m.Unsaved(ctx, ws); err != nil || lost != nil {
		t.Fatalf("ignored file counted as unsaved: %v %v", lost, err)
	}

	e.write(ws.Path, map[string]string{"a.txt": "changed\n", "new/untracked.txt": "u\n"})
	os.Remove(filepath.Join(ws.Path, "b.txt"))
	err := e.m.Remove(ctx, ws, RemoveOptions{})
	uw := wantErr[*UnsavedWorkError](t, err)
	got := map[string]string{}
	for _, f := range uw.Files {
		got[f.Path] = f.Status
	}
	if got["a.txt"] != "modified" || got["b.txt"] != "deleted" || got["new/untracked.txt"] != "untracked" || len(got) != 3 {
		t.Fatalf("lost files %v", got)
	}
	if len(uw.Commits) != 0 || !exists(ws.Path) {
		t.Fatalf("commits %v, exists %v", uw.Commits, exists(ws.Path))
	}

	// Commit the work: now the commit is what would be lost.
	c := e.commitAll(ws.Path, "agent work")
	uw = wantErr[*UnsavedWorkError](t, e.m.Remove(ctx, ws, RemoveOptions{}))
	if len(uw.Files) != 0 || len(uw.Commits) != 1 || uw.Commits[0].Hash != c || uw.Commits[0].Subject != "agent work" {
		t.Fatalf("lost %+v", uw)
	}
	// A commit also on another branch is not lost.
	e.git(repo, "branch", "keep", c)
	if lost, err := e.m.Unsaved(ctx, ws); err != nil || lost != nil {
		t.Fatalf("commit on another branch counted: %+v %v", lost, err)
	}
	e.git(repo, "branch", "-D", "keep")

	if err := e.m.Remove(ctx, ws, RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if exists(ws.Path) {
		t.Fatal("worktree still on disk")
	}
	if e.git(repo, "rev-parse", "refs/heads/"+ws.Branch) != c {
		t.Fatal("branch did not stay")
	}
	if strings.Contains(e.git(repo, "worktree", "list"), ws.Path) {
		t.Fatal("worktree still registered")
	}
}

func TestRemoveDeletesBranchAndCheckpointsWhenAsked(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ws := e.create(e.repo(nil), "clean")
	if _, err := e.m.Checkpoint(ctx, ws, CheckpointOptions{Turn: 1}); err != nil {
		t.Fatal(err)
	}
	if err := e.m.Remove(ctx, ws, RemoveOptions{DeleteBranch: true, DeleteCheckpoints: true}); err != nil {
		t.Fatal(err)
	}
	if out := e.git(ws.Repo, "for-each-ref", "refs/corral/", "refs/heads/corral/"); out != "" {
		t.Fatalf("refs left: %s", out)
	}
}

func TestRemoveBusyAndOutsideRoot(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	repo := e.repo(nil)
	ws := e.create(repo, "busy")
	release := e.m.MarkBusy(ws)
	again := e.m.MarkBusy(ws)
	if !e.m.Busy(ws) {
		t.Fatal("not busy")
	}
	for _, err := range []error{
		e.m.Remove(ctx, ws, RemoveOptions{Force: true}),
		func() error { _, err := e.m.Restore(ctx, ws, 1); return err }(),
		func() error { _, err := e.m.Commit(ctx, ws, CommitOptions{Message: "x"}); return err }(),
		e.m.Discard(ctx, ws, DiscardRequest{Path: "README.md"}),
		func() error { _, err := e.m.Merge(ctx, ws, MergeOptions{}); return err }(),
	} {
		if !errors.Is(err, ErrBusy) {
			t.Fatalf("busy workspace: %v", err)
		}
	}
	// Reading and checkpoints stay allowed.
	if _, err := e.m.Checkpoint(ctx, ws, CheckpointOptions{}); err != nil {
		t.Fatal(err)
	}
	release()
	release() // idempotent
	if !e.m.Busy(ws) {
		t.Fatal("one release of two marks ended busy")
	}
	again()
	if e.m.Busy(ws) {
		t.Fatal("still busy")
	}

	outside := ws
	outside.Path = repo
	if err := e.m.Remove(ctx, outside, RemoveOptions{Force: true}); !errors.Is(err, ErrOutsideRoot) {
		t.Fatalf("outside root: %v", err)
	}
	outside.Path = e.root
	if err := e.m.Remove(ctx, outside, RemoveOptions{Force: true}); !errors.Is(err, ErrOutsideRoot) {
		t.Fatalf("the root itself: %v", err)
	}
	if !exists(filepath.Join(repo, "README.md")) {
		t.Fatal("repository touched")
	}
	if err := e.m.Remove(ctx, ws, RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestStaleAndPrune(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	repo := e.repo(nil)
	known := e.create(repo, "known")
	orphan := e.create(repo, "orphan")
	gone := e.create(repo, "gone")
	os.RemoveAll(gone.Path)
	stray := filepath.Join(e.root, "stray")
	os.MkdirAll(stray, 0o755)
	// The user's own worktree, outside corral's root, whose directory is
	// gone for now (an unmounted volume): Prune leaves its record alone.
	users := filepath.Join(t.TempDir(), "users-worktree")
	e.git(repo, "worktree", "add", "-q", "-b", "users-branch", users)
	os.RemoveAll(users)

	list, err := e.m.Stale(ctx, []string{known.Path}, []string{repo})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Stale{}
	for _, s := range list {
		got[s.Path] = s
	}
	if len(got) != 3 || got[orphan.Path].Kind != "unknown" || got[orphan.Path].Branch != orphan.Branch || got[orphan.Path].Repo != repo ||
		got[stray].Kind != "unknown" || got[gone.Path].Kind != "missing" || got[gone.Path].Branch != gone.Branch {
		t.Fatalf("stale %+v", list)
	}
	if err := e.m.Prune(ctx, repo); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(e.git(repo, "worktree", "list"), gone.Path) {
		t.Fatal("missing worktree not pruned")
	}
	if !strings.Contains(e.git(repo, "worktree", "list"), users) {
		t.Fatal("the user's own worktree record was pruned")
	}
	e.git(repo, "worktree", "prune")
	// An orphan is removed like any workspace.
	if err := e.m.Remove(ctx, Workspace{Repo: got[orphan.Path].Repo, Path: orphan.Path, Branch: orphan.Branch}, RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	// A worktree already gone from disk is just unregistered by Remove.
	os.RemoveAll(known.Path)
	if err := e.m.Remove(ctx, known, RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Count(e.git(repo, "worktree", "list", "--porcelain"), "worktree ") != 1 {
		t.Fatal("worktrees left")
	}
}

// No operation runs in a directory that is not a worktree under the root:
// not the user's checkout, not corral's current directory.
func TestOperationsRefuseWorkspacesOutsideRoot(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	repo := e.repo(nil)
	e.write(repo, map[string]string{"README.md": "user edit\n"})
	for _, ws := range []Workspace{{ID: "x", Repo: repo, Path: repo, BaseCommit: "HEAD"}, {}} {
		errs := []error{
			func() error { _, err := e.m.Changes(ctx, ws, ChangesOptions{}); return err }(),
			func() error { _, err := e.m.Checkpoint(ctx, ws, CheckpointOptions{}); return err }(),
			func() error { _, err := e.m.ListCheckpoints(ctx, ws); return err }(),
			func() error { _, err := e.m.Restore(ctx, ws, 1); return err }(),
			e.m.Discard(ctx, ws, DiscardRequest{Path: "README.md", Fingerprint: "x"}),
			func() error { _, err := e.m.Commit(ctx, ws, CommitOptions{Message: "m"}); return err }(),
			func() error { _, err := e.m.Merge(ctx, ws, MergeOptions{Into: "main"}); return err }(),
			func() error {
				_, err := e.m.CreatePullRequest(ctx, ws, PullRequestOptions{Title: "t", Base: "main"})
				return err
			}(),
			func() error { _, err := e.m.Unsaved(ctx, ws); return err }(),
		}
		for i, err := range errs {
			var inv *InvalidNameError
			if !errors.Is(err, ErrOutsideRoot) && !errors.As(err, &inv) {
				t.Fatalf("workspace %+v, call %d: %v", ws, i, err)
			}
		}
	}
	if e.read(repo, "README.md") != "user edit\n" || e.git(repo, "rev-list", "--count", "HEAD") != "1" {
		t.Fatal("the user's checkout was touched")
	}
}

// A directory under the root that is not a linked worktree of ws.Repo is
// refused by every operation: when the root lies inside the user's
// repository (a data directory inside the project), git would otherwise find
// the user's checkout above it and commit, restore or checkpoint there.
func TestOperationsRefuseDirectoryThatIsNotAWorktree(t *testing.T) {
	base, _ := filepath.EvalSymlinks(t.TempDir())
	e := newEnvAt(t, base)
	ctx := context.Background()
	repo := e.repo(nil)
	root := filepath.Join(repo, ".corral", "worktrees")
	m, err := New(ctx, Options{Root: root, Home: e.home})
	if err != nil {
		t.Fatal(err)
	}
	e.write(repo, map[string]string{"README.md": "user edit\n", "user-work.txt": "mine\n"})
	plain := filepath.Join(root, "plain")
	os.MkdirAll(plain, 0o755)
	other := e.repo(map[string]string{"other.txt": "x\n"})
	foreign := e.create(other, "foreign") // a real worktree, of another repository, under e.root
	mainCheckout := filepath.Join(root, "main-checkout")
	e.git(repo, "clone", "-q", repo, mainCheckout) // a main worktree, not a linked one
	cases := []Workspace{
		{ID: "x", Repo: repo, Path: plain, Branch: "main", BaseCommit: "HEAD"},
		{ID: "x", Repo: repo, Path: mainCheckout, Branch: "main", BaseCommit: "HEAD"},         // another repository
		{ID: "x", Repo: mainCheckout, Path: mainCheckout, Branch: "main", BaseCommit: "HEAD"}, // its main worktree
	}
	for _, ws := range cases {
		calls := []func() error{
			func() error { _, err := m.Changes(ctx, ws, ChangesOptions{}); return err },
			func() error { _, err := m.Checkpoint(ctx, ws, CheckpointOptions{}); return err },
			func() error { _, err := m.ListCheckpoints(ctx, ws); return err },
			func() error { _, err := m.Restore(ctx, ws, 1); return err },
			func() error { return m.Discard(ctx, ws, DiscardRequest{Path: "README.md"}) },
			func() error { _, err := m.Commit(ctx, ws, CommitOptions{Message: "m"}); return err },
			func() error { _, err := m.Merge(ctx, ws, MergeOptions{Into: "other"}); return err },
			func() error {
				_, err := m.CreatePullRequest(ctx, ws, PullRequestOptions{Title: "t", Base: "main"})
				return err
			},
			func() error { _, err := m.Unsaved(ctx, ws); return err },
			func() error { return m.Remove(ctx, ws, RemoveOptions{Force: true, DeleteBranch: true}) },
		}
		for i, call := range calls {
			if err := call(); !errors.Is(err, ErrNotWorkspace) {
				t.Fatalf("workspace %s, call %d: %v, want ErrNotWorkspace", ws.Path, i, err)
			}
		}
	}
	// Stale names no repository for the plain directory (git would name the
	// user's).
	list, err := m.Stale(ctx, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range list {
		if st.Path == plain && (st.Repo != "" || st.Branch != "") {
			t.Fatalf("stale plain directory %+v", st)
		}
	}
	// A worktree of another repository is not a workspace of repo.
	foreign.Repo = repo
	if _, err := e.m.Commit(ctx, foreign, CommitOptions{Message: "m"}); !errors.Is(err, ErrNotWorkspace) {
		t.Fatalf("worktree of another repository: %v", err)
	}
	if e.read(repo, "README.md") != "user edit\n" || e.read(repo, "user-work.txt") != "mine\n" ||
		e.git(repo, "rev-list", "--count", "HEAD") != "1" || e.git(repo, "for-each-ref", "refs/corral") != "" ||
		e.git(repo, "rev-parse", "--abbrev-ref", "HEAD") != "main" || !exists(plain) || !exists(mainCheckout) {
		t.Fatal("the user's checkout was touched")
	}
}
