// Package workspace gives each agent session a git worktree of its own and
// lets a person review, checkpoint, rewind and integrate what the agent did.
//
// A Manager owns one root directory (corral's data dir) under which every
// worktree is created, on a new branch corral/<slug>-<short id>. A Workspace
// is plain data describing one worktree; the caller stores it and passes it
// back to the Manager's methods:
//
//   - Create, Remove (refuses to lose work unless forced), MarkBusy, Stale
//     and Prune: the life of a worktree.
//   - Checkpoint, ListCheckpoints and Restore: snapshots of the whole
//     worktree (untracked files included, ignored files not) stored as
//     commit objects under refs/corral/<ID>/<n>, made through a temporary
//     index so that the user's index, HEAD, branch and stash are untouched.
//   - Changes and Discard: a parsed diff (base or checkpoint to worktree or
//     checkpoint) with stable hunk IDs and bounded size, and the reverting of
//     chosen hunks, refused when the file changed since it was read.
//   - Commit, Merge and CreatePullRequest: integrating the work; a merge is
//     computed before anything is touched, so a conflict leaves every
//     checkout as it was.
//
// Every git (and gh) command runs through package proc with a fixed
// argument vector, in a given directory, with a complete environment built
// here (PATH, HOME, LC_ALL=C, GIT_CONFIG_NOSYSTEM=1, no prompt; nothing such
// as GIT_DIR is inherited) and a context that stops it. Paths given by
// callers are confined to the worktree (no absolute paths, "..", .git, or
// symbolic links on the way). docs/workspaces.md describes the refusals.
package workspace
