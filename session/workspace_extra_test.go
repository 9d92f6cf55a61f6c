package session

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/policy"
	"github.com/corral-dev/corral/workspace"
)

// The repository's setup command runs in each new worktree, its output in
// the session; a failing one leaves no session, worktree or branch.
func TestWorkspaceSetupCommand(t *testing.T) {
	gitHome(t)
	good, bad := newRepo(t), newRepo(t)
	rt := wsRT(t, func(c *config.Config, worktrees string) {
		c.Capabilities = []config.Capability{
			{Name: "setup-ok", Program: "/bin/sh", Args: []config.Arg{{Value: "-c"}, {Value: `echo setup in "$CORRAL_WORKSPACE_BRANCH"; touch marker`}},
				Cwd: []string{worktrees}},
			{Name: "setup-fails", Program: "/bin/sh", Args: []config.Arg{{Value: "-c"}, {Value: "echo cannot install; exit 3"}},
				Cwd: []string{worktrees}},
		}
		c.Sessions.Setup = map[string]string{good: "setup-ok", bad: "setup-fails"}
	})
	ctx := context.Background()
	m := rt.Manager
	info, err := m.Create(ctx, CreateOptions{Agent: "fake", Cwd: good})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(info.Workspace.Path, "marker")); err != nil {
		t.Fatalf("the setup command did not run in the worktree: %v", err)
	}
	if _, err := os.Stat(filepath.Join(good, "marker")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the setup command ran in the checkout: %v", err)
	}
	w := watch(t, rt, info.ID, 0)
	ev := w.until(kind(WorkspaceSetup))
	var r setupResult
	json.Unmarshal(ev[len(ev)-1].Data, &r)
	if r.ExitCode != 0 || !strings.Contains(r.Output, "setup in "+info.Workspace.Branch) {
		t.Fatalf("setup event %+v", r)
	}

	before, _ := m.List(ctx)
	_, err = m.Create(ctx, CreateOptions{Agent: "fake", Cwd: bad})
	var sf *SetupFailedError
	if !errors.As(err, &sf) || sf.ExitCode != 3 || !strings.Contains(sf.Output, "cannot install") {
		t.Fatalf("failing setup: %v", err)
	}
	after, _ := m.List(ctx)
	if len(after) != len(before) {
		t.Fatalf("a session was left: %d -> %d", len(before), len(after))
	}
	if b := git(t, bad, "branch", "--list", "corral/*"); b != "" {
		t.Fatalf("branch left: %s", b)
	}
	if wt := git(t, bad, "worktree", "list", "--porcelain"); strings.Count(wt, "worktree ") != 1 {
		t.Fatalf("worktree left:\n%s", wt)
	}
}

// A pull request needs the policy's gh capability and runs gh (a fake one
// on the PATH here) after pushing the branch.
func TestWorkspacePullRequest(t *testing.T) {
	gitHome(t)
	bin := t.TempDir()
	gh := "#!/bin/sh\necho \"$@\" > \"$HOME/gh-args\"\necho https://github.com/o/r/pull/7\n"
	if err := os.WriteFile(filepath.Join(bin, "gh"), []byte(gh), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	repo, remote := newRepo(t), t.TempDir()
	git(t, remote, "init", "-q", "--bare")
	git(t, repo, "remote", "add", "origin", remote)
	allowGh := func(c *config.Config, worktrees string) {
		c.Capabilities = []config.Capability{{Name: GhCapability, Program: filepath.Join(bin, "gh"),
			Args: []config.Arg{{Validator: ".*", Rest: true}}, Cwd: []string{worktrees}}}
	}
	for _, allowed := range []bool{false, true} {
		var edit func(*config.Config, string)
		if allowed {
			edit = allowGh
		}
		rt := wsRT(t, edit)
		ctx := context.Background()
		m := rt.Manager
		info, err := m.Create(ctx, CreateOptions{Agent: "fake", Cwd: repo})
		if err != nil {
			t.Fatal(err)
		}
		w := watch(t, rt, info.ID, 0)
		m.Send(ctx, info.ID, writeTurn("two", "line 18"))
		w.until(changed("turn"))
		if _, err := m.CreatePullRequest(ctx, info.ID, workspace.PullRequestOptions{Title: "t"}); !allowed {
			var denied *policy.Denied
			if !errors.As(err, &denied) {
				t.Fatalf("without the capability: %v", err)
			}
			continue
		} else if d := (*workspace.DirtyError)(nil); !errors.As(err, &d) {
			t.Fatalf("uncommitted work: %v", err)
		}
		if _, err := m.CommitChanges(ctx, info.ID, "two", []string{"a.txt"}); err != nil {
			t.Fatal(err)
		}
		url, err := m.CreatePullRequest(ctx, info.ID, workspace.PullRequestOptions{Title: "Two", Body: "b"})
		if err != nil || url != "https://github.com/o/r/pull/7" {
			t.Fatalf("pull request %q %v", url, err)
		}
		args := readFile(t, filepath.Join(os.Getenv("HOME"), "gh-args"))
		if !strings.Contains(args, "pr create --head "+info.Workspace.Branch+" --base main --title Two") {
			t.Fatalf("gh got %s", args)
		}
		git(t, remote, "rev-parse", "--verify", "refs/heads/"+info.Workspace.Branch)
	}
}

// ForkSession starts a new session in a new worktree holding a
// checkpoint's files; an agent that cannot fork says so.
func TestForkSession(t *testing.T) {
	gitHome(t)
	repo := newRepo(t)
	rt := wsRT(t, func(c *config.Config, _ string) {
		c.Agents["plain"] = config.Agent{Command: "/bin/cat", Protocol: "text"}
	})
	ctx := context.Background()
	m := rt.Manager
	info, err := m.Create(ctx, CreateOptions{Agent: "fake", Cwd: repo})
	if err != nil {
		t.Fatal(err)
	}
	if !info.CanFork {
		t.Fatal("the claude protocol forks")
	}
	w := watch(t, rt, info.ID, 0)
	m.Send(ctx, info.ID, writeTurn("one", "line 18"))
	w.until(changed("turn"))
	m.Send(ctx, info.ID, writeTurn("two", "line 18"))
	w.until(changed("turn"))
	cps, _ := m.ListCheckpoints(ctx, info.ID)
	if len(cps) != 3 {
		t.Fatalf("checkpoints %+v", cps)
	}
	fork, err := m.ForkSession(ctx, info.ID, cps[1].Seq)
	if err != nil {
		t.Fatal(err)
	}
	if fork.Workspace == nil || fork.Workspace.Path == info.Workspace.Path || fork.Workspace.Branch == info.Workspace.Branch {
		t.Fatalf("fork workspace %+v", fork.Workspace)
	}
	if got := readFile(t, filepath.Join(fork.Workspace.Path, "a.txt")); got != numbered(20, map[int]string{2: "one"}) {
		t.Fatalf("the fork's files are not turn 1's:\n%s", got)
	}
	rec, _ := rt.Store.GetSession(fork.ID)
	meta := readMeta(rec.Meta)
	if meta.ForkedFrom != info.ID || meta.Fork == nil || meta.Fork.Source == "" {
		t.Fatalf("fork meta %+v", meta)
	}
	if _, err := m.ForkSession(ctx, info.ID, 99); !errors.Is(err, workspace.ErrNotFound) {
		t.Fatalf("unknown checkpoint: %v", err)
	}

	plain, err := m.Create(ctx, CreateOptions{Agent: "plain", Cwd: repo})
	if err != nil {
		t.Fatal(err)
	}
	if plain.CanFork {
		t.Fatal("a text agent cannot fork")
	}
	if _, err := m.ForkSession(ctx, plain.ID, 1); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("fork of a text agent: %v", err)
	}
	none, err := m.Create(ctx, CreateOptions{Agent: "fake", Cwd: repo, Isolation: IsolationNone})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Changes(ctx, none.ID, 0, 0); !errors.Is(err, ErrNoWorkspace) {
		t.Fatalf("changes without a worktree: %v", err)
	}
}

// A terminated session resumed as a new one continues in the same
// worktree; deleting the old one leaves it to the new one.
func TestResumeKeepsTheWorktree(t *testing.T) {
	gitHome(t)
	repo := newRepo(t)
	rt := wsRT(t, nil)
	ctx := context.Background()
	m := rt.Manager
	info, err := m.Create(ctx, CreateOptions{Agent: "fake", Cwd: repo})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Stop(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	next, err := m.Resume(ctx, info.ID)
	if err != nil {
		t.Fatal(err)
	}
	if next.ID == info.ID || next.Workspace == nil || next.Workspace.Path != info.Workspace.Path || next.Cwd != info.Cwd {
		t.Fatalf("resumed %+v %+v", next, next.Workspace)
	}
	if err := m.RemoveWorkspace(ctx, info.ID, true, false); !errors.Is(err, ErrConflict) {
		t.Fatalf("remove of a worktree a resumed session uses: %v", err)
	}
	if err := m.Delete(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(info.Workspace.Path); err != nil {
		t.Fatalf("the worktree the resumed session uses was removed: %v", err)
	}
	if err := m.Delete(ctx, next.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(info.Workspace.Path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("worktree after the last delete: %v", err)
	}
}

// At start-up, a worktree whose directory was deleted by hand is pruned
// from git's list, as git would; its session can still be deleted.
func TestStartUpPrunesMissingWorktrees(t *testing.T) {
	gitHome(t)
	repo, data := newRepo(t), t.TempDir()
	ctx := context.Background()
	rt := openRT(t, data, nil)
	info, err := rt.Manager.Create(ctx, CreateOptions{Agent: "fake", Cwd: repo})
	if err != nil {
		t.Fatal(err)
	}
	closeRT(t, rt)
	if err := os.RemoveAll(info.Workspace.Path); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(git(t, repo, "worktree", "list"), info.Workspace.Path) {
		t.Fatal("git forgot the worktree by itself")
	}
	rt = openRT(t, data, nil)
	defer closeRT(t, rt)
	if strings.Contains(git(t, repo, "worktree", "list"), info.Workspace.Path) {
		t.Fatal("the missing worktree was not pruned at start-up")
	}
	if _, err := rt.Manager.Changes(ctx, info.ID, 0, 0); !errors.Is(err, workspace.ErrNotWorkspace) {
		t.Fatalf("changes of a deleted worktree: %v", err)
	}
	if err := rt.Manager.Delete(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "rev-parse", "--verify", "refs/heads/"+info.Workspace.Branch)
}
