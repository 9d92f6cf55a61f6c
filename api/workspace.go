package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/workspace"
)

// Error codes of the workspace calls (docs/api.md, "Workspaces").
const (
	CodeUnsupported     = "unsupported"      // the session's agent cannot do it (ForkSession)
	CodeNoWorkspace     = "no_workspace"     // the session has no worktree (isolation "none", or removed)
	CodeNotARepository  = "not_a_repository" // isolation "worktree" asked for a directory outside any git repository
	CodeBareRepository  = "bare_repository"  // ... for a bare repository (no checkout to merge into)
	CodeNoCommits       = "no_commits"       // ... for a repository without a commit yet
	CodeBranchExists    = "branch_exists"    // the worktree's branch or directory is taken
	CodeGitMissing      = "git_missing"      // git is not installed (or too old for the call)
	CodeGhMissing       = "gh_missing"       // the GitHub CLI is not installed
	CodeUnsavedWork     = "unsaved_work"     // removing the worktree would lose work; details: {files, commits, truncated}
	CodeDirtyWorktree   = "dirty_worktree"   // the call needs committed work; details: {files}
	CodeWorkspaceBusy   = "workspace_busy"   // a turn runs in the worktree
	CodeNothingToCommit = "nothing_to_commit"
	CodeSetupFailed     = "setup_failed" // the repository's setup command failed; details: {capability, exitCode, output}
)

// Workspaces is what the workspace calls need of the session manager
// (*session.Manager implements it).
type Workspaces interface {
	ListCheckpoints(ctx context.Context, sessionID string) ([]workspace.Checkpoint, error)
	RestoreCheckpoint(ctx context.Context, sessionID string, seq int) (workspace.Checkpoint, error)
	ForkSession(ctx context.Context, sessionID string, seq int) (session.Info, error)
	Changes(ctx context.Context, sessionID string, from, to int) (workspace.Changes, error)
	DiscardChanges(ctx context.Context, sessionID string, req workspace.DiscardRequest) error
	CommitChanges(ctx context.Context, sessionID, message string, paths []string) (string, error)
	MergeWorkspace(ctx context.Context, sessionID, into, strategy string) (workspace.MergeResult, error)
	CreatePullRequest(ctx context.Context, sessionID string, o workspace.PullRequestOptions) (string, error)
	RemoveWorkspace(ctx context.Context, sessionID string, force, deleteBranch bool) error
}

var _ Workspaces = (*session.Manager)(nil)

func (a *API) workspaces() (Workspaces, error) {
	w, ok := a.sessions.(Workspaces)
	if !ok {
		return nil, Errorf(CodeInternal, "workspaces are not available in this build")
	}
	return w, nil
}

// CheckpointParams name a checkpoint of a session's worktree.
type CheckpointParams struct {
	SessionID string `json:"sessionId"`
	// CheckpointID is a checkpoint's id from ListCheckpoints.
	CheckpointID int `json:"checkpointId"`
}

// RestoreCheckpointResult is the checkpoint of the state before the
// restore (restoring it undoes the restore).
type RestoreCheckpointResult struct {
	Saved workspace.Checkpoint `json:"saved"`
}

// GetChangesParams select two states of a session's worktree.
type GetChangesParams struct {
	SessionID string `json:"sessionId"`
	// From is a checkpoint id; absent or 0: the worktree's base commit.
	From int `json:"from,omitempty"`
	// To is a checkpoint id; absent or 0: the worktree now.
	To int `json:"to,omitempty"`
}

// DiscardChangesParams revert hunks of one file.
type DiscardChangesParams struct {
	SessionID string `json:"sessionId"`
	// Path and OldPath are the file's path and oldPath from GetChanges.
	Path    string `json:"path"`
	OldPath string `json:"oldPath,omitempty"`
	// Hunks are hunk ids of the file; absent or empty: the whole file.
	Hunks []string `json:"hunks,omitempty"`
	// Fingerprint is the file's fingerprint from GetChanges: the file must
	// not have changed since (else conflict).
	Fingerprint string `json:"fingerprint"`
	// From is GetChanges' from (the side reverted to); 0: the base.
	From int `json:"from,omitempty"`
}

// CommitChangesParams commit the worktree's changes on its branch.
type CommitChangesParams struct {
	SessionID string `json:"sessionId"`
	Message   string `json:"message"`
	// Paths limits the commit to these files; absent: every change.
	Paths []string `json:"paths,omitempty"`
}

// CommitChangesResult is the new commit.
type CommitChangesResult struct {
	Commit string `json:"commit"`
}

// MergeWorkspaceParams integrate the workspace branch.
type MergeWorkspaceParams struct {
	SessionID string `json:"sessionId"`
	// Into is the target branch; absent: the branch the worktree started
	// from.
	Into string `json:"into,omitempty"`
	// Strategy is "merge", "squash" or "rebase".
	Strategy string `json:"strategy"`
}

// CreatePullRequestParams open a pull request of the workspace branch.
type CreatePullRequestParams struct {
	SessionID string `json:"sessionId"`
	Title     string `json:"title"`
	Body      string `json:"body,omitempty"`
	// Base is the target branch; absent: the branch the worktree started
	// from.
	Base  string `json:"base,omitempty"`
	Draft bool   `json:"draft,omitempty"`
}

// CreatePullRequestResult is the pull request's address.
type CreatePullRequestResult struct {
	URL string `json:"url"`
}

// RemoveWorkspaceParams remove a session's worktree.
type RemoveWorkspaceParams struct {
	SessionID string `json:"sessionId"`
	// Force removes it even when it holds uncommitted or unmerged work.
	Force bool `json:"force,omitempty"`
	// DeleteBranch also deletes the workspace branch and the checkpoints.
	DeleteBranch bool `json:"deleteBranch,omitempty"`
}

// ListCheckpoints lists the checkpoints of a session's worktree, oldest
// first: turn 0 is the base, then one per turn (and one before each restore).
func (a *API) ListCheckpoints(ctx context.Context, p SessionParams) ([]workspace.Checkpoint, error) {
	w, err := a.wsFor(p.SessionID)
	if err != nil {
		return nil, err
	}
	cps, err := w.ListCheckpoints(ctx, p.SessionID)
	if cps == nil && err == nil {
		cps = []workspace.Checkpoint{}
	}
	return cps, err
}

// RestoreCheckpoint puts the worktree's files back as a checkpoint recorded
// them (refused with workspace_busy while a turn runs).
func (a *API) RestoreCheckpoint(ctx context.Context, p CheckpointParams) (RestoreCheckpointResult, error) {
	w, err := a.wsFor(p.SessionID)
	if err != nil {
		return RestoreCheckpointResult{}, err
	}
	if p.CheckpointID <= 0 {
		return RestoreCheckpointResult{}, Errorf(CodeInvalidArgument, "checkpointId is required")
	}
	saved, err := w.RestoreCheckpoint(ctx, p.SessionID, p.CheckpointID)
	return RestoreCheckpointResult{Saved: saved}, err
}

// ForkSession starts a new session from a checkpoint's turn: the agent's
// conversation as it was then, in a new worktree with that checkpoint's
// files (unsupported for agents whose canFork is false).
func (a *API) ForkSession(ctx context.Context, p CheckpointParams) (session.Info, error) {
	w, err := a.wsFor(p.SessionID)
	if err != nil {
		return session.Info{}, err
	}
	if p.CheckpointID <= 0 {
		return session.Info{}, Errorf(CodeInvalidArgument, "checkpointId is required")
	}
	return w.ForkSession(ctx, p.SessionID, p.CheckpointID)
}

// GetChanges returns the parsed diff of a session's worktree between two
// states (default: the base commit and the worktree now).
func (a *API) GetChanges(ctx context.Context, p GetChangesParams) (workspace.Changes, error) {
	w, err := a.wsFor(p.SessionID)
	if err != nil {
		return workspace.Changes{}, err
	}
	c, err := w.Changes(ctx, p.SessionID, p.From, p.To)
	if c.Files == nil {
		c.Files = []workspace.FileChange{}
	}
	return c, err
}

// DiscardChanges reverts exactly the given hunks of a file (or the whole
// file); conflict when the file changed since GetChanges read it.
func (a *API) DiscardChanges(ctx context.Context, p DiscardChangesParams) (Empty, error) {
	w, err := a.wsFor(p.SessionID)
	if err != nil {
		return Empty{}, err
	}
	if err := required("path", p.Path); err != nil {
		return Empty{}, err
	}
	if err := required("fingerprint", p.Fingerprint); err != nil {
		return Empty{}, err
	}
	return Empty{}, w.DiscardChanges(ctx, p.SessionID, workspace.DiscardRequest{From: p.From, Path: p.Path, OldPath: p.OldPath,
		HunkIDs: p.Hunks, Fingerprint: p.Fingerprint})
}

// CommitChanges commits the worktree's changes on the workspace branch.
func (a *API) CommitChanges(ctx context.Context, p CommitChangesParams) (CommitChangesResult, error) {
	w, err := a.wsFor(p.SessionID)
	if err != nil {
		return CommitChangesResult{}, err
	}
	if err := required("message", p.Message); err != nil {
		return CommitChangesResult{}, err
	}
	c, err := w.CommitChanges(ctx, p.SessionID, p.Message, p.Paths)
	return CommitChangesResult{Commit: c}, err
}

// MergeWorkspace merges, squashes or rebases the workspace branch into a
// branch; a conflict changes nothing (code conflict, details.files).
func (a *API) MergeWorkspace(ctx context.Context, p MergeWorkspaceParams) (workspace.MergeResult, error) {
	w, err := a.wsFor(p.SessionID)
	if err != nil {
		return workspace.MergeResult{}, err
	}
	if err := required("strategy", p.Strategy); err != nil {
		return workspace.MergeResult{}, err
	}
	return w.MergeWorkspace(ctx, p.SessionID, p.Into, p.Strategy)
}

// CreatePullRequest pushes the workspace branch and opens a pull request
// with gh (the policy's "gh" capability decides).
func (a *API) CreatePullRequest(ctx context.Context, p CreatePullRequestParams) (CreatePullRequestResult, error) {
	w, err := a.wsFor(p.SessionID)
	if err != nil {
		return CreatePullRequestResult{}, err
	}
	if err := required("title", p.Title); err != nil {
		return CreatePullRequestResult{}, err
	}
	url, err := w.CreatePullRequest(ctx, p.SessionID, workspace.PullRequestOptions{Title: p.Title, Body: p.Body, Base: p.Base, Draft: p.Draft})
	return CreatePullRequestResult{URL: url}, err
}

// RemoveWorkspace removes a session's worktree and ends the session;
// unsaved_work (details: what would be lost) unless force; workspace_busy
// while a turn runs.
func (a *API) RemoveWorkspace(ctx context.Context, p RemoveWorkspaceParams) (Empty, error) {
	w, err := a.wsFor(p.SessionID)
	if err != nil {
		return Empty{}, err
	}
	return Empty{}, w.RemoveWorkspace(ctx, p.SessionID, p.Force, p.DeleteBranch)
}

func (a *API) wsFor(sessionID string) (Workspaces, error) {
	if err := required("sessionId", sessionID); err != nil {
		return nil, err
	}
	return a.workspaces()
}

// UnsavedWorkDetails are the details of unsaved_work.
type UnsavedWorkDetails struct {
	Files     []workspace.LostFile   `json:"files"`
	Commits   []workspace.LostCommit `json:"commits"`
	Truncated bool                   `json:"truncated,omitempty"`
}

// ConflictDetails are the details of a workspace conflict.
type ConflictDetails struct {
	// Op is "discard", "merge", "squash" or "rebase".
	Op    string   `json:"op"`
	Files []string `json:"files"`
}

// DirtyDetails are the details of dirty_worktree.
type DirtyDetails struct {
	Files []workspace.LostFile `json:"files"`
}

// workspaceError maps the errors of the workspace calls (and of a session
// create with a worktree) to codes, nil for any other error.
func workspaceError(err error) *Error {
	mk := func(code string, details any) *Error {
		return &Error{Code: code, Message: err.Error(), Details: details, err: err}
	}
	var (
		unsaved *workspace.UnsavedWorkError
		conf    *workspace.ConflictError
		dirty   *workspace.DirtyError
		setup   *session.SetupFailedError
		old     *workspace.GitTooOldError
	)
	switch {
	case errors.As(err, &unsaved):
		return mk(CodeUnsavedWork, UnsavedWorkDetails{Files: orEmpty(unsaved.Files), Commits: orEmpty(unsaved.Commits), Truncated: unsaved.Truncated})
	case errors.As(err, &conf):
		return mk(CodeConflict, ConflictDetails{Op: conf.Op, Files: orEmpty(conf.Files)})
	case errors.As(err, &dirty):
		return mk(CodeDirtyWorktree, DirtyDetails{Files: orEmpty(dirty.Files)})
	case errors.As(err, &setup):
		return mk(CodeSetupFailed, setup)
	case errors.As(err, &old):
		return mk(CodeGitMissing, nil)
	}
	codes := []struct {
		target error
		code   string
	}{
		{session.ErrUnsupported, CodeUnsupported},
		{session.ErrNoWorkspace, CodeNoWorkspace},
		{workspace.ErrNotWorkspace, CodeNoWorkspace},
		{workspace.ErrNotRepository, CodeNotARepository},
		{workspace.ErrBareRepository, CodeBareRepository},
		{workspace.ErrNoCommits, CodeNoCommits},
		{workspace.ErrGitMissing, CodeGitMissing},
		{workspace.ErrGhMissing, CodeGhMissing},
		{workspace.ErrBusy, CodeWorkspaceBusy},
		{workspace.ErrNothingToCommit, CodeNothingToCommit},
		{workspace.ErrNotFound, CodeNotFound},
	}
	for _, c := range codes {
		if errors.Is(err, c.target) {
			return mk(c.code, nil)
		}
	}
	var (
		branch *workspace.BranchExistsError
		path   *workspace.PathExistsError
		ref    *workspace.RefNotFoundError
		name   *workspace.InvalidNameError
		pe     *workspace.PathError
	)
	switch {
	case errors.As(err, &branch), errors.As(err, &path):
		return mk(CodeBranchExists, nil)
	case errors.As(err, &ref), errors.As(err, &name), errors.As(err, &pe):
		return mk(CodeInvalidArgument, nil)
	}
	return nil
}

// workspaceStatus is the HTTP status of a workspace code (0: not one).
func workspaceStatus(code string) int {
	switch code {
	case CodeUnsupported:
		return http.StatusNotImplemented
	case CodeNoWorkspace, CodeNotARepository, CodeBareRepository, CodeNoCommits, CodeUnsavedWork,
		CodeDirtyWorktree, CodeWorkspaceBusy, CodeNothingToCommit, CodeBranchExists:
		return http.StatusConflict
	case CodeGitMissing, CodeGhMissing, CodeSetupFailed:
		return http.StatusFailedDependency
	}
	return 0
}
