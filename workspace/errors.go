package workspace

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Sentinel errors. Each is returned wrapped (match with errors.Is); the
// message says which path or repository it is about.
var (
	// ErrGitMissing: the git program cannot be started (not on the PATH
	// given in Options, or not executable).
	ErrGitMissing = errors.New("git is not installed (or not on the PATH corral uses)")
	// ErrNotRepository: the directory is not inside a git repository.
	ErrNotRepository = errors.New("not a git repository")
	// ErrBareRepository: the repository has no working tree. Corral refuses
	// it because a workspace is merged back into a checkout.
	ErrBareRepository = errors.New("bare repository (no working tree)")
	// ErrNoCommits: the repository's HEAD has no commit yet (a new branch
	// has nothing to start from).
	ErrNoCommits = errors.New("repository has no commits yet")
	// ErrOutsideRoot: a workspace path is not a directory under the
	// Manager's root; corral never removes or prunes anything outside it.
	ErrOutsideRoot = errors.New("path is not under the workspace root")
	// ErrNotWorkspace: a workspace path is not the top of a linked
	// worktree of the workspace's repository (a plain directory, the main
	// checkout, a worktree of another repository, or gone). Corral then runs
	// no git in it: git would find whatever repository lies above it, such
	// as the user's own checkout.
	ErrNotWorkspace = errors.New("not a worktree of the workspace's repository")
	// ErrBusy: the workspace is marked busy (a session runs in it).
	ErrBusy = errors.New("workspace is busy")
	// ErrNotFound: a checkpoint, file or hunk asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrGhMissing: the GitHub CLI (gh) is not on the PATH.
	ErrGhMissing = errors.New("the GitHub CLI (gh) is not installed")
	// ErrNothingToCommit: Commit found no change to commit.
	ErrNothingToCommit = errors.New("nothing to commit")
)

// GitError is a git command that exited unsuccessfully.
type GitError struct {
	Program string   // "git" or "gh" as configured
	Args    []string // the arguments after the program
	Code    int      // exit code (-1 when ended by a signal)
	Stderr  string   // git's message, trimmed
}

func (e *GitError) Error() string {
	name := filepath.Base(e.Program)
	if len(e.Args) > 0 {
		name += " " + e.Args[0]
	}
	return fmt.Sprintf("%s failed (exit %d): %s", name, e.Code, e.Stderr)
}

// GitTooOldError: the installed git lacks a feature an operation needs.
type GitTooOldError struct {
	Have, Need string // versions, e.g. "2.34.1" and "2.38"
	Feature    string
}

func (e *GitTooOldError) Error() string {
	return fmt.Sprintf("git %s is too old for %s (needs %s or newer)", e.Have, e.Feature, e.Need)
}

// BranchExistsError: Create's branch name is already taken. Nothing was
// created; retry with another ID.
type BranchExistsError struct{ Branch string }

func (e *BranchExistsError) Error() string {
	return fmt.Sprintf("branch %q already exists", e.Branch)
}

// PathExistsError: Create's worktree directory already exists.
type PathExistsError struct{ Path string }

func (e *PathExistsError) Error() string {
	return fmt.Sprintf("workspace directory %s already exists", e.Path)
}

// RefNotFoundError: a base ref or merge target does not name a commit.
type RefNotFoundError struct{ Ref string }

func (e *RefNotFoundError) Error() string {
	return fmt.Sprintf("%q does not name a commit", e.Ref)
}

// InvalidNameError: an ID, ref or path argument is not acceptable.
type InvalidNameError struct {
	Kind, Name, Reason string
}

func (e *InvalidNameError) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", e.Kind, e.Name, e.Reason)
}

// PathError: a path argument escapes the worktree (absolute, "..", through a
// symbolic link, or into .git).
type PathError struct {
	Path, Reason string
}

func (e *PathError) Error() string {
	return fmt.Sprintf("path %q refused: %s", e.Path, e.Reason)
}

// LostFile is a file whose content would be lost by Remove.
type LostFile struct {
	Path   string `json:"path"`
	Status string `json:"status"` // "modified", "added", "deleted", "renamed", "untracked", "conflicted"
}

// LostCommit is a commit reachable from the workspace and from no other
// branch or remote-tracking branch.
type LostCommit struct {
	Hash    string `json:"hash"`
	Subject string `json:"subject"`
}

// UnsavedWorkError: Remove (without Force) refused because the worktree
// holds work that exists nowhere else. Ignored files are not counted.
type UnsavedWorkError struct {
	Path      string
	Files     []LostFile
	Commits   []LostCommit
	Truncated bool // more files or commits than listed (lists are capped at 200)
}

func (e *UnsavedWorkError) Error() string {
	return fmt.Sprintf("workspace %s holds unsaved work: %d file(s) with uncommitted changes, %d commit(s) on no other branch",
		e.Path, len(e.Files), len(e.Commits))
}

// ConflictError: a change was refused because the data changed since it was
// read (Discard with a stale fingerprint) or a merge/rebase conflicts. The
// repository and every checkout are left as they were.
type ConflictError struct {
	Op    string   // "discard", "merge", "squash", "rebase"
	Files []string // conflicting paths, when known
	Msg   string
}

func (e *ConflictError) Error() string {
	s := e.Op + " conflict: " + e.Msg
	if len(e.Files) > 0 {
		s += " (" + strings.Join(e.Files, ", ") + ")"
	}
	return s
}

// DirtyError: an operation needs committed work (Merge, CreatePullRequest)
// but the worktree has uncommitted changes or untracked files.
type DirtyError struct {
	Path  string
	Files []LostFile
}

func (e *DirtyError) Error() string {
	return fmt.Sprintf("workspace %s has %d uncommitted file(s); commit or discard them first", e.Path, len(e.Files))
}
