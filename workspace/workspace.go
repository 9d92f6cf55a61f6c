package workspace

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Identity is a git author/committer.
type Identity struct {
	Name, Email string
}

// Options configures a Manager. The zero value of every field but Root has a
// sensible meaning.
type Options struct {
	// Root is the directory under which worktrees are created (corral's data
	// dir). It is created when missing. Required.
	Root string
	// Git is the git program: a bare name searched in PATH or an absolute
	// path. Default "git".
	Git string
	// Gh is the GitHub CLI program. Default "gh".
	Gh string
	// PATH is the PATH given to git and gh. Default: corral's own PATH.
	PATH string
	// Home is HOME for git and gh, so the user's ~/.gitconfig (identity,
	// aliases are not used) and gh's login apply. Default: corral's HOME.
	Home string
	// ExtraEnv is appended to the child environment ("KEY=value"), e.g.
	// GH_TOKEN or SSH_AUTH_SOCK for CreatePullRequest.
	ExtraEnv []string
	// Checkpointer is the author and committer of checkpoint commits.
	// Default "corral" <corral@localhost>.
	Checkpointer Identity
	// Limits bound Changes; zero fields take the defaults.
	Limits Limits
	// Now returns the current time (tests); default time.Now.
	Now func() time.Time
}

// Manager creates and operates on workspaces under one root. It is safe for
// concurrent use; operations on the same workspace are serialized.
type Manager struct {
	opts    Options
	version [3]int
	verText string

	mu    sync.Mutex
	busy  map[string]int         // worktree path -> busy marks
	locks map[string]*sync.Mutex // worktree path -> operation lock
	// indexes caches the index file path of each worktree.
	indexes map[string]string
	// commons caches the resolved common git directory of each repository.
	commons map[string]string
}

// New checks that git runs and returns a Manager. It fails with ErrGitMissing
// when git cannot be started.
func New(ctx context.Context, opts Options) (*Manager, error) {
	if opts.Root == "" {
		return nil, &InvalidNameError{Kind: "root", Name: "", Reason: "a root directory is required"}
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	if root, err = filepath.EvalSymlinks(root); err != nil {
		return nil, err
	}
	opts.Root = root
	if opts.Git == "" {
		opts.Git = "git"
	}
	if opts.Gh == "" {
		opts.Gh = "gh"
	}
	if opts.PATH == "" {
		opts.PATH = os.Getenv("PATH")
	}
	if opts.Home == "" {
		opts.Home, _ = os.UserHomeDir()
	}
	if opts.Checkpointer.Name == "" {
		opts.Checkpointer = Identity{Name: "corral", Email: "corral@localhost"}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Limits = opts.Limits.withDefaults()
	m := &Manager{opts: opts, busy: map[string]int{}, locks: map[string]*sync.Mutex{}, indexes: map[string]string{}, commons: map[string]string{}}
	out, err := m.gitLine(ctx, root, "version")
	if err != nil {
		return nil, err
	}
	v, text, ok := parseVersion(out)
	if !ok {
		return nil, fmt.Errorf("%w: unexpected answer to git version: %q", ErrGitMissing, out)
	}
	m.version, m.verText = v, text
	return m, nil
}

// Root is the directory under which worktrees are created.
func (m *Manager) Root() string { return m.opts.Root }

// GitVersion is the version of the git in use, e.g. "2.39.5".
func (m *Manager) GitVersion() string { return m.verText }

// Workspace describes one worktree. It is plain data: the caller stores it
// (it marshals to JSON) and passes it back to every Manager method.
type Workspace struct {
	// ID names the workspace in refs (refs/corral/<ID>/...). Usually the
	// session id.
	ID string `json:"id"`
	// Repo is the top-level directory of the repository's main checkout
	// (or of the checkout Create was given).
	Repo string `json:"repo"`
	// Path is the worktree directory, under the Manager's root.
	Path string `json:"path"`
	// Branch is the workspace branch, "corral/<slug>-<short id>".
	Branch string `json:"branch"`
	// BaseRef is the ref the workspace started from as given (or the
	// branch HEAD was on, or "HEAD" when it was detached).
	BaseRef string `json:"baseRef"`
	// BaseCommit is the commit BaseRef resolved to: the "before" of Changes.
	BaseCommit string `json:"baseCommit"`
	// BaseBranch is the branch BaseRef names ("main"), empty when the base
	// was a commit or a detached HEAD. It is Merge's default target.
	BaseBranch string `json:"baseBranch,omitempty"`
	// Submodules lists the paths of submodules, which are NOT initialized in
	// the worktree (run "git submodule update --init" in the setup command).
	Submodules []string `json:"submodules,omitempty"`
	// CreatedAt is when Create finished.
	CreatedAt time.Time `json:"createdAt"`
}

// CreateOptions are the arguments of Create.
type CreateOptions struct {
	// Repo is any directory inside a non-bare git repository.
	Repo string
	// ID identifies the workspace (the session id): letters, digits, '-',
	// '_' and '.', at most 64 bytes. Its first 8 characters make the short
	// id of the branch. Empty: a random id.
	ID string
	// Name is turned into the branch slug (lower case, [a-z0-9-], at most
	// 40 characters; "session" when nothing is left).
	Name string
	// BaseRef is the commit-ish to start from. Empty: the repository's
	// current HEAD (a detached HEAD is allowed: the workspace starts from
	// its commit and has no BaseBranch).
	BaseRef string
}

// Create makes a new worktree under the root on a new branch
// corral/<slug>-<short id> starting at BaseRef. On any failure nothing is
// left behind: no directory, no branch, no worktree registration, and the
// returned Workspace is the zero value.
func (m *Manager) Create(ctx context.Context, o CreateOptions) (Workspace, error) {
	ws, err := m.create(ctx, o)
	if err != nil {
		return Workspace{}, err
	}
	return ws, nil
}

func (m *Manager) create(ctx context.Context, o CreateOptions) (ws Workspace, err error) {
	if o.ID == "" {
		o.ID = randomID()
	}
	if err := checkID(o.ID); err != nil {
		return ws, err
	}
	repo, err := m.repoTop(ctx, o.Repo)
	if err != nil {
		return ws, err
	}
	ws = Workspace{ID: o.ID, Repo: repo}
	if err := m.resolveBase(ctx, &ws, o.BaseRef); err != nil {
		return ws, err
	}
	name := slug(o.Name) + "-" + shortID(o.ID)
	ws.Branch = "corral/" + name
	ws.Path = filepath.Join(m.opts.Root, filepath.Base(repo)+"-"+name)
	if _, err := m.git(ctx, repo, "show-ref", "--verify", "--quiet", "refs/heads/"+ws.Branch); err == nil {
		return ws, &BranchExistsError{Branch: ws.Branch}
	} else if !isExit(err, 1) {
		return ws, err
	}
	if _, err := os.Lstat(ws.Path); err == nil {
		return ws, &PathExistsError{Path: ws.Path}
	}
	_, _, err = m.gitRun(ctx, run{dir: repo, args: []string{"worktree", "add", "--quiet", "-b", ws.Branch, ws.Path, ws.BaseCommit}})
	if err != nil {
		m.undoCreate(ws)
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return ws, err
		}
		return ws, fmt.Errorf("creating worktree %s: %w", ws.Path, err)
	}
	if ws.Submodules, err = m.submodules(ctx, ws.Path); err != nil {
		m.undoCreate(ws)
		return ws, err
	}
	ws.CreatedAt = m.opts.Now().UTC()
	return ws, nil
}

// undoCreate removes what a failed Create may have made. It runs with a
// fresh context: the caller's may be the reason for the failure.
func (m *Manager) undoCreate(ws Workspace) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m.git(ctx, ws.Repo, "worktree", "remove", "--force", "--force", ws.Path)
	if under(m.opts.Root, ws.Path) {
		os.RemoveAll(ws.Path)
	}
	m.git(ctx, ws.Repo, "worktree", "prune")
	m.git(ctx, ws.Repo, "branch", "-D", ws.Branch)
}

// repoTop resolves dir to the top level of a non-bare repository.
func (m *Manager) repoTop(ctx context.Context, dir string) (string, error) {
	if dir == "" {
		return "", &InvalidNameError{Kind: "repository", Reason: "no directory given"}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(abs); err != nil {
		return "", err
	} else if !st.IsDir() {
		return "", fmt.Errorf("%w: %s is not a directory", ErrNotRepository, abs)
	}
	out, err := m.gitLine(ctx, abs, "rev-parse", "--is-bare-repository")
	if err != nil {
		if ge := (*GitError)(nil); errors.As(err, &ge) {
			return "", fmt.Errorf("%w: %s", ErrNotRepository, abs)
		}
		return "", err
	}
	if out == "true" {
		return "", fmt.Errorf("%w: %s", ErrBareRepository, abs)
	}
	top, err := m.gitLine(ctx, abs, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", err
	}
	if top == "" { // inside the .git directory of a non-bare repository
		return "", fmt.Errorf("%w: %s is inside a .git directory", ErrNotRepository, abs)
	}
	return filepath.FromSlash(top), nil
}

// resolveBase fills BaseRef, BaseCommit and BaseBranch.
func (m *Manager) resolveBase(ctx context.Context, ws *Workspace, ref string) error {
	if ref == "" {
		ref = "HEAD"
		if b, err := m.gitLine(ctx, ws.Repo, "symbolic-ref", "--quiet", "--short", "HEAD"); err == nil {
			ws.BaseBranch = b
			ref = b
		} else if !isExit(err, 1) {
			return err
		}
	} else if strings.HasPrefix(ref, "-") {
		return &InvalidNameError{Kind: "base ref", Name: ref, Reason: "must not start with '-'"}
	} else if _, err := m.git(ctx, ws.Repo, "show-ref", "--verify", "--quiet", "refs/heads/"+ref); err == nil {
		ws.BaseBranch = ref
	}
	ws.BaseRef = ref
	c, err := m.gitLine(ctx, ws.Repo, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}")
	if err != nil {
		if isExit(err, 1) {
			if ref == "HEAD" || ref == ws.BaseBranch {
				return fmt.Errorf("%w: %s", ErrNoCommits, ws.Repo)
			}
			return &RefNotFoundError{Ref: ref}
		}
		return err
	}
	ws.BaseCommit = c
	return nil
}

// submodules lists the submodule paths recorded in the worktree's index.
func (m *Manager) submodules(ctx context.Context, dir string) ([]string, error) {
	out, err := m.git(ctx, dir, "ls-files", "-z", "--stage")
	if err != nil {
		return nil, err
	}
	var subs []string
	for _, e := range splitNul(out) {
		if strings.HasPrefix(e, "160000 ") {
			if _, p, ok := strings.Cut(e, "\t"); ok {
				subs = append(subs, p)
			}
		}
	}
	return subs, nil
}

// SetupEnv is the environment entries a setup command for ws gets besides
// the caller's own: CORRAL_WORKSPACE (the worktree), CORRAL_WORKSPACE_REPO
// (the source checkout, e.g. to copy .env files from), CORRAL_WORKSPACE_BRANCH
// and CORRAL_WORKSPACE_BASE (the base commit). The caller runs the command
// with proc in ws.Path; when it fails, the caller calls Remove with Force.
func SetupEnv(ws Workspace) []string {
	return []string{
		"CORRAL_WORKSPACE=" + ws.Path,
		"CORRAL_WORKSPACE_REPO=" + ws.Repo,
		"CORRAL_WORKSPACE_BRANCH=" + ws.Branch,
		"CORRAL_WORKSPACE_BASE=" + ws.BaseCommit,
	}
}

// isExit reports whether err is a *GitError with exit code code.
func isExit(err error, code int) bool {
	var ge *GitError
	return errors.As(err, &ge) && ge.Code == code
}

func randomID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// checkID accepts ids usable as one ref component and in a directory name.
func checkID(id string) error {
	bad := func(reason string) error { return &InvalidNameError{Kind: "workspace id", Name: id, Reason: reason} }
	if len(id) > 64 {
		return bad("longer than 64 bytes")
	}
	if strings.HasPrefix(id, ".") || strings.HasSuffix(id, ".lock") || strings.Contains(id, "..") {
		return bad(`must not start with ".", end with ".lock" or contain ".."`)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return bad("only letters, digits, '-', '_' and '.' are allowed")
		}
	}
	return nil
}

// slug turns a name into a branch-safe slug.
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(name) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		return "session"
	}
	return s
}

func shortID(id string) string {
	s := strings.ToLower(strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			return c
		}
		return -1
	}, id))
	if len(s) > 8 {
		s = s[:8]
	}
	if s == "" {
		s = randomID()[:8]
	}
	return s
}

// under reports whether path is strictly inside root (both clean, absolute).
func under(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
