package workspace

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// lostCap caps the files and commits UnsavedWorkError lists.
const lostCap = 200

// MarkBusy marks ws busy until the returned release is called (release is
// idempotent). While busy, Remove, Restore, Discard, Commit and Merge refuse
// with ErrBusy and Prune leaves it alone; Changes, Checkpoint and
// ListCheckpoints stay allowed. Marks nest: the workspace stays busy until
// every mark is released.
func (m *Manager) MarkBusy(ws Workspace) (release func()) {
	key := filepath.Clean(ws.Path)
	m.mu.Lock()
	m.busy[key]++
	m.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			m.mu.Lock()
			if m.busy[key]--; m.busy[key] <= 0 {
				delete(m.busy, key)
			}
			m.mu.Unlock()
		})
	}
}

// Busy reports whether ws is marked busy.
func (m *Manager) Busy(ws Workspace) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.busy[filepath.Clean(ws.Path)] > 0
}

// lock serializes operations on one worktree. With mutate set it also
// refuses a busy workspace. Every operation goes through it (or check), so
// none ever runs git in a directory that is not a linked worktree of ws.Repo
// under the root.
func (m *Manager) lock(ctx context.Context, ws Workspace, mutate bool) (func(), error) {
	if err := m.check(ctx, ws); err != nil {
		return nil, err
	}
	return m.acquire(ws, mutate)
}

// lockRemove is lock for Remove: a worktree gone from disk is not checked
// with git (Remove then only touches ws.Repo's records).
func (m *Manager) lockRemove(ctx context.Context, ws Workspace, gone bool) (func(), error) {
	if !gone {
		return m.lock(ctx, ws, true)
	}
	if err := m.checkNames(ws); err != nil {
		return nil, err
	}
	return m.acquire(ws, true)
}

// acquire takes ws's operation lock.
func (m *Manager) acquire(ws Workspace, mutate bool) (func(), error) {
	key := filepath.Clean(ws.Path)
	m.mu.Lock()
	if mutate && m.busy[key] > 0 {
		m.mu.Unlock()
		return nil, fmt.Errorf("%w: %s (a session is running in it)", ErrBusy, ws.Path)
	}
	l := m.locks[key]
	if l == nil {
		l = &sync.Mutex{}
		m.locks[key] = l
	}
	m.mu.Unlock()
	l.Lock()
	return l.Unlock, nil
}

// check validates a Workspace passed in by a caller: Repo absolute, Path
// strictly under the root and the top of a linked worktree of Repo
// (ErrNotWorkspace otherwise). A plain directory under a root that lies
// inside the user's repository would otherwise make git act on the user's
// checkout.
func (m *Manager) check(ctx context.Context, ws Workspace) error {
	if err := m.checkNames(ws); err != nil {
		return err
	}
	return m.checkWorktree(ctx, ws)
}

// checkNames checks ws's paths without running git.
func (m *Manager) checkNames(ws Workspace) error {
	if !filepath.IsAbs(ws.Repo) {
		return &InvalidNameError{Kind: "workspace repository", Name: ws.Repo, Reason: "not an absolute path"}
	}
	if !under(m.opts.Root, filepath.Clean(ws.Path)) {
		return fmt.Errorf("%w: %s", ErrOutsideRoot, ws.Path)
	}
	return nil
}

// checkWorktree confirms with one git call (plus one per repository, cached)
// that ws.Path is the top of a linked worktree of ws.Repo.
func (m *Manager) checkWorktree(ctx context.Context, ws Workspace) error {
	notWS := func(why string) error { return fmt.Errorf("%w: %s (%s)", ErrNotWorkspace, ws.Path, why) }
	path, err := filepath.EvalSymlinks(ws.Path)
	if err != nil {
		return notWS("cannot be resolved: " + err.Error())
	}
	top, common, gitDir, err := m.revParseDirs(ctx, path)
	if err != nil {
		return notWS("not in a git worktree")
	}
	want, err := m.commonDir(ctx, ws.Repo)
	if err != nil {
		return notWS("repository " + ws.Repo + " not readable: " + err.Error())
	}
	return worktreeVerdict(path, top, common, gitDir, want, notWS)
}

// worktreeVerdict decides whether a directory (resolved path) whose git
// reports top, common and gitDir (resolved) is a linked worktree of the
// repository whose common git directory is want.
func worktreeVerdict(path, top, common, gitDir, want string, notWS func(string) error) error {
	switch {
	case top != path:
		return notWS("inside the worktree " + top + ", not its top")
	case common != want:
		return notWS("a worktree of another repository (" + common + ")")
	case gitDir == common:
		return notWS("the repository's main checkout, not a linked worktree")
	}
	return nil
}

// revParseDirs returns the top level, the common git directory and the git
// directory of dir, absolute and with symbolic links resolved.
func (m *Manager) revParseDirs(ctx context.Context, dir string) (top, common, gitDir string, err error) {
	out, err := m.git(ctx, dir, "rev-parse", "--path-format=absolute", "--show-toplevel", "--git-common-dir", "--git-dir")
	if err != nil {
		return "", "", "", err
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != 3 {
		return "", "", "", fmt.Errorf("git rev-parse: unexpected output %q", out)
	}
	res := make([]string, 3)
	for i, l := range lines {
		if res[i], err = filepath.EvalSymlinks(filepath.FromSlash(l)); err != nil {
			return "", "", "", err
		}
	}
	return res[0], res[1], res[2], nil
}

// commonDir returns the resolved common git directory of repo, cached.
func (m *Manager) commonDir(ctx context.Context, repo string) (string, error) {
	key := filepath.Clean(repo)
	m.mu.Lock()
	d, ok := m.commons[key]
	m.mu.Unlock()
	if ok {
		return d, nil
	}
	out, err := m.gitLine(ctx, repo, "rev-parse", "--path-format=absolute", "--git-common-dir")
	if err != nil {
		return "", err
	}
	if d, err = filepath.EvalSymlinks(filepath.FromSlash(out)); err != nil {
		return "", err
	}
	m.mu.Lock()
	m.commons[key] = d
	m.mu.Unlock()
	return d, nil
}

// RemoveOptions are the options of Remove.
type RemoveOptions struct {
	// Force removes even when work would be lost.
	Force bool
	// DeleteBranch also deletes the workspace branch (by default it stays,
	// so its commits stay reachable).
	DeleteBranch bool
	// DeleteCheckpoints also deletes refs/corral/<ID>/*.
	DeleteCheckpoints bool
}

// Remove deletes the worktree of ws. Without Force it refuses with an
// *UnsavedWorkError listing what would be lost: files with uncommitted
// changes, untracked files (ignored files do not count), and commits of the
// worktree's HEAD that are on no other branch or remote-tracking branch.
// A busy workspace is refused even with Force (ErrBusy), a path outside
// the root is never removed (ErrOutsideRoot), nor a directory that is not a
// linked worktree of ws.Repo (ErrNotWorkspace). A worktree already gone from
// disk is unregistered. The branch stays unless DeleteBranch is set.
func (m *Manager) Remove(ctx context.Context, ws Workspace, o RemoveOptions) error {
	if !under(m.opts.Root, filepath.Clean(ws.Path)) {
		return fmt.Errorf("%w: %s", ErrOutsideRoot, ws.Path)
	}
	_, statErr := os.Lstat(ws.Path)
	gone := errors.Is(statErr, os.ErrNotExist)
	unlock, err := m.lockRemove(ctx, ws, gone)
	if err != nil {
		return err
	}
	defer unlock()
	if !gone {
		if !o.Force {
			lost, err := m.unsaved(ctx, ws)
			if err != nil {
				return err
			}
			if lost != nil {
				return lost
			}
		}
		if _, err := m.git(ctx, ws.Repo, "worktree", "remove", "--force", "--force", ws.Path); err != nil {
			// A directory git no longer knows (or half removed): remove it
			// ourselves; it is under the root.
			if rmErr := os.RemoveAll(ws.Path); rmErr != nil {
				return errors.Join(err, rmErr)
			}
		}
	}
	m.mu.Lock()
	delete(m.indexes, filepath.Clean(ws.Path))
	m.mu.Unlock()
	if _, err := m.git(ctx, ws.Repo, "worktree", "prune"); err != nil {
		return err
	}
	if o.DeleteCheckpoints {
		if err := m.deleteCheckpoints(ctx, ws); err != nil {
			return err
		}
	}
	if o.DeleteBranch && ws.Branch != "" {
		if _, err := m.git(ctx, ws.Repo, "branch", "-D", "--", ws.Branch); err != nil && !isExit(err, 1) {
			return err
		}
	}
	return nil
}

// Unsaved returns what Remove would refuse over, or nil when nothing would
// be lost.
func (m *Manager) Unsaved(ctx context.Context, ws Workspace) (*UnsavedWorkError, error) {
	unlock, err := m.lock(ctx, ws, false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return m.unsaved(ctx, ws)
}

func (m *Manager) unsaved(ctx context.Context, ws Workspace) (*UnsavedWorkError, error) {
	files, more, err := m.dirtyFiles(ctx, ws.Path)
	if err != nil {
		return nil, err
	}
	e := &UnsavedWorkError{Path: ws.Path, Files: files, Truncated: more}
	args := []string{"rev-list", "--max-count=" + fmt.Sprint(lostCap+1), "--format=%H %s", "HEAD", "--not"}
	if ws.Branch != "" {
		args = append(args, "--exclude="+ws.Branch)
	}
	args = append(args, "--branches", "--remotes")
	out, err := m.git(ctx, ws.Path, args...)
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" || strings.HasPrefix(line, "commit ") {
			continue
		}
		if len(e.Commits) == lostCap {
			e.Truncated = true
			break
		}
		h, s, _ := strings.Cut(line, " ")
		e.Commits = append(e.Commits, LostCommit{Hash: h, Subject: s})
	}
	if len(e.Files) == 0 && len(e.Commits) == 0 {
		return nil, nil
	}
	return e, nil
}

// dirtyFiles lists uncommitted changes and untracked (not ignored) files.
func (m *Manager) dirtyFiles(ctx context.Context, dir string) ([]LostFile, bool, error) {
	out, _, err := m.gitRun(ctx, run{dir: dir, args: []string{"status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"}, env: []string{"GIT_OPTIONAL_LOCKS=0"}})
	if err != nil {
		return nil, false, err
	}
	var files []LostFile
	for _, e := range splitNul(out) {
		if len(e) < 4 {
			continue
		}
		if len(files) == lostCap {
			return files, true, nil
		}
		files = append(files, LostFile{Path: e[3:], Status: statusWord(e[0], e[1])})
	}
	return files, false, nil
}

// statusWord names a porcelain v1 XY status.
func statusWord(x, y byte) string {
	switch {
	case x == '?':
		return "untracked"
	case x == 'U' || y == 'U' || x == 'A' && y == 'A' || x == 'D' && y == 'D':
		return "conflicted"
	case x == 'A':
		return "added"
	case x == 'D' || y == 'D':
		return "deleted"
	case x == 'R':
		return "renamed"
	}
	return "modified"
}

// Stale is a worktree that needs attention: a directory under the root that
// the caller does not know ("unknown"), or a worktree git records under the
// root whose directory is gone ("missing"; Prune unregisters it).
type Stale struct {
	Kind string `json:"kind"` // "unknown" or "missing"
	Path string `json:"path"`
	// Repo is the repository the worktree belongs to, when known.
	Repo string `json:"repo,omitempty"`
	// Branch is the worktree's branch, when known.
	Branch string `json:"branch,omitempty"`
}

// Stale lists stale worktrees. known are the worktree paths the caller
// tracks; repos are repositories whose worktree records are checked for
// missing directories (the repositories of unknown directories under the
// root are checked too). An unknown directory can be passed to Remove as
// Workspace{Repo, Path, Branch} (Remove still refuses to lose work).
func (m *Manager) Stale(ctx context.Context, known, repos []string) ([]Stale, error) {
	isKnown := map[string]bool{}
	for _, k := range known {
		isKnown[filepath.Clean(k)] = true
	}
	ents, err := os.ReadDir(m.opts.Root)
	if err != nil {
		return nil, err
	}
	var out []Stale
	repoSet := map[string]bool{}
	for _, r := range repos {
		if top, err := m.repoTop(ctx, r); err == nil {
			repoSet[top] = true
		}
	}
	for _, e := range ents {
		p := filepath.Join(m.opts.Root, e.Name())
		if !e.IsDir() || isKnown[p] {
			continue
		}
		s := Stale{Kind: "unknown", Path: p}
		// Only the top of a linked worktree names a repository; git in a
		// plain directory would find any repository above the root.
		real, _ := filepath.EvalSymlinks(p)
		if top, common, gitDir, err := m.revParseDirs(ctx, p); err == nil && top == real && gitDir != common {
			s.Repo = filepath.Dir(common)
			repoSet[s.Repo] = true
			s.Branch, _ = m.gitLine(ctx, p, "symbolic-ref", "--quiet", "--short", "HEAD")
		}
		out = append(out, s)
	}
	for r := range repoSet {
		wts, err := m.worktrees(ctx, r)
		if err != nil {
			return nil, err
		}
		for _, w := range wts {
			if !under(m.opts.Root, w.path) {
				continue
			}
			if _, err := os.Stat(w.path); errors.Is(err, os.ErrNotExist) {
				out = append(out, Stale{Kind: "missing", Path: w.path, Repo: r, Branch: strings.TrimPrefix(w.branch, "refs/heads/")})
			}
		}
	}
	return out, nil
}

// Prune unregisters the worktrees of repo under the manager's root whose
// directories are gone, as "git worktree prune" would, but only those:
// the user's own worktrees of the repository (one on a volume that is not
// mounted just now, say) keep their records.
func (m *Manager) Prune(ctx context.Context, repo string) error {
	top, err := m.repoTop(ctx, repo)
	if err != nil {
		return err
	}
	wts, err := m.worktrees(ctx, top)
	if err != nil {
		return err
	}
	for _, w := range wts {
		if !under(m.opts.Root, w.path) {
			continue
		}
		if _, err := os.Stat(w.path); !errors.Is(err, os.ErrNotExist) {
			continue
		}
		if _, err := m.git(ctx, top, "worktree", "remove", "--force", w.path); err != nil {
			return err
		}
	}
	return nil
}

type worktreeEntry struct{ path, head, branch string }

// worktrees parses "git worktree list --porcelain -z".
func (m *Manager) worktrees(ctx context.Context, repo string) ([]worktreeEntry, error) {
	out, err := m.git(ctx, repo, "worktree", "list", "--porcelain", "-z")
	if err != nil {
		return nil, err
	}
	var list []worktreeEntry
	var cur *worktreeEntry
	for _, f := range strings.Split(string(out), "\x00") {
		switch {
		case strings.HasPrefix(f, "worktree "):
			list = append(list, worktreeEntry{path: filepath.FromSlash(f[len("worktree "):])})
			cur = &list[len(list)-1]
		case cur != nil && strings.HasPrefix(f, "HEAD "):
			cur.head = f[len("HEAD "):]
		case cur != nil && strings.HasPrefix(f, "branch "):
			cur.branch = f[len("branch "):]
		}
	}
	return list, nil
}
