package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
	"github.com/corral-dev/corral/workspace"
)

// doctorWorktrees is the worktrees part of the report: the sessions'
// worktrees under the data directory, and the stale ones.
type doctorWorktrees struct {
	Root string `json:"root"`
	// Known counts the worktrees sessions use.
	Known int `json:"known"`
	// Stale lists directories under the root no session knows (kind
	// "unknown": orphaned, e.g. left by a crash) and worktrees git still
	// lists whose directory is gone (kind "missing").
	Stale []workspace.Stale `json:"stale"`
	// Pruned lists the repositories where `git worktree prune` ran to
	// unregister missing worktrees (what git itself would do at gc).
	Pruned  []string `json:"pruned,omitempty"`
	Message string   `json:"message,omitempty"`
}

// checkWorktrees lists the stale worktrees under dataDir's worktree root
// and prunes the missing ones; orphaned directories are problems (they
// may hold work: the user decides).
func checkWorktrees(ctx context.Context, dataDir string) (doctorWorktrees, []string) {
	r := doctorWorktrees{Root: filepath.Join(dataDir, session.WorktreesDir), Stale: []workspace.Stale{}}
	if _, err := os.Stat(r.Root); errors.Is(err, os.ErrNotExist) {
		r.Message = "no worktrees yet"
		return r, nil
	}
	var known, repos []string
	if _, err := os.Stat(filepath.Join(dataDir, store.FileName)); err == nil {
		st, err := store.Open(dataDir, store.Options{})
		if err != nil {
			return r, []string{fmt.Sprintf("worktrees: cannot read the sessions: %v", err)}
		}
		recs, err := st.ListSessions(0)
		st.Close()
		if err != nil {
			return r, []string{fmt.Sprintf("worktrees: cannot read the sessions: %v", err)}
		}
		for _, rec := range recs {
			if ws, removed := session.RecordWorkspace(rec); ws != nil && !removed {
				known = append(known, ws.Path)
				repos = append(repos, ws.Repo)
			}
		}
	}
	r.Known = len(known)
	wm, err := workspace.New(ctx, workspace.Options{Root: r.Root})
	if err != nil {
		r.Message = err.Error()
		return r, []string{fmt.Sprintf("worktrees: %v", err)}
	}
	stale, err := wm.Stale(ctx, known, repos)
	if err != nil {
		return r, []string{fmt.Sprintf("worktrees: %v", err)}
	}
	r.Stale = append(r.Stale, stale...)
	sort.Slice(r.Stale, func(i, j int) bool { return r.Stale[i].Path < r.Stale[j].Path })
	var problems []string
	prune := map[string]bool{}
	for _, s := range r.Stale {
		switch s.Kind {
		case "missing":
			prune[s.Repo] = true
		default:
			what := "not a git worktree"
			if s.Repo != "" {
				what = fmt.Sprintf("a worktree of %s on branch %s", s.Repo, s.Branch)
			}
			problems = append(problems, fmt.Sprintf("worktree %s is known to no session (%s); look at it, then remove it with git worktree remove", s.Path, what))
		}
	}
	for repo := range prune {
		if err := wm.Prune(ctx, repo); err != nil {
			problems = append(problems, fmt.Sprintf("worktrees: git worktree prune in %s: %v", repo, err))
			continue
		}
		r.Pruned = append(r.Pruned, repo)
	}
	sort.Strings(r.Pruned)
	return r, problems
}
