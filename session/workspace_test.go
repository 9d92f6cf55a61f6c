package session

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/workspace"
)

// An isolated session works in a worktree of its own: the user's checkout
// stays as it was; each turn is a checkpoint; its changes can be read,
// discarded by hunk, restored, committed and merged; work is never lost by
// RemoveWorkspace or Delete without force.
func TestWorkspaceSessionLifecycle(t *testing.T) {
	gitHome(t)
	repo := newRepo(t)
	rt := wsRT(t, nil)
	ctx := context.Background()
	m := rt.Manager
	info, err := m.Create(ctx, CreateOptions{Agent: "fake", Cwd: repo})
	if err != nil {
		t.Fatal(err)
	}
	ws := info.Workspace
	if ws == nil || !strings.HasPrefix(ws.Branch, "corral/") || ws.BaseRef != "main" || info.Cwd != ws.Path || ws.Path == repo {
		t.Fatalf("info %+v workspace %+v", info, ws)
	}
	cps, err := m.ListCheckpoints(ctx, info.ID)
	if err != nil || len(cps) != 1 || cps[0].Turn != 0 {
		t.Fatalf("checkpoints at creation: %+v %v", cps, err)
	}
	w := watch(t, rt, info.ID, 0)
	if _, err := m.Send(ctx, info.ID, writeTurn("two", "eighteen")); err != nil {
		t.Fatal(err)
	}
	w.until(changed("turn"))
	if got := readFile(t, filepath.Join(repo, "a.txt")); got != numbered(20, nil) {
		t.Fatalf("the user's checkout changed:\n%s", got)
	}
	if got, _ := m.Get(ctx, info.ID); got.Workspace.Changes != (ChangeCounts{Files: 1, Additions: 2, Deletions: 2}) {
		t.Fatalf("counts in the session info: %+v", got.Workspace.Changes)
	}
	ch, err := m.Changes(ctx, info.ID, 0, 0)
	if err != nil || len(ch.Files) != 1 || len(ch.Files[0].Hunks) != 2 {
		t.Fatalf("changes %+v %v", ch, err)
	}
	f := ch.Files[0]
	err = m.DiscardChanges(ctx, info.ID, workspace.DiscardRequest{Path: "a.txt", HunkIDs: []string{f.Hunks[0].ID}, Fingerprint: "100644 0000"})
	var conflict *workspace.ConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("discard with a stale fingerprint: %v", err)
	}
	if err := m.DiscardChanges(ctx, info.ID, workspace.DiscardRequest{Path: "a.txt", HunkIDs: []string{f.Hunks[0].ID}, Fingerprint: f.Fingerprint}); err != nil {
		t.Fatal(err)
	}
	w.until(changed("discard"))
	if got := readFile(t, filepath.Join(ws.Path, "a.txt")); got != numbered(20, map[int]string{18: "eighteen"}) {
		t.Fatalf("after discarding the first hunk:\n%s", got)
	}
	cps, err = m.ListCheckpoints(ctx, info.ID)
	if err != nil || len(cps) != 2 || cps[1].Turn != 1 || cps[1].Files != 1 {
		t.Fatalf("checkpoints after a turn: %+v %v", cps, err)
	}
	turn, err := m.Changes(ctx, info.ID, cps[0].Seq, cps[1].Seq)
	if err != nil || len(turn.Files) != 1 || turn.Files[0].Additions != 2 {
		t.Fatalf("the turn's changes: %+v %v", turn, err)
	}
	if _, err := m.RestoreCheckpoint(ctx, info.ID, cps[0].Seq); err != nil {
		t.Fatal(err)
	}
	w.until(changed("restore"))
	if got := readFile(t, filepath.Join(ws.Path, "a.txt")); got != numbered(20, nil) {
		t.Fatalf("after restoring turn 0:\n%s", got)
	}

	// Unsaved work is never removed without force.
	if _, err := m.Send(ctx, info.ID, writeTurn("zwei", "eighteen")); err != nil {
		t.Fatal(err)
	}
	w.until(changed("turn"))
	var unsaved *workspace.UnsavedWorkError
	if err := m.RemoveWorkspace(ctx, info.ID, false, false); !errors.As(err, &unsaved) || len(unsaved.Files) != 1 || unsaved.Files[0].Path != "a.txt" {
		t.Fatalf("remove of a dirty worktree: %v", err)
	}
	if err := m.Delete(ctx, info.ID); !errors.As(err, &unsaved) {
		t.Fatalf("delete of a session with a dirty worktree: %v", err)
	}
	if _, err := os.Stat(ws.Path); err != nil {
		t.Fatalf("the worktree is gone after refusals: %v", err)
	}
	// Committed and merged, nothing is lost: Delete removes the worktree
	// and keeps the branch.
	if _, err := m.CommitChanges(ctx, info.ID, "zwei", nil); err != nil {
		t.Fatal(err)
	}
	if err := m.RemoveWorkspace(ctx, info.ID, false, false); !errors.As(err, &unsaved) || len(unsaved.Commits) != 1 {
		t.Fatalf("remove of unmerged work: %v", err)
	}
	res, err := m.MergeWorkspace(ctx, info.ID, "", "merge")
	if err != nil || res.Into != "main" || res.UpdatedCheckout == "" {
		t.Fatalf("merge %+v %v", res, err)
	}
	if got := readFile(t, filepath.Join(repo, "a.txt")); got != numbered(20, map[int]string{2: "zwei", 18: "eighteen"}) {
		t.Fatalf("the merge did not reach the checkout:\n%s", got)
	}
	if err := m.Delete(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ws.Path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("worktree after delete: %v", err)
	}
	git(t, repo, "rev-parse", "--verify", "refs/heads/"+ws.Branch)
	if refs := git(t, repo, "for-each-ref", "refs/corral/"); refs != "" {
		t.Fatalf("checkpoints left: %s", refs)
	}
}

// A worktree is not removed, even with force, nor restored while its
// session runs a turn; once removed, the session is over.
func TestWorkspaceBusyDuringTurn(t *testing.T) {
	gitHome(t)
	repo := newRepo(t)
	rt := wsRT(t, nil)
	ctx := context.Background()
	m := rt.Manager
	info, err := m.Create(ctx, CreateOptions{Agent: "fake", Cwd: repo, Isolation: IsolationWorktree})
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, rt, info.ID, 0)
	if _, err := m.Send(ctx, info.ID, "slow:100000"); err != nil {
		t.Fatal(err)
	}
	w.until(kind(event.AssistantText))
	if err := m.RemoveWorkspace(ctx, info.ID, true, true); !errors.Is(err, workspace.ErrBusy) {
		t.Fatalf("remove during a turn: %v", err)
	}
	if _, err := m.RestoreCheckpoint(ctx, info.ID, 1); !errors.Is(err, workspace.ErrBusy) {
		t.Fatalf("restore during a turn: %v", err)
	}
	if _, err := os.Stat(info.Workspace.Path); err != nil {
		t.Fatal(err)
	}
	if err := m.Interrupt(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	w.until(changed("turn"))
	if err := m.RemoveWorkspace(ctx, info.ID, false, true); err != nil {
		t.Fatal(err)
	}
	w.until(changed("removed"))
	if _, err := os.Stat(info.Workspace.Path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("worktree after remove: %v", err)
	}
	got, _ := m.Get(ctx, info.ID)
	if got.Status != Terminated || got.Workspace == nil || !got.Workspace.Removed {
		t.Fatalf("session after remove: %+v %+v", got, got.Workspace)
	}
	if _, err := m.Changes(ctx, info.ID, 0, 0); !errors.Is(err, ErrNoWorkspace) {
		t.Fatalf("changes of a removed worktree: %v", err)
	}
	if err := m.Delete(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
}

// What cannot have a worktree is an error when one was asked for, and
// falls back to none when the isolation was the default; nothing is left
// behind either way.
func TestWorkspaceIsolationChoices(t *testing.T) {
	gitHome(t)
	rt := wsRT(t, nil)
	ctx := context.Background()
	m := rt.Manager
	plain := t.TempDir()
	bare := t.TempDir()
	git(t, bare, "init", "-q", "--bare")
	empty := t.TempDir()
	git(t, empty, "init", "-q")
	detached := newRepo(t)
	git(t, detached, "checkout", "-q", "--detach")
	repo := newRepo(t)

	for _, c := range []struct {
		name, cwd, isolation, baseRef string
		want                          error
		wantWS                        bool
	}{
		{"plain directory, default", plain, "", "", nil, false},
		{"plain directory, worktree asked", plain, IsolationWorktree, "", workspace.ErrNotRepository, false},
		{"bare repository, worktree asked", bare, IsolationWorktree, "", workspace.ErrBareRepository, false},
		{"bare repository, default", bare, "", "", nil, false},
		{"no commit yet, worktree asked", empty, IsolationWorktree, "", workspace.ErrNoCommits, false},
		{"repository, none asked", repo, IsolationNone, "", nil, false},
		{"detached HEAD", detached, "", "", nil, true},
		{"unknown base", repo, "", "no-such-branch", &workspace.RefNotFoundError{}, false},
		{"base without a worktree", repo, IsolationNone, "main", ErrInvalid, false},
		{"unknown isolation", repo, "copy", "", ErrInvalid, false},
	} {
		info, err := m.Create(ctx, CreateOptions{Agent: "fake", Cwd: c.cwd, Isolation: c.isolation, BaseRef: c.baseRef})
		switch want := c.want.(type) {
		case nil:
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
		case *workspace.RefNotFoundError:
			if !errors.As(err, &want) {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		default:
			if !errors.Is(err, want) {
				t.Errorf("%s: %v, want %v", c.name, err, want)
			}
			continue
		}
		if (info.Workspace != nil) != c.wantWS {
			t.Errorf("%s: workspace %+v", c.name, info.Workspace)
		}
		if c.name == "detached HEAD" && (info.Workspace.BaseRef != "HEAD" || info.Workspace.BaseBranch != "") {
			t.Errorf("detached: %+v", info.Workspace)
		}
	}
	left, err := os.ReadDir(m.o.Workspaces.Root())
	if err != nil || len(left) != 1 { // the detached HEAD's
		t.Fatalf("worktrees left: %v %v", left, err)
	}
	if b := git(t, repo, "branch", "--list", "corral/*"); b != "" {
		t.Fatalf("branches left: %s", b)
	}

	// Without git: an asked-for worktree is git_missing, the default none.
	m.o.Workspaces = nil
	if _, err := m.Create(ctx, CreateOptions{Agent: "fake", Cwd: repo, Isolation: IsolationWorktree}); !errors.Is(err, workspace.ErrGitMissing) {
		t.Fatalf("worktree without git: %v", err)
	}
	if info, err := m.Create(ctx, CreateOptions{Agent: "fake", Cwd: repo}); err != nil || info.Workspace != nil {
		t.Fatalf("default without git: %+v %v", info.Workspace, err)
	}
}

func TestDecideIsolation(t *testing.T) {
	for _, c := range []struct {
		asked, configured, want string
		explicit, err           bool
	}{
		{"", "", IsolationWorktree, false, false},
		{"", IsolationNone, IsolationNone, false, false},
		{"", IsolationWorktree, IsolationWorktree, false, false},
		{IsolationWorktree, IsolationNone, IsolationWorktree, true, false},
		{IsolationNone, IsolationWorktree, IsolationNone, false, false},
		{"tmp", "", "", false, true},
	} {
		got, explicit, err := decideIsolation(c.asked, c.configured)
		if got != c.want || explicit != c.explicit || (err != nil) != c.err {
			t.Errorf("decideIsolation(%q, %q) = %q %v %v", c.asked, c.configured, got, explicit, err)
		}
	}
}
