package workspace

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// CommitOptions are the arguments of Commit.
type CommitOptions struct {
	// Message is the commit message. Required.
	Message string
	// Paths limits the commit to these files (worktree-relative); empty
	// commits every change, untracked files included.
	Paths []string
	// Author, when set, is the author and committer; otherwise the user's
	// git configuration decides (as for any commit of theirs).
	Author *Identity
}

// Commit stages and commits changes on the workspace branch, running the
// repository's commit hooks. It returns the new commit, or
// ErrNothingToCommit.
func (m *Manager) Commit(ctx context.Context, ws Workspace, o CommitOptions) (string, error) {
	if strings.TrimSpace(o.Message) == "" {
		return "", &InvalidNameError{Kind: "commit message", Reason: "empty"}
	}
	paths, err := confineAll(ws.Path, o.Paths)
	if err != nil {
		return "", err
	}
	unlock, err := m.lock(ctx, ws, true)
	if err != nil {
		return "", err
	}
	defer unlock()
	lit := []string{"GIT_LITERAL_PATHSPECS=1"}
	add := append([]string{"add", "-A", "--"}, paths...)
	if _, _, err := m.gitRun(ctx, run{dir: ws.Path, args: add, env: lit}); err != nil {
		return "", err
	}
	check := append([]string{"diff", "--cached", "--quiet", "--"}, paths...)
	if _, code, err := m.gitRun(ctx, run{dir: ws.Path, args: check, env: lit, okExit: []int{1}}); err != nil {
		return "", err
	} else if code == 0 {
		return "", ErrNothingToCommit
	}
	env := lit
	if a := o.Author; a != nil {
		env = append(env, "GIT_AUTHOR_NAME="+a.Name, "GIT_AUTHOR_EMAIL="+a.Email, "GIT_COMMITTER_NAME="+a.Name, "GIT_COMMITTER_EMAIL="+a.Email)
	}
	args := []string{"commit", "--quiet", "--file=-"}
	if len(paths) > 0 {
		args = append(append(args, "--"), paths...)
	}
	if _, _, err := m.gitRun(ctx, run{dir: ws.Path, args: args, env: env, stdin: []byte(o.Message)}); err != nil {
		return "", err
	}
	return m.gitLine(ctx, ws.Path, "rev-parse", "HEAD")
}

// Merge strategies.
const (
	StrategyMerge  = "merge"  // fast-forward when possible, else a merge commit
	StrategySquash = "squash" // one new commit on the target with the workspace's changes
	StrategyRebase = "rebase" // rebase the workspace branch onto the target, then fast-forward
)

// MergeOptions are the arguments of Merge.
type MergeOptions struct {
	// Into is the target branch (short name). Default: ws.BaseBranch.
	Into string
	// Strategy is StrategyMerge (default), StrategySquash or StrategyRebase.
	Strategy string
	// Message is the merge or squash commit message (a default is made).
	Message string
}

// MergeResult says what Merge did.
type MergeResult struct {
	Into     string `json:"into"`
	Strategy string `json:"strategy"`
	// Commit is the target branch's new tip.
	Commit string `json:"commit"`
	// UpToDate: the target already contained the workspace's commits.
	UpToDate bool `json:"upToDate,omitempty"`
	// UpdatedCheckout is the checkout of the target branch whose files were
	// fast-forwarded, empty when the branch is checked out nowhere.
	UpdatedCheckout string `json:"updatedCheckout,omitempty"`
}

// Merge brings the workspace branch's commits into the target branch. It
// refuses uncommitted work in the workspace (*DirtyError). The result is
// computed without touching any checkout ("git merge-tree --write-tree",
// git 2.38 or newer, for merge and squash; a rebase runs in the workspace and
// is aborted on conflict); on conflict it returns a *ConflictError and
// nothing has changed. Only then is the target moved: by a fast-forward in
// the checkout where it is checked out (which git refuses, changing nothing,
// if that would overwrite local changes there), or by an atomic ref update.
func (m *Manager) Merge(ctx context.Context, ws Workspace, o MergeOptions) (MergeResult, error) {
	res, err := m.mergeTarget(ctx, ws, &o)
	if err != nil {
		return res, err
	}
	unlock, err := m.lock(ctx, ws, true)
	if err != nil {
		return res, err
	}
	defer unlock()
	if files, _, err := m.dirtyFiles(ctx, ws.Path); err != nil {
		return res, err
	} else if len(files) > 0 {
		return res, &DirtyError{Path: ws.Path, Files: files}
	}
	old, err := m.gitLine(ctx, ws.Repo, "rev-parse", "--verify", "refs/heads/"+o.Into)
	if err != nil {
		return res, &RefNotFoundError{Ref: o.Into}
	}
	head, err := m.gitLine(ctx, ws.Path, "rev-parse", "HEAD")
	if err != nil {
		return res, err
	}
	if _, err := m.git(ctx, ws.Repo, "merge-base", "--is-ancestor", head, old); err == nil {
		res.UpToDate, res.Commit = true, old
		return res, nil
	} else if !isExit(err, 1) {
		return res, err
	}
	var next string
	switch o.Strategy {
	case StrategyRebase:
		next, err = m.rebase(ctx, ws, old)
	default:
		next, err = m.mergeCommit(ctx, ws, o, old, head)
	}
	if err != nil {
		return res, err
	}
	res.Commit = next
	res.UpdatedCheckout, err = m.advance(ctx, ws, o.Into, old, next)
	return res, err
}

// mergeTarget validates the options and fills in defaults.
func (m *Manager) mergeTarget(ctx context.Context, ws Workspace, o *MergeOptions) (MergeResult, error) {
	if o.Strategy == "" {
		o.Strategy = StrategyMerge
	}
	if o.Into == "" {
		o.Into = ws.BaseBranch
	}
	res := MergeResult{Into: o.Into, Strategy: o.Strategy}
	switch {
	case o.Strategy != StrategyMerge && o.Strategy != StrategySquash && o.Strategy != StrategyRebase:
		return res, &InvalidNameError{Kind: "merge strategy", Name: o.Strategy, Reason: "use merge, squash or rebase"}
	case o.Into == "":
		return res, &InvalidNameError{Kind: "merge target", Reason: "the workspace started from a commit; name a branch"}
	case o.Into == ws.Branch || strings.HasPrefix(o.Into, "-"):
		return res, &InvalidNameError{Kind: "merge target", Name: o.Into, Reason: "not a branch to merge into"}
	case o.Strategy != StrategyRebase && !atLeast(m.version, 2, 38):
		return res, &GitTooOldError{Have: m.verText, Need: "2.38", Feature: "merging without touching a checkout"}
	}
	if _, err := m.git(ctx, ws.Repo, "check-ref-format", "--branch", o.Into); err != nil {
		return res, &InvalidNameError{Kind: "merge target", Name: o.Into, Reason: "not a valid branch name"}
	}
	return res, nil
}

// mergeCommit computes the merge of head into old in memory and writes the
// merge (or squash) commit; nothing is checked out.
func (m *Manager) mergeCommit(ctx context.Context, ws Workspace, o MergeOptions, old, head string) (string, error) {
	if _, err := m.git(ctx, ws.Repo, "merge-base", "--is-ancestor", old, head); err == nil && o.Strategy == StrategyMerge {
		return head, nil // fast-forward
	}
	out, code, err := m.gitRun(ctx, run{dir: ws.Repo, okExit: []int{1},
		args: []string{"merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", old, head}})
	if err != nil {
		return "", err
	}
	tok := splitNul(out)
	if len(tok) == 0 {
		return "", fmt.Errorf("git merge-tree: no output")
	}
	if code == 1 {
		return "", &ConflictError{Op: o.Strategy, Files: uniqueNonEmpty(tok[1:]), Msg: fmt.Sprintf("%s conflicts with %s; nothing was changed", ws.Branch, o.Into)}
	}
	msg := o.Message
	args := []string{"commit-tree", tok[0], "-p", old}
	if o.Strategy == StrategyMerge {
		args = append(args, "-p", head)
		if msg == "" {
			msg = fmt.Sprintf("Merge branch '%s' into %s\n", ws.Branch, o.Into)
		}
	} else if msg == "" {
		log, err := m.git(ctx, ws.Repo, "log", "--format=* %s", old+".."+head)
		if err != nil {
			return "", err
		}
		msg = fmt.Sprintf("Squashed commit of %s\n\n%s", ws.Branch, log)
	}
	return m.gitLine(ctx, ws.Repo, append(args, "-m", msg)...)
}

// rebase rebases the workspace branch onto old; on conflict it aborts and
// returns a *ConflictError with the branch as it was.
func (m *Manager) rebase(ctx context.Context, ws Workspace, onto string) (string, error) {
	_, _, err := m.gitRun(ctx, run{dir: ws.Path, args: []string{"rebase", "--no-autostash", "--quiet", onto}})
	if err != nil {
		files, _ := m.git(ctx, ws.Path, "diff", "--name-only", "-z", "--diff-filter=U")
		m.git(context.WithoutCancel(ctx), ws.Path, "rebase", "--abort")
		var ge *GitError
		if errors.As(err, &ge) {
			return "", &ConflictError{Op: StrategyRebase, Files: splitNul(files), Msg: "rebase stopped and was aborted; nothing was changed"}
		}
		return "", err
	}
	return m.gitLine(ctx, ws.Path, "rev-parse", "HEAD")
}

// advance moves branch from old to next: a fast-forward in the checkout
// that has it, or an atomic ref update when none has.
func (m *Manager) advance(ctx context.Context, ws Workspace, branch, old, next string) (string, error) {
	wts, err := m.worktrees(ctx, ws.Repo)
	if err != nil {
		return "", err
	}
	for _, w := range wts {
		if w.branch != "refs/heads/"+branch {
			continue
		}
		if _, err := m.git(ctx, w.path, "merge", "--ff-only", "--quiet", next); err != nil {
			return "", &ConflictError{Op: "merge", Msg: "cannot fast-forward the checkout " + w.path + ": " + err.Error()}
		}
		return w.path, nil
	}
	if _, err := m.git(ctx, ws.Repo, "update-ref", "-m", "corral: merge "+ws.Branch, "refs/heads/"+branch, next, old); err != nil {
		return "", &ConflictError{Op: "merge", Msg: branch + " moved meanwhile: " + err.Error()}
	}
	return "", nil
}

func uniqueNonEmpty(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// PullRequestOptions are the arguments of CreatePullRequest.
type PullRequestOptions struct {
	Title, Body string
	// Base is the branch the pull request targets. Default ws.BaseBranch.
	Base string
	// Remote is pushed to. Default "origin".
	Remote string
	Draft  bool
}

// CreatePullRequest pushes the workspace branch to the remote and opens a
// pull request with the GitHub CLI, returning its URL. It needs gh on the
// PATH (ErrGhMissing) and committed work (*DirtyError).
func (m *Manager) CreatePullRequest(ctx context.Context, ws Workspace, o PullRequestOptions) (string, error) {
	if err := m.check(ctx, ws); err != nil {
		return "", err
	}
	if o.Base == "" {
		o.Base = ws.BaseBranch
	}
	if o.Remote == "" {
		o.Remote = "origin"
	}
	if o.Base == "" || strings.TrimSpace(o.Title) == "" || strings.HasPrefix(o.Remote, "-") || strings.HasPrefix(o.Base, "-") {
		return "", &InvalidNameError{Kind: "pull request", Name: o.Title, Reason: "a title, a base branch and a remote are required"}
	}
	if _, _, err := m.exec(ctx, m.opts.Gh, run{dir: ws.Path, args: []string{"--version"}}); err != nil {
		return "", err
	}
	if files, _, err := m.dirtyFiles(ctx, ws.Path); err != nil {
		return "", err
	} else if len(files) > 0 {
		return "", &DirtyError{Path: ws.Path, Files: files}
	}
	if _, err := m.git(ctx, ws.Path, "push", "--quiet", "--set-upstream", o.Remote, "HEAD:refs/heads/"+ws.Branch); err != nil {
		return "", err
	}
	args := []string{"pr", "create", "--head", ws.Branch, "--base", o.Base, "--title", o.Title, "--body", o.Body}
	if o.Draft {
		args = append(args, "--draft")
	}
	out, _, err := m.exec(ctx, m.opts.Gh, run{dir: ws.Path, args: args})
	if err != nil {
		return "", err
	}
	lines := strings.Fields(string(out))
	if len(lines) == 0 {
		return "", fmt.Errorf("gh pr create printed no URL")
	}
	return lines[len(lines)-1], nil
}
