package session

import (
	"context"
	"fmt"

	"github.com/corral-dev/corral/policy"
	"github.com/corral-dev/corral/workspace"
)

// GhCapability is the capability a pull request needs: the policy must
// allow `gh pr create --head <branch> --base <base> --title <title> --body
// <body>` in the worktree (docs/workspaces.md).
const GhCapability = "gh"

// CreatePullRequest pushes the workspace branch and opens a pull request
// with the GitHub CLI, returning its URL. The policy decides it (the
// capability GhCapability, with gh's exact arguments, in the worktree);
// gh must be installed (workspace.ErrGhMissing) and the work committed
// (*workspace.DirtyError).
func (m *Manager) CreatePullRequest(ctx context.Context, id string, o workspace.PullRequestOptions) (string, error) {
	ctx = context.WithoutCancel(ctx)
	wm, ws, err := m.workspaceOf(id)
	if err != nil {
		return "", err
	}
	if o.Base == "" {
		o.Base = ws.BaseBranch
	}
	if o.Base == "" {
		return "", fmt.Errorf("%w: the workspace did not start from a branch: name the base branch", ErrInvalid)
	}
	args := []string{"pr", "create", "--head", ws.Branch, "--base", o.Base, "--title", o.Title, "--body", o.Body}
	if o.Draft {
		args = append(args, "--draft")
	}
	if _, err := m.settings.get().policy.Check(policy.Request{Capability: GhCapability, Args: args, Cwd: ws.Path,
		Owner: policy.SessionOwner(id)}); err != nil {
		return "", err
	}
	return wm.CreatePullRequest(ctx, ws, o)
}
