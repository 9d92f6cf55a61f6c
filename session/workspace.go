package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
	"github.com/corral-dev/corral/workspace"
)

// Isolation modes of a session (CreateOptions.Isolation, config's
// [sessions] isolation).
const (
	// IsolationWorktree runs the agent in a git worktree of its own, on a
	// branch of its own (docs/workspaces.md).
	IsolationWorktree = "worktree"
	// IsolationNone runs the agent in the directory given.
	IsolationNone = "none"
)

// WorkspaceChanged is the kind of the event a session's stream gets when
// its worktree's changes may have changed: after each turn's checkpoint,
// after a discard, commit, restore or merge, and when the worktree is
// removed. Its data is WorkspaceChange.
const WorkspaceChanged = "workspace.changed"

// WorkspaceSetup is the kind of the event that carries the output of the
// repository's setup command (config's [sessions.setup]).
const WorkspaceSetup = "workspace.setup"

// Errors of the workspace calls, besides the workspace package's own
// (which pass through wrapped; the api package maps both to codes).
var (
	// ErrNoWorkspace: the session runs without a worktree (isolation
	// "none"), or its worktree was removed.
	ErrNoWorkspace = errors.New("session: the session has no workspace")
	// ErrUnsupported: the session's agent cannot do what was asked (fork
	// a conversation).
	ErrUnsupported = errors.New("session: not supported by the agent")
)

// SetupFailedError: the repository's setup command failed; the session and
// its worktree were not created.
type SetupFailedError struct {
	Capability string `json:"capability"`
	ExitCode   int    `json:"exitCode"`
	// Output is the end of the command's output (stdout and stderr).
	Output string `json:"output"`
}

func (e *SetupFailedError) Error() string {
	return fmt.Sprintf("the setup command %q failed (exit %d): %s", e.Capability, e.ExitCode, lastLines(e.Output, 5))
}

// WorkspaceInfo is a session's worktree as clients see it (Info.Workspace).
type WorkspaceInfo struct {
	// Repo is the repository's main checkout; Path the worktree (the
	// agent's cwd, or its parent when the session was asked for a
	// subdirectory); Branch the workspace branch.
	Repo   string `json:"repo"`
	Path   string `json:"path"`
	Branch string `json:"branch"`
	// BaseRef is what the workspace started from as given (a branch, a
	// commit, or "HEAD" for a detached HEAD); BaseCommit its commit.
	BaseRef    string `json:"baseRef"`
	BaseCommit string `json:"baseCommit"`
	// BaseBranch is MergeWorkspace's default target (empty when the base
	// was not a branch).
	BaseBranch string `json:"baseBranch,omitempty"`
	// Changes counts the changes from the base to the worktree as of the
	// last checkpoint, discard, commit or restore (not computed per call).
	Changes ChangeCounts `json:"changes"`
	// Removed: RemoveWorkspace removed the worktree (the branch may stay).
	Removed bool `json:"removed,omitempty"`
}

// ChangeCounts sums a set of changes.
type ChangeCounts struct {
	Files     int `json:"files"`
	Additions int `json:"additions"`
	Deletions int `json:"deletions"`
}

// WorkspaceChange is the data of a workspace.changed event.
type WorkspaceChange struct {
	// Reason: "turn", "discard", "commit", "restore", "merge", "removed".
	Reason string `json:"reason"`
	// Checkpoint is the checkpoint the change made (a turn's, or the one a
	// restore saved first), 0 when none.
	Checkpoint int          `json:"checkpoint,omitempty"`
	Turn       int          `json:"turn,omitempty"`
	Changes    ChangeCounts `json:"changes"`
}

// sessionMeta is the session layer's part of store.Session.Meta.
type sessionMeta struct {
	ResumedFrom string `json:"resumedFrom,omitempty"`
	ForkedFrom  string `json:"forkedFrom,omitempty"`
	// Fork is the fork the agent has yet to make (workspace_fork.go).
	Fork *forkMeta `json:"fork,omitempty"`
	// Workspace is the session's worktree, nil for isolation "none".
	Workspace *workspace.Workspace `json:"workspace,omitempty"`
	// WorkspaceRemoved: RemoveWorkspace removed it.
	WorkspaceRemoved bool         `json:"workspaceRemoved,omitempty"`
	Changes          ChangeCounts `json:"changes"`
}

// readMeta decodes a record's meta; what does not decode is empty.
func readMeta(raw json.RawMessage) sessionMeta {
	var m sessionMeta
	if len(raw) > 0 {
		json.Unmarshal(raw, &m) // error ignored: a foreign meta is no workspace
	}
	return m
}

// editMeta changes the meta of a record (in the store's queue).
func editMeta(s *store.Session, fn func(*sessionMeta)) error {
	var all map[string]json.RawMessage
	if len(s.Meta) > 0 {
		json.Unmarshal(s.Meta, &all) // error ignored: replaced below
	}
	m := readMeta(s.Meta)
	fn(&m)
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	// Keys the session layer does not own are kept.
	var mine map[string]json.RawMessage
	json.Unmarshal(b, &mine) // error ignored: just marshaled
	if all == nil {
		all = map[string]json.RawMessage{}
	}
	for _, k := range []string{"resumedFrom", "forkedFrom", "fork", "workspace", "workspaceRemoved", "changes"} {
		delete(all, k)
	}
	for k, v := range mine {
		all[k] = v
	}
	s.Meta, err = json.Marshal(all)
	return err
}

// workspaceInfo is the Info.Workspace of a record's meta (nil for none).
func workspaceInfo(meta sessionMeta, removed bool) *WorkspaceInfo {
	ws := meta.Workspace
	if ws == nil {
		return nil
	}
	return &WorkspaceInfo{Repo: ws.Repo, Path: ws.Path, Branch: ws.Branch, BaseRef: ws.BaseRef, BaseCommit: ws.BaseCommit,
		BaseBranch: ws.BaseBranch, Changes: meta.Changes, Removed: removed}
}

// decideIsolation is the isolation a new session gets: the one asked for,
// else the configured default, else worktree. explicit says the caller (not
// a default) asked for a worktree: only then is a directory that cannot
// have one an error rather than a fall-back to "none".
func decideIsolation(asked, configured string) (mode string, explicit bool, err error) {
	switch asked {
	case IsolationWorktree, IsolationNone:
		return asked, asked == IsolationWorktree, nil
	case "":
	default:
		return "", false, fmt.Errorf("%w: isolation %q (want %q or %q)", ErrInvalid, asked, IsolationWorktree, IsolationNone)
	}
	if configured == IsolationNone {
		return IsolationNone, false, nil
	}
	return IsolationWorktree, false, nil
}

// fallsBack reports a Create error after which a session whose isolation
// was defaulted runs in its directory instead: a directory that is not a
// usable repository, or no git at all.
func fallsBack(err error) bool {
	return errors.Is(err, workspace.ErrNotRepository) || errors.Is(err, workspace.ErrBareRepository) ||
		errors.Is(err, workspace.ErrNoCommits) || errors.Is(err, workspace.ErrGitMissing)
}

// wsRuntime is the Manager's workspace state besides the records: the
// pending checkpoint of each session (a turn's checkpoint is taken off the
// session's actor; the next turn waits for it) and the goroutines taking
// them (Shutdown waits for them).
type wsRuntime struct {
	mu      sync.Mutex
	pending map[string]chan struct{}
	wg      sync.WaitGroup
	// setup holds the setup output of sessions being created.
	setup map[string]setupResult
	// removed holds the sessions whose worktree was removed: their
	// record says so once the store's queue has committed it.
	removed map[string]bool
}

// workspaces is the workspace manager, or ErrGitMissing-like error when
// corral runs without one.
func (m *Manager) workspaces() (*workspace.Manager, error) {
	if m.o.Workspaces == nil {
		return nil, fmt.Errorf("%w: workspaces are not available (git was not found when corral started)", workspace.ErrGitMissing)
	}
	return m.o.Workspaces, nil
}

// prepareWorkspace makes the worktree of new session id when its isolation
// asks for one, and returns it (nil for none) with the agent's cwd in it.
// On any error nothing is left behind.
func (m *Manager) prepareWorkspace(ctx context.Context, id string, o CreateOptions) (*workspace.Workspace, string, error) {
	if o.workspace != nil { // a resumed session takes its source's
		return o.workspace, o.Cwd, nil
	}
	mode, explicit, err := decideIsolation(o.Isolation, m.settings.get().isolation)
	if err != nil || mode == IsolationNone {
		if o.BaseRef != "" && err == nil {
			return nil, "", fmt.Errorf("%w: baseRef needs isolation %q", ErrInvalid, IsolationWorktree)
		}
		return nil, o.Cwd, err
	}
	wm, err := m.workspaces()
	if err == nil {
		var ws workspace.Workspace
		name := autoTitleOf(o.Prompt, o.Cwd)
		if o.fork != nil {
			name = o.fork.title
		}
		ws, err = wm.Create(ctx, workspace.CreateOptions{Repo: o.Cwd, ID: id, Name: name, BaseRef: o.BaseRef})
		if err == nil {
			cwd := agentCwd(ws, o.Cwd)
			if err := m.fillWorkspace(ctx, id, ws, o.fork); err != nil {
				wm.Remove(context.WithoutCancel(ctx), ws, workspace.RemoveOptions{Force: true, DeleteBranch: true, DeleteCheckpoints: true}) // error ignored: best effort: the setup error is the one to report
				return nil, "", err
			}
			if _, err := wm.Checkpoint(ctx, ws, workspace.CheckpointOptions{Turn: 0, Label: "base"}); err != nil {
				wm.Remove(context.WithoutCancel(ctx), ws, workspace.RemoveOptions{Force: true, DeleteBranch: true, DeleteCheckpoints: true}) // error ignored: as above
				return nil, "", err
			}
			return &ws, cwd, nil
		}
	}
	if !explicit && o.BaseRef == "" && fallsBack(err) {
		return nil, o.Cwd, nil
	}
	return nil, "", err
}

// fillWorkspace runs the setup command in a new worktree, after putting a
// fork's files in.
func (m *Manager) fillWorkspace(ctx context.Context, id string, ws workspace.Workspace, fork *forkSource) error {
	if fork != nil {
		if _, err := m.o.Workspaces.RestoreFrom(ctx, ws, fork.cp); err != nil {
			return err
		}
	}
	return m.runSetup(ctx, id, ws)
}

// agentCwd is the directory in the worktree that corresponds to cwd in
// the repository (the worktree's top when cwd is the repository's).
func agentCwd(ws workspace.Workspace, cwd string) string {
	real, err := filepath.EvalSymlinks(cwd)
	if err != nil {
		return ws.Path
	}
	repo, err := filepath.EvalSymlinks(ws.Repo)
	if err != nil {
		return ws.Path
	}
	rel, err := filepath.Rel(repo, real)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return ws.Path
	}
	if st, err := os.Stat(filepath.Join(ws.Path, rel)); err == nil && st.IsDir() {
		return filepath.Join(ws.Path, rel)
	}
	return ws.Path
}

// workspaceOf returns the worktree of session id (ErrNoWorkspace when it
// has none).
func (m *Manager) workspaceOf(id string) (*workspace.Manager, workspace.Workspace, error) {
	rec, err := m.o.Recorder.GetSession(id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, workspace.Workspace{}, fmt.Errorf("session %q: %w", id, ErrNotFound)
		}
		return nil, workspace.Workspace{}, err
	}
	meta := readMeta(rec.Meta)
	if meta.Workspace == nil || m.wsRemoved(id, meta) {
		return nil, workspace.Workspace{}, fmt.Errorf("session %q: %w", id, ErrNoWorkspace)
	}
	wm, err := m.workspaces()
	return wm, *meta.Workspace, err
}

// wsRemoved reports whether session id's worktree was removed (its record
// may not say so yet).
func (m *Manager) wsRemoved(id string, meta sessionMeta) bool {
	if meta.WorkspaceRemoved {
		return true
	}
	m.wss.mu.Lock()
	defer m.wss.mu.Unlock()
	return m.wss.removed[id]
}

// markBusy marks the session's worktree busy for the turn that starts (on
// the actor): Remove, Restore, Discard, Commit and Merge refuse meanwhile.
func (m *Manager) markBusy(l *live) {
	if l.ws != nil && m.o.Workspaces != nil && l.wsRelease == nil {
		l.wsRelease = m.o.Workspaces.MarkBusy(*l.ws)
	}
}

// releaseBusy ends the busy mark (on the actor) and reports whether there
// was one.
func (m *Manager) releaseBusy(l *live) bool {
	if l.wsRelease == nil {
		return false
	}
	l.wsRelease()
	l.wsRelease = nil
	return true
}

// afterTurn releases the worktree of a turn that ended and records its
// checkpoint, off the actor (on the actor).
func (m *Manager) afterTurn(l *live) {
	if !m.releaseBusy(l) {
		return
	}
	ws := *l.ws
	id := l.id
	done := make(chan struct{})
	m.wss.mu.Lock()
	if m.wss.pending == nil {
		m.wss.pending = map[string]chan struct{}{}
	}
	prev := m.wss.pending[id]
	m.wss.pending[id] = done
	m.wss.wg.Add(1)
	m.wss.mu.Unlock()
	go func() {
		defer m.wss.wg.Done()
		defer func() {
			m.wss.mu.Lock()
			if m.wss.pending[id] == done {
				delete(m.wss.pending, id)
			}
			m.wss.mu.Unlock()
			close(done)
		}()
		if prev != nil {
			<-prev
		}
		m.checkpointTurn(id, ws)
	}()
}

// waitCheckpoint waits until the checkpoint of session id's last turn is
// recorded, so the next turn's changes are not counted in it.
func (m *Manager) waitCheckpoint(ctx context.Context, id string) {
	m.wss.mu.Lock()
	ch := m.wss.pending[id]
	m.wss.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

// checkpointTurn records the checkpoint of the turn that just ended: turn
// n+1 after the highest turn recorded so far (turn 0 is the base).
func (m *Manager) checkpointTurn(id string, ws workspace.Workspace) {
	ctx := context.Background()
	wm := m.o.Workspaces
	cps, err := wm.ListCheckpoints(ctx, ws)
	if err != nil {
		m.log.Warn("cannot list checkpoints", "session", id, "err", err)
		return
	}
	turn := 1
	for _, c := range cps {
		if c.Turn >= turn {
			turn = c.Turn + 1
		}
	}
	cp, err := wm.Checkpoint(ctx, ws, workspace.CheckpointOptions{Turn: turn})
	if err != nil {
		m.log.Warn("cannot record a checkpoint", "session", id, "err", err)
		return
	}
	m.workspaceChanged(ctx, id, ws, WorkspaceChange{Reason: "turn", Checkpoint: cp.Seq, Turn: turn}, cp.Seq)
}

// workspaceChanged counts the worktree's changes (at checkpoint seq, or
// now when 0), caches the counts in the session's record and tells the
// session's stream.
func (m *Manager) workspaceChanged(ctx context.Context, id string, ws workspace.Workspace, ch WorkspaceChange, seq int) {
	if ch.Reason != "removed" {
		if c, err := m.o.Workspaces.Changes(ctx, ws, workspace.ChangesOptions{To: seq}); err == nil {
			ch.Changes = countChanges(c)
		} else {
			m.log.Warn("cannot count a workspace's changes", "session", id, "err", err)
		}
	}
	m.record("record workspace changes", id, m.o.Recorder.QueueUpdateSession(id, func(s *store.Session) error {
		return editMeta(s, func(meta *sessionMeta) {
			meta.Changes = ch.Changes
			if ch.Reason == "removed" {
				meta.WorkspaceRemoved = true
			}
		})
	}))
	if ch.Reason == "removed" {
		m.wss.mu.Lock()
		if m.wss.removed == nil {
			m.wss.removed = map[string]bool{}
		}
		m.wss.removed[id] = true
		m.wss.mu.Unlock()
	}
	ev := event.New(WorkspaceChanged, ch)
	ev.SessionID, ev.Time = id, m.o.Now()
	m.append(ev)
}

// countChanges sums a diff.
func countChanges(c workspace.Changes) ChangeCounts {
	n := ChangeCounts{Files: len(c.Files) + c.OmittedFiles}
	for _, f := range c.Files {
		n.Additions += f.Additions
		n.Deletions += f.Deletions
	}
	return n
}

func notFound(id string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("session %q: %w", id, ErrNotFound)
	}
	return err
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
