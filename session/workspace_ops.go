package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/corral-dev/corral/workspace"
)

// The workspace calls of the API (docs/api.md, "Workspaces"). Each works
// on the session's worktree through the workspace package; a session
// without one is ErrNoWorkspace. The calls that change the worktree wait
// for the last turn's checkpoint first and are refused with
// workspace.ErrBusy while a turn runs.

// ListCheckpoints returns the checkpoints of a session's worktree, oldest
// first: turn 0 is the base at creation, then one per turn, and one saved
// before each restore.
func (m *Manager) ListCheckpoints(ctx context.Context, id string) ([]workspace.Checkpoint, error) {
	wm, ws, err := m.workspaceOf(id)
	if err != nil {
		return nil, err
	}
	m.waitCheckpoint(ctx, id)
	return wm.ListCheckpoints(ctx, ws)
}

// RestoreCheckpoint puts the worktree's files back as checkpoint seq had
// them, after saving the current state as a checkpoint (returned).
func (m *Manager) RestoreCheckpoint(ctx context.Context, id string, seq int) (workspace.Checkpoint, error) {
	ctx = context.WithoutCancel(ctx)
	wm, ws, err := m.workspaceOf(id)
	if err != nil {
		return workspace.Checkpoint{}, err
	}
	m.waitCheckpoint(ctx, id)
	saved, err := wm.Restore(ctx, ws, seq)
	if err != nil {
		return saved, busyErr(id, err)
	}
	m.workspaceChanged(ctx, id, ws, WorkspaceChange{Reason: "restore", Checkpoint: saved.Seq}, 0)
	return saved, nil
}

// Changes returns the changes of a session's worktree from checkpoint from
// (0: the base commit) to checkpoint to (0: the worktree now).
func (m *Manager) Changes(ctx context.Context, id string, from, to int) (workspace.Changes, error) {
	wm, ws, err := m.workspaceOf(id)
	if err != nil {
		return workspace.Changes{}, err
	}
	if from < 0 || to < 0 {
		return workspace.Changes{}, fmt.Errorf("%w: checkpoint ids are positive (0: the base, or the worktree now)", ErrInvalid)
	}
	return wm.Changes(ctx, ws, workspace.ChangesOptions{From: from, To: to})
}

// DiscardChanges reverts hunks (or the whole file) of the worktree; a file
// that changed since its fingerprint was read is a *workspace.ConflictError.
func (m *Manager) DiscardChanges(ctx context.Context, id string, req workspace.DiscardRequest) error {
	ctx = context.WithoutCancel(ctx)
	wm, ws, err := m.workspaceOf(id)
	if err != nil {
		return err
	}
	m.waitCheckpoint(ctx, id)
	if err := wm.Discard(ctx, ws, req); err != nil {
		return busyErr(id, err)
	}
	m.workspaceChanged(ctx, id, ws, WorkspaceChange{Reason: "discard"}, 0)
	return nil
}

// CommitChanges commits the worktree's changes (of paths, or all) on the
// workspace branch and returns the commit.
func (m *Manager) CommitChanges(ctx context.Context, id, message string, paths []string) (string, error) {
	ctx = context.WithoutCancel(ctx)
	wm, ws, err := m.workspaceOf(id)
	if err != nil {
		return "", err
	}
	m.waitCheckpoint(ctx, id)
	c, err := wm.Commit(ctx, ws, workspace.CommitOptions{Message: message, Paths: paths})
	if err != nil {
		return "", busyErr(id, err)
	}
	m.workspaceChanged(ctx, id, ws, WorkspaceChange{Reason: "commit"}, 0)
	return c, nil
}

// MergeWorkspace merges the workspace branch into into (default: the base
// branch) with strategy merge, squash or rebase. A conflict changes
// nothing anywhere (*workspace.ConflictError).
func (m *Manager) MergeWorkspace(ctx context.Context, id, into, strategy string) (workspace.MergeResult, error) {
	ctx = context.WithoutCancel(ctx)
	wm, ws, err := m.workspaceOf(id)
	if err != nil {
		return workspace.MergeResult{}, err
	}
	switch strategy {
	case workspace.StrategyMerge, workspace.StrategySquash, workspace.StrategyRebase:
	default:
		return workspace.MergeResult{}, fmt.Errorf("%w: strategy %q (want merge, squash or rebase)", ErrInvalid, strategy)
	}
	m.waitCheckpoint(ctx, id)
	r, err := wm.Merge(ctx, ws, workspace.MergeOptions{Into: into, Strategy: strategy})
	if err != nil {
		return r, busyErr(id, err)
	}
	m.workspaceChanged(ctx, id, ws, WorkspaceChange{Reason: "merge"}, 0)
	return r, nil
}

// busyErr says which session holds a busy worktree.
func busyErr(id string, err error) error {
	if errors.Is(err, workspace.ErrBusy) {
		return fmt.Errorf("session %s is running a turn: %w", id, err)
	}
	return err
}

// RemoveWorkspace removes a session's worktree. It is refused while a turn
// runs (workspace.ErrBusy, even with force) and, without force, when the
// worktree holds uncommitted or unmerged work (*workspace.UnsavedWorkError,
// listing it). Otherwise the session's agent is stopped for good (the
// session becomes terminated: it cannot work without its directory), the
// worktree is removed, and the branch stays unless deleteBranch (which
// also deletes the checkpoints).
func (m *Manager) RemoveWorkspace(ctx context.Context, id string, force, deleteBranch bool) error {
	ctx = context.WithoutCancel(ctx)
	wm, ws, err := m.workspaceOf(id)
	if err != nil {
		return err
	}
	if wm.Busy(ws) {
		return busyErr(id, workspace.ErrBusy)
	}
	if shared, err := m.sharedWorkspace(id, ws.Path); err != nil {
		return err
	} else if shared {
		return fmt.Errorf("%w: another session (a resumed one) works in this worktree; remove it from that session", ErrConflict)
	}
	if !force {
		if u, err := wm.Unsaved(ctx, ws); err != nil {
			return err
		} else if u != nil {
			return u
		}
	}
	if err := m.Stop(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	m.waitCheckpoint(ctx, id)
	if err := wm.Remove(ctx, ws, workspace.RemoveOptions{Force: force, DeleteBranch: deleteBranch, DeleteCheckpoints: deleteBranch}); err != nil {
		return busyErr(id, err)
	}
	m.workspaceChanged(ctx, id, ws, WorkspaceChange{Reason: "removed"}, 0)
	return nil
}
