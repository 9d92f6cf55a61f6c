package workspace

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// mergeSetup makes a repository whose main checkout and a workspace both
// have commits; conflict makes them change the same line.
func mergeSetup(t *testing.T, conflict bool) (*env, Workspace) {
	e := newEnv(t)
	repo := e.repo(map[string]string{"shared.txt": "base\n", "other.txt": "o\n"})
	ws := e.create(repo, "merge")
	e.write(ws.Path, map[string]string{"agent.txt": "agent\n"})
	if conflict {
		e.write(ws.Path, map[string]string{"shared.txt": "agent version\n"})
	}
	e.commitAll(ws.Path, "agent work")
	e.write(repo, map[string]string{"user.txt": "user\n"})
	if conflict {
		e.write(repo, map[string]string{"shared.txt": "user version\n"})
	}
	e.commitAll(repo, "user work")
	return e, ws
}

// checkoutState is what "half merged" would change in a checkout.
func (e *env) checkoutState(dir string) string {
	gitDir := e.git(dir, "rev-parse", "--absolute-git-dir")
	var s []string
	for _, f := range []string{"MERGE_HEAD", "rebase-merge", "rebase-apply", "CHERRY_PICK_HEAD", "AUTO_MERGE"} {
		if exists(filepath.Join(gitDir, f)) {
			s = append(s, f)
		}
	}
	return strings.Join(append(s, e.git(dir, "rev-parse", "HEAD"), e.git(dir, "status", "--porcelain", "--untracked-files=all")), "|")
}

func TestMergeStrategies(t *testing.T) {
	for _, strategy := range []string{StrategyMerge, StrategySquash, StrategyRebase} {
		t.Run(strategy, func(t *testing.T) {
			e, ws := mergeSetup(t, false)
			ctx := context.Background()
			old := e.git(ws.Repo, "rev-parse", "main")
			res, err := e.m.Merge(ctx, ws, MergeOptions{Strategy: strategy})
			if err != nil {
				t.Fatal(err)
			}
			if res.Into != "main" || res.UpdatedCheckout != ws.Repo || res.Commit != e.git(ws.Repo, "rev-parse", "main") {
				t.Fatalf("result %+v", res)
			}
			// The user's checkout has the agent's file, and is clean.
			if e.read(ws.Repo, "agent.txt") != "agent\n" || e.git(ws.Repo, "status", "--porcelain") != "" {
				t.Fatal("checkout not updated")
			}
			parents := strings.Fields(e.git(ws.Repo, "log", "-1", "--format=%P", "main"))
			switch strategy {
			case StrategyMerge:
				if len(parents) != 2 || parents[0] != old {
					t.Fatalf("merge parents %v", parents)
				}
			case StrategySquash:
				if len(parents) != 1 || parents[0] != old || !strings.Contains(e.git(ws.Repo, "log", "-1", "--format=%B"), "* agent work") {
					t.Fatalf("squash parents %v", parents)
				}
			case StrategyRebase:
				if len(parents) != 1 || parents[0] != old || e.git(ws.Path, "rev-parse", "HEAD") != res.Commit {
					t.Fatalf("rebase parents %v", parents)
				}
			}
			again, err := e.m.Merge(ctx, ws, MergeOptions{Strategy: StrategyMerge})
			if err != nil || (strategy != StrategySquash && !again.UpToDate) {
				t.Fatalf("second merge %+v %v", again, err)
			}
		})
	}
}

func TestMergeConflictLeavesEverythingAsItWas(t *testing.T) {
	for _, strategy := range []string{StrategyMerge, StrategySquash, StrategyRebase} {
		t.Run(strategy, func(t *testing.T) {
			e, ws := mergeSetup(t, true)
			before, wsBefore := e.checkoutState(ws.Repo), e.checkoutState(ws.Path)
			_, err := e.m.Merge(context.Background(), ws, MergeOptions{Strategy: strategy})
			c := wantErr[*ConflictError](t, err)
			if c.Op != strategy || len(c.Files) != 1 || c.Files[0] != "shared.txt" {
				t.Fatalf("conflict %+v", c)
			}
			if got := e.checkoutState(ws.Repo); got != before {
				t.Fatalf("user checkout changed:\n%s\n%s", before, got)
			}
			if got := e.checkoutState(ws.Path); got != wsBefore {
				t.Fatalf("workspace changed:\n%s\n%s", wsBefore, got)
			}
		})
	}
}

func TestMergeRefusals(t *testing.T) {
	e, ws := mergeSetup(t, false)
	ctx := context.Background()

	// Uncommitted work in the workspace.
	e.write(ws.Path, map[string]string{"wip.txt": "w\n"})
	d := wantErr[*DirtyError](t, func() error { _, err := e.m.Merge(ctx, ws, MergeOptions{}); return err }())
	if len(d.Files) != 1 || d.Files[0].Path != "wip.txt" {
		t.Fatalf("dirty %+v", d)
	}
	os.Remove(filepath.Join(ws.Path, "wip.txt"))

	for _, o := range []MergeOptions{{Strategy: "octopus"}, {Into: ws.Branch}, {Into: "bad..name"}} {
		if _, err := e.m.Merge(ctx, ws, o); err == nil {
			t.Fatalf("%+v accepted", o)
		}
	}
	if _, err := e.m.Merge(ctx, ws, MergeOptions{Into: "nope"}); err == nil {
		t.Fatal("missing target accepted")
	}
	noBase := ws
	noBase.BaseBranch = ""
	wantErr[*InvalidNameError](t, func() error { _, err := e.m.Merge(ctx, noBase, MergeOptions{}); return err }())

	// Local changes in the target checkout that the merge would overwrite:
	// refused by the fast-forward, nothing changed.
	e.write(ws.Repo, map[string]string{"agent.txt": "user's uncommitted file\n"})
	before := e.checkoutState(ws.Repo)
	oldMain := e.git(ws.Repo, "rev-parse", "main")
	wantErr[*ConflictError](t, func() error { _, err := e.m.Merge(ctx, ws, MergeOptions{}); return err }())
	if e.checkoutState(ws.Repo) != before || e.git(ws.Repo, "rev-parse", "main") != oldMain {
		t.Fatal("target checkout changed")
	}
}

// A target branch checked out nowhere is moved by a ref update.
func TestMergeIntoBranchNotCheckedOut(t *testing.T) {
	e, ws := mergeSetup(t, false)
	e.git(ws.Repo, "branch", "release", "main~1")
	res, err := e.m.Merge(context.Background(), ws, MergeOptions{Into: "release", Strategy: StrategySquash, Message: "squashed"})
	if err != nil {
		t.Fatal(err)
	}
	if res.UpdatedCheckout != "" || e.git(ws.Repo, "rev-parse", "release") != res.Commit || e.git(ws.Repo, "log", "-1", "--format=%s", "release") != "squashed" {
		t.Fatalf("result %+v", res)
	}
	if e.git(ws.Repo, "status", "--porcelain") != "" {
		t.Fatal("main checkout touched")
	}
}

func TestCreatePullRequestWithFakeGh(t *testing.T) {
	e, ws := mergeSetup(t, false)
	ctx := context.Background()
	remote := filepath.Join(t.TempDir(), "origin.git")
	e.git(filepath.Dir(remote), "init", "-q", "--bare", remote)
	e.git(ws.Repo, "remote", "add", "origin", remote)

	bin := t.TempDir()
	argsFile := filepath.Join(bin, "args")
	gh := "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'gh version 2.0'; exit 0; fi\n" +
		"for a in \"$@\"; do printf '%s\\n' \"$a\"; done > " + argsFile + "\n" +
		"echo 'Creating pull request...' >&2\necho https://github.com/o/r/pull/7\n"
	os.WriteFile(filepath.Join(bin, "gh"), []byte(gh), 0o755)

	// Without gh on the PATH (which holds only git).
	gitOnly := t.TempDir()
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	os.Symlink(gitPath, filepath.Join(gitOnly, "git"))
	noGh, err := New(ctx, Options{Root: e.root, Home: e.home, PATH: gitOnly})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noGh.CreatePullRequest(ctx, ws, PullRequestOptions{Title: "t"}); !errors.Is(err, ErrGhMissing) {
		t.Fatalf("no gh: %v", err)
	}
	m, err := New(ctx, Options{Root: e.root, Home: e.home, PATH: bin + ":" + os.Getenv("PATH")})
	if err != nil {
		t.Fatal(err)
	}
	url, err := m.CreatePullRequest(ctx, ws, PullRequestOptions{Title: "Fix it", Body: "body text", Draft: true})
	if err != nil {
		t.Fatal(err)
	}
	if url != "https://github.com/o/r/pull/7" {
		t.Fatalf("url %q", url)
	}
	args, _ := os.ReadFile(argsFile)
	want := "pr\ncreate\n--head\n" + ws.Branch + "\n--base\nmain\n--title\nFix it\n--body\nbody text\n--draft\n"
	if string(args) != want {
		t.Fatalf("gh args:\n%s", args)
	}
	if e.git(remote, "rev-parse", ws.Branch) != e.git(ws.Path, "rev-parse", "HEAD") {
		t.Fatal("branch not pushed")
	}
	e.write(ws.Path, map[string]string{"wip.txt": "w\n"})
	wantErr[*DirtyError](t, func() error { _, err := m.CreatePullRequest(ctx, ws, PullRequestOptions{Title: "t"}); return err }())
}
