package workspace

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCreateMakesWorktreeOnNewBranch(t *testing.T) {
	e := newEnv(t)
	repo := e.repo(map[string]string{"a.txt": "a\n", "dir/b.txt": "b\n"})
	head := e.git(repo, "rev-parse", "HEAD")
	ws, err := e.m.Create(context.Background(), CreateOptions{Repo: filepath.Join(repo, "dir"), ID: "Sess-1234abcd99", Name: "Fix the Login bug!"})
	if err != nil {
		t.Fatal(err)
	}
	if ws.Repo != repo || ws.BaseCommit != head || ws.BaseBranch != "main" || ws.BaseRef != "main" {
		t.Fatalf("workspace %+v, want repo %s base %s on main", ws, repo, head)
	}
	if ws.Branch != "corral/fix-the-login-bug-sess1234" {
		t.Fatalf("branch %q", ws.Branch)
	}
	if filepath.Dir(ws.Path) != e.root {
		t.Fatalf("path %s not under root %s", ws.Path, e.root)
	}
	if got := e.read(ws.Path, "dir/b.txt"); got != "b\n" {
		t.Fatalf("b.txt = %q", got)
	}
	if got := e.git(ws.Path, "symbolic-ref", "--short", "HEAD"); got != ws.Branch {
		t.Fatalf("worktree on %q, want %q", got, ws.Branch)
	}
	if e.git(repo, "symbolic-ref", "--short", "HEAD") != "main" {
		t.Fatal("the main checkout changed branch")
	}
}

func TestCreateFromBaseRefAndDetachedHEAD(t *testing.T) {
	e := newEnv(t)
	repo := e.repo(nil)
	first := e.git(repo, "rev-parse", "HEAD")
	e.write(repo, map[string]string{"second.txt": "2\n"})
	second := e.commitAll(repo, "second")

	ws, err := e.m.Create(context.Background(), CreateOptions{Repo: repo, ID: "from-ref", BaseRef: first})
	if err != nil {
		t.Fatal(err)
	}
	if ws.BaseCommit != first || ws.BaseBranch != "" || exists(filepath.Join(ws.Path, "second.txt")) {
		t.Fatalf("from a commit: %+v", ws)
	}

	// A detached HEAD is allowed: the workspace starts from its commit.
	e.git(repo, "checkout", "-q", "--detach", second)
	ws, err = e.m.Create(context.Background(), CreateOptions{Repo: repo, ID: "detached"})
	if err != nil {
		t.Fatal(err)
	}
	if ws.BaseCommit != second || ws.BaseRef != "HEAD" || ws.BaseBranch != "" {
		t.Fatalf("detached: %+v", ws)
	}
	if !exists(filepath.Join(ws.Path, "second.txt")) {
		t.Fatal("detached: second.txt missing")
	}
}

// assertNothingMade checks that a failed Create left no directory under the
// root, no extra worktree and no corral branch.
func (e *env) assertNothingMade(repo string) {
	e.t.Helper()
	if names := e.rootEntries(); len(names) != 0 {
		e.t.Fatalf("left under the root: %v", names)
	}
	if out := e.git(repo, "worktree", "list", "--porcelain"); strings.Count(out, "worktree ") != 1 {
		e.t.Fatalf("worktrees left:\n%s", out)
	}
	if out := e.git(repo, "branch", "--list", "corral/*"); out != "" {
		e.t.Fatalf("branches left: %s", out)
	}
}

func TestCreateRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	repo := e.repo(nil)

	plain := t.TempDir()
	_, err := e.m.Create(ctx, CreateOptions{Repo: plain})
	if !errors.Is(err, ErrNotRepository) {
		t.Fatalf("plain dir: %v", err)
	}

	bare := filepath.Join(t.TempDir(), "bare.git")
	e.git(filepath.Dir(bare), "init", "-q", "--bare", bare)
	if _, err = e.m.Create(ctx, CreateOptions{Repo: bare}); !errors.Is(err, ErrBareRepository) {
		t.Fatalf("bare: %v", err)
	}

	empty := filepath.Join(t.TempDir(), "empty")
	e.git(filepath.Dir(empty), "init", "-q", empty)
	if _, err = e.m.Create(ctx, CreateOptions{Repo: empty}); !errors.Is(err, ErrNoCommits) {
		t.Fatalf("no commits: %v", err)
	}
	e.assertNothingMade(empty)

	_, err = e.m.Create(ctx, CreateOptions{Repo: repo, BaseRef: "no-such-branch"})
	if rnf := wantErr[*RefNotFoundError](t, err); rnf.Ref != "no-such-branch" {
		t.Fatalf("ref %q", rnf.Ref)
	}
	_, err = e.m.Create(ctx, CreateOptions{Repo: repo, BaseRef: "--orphan"})
	wantErr[*InvalidNameError](t, err)
	_, err = e.m.Create(ctx, CreateOptions{Repo: repo, ID: "../x"})
	wantErr[*InvalidNameError](t, err)

	e.git(repo, "branch", "corral/taken-abc")
	_, err = e.m.Create(ctx, CreateOptions{Repo: repo, ID: "abc", Name: "taken"})
	if be := wantErr[*BranchExistsError](t, err); be.Branch != "corral/taken-abc" {
		t.Fatalf("branch %q", be.Branch)
	}
	e.git(repo, "branch", "-D", "corral/taken-abc")
	e.assertNothingMade(repo)

	clash := filepath.Join(e.root, filepath.Base(repo)+"-clash-abc")
	os.MkdirAll(clash, 0o755)
	_, err = e.m.Create(ctx, CreateOptions{Repo: repo, ID: "abc", Name: "clash"})
	wantErr[*PathExistsError](t, err)
	os.Remove(clash)
	e.assertNothingMade(repo)
}

func TestNewWithoutGit(t *testing.T) {
	_, err := New(context.Background(), Options{Root: t.TempDir(), PATH: t.TempDir()})
	if !errors.Is(err, ErrGitMissing) {
		t.Fatalf("err %v, want ErrGitMissing", err)
	}
}

// A failing post-checkout hook makes "git worktree add" fail after it made
// the directory and the branch: Create must undo both.
func TestCreateCleansUpWhenGitFails(t *testing.T) {
	e := newEnv(t)
	repo := e.repo(nil)
	hook := filepath.Join(repo, ".git", "hooks", "post-checkout")
	os.WriteFile(hook, []byte("#!/bin/sh\necho hook refuses >&2\nexit 3\n"), 0o755)
	_, err := e.m.Create(context.Background(), CreateOptions{Repo: repo, ID: "hookfail"})
	if ge := wantErr[*GitError](t, err); !strings.Contains(ge.Stderr, "hook refuses") {
		t.Fatalf("stderr %q", ge.Stderr)
	}
	e.assertNothingMade(repo)
}

// Cancelling while git works stops it and still leaves nothing behind.
func TestCreateCancelledCleansUp(t *testing.T) {
	e := newEnv(t)
	repo := e.repo(nil)
	marker := filepath.Join(t.TempDir(), "started")
	hook := filepath.Join(repo, ".git", "hooks", "post-checkout")
	os.WriteFile(hook, []byte("#!/bin/sh\ntouch "+marker+"\nsleep 60\n"), 0o755)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := e.m.Create(ctx, CreateOptions{Repo: repo, ID: "cancelled"})
		done <- err
	}()
	for !exists(marker) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	e.assertNothingMade(repo)
}

// Submodules are recorded but not initialized (documented); Create lists them.
func TestCreateWithSubmodule(t *testing.T) {
	e := newEnv(t)
	sub := e.repo(map[string]string{"lib.txt": "lib\n"})
	repo := e.repo(nil)
	e.git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", sub, "vendor/lib")
	e.commitAll(repo, "add submodule")
	ws := e.create(repo, "sub")
	if len(ws.Submodules) != 1 || ws.Submodules[0] != "vendor/lib" {
		t.Fatalf("submodules %v", ws.Submodules)
	}
	if exists(filepath.Join(ws.Path, "vendor/lib/lib.txt")) {
		t.Fatal("submodule was initialized")
	}
	// A checkpoint records the gitlink, not the submodule's files.
	if _, err := e.m.Checkpoint(context.Background(), ws, CheckpointOptions{Turn: 1}); err != nil {
		t.Fatal(err)
	}
}

// Variables such as GIT_DIR in corral's own environment never reach git.
func TestInheritedGitEnvironmentIsIgnored(t *testing.T) {
	e := newEnv(t)
	repo := e.repo(nil)
	t.Setenv("GIT_DIR", filepath.Join(t.TempDir(), "elsewhere"))
	t.Setenv("GIT_INDEX_FILE", filepath.Join(t.TempDir(), "bogus-index"))
	t.Setenv("GIT_WORK_TREE", t.TempDir())
	ws := e.create(repo, "env")
	e.write(ws.Path, map[string]string{"new.txt": "x\n"})
	ch, err := e.m.Changes(context.Background(), ws, ChangesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Files) != 1 || ch.Files[0].Path != "new.txt" {
		t.Fatalf("changes %+v", ch.Files)
	}
}

func TestSetupEnv(t *testing.T) {
	ws := Workspace{Path: "/r/w", Repo: "/src", Branch: "corral/x-1", BaseCommit: "abc"}
	got := strings.Join(SetupEnv(ws), " ")
	want := "CORRAL_WORKSPACE=/r/w CORRAL_WORKSPACE_REPO=/src CORRAL_WORKSPACE_BRANCH=corral/x-1 CORRAL_WORKSPACE_BASE=abc"
	if got != want {
		t.Fatalf("got %s", got)
	}
}

func TestSlugAndID(t *testing.T) {
	for in, want := range map[string]string{"": "session", "Hello, World": "hello-world", "--x--": "x", "ÄÖ": "session",
		strings.Repeat("a", 50): strings.Repeat("a", 40)} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{".x", "a..b", "x.lock", "a/b", "a b", strings.Repeat("x", 65)} {
		if checkID(bad) == nil {
			t.Errorf("checkID(%q) accepted", bad)
		}
	}
	if shortID("AB-cd_ef0123") != "abcdef01" {
		t.Errorf("shortID %q", shortID("AB-cd_ef0123"))
	}
}
