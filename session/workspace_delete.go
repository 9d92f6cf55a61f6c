package session

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/corral-dev/corral/store"
	"github.com/corral-dev/corral/workspace"
)

// deletePlan says what Delete does with session id's worktree: nil when
// there is none to remove (none, removed, or another session continues in
// it), the worktree otherwise; an *workspace.UnsavedWorkError when it holds
// work that removing it would lose.
func (m *Manager) deletePlan(ctx context.Context, id string) (*workspace.Workspace, error) {
	rec, err := m.o.Recorder.GetSession(id)
	if err != nil {
		return nil, err
	}
	meta := readMeta(rec.Meta)
	if meta.Workspace == nil || m.wsRemoved(id, meta) {
		return nil, nil
	}
	ws := meta.Workspace
	if shared, err := m.sharedWorkspace(id, ws.Path); err != nil || shared {
		return nil, err
	}
	wm, err := m.workspaces()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(ws.Path); errors.Is(err, os.ErrNotExist) {
		return ws, nil // gone already: Remove just unregisters it
	}
	u, err := wm.Unsaved(ctx, *ws)
	if err != nil {
		return nil, err
	}
	if u != nil {
		return nil, u
	}
	return ws, nil
}

// sharedWorkspace reports whether a session other than id uses the
// worktree at path.
func (m *Manager) sharedWorkspace(id, path string) (bool, error) {
	recs, err := m.o.Recorder.ListSessions(0)
	if err != nil {
		return false, err
	}
	for _, r := range recs {
		if r.ID == id {
			continue
		}
		if meta := readMeta(r.Meta); meta.Workspace != nil && !meta.WorkspaceRemoved && meta.Workspace.Path == path {
			return true, nil
		}
	}
	return false, nil
}

// removeOnDelete removes the worktree deletePlan chose, after the agent
// stopped. It refuses (the session stays) if work appeared meanwhile.
func (m *Manager) removeOnDelete(ctx context.Context, id string, ws *workspace.Workspace) error {
	if ws == nil {
		return nil
	}
	m.waitCheckpoint(ctx, id)
	return m.o.Workspaces.Remove(ctx, *ws, workspace.RemoveOptions{DeleteCheckpoints: true})
}

// dropWorkspace removes the worktree made for a session whose record could
// not be stored.
func (m *Manager) dropWorkspace(ctx context.Context, o CreateOptions, ws *workspace.Workspace) {
	if ws == nil || o.workspace != nil {
		return
	}
	if err := m.o.Workspaces.Remove(context.WithoutCancel(ctx), *ws,
		workspace.RemoveOptions{Force: true, DeleteBranch: true, DeleteCheckpoints: true}); err != nil {
		m.log.Warn("cannot remove the worktree of a session that was not created", "path", ws.Path, "err", err)
	}
}

// WorktreesDir is the directory under the data directory that holds the
// sessions' worktrees.
const WorktreesDir = "worktrees"

// openWorkspaces makes the workspace manager of the data directory; nil
// (sessions run without worktrees) when git cannot be started.
func openWorkspaces(ctx context.Context, dataDir string, log interface {
	Warn(msg string, args ...any)
}) *workspace.Manager {
	wm, err := workspace.New(ctx, workspace.Options{Root: filepath.Join(dataDir, WorktreesDir)})
	if err != nil {
		log.Warn("sessions run without worktrees", "err", err)
		return nil
	}
	return wm
}

// RecordWorkspace returns the worktree a stored session record names (nil
// for a session without one) and whether RemoveWorkspace removed it. It
// is for tools that read the store without a Manager (corral doctor).
func RecordWorkspace(rec store.Session) (*workspace.Workspace, bool) {
	meta := readMeta(rec.Meta)
	return meta.Workspace, meta.WorkspaceRemoved
}

// sweepWorktrees runs at start-up: worktrees registered in the sessions'
// repositories whose directories are gone are pruned (git worktree prune,
// as git itself would at gc); directories under the root no session knows
// are logged, never removed (they may hold work: corral doctor lists them).
func (m *Manager) sweepWorktrees(ctx context.Context) {
	wm := m.o.Workspaces
	if wm == nil {
		return
	}
	recs, err := m.o.Recorder.ListSessions(0)
	if err != nil {
		return
	}
	var known, repos []string
	for _, r := range recs {
		if ws, removed := RecordWorkspace(r); ws != nil && !removed {
			known, repos = append(known, ws.Path), append(repos, ws.Repo)
		}
	}
	stale, err := wm.Stale(ctx, known, repos)
	if err != nil {
		m.log.Warn("cannot look for stale worktrees", "err", err)
		return
	}
	pruned := map[string]bool{}
	for _, s := range stale {
		switch {
		case s.Kind == "missing" && !pruned[s.Repo]:
			pruned[s.Repo] = true
			if err := wm.Prune(ctx, s.Repo); err != nil {
				m.log.Warn("git worktree prune failed", "repo", s.Repo, "err", err)
			}
		case s.Kind == "unknown":
			m.log.Warn("a worktree no session knows (see corral doctor)", "path", s.Path, "branch", s.Branch)
		}
	}
}
