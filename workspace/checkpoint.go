package workspace

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Checkpoint is one recorded state of a worktree: every file that is not
// ignored, untracked ones included, as a commit object under
// refs/corral/<workspace ID>/<Seq>. Its parent is the worktree's HEAD at the
// time; the user's index, HEAD, branch and stash are not touched.
type Checkpoint struct {
	// Seq numbers the checkpoints of a workspace from 1.
	Seq int `json:"id"`
	// Ref is refs/corral/<workspace ID>/<Seq>.
	Ref string `json:"ref"`
	// Commit is the checkpoint commit; its tree is the recorded state.
	Commit string `json:"commit"`
	// Turn is the caller's turn number (0 when not given).
	Turn int `json:"turn"`
	// Label is the caller's free text (one line).
	Label string `json:"label,omitempty"`
	// CreatedAt is the commit time (seconds).
	CreatedAt time.Time `json:"createdAt"`
	// Files, Additions and Deletions compare this checkpoint with the one
	// before it (the base commit for the first): what the turn changed.
	Files     int `json:"files"`
	Additions int `json:"additions"`
	Deletions int `json:"deletions"`
}

// CheckpointOptions are the options of Checkpoint.
type CheckpointOptions struct {
	Turn  int
	Label string
}

// tempIndex is a private copy of a worktree's index: git commands given its
// env work on it instead of the user's index.
type tempIndex struct {
	path string
	env  []string
}

func (t *tempIndex) close() {
	os.Remove(t.path)
	os.Remove(t.path + ".lock")
}

// newTempIndex copies the worktree's index next to it (so that "git add"
// reuses its stat data and only hashes changed files). The returned parent
// is "HEAD", which git resolves in the worktree.
func (m *Manager) newTempIndex(ctx context.Context, ws Workspace) (*tempIndex, string, error) {
	index, err := m.indexPath(ctx, ws)
	if err != nil {
		return nil, "", err
	}
	dst, err := os.CreateTemp(filepath.Dir(index), "corral-index-")
	if err != nil {
		return nil, "", err
	}
	t := &tempIndex{path: dst.Name(), env: []string{"GIT_INDEX_FILE=" + dst.Name()}}
	src, err := os.Open(index)
	if err == nil {
		_, err = io.Copy(dst, src)
		src.Close()
	} else if os.IsNotExist(err) {
		err = nil
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.close()
		return nil, "", err
	}
	return t, "HEAD", nil
}

// indexPath is the path of the worktree's index file (asked of git once
// per worktree; it never changes).
func (m *Manager) indexPath(ctx context.Context, ws Workspace) (string, error) {
	key := filepath.Clean(ws.Path)
	m.mu.Lock()
	p, ok := m.indexes[key]
	m.mu.Unlock()
	if ok {
		return p, nil
	}
	out, err := m.gitLine(ctx, ws.Path, "rev-parse", "--path-format=absolute", "--git-path", "index")
	if err != nil {
		return "", err
	}
	p = filepath.FromSlash(out)
	m.mu.Lock()
	m.indexes[key] = p
	m.mu.Unlock()
	return p, nil
}

// snapshot writes the tree of the worktree's current state (what "git add
// -A" would stage; limited to paths when given) using t.
func (m *Manager) snapshot(ctx context.Context, ws Workspace, t *tempIndex, paths ...string) (string, error) {
	args := []string{"add", "-A"}
	if len(paths) > 0 {
		args = append(append(args, "--"), paths...)
	}
	env := append([]string{"GIT_LITERAL_PATHSPECS=1"}, t.env...)
	if _, _, err := m.gitRun(ctx, run{dir: ws.Path, args: args, env: env}); err != nil {
		return "", err
	}
	out, _, err := m.gitRun(ctx, run{dir: ws.Path, args: []string{"write-tree"}, env: t.env})
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// Checkpoint records the worktree's current state as the next checkpoint.
func (m *Manager) Checkpoint(ctx context.Context, ws Workspace, o CheckpointOptions) (Checkpoint, error) {
	unlock, err := m.lock(ctx, ws, false)
	if err != nil {
		return Checkpoint{}, err
	}
	defer unlock()
	t, head, err := m.newTempIndex(ctx, ws)
	if err != nil {
		return Checkpoint{}, err
	}
	defer t.close()
	tree, err := m.snapshot(ctx, ws, t)
	if err != nil {
		return Checkpoint{}, err
	}
	return m.commitCheckpoint(ctx, ws, tree, head, o)
}

// commitCheckpoint writes the checkpoint commit of tree and its ref.
func (m *Manager) commitCheckpoint(ctx context.Context, ws Workspace, tree, head string, o CheckpointOptions) (Checkpoint, error) {
	if err := checkID(ws.ID); err != nil {
		return Checkpoint{}, err
	}
	list, err := m.listCheckpoints(ctx, ws)
	if err != nil {
		return Checkpoint{}, err
	}
	cp := Checkpoint{Seq: 1, Turn: o.Turn, Label: oneLine(o.Label)}
	prev := ws.BaseCommit
	if n := len(list); n > 0 {
		cp.Seq = list[n-1].Seq + 1
		prev = list[n-1].Commit
	}
	cp.Ref = checkpointRef(ws.ID, cp.Seq)
	if cp.Files, cp.Additions, cp.Deletions, err = m.numstat(ctx, ws.Path, prev, tree); err != nil {
		return Checkpoint{}, err
	}
	now := m.opts.Now().UTC().Truncate(time.Second)
	cp.CreatedAt = now
	date := fmt.Sprintf("@%d +0000", now.Unix())
	id := m.opts.Checkpointer
	env := []string{
		"GIT_AUTHOR_NAME=" + id.Name, "GIT_AUTHOR_EMAIL=" + id.Email, "GIT_AUTHOR_DATE=" + date,
		"GIT_COMMITTER_NAME=" + id.Name, "GIT_COMMITTER_EMAIL=" + id.Email, "GIT_COMMITTER_DATE=" + date,
	}
	out, _, err := m.gitRun(ctx, run{dir: ws.Path, env: env, stdin: []byte(checkpointMessage(cp)),
		args: []string{"commit-tree", "--no-gpg-sign", "-p", head, tree}})
	if err != nil {
		return Checkpoint{}, err
	}
	cp.Commit = strings.TrimSpace(string(out))
	// The empty old value makes update-ref fail if the ref exists (another
	// process took this number).
	if _, err := m.git(ctx, ws.Path, "update-ref", "-m", "corral checkpoint", cp.Ref, cp.Commit, ""); err != nil {
		return Checkpoint{}, err
	}
	return cp, nil
}

func checkpointRef(id string, seq int) string {
	return "refs/corral/" + id + "/" + strconv.Itoa(seq)
}

func checkpointMessage(cp Checkpoint) string {
	var b strings.Builder
	fmt.Fprintf(&b, "corral checkpoint %d\n\n", cp.Seq)
	fmt.Fprintf(&b, "Corral-Turn: %d\n", cp.Turn)
	if cp.Label != "" {
		fmt.Fprintf(&b, "Corral-Label: %s\n", cp.Label)
	}
	fmt.Fprintf(&b, "Corral-Files: %d\nCorral-Additions: %d\nCorral-Deletions: %d\n", cp.Files, cp.Additions, cp.Deletions)
	return b.String()
}

// parseCheckpointMessage reads the trailers written by checkpointMessage.
func parseCheckpointMessage(msg string, cp *Checkpoint) {
	for _, line := range strings.Split(msg, "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(v)
		switch k {
		case "Corral-Turn":
			cp.Turn = n
		case "Corral-Label":
			cp.Label = v
		case "Corral-Files":
			cp.Files = n
		case "Corral-Additions":
			cp.Additions = n
		case "Corral-Deletions":
			cp.Deletions = n
		}
	}
}

func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// numstat sums "git diff --numstat" between two commit-ish/trees (binary
// files count as changed files with no lines).
func (m *Manager) numstat(ctx context.Context, dir, from, to string) (files, add, del int, err error) {
	out, err := m.git(ctx, dir, "diff-tree", "-r", "-z", "--numstat", "--no-renames", from, to)
	if err != nil {
		return 0, 0, 0, err
	}
	for _, e := range splitNul(out) {
		f := strings.SplitN(e, "\t", 3)
		if len(f) != 3 {
			continue
		}
		files++
		a, _ := strconv.Atoi(f[0])
		d, _ := strconv.Atoi(f[1])
		add += a
		del += d
	}
	return files, add, del, nil
}

// ListCheckpoints returns the checkpoints of ws, oldest first.
func (m *Manager) ListCheckpoints(ctx context.Context, ws Workspace) ([]Checkpoint, error) {
	if err := m.check(ctx, ws); err != nil {
		return nil, err
	}
	if err := checkID(ws.ID); err != nil {
		return nil, err
	}
	return m.listCheckpoints(ctx, ws)
}

func (m *Manager) listCheckpoints(ctx context.Context, ws Workspace) ([]Checkpoint, error) {
	prefix := "refs/corral/" + ws.ID + "/"
	out, err := m.git(ctx, ws.Repo, "for-each-ref", "--format=%(refname)%00%(objectname)%00%(committerdate:unix)%00%(contents)%01", prefix)
	if err != nil {
		return nil, err
	}
	var list []Checkpoint
	for _, rec := range strings.Split(string(out), "\x01") {
		f := strings.SplitN(strings.TrimLeft(rec, "\n"), "\x00", 4)
		if len(f) != 4 {
			continue
		}
		seq, err := strconv.Atoi(strings.TrimPrefix(f[0], prefix))
		if err != nil || seq < 1 {
			continue // not a checkpoint ref
		}
		unix, _ := strconv.ParseInt(f[2], 10, 64)
		cp := Checkpoint{Seq: seq, Ref: f[0], Commit: f[1], CreatedAt: time.Unix(unix, 0).UTC()}
		parseCheckpointMessage(f[3], &cp)
		list = append(list, cp)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Seq < list[j].Seq })
	return list, nil
}

// checkpoint finds checkpoint seq of ws.
func (m *Manager) checkpoint(ctx context.Context, ws Workspace, seq int) (Checkpoint, error) {
	list, err := m.ListCheckpoints(ctx, ws)
	if err != nil {
		return Checkpoint{}, err
	}
	for _, cp := range list {
		if cp.Seq == seq {
			return cp, nil
		}
	}
	return Checkpoint{}, fmt.Errorf("%w: checkpoint %d of workspace %s", ErrNotFound, seq, ws.ID)
}

// Restore puts the worktree's files back exactly as checkpoint seq recorded
// them: changed files are rewritten, files created since are deleted,
// deleted ones come back; ignored files are left alone. HEAD, the branch and
// the index are not changed (what was staged stays staged). The state before
// the restore is first saved as a new checkpoint (Label "before restore to
// <seq>"), which is returned, so a restore can be undone.
func (m *Manager) Restore(ctx context.Context, ws Workspace, seq int) (Checkpoint, error) {
	unlock, err := m.lock(ctx, ws, true)
	if err != nil {
		return Checkpoint{}, err
	}
	defer unlock()
	target, err := m.checkpoint(ctx, ws, seq)
	if err != nil {
		return Checkpoint{}, err
	}
	return m.restore(ctx, ws, target, fmt.Sprintf("before restore to %d", seq))
}

// RestoreFrom is Restore with a checkpoint of another workspace of the same
// repository (ListCheckpoints of that one): a fork starts from it. The
// saved checkpoint's label is "before restore from <ID>/<seq>".
func (m *Manager) RestoreFrom(ctx context.Context, ws Workspace, cp Checkpoint) (Checkpoint, error) {
	unlock, err := m.lock(ctx, ws, true)
	if err != nil {
		return Checkpoint{}, err
	}
	defer unlock()
	if _, err := m.gitLine(ctx, ws.Path, "rev-parse", "--verify", "--quiet", "--end-of-options", cp.Commit+"^{commit}"); err != nil {
		if isExit(err, 1) {
			return Checkpoint{}, fmt.Errorf("%w: checkpoint commit %s", ErrNotFound, cp.Commit)
		}
		return Checkpoint{}, err
	}
	return m.restore(ctx, ws, cp, fmt.Sprintf("before restore from %s", strings.TrimPrefix(cp.Ref, "refs/corral/")))
}

// restore is Restore after the lock and the lookup of target.
func (m *Manager) restore(ctx context.Context, ws Workspace, target Checkpoint, label string) (Checkpoint, error) {
	t, head, err := m.newTempIndex(ctx, ws)
	if err != nil {
		return Checkpoint{}, err
	}
	defer t.close()
	tree, err := m.snapshot(ctx, ws, t)
	if err != nil {
		return Checkpoint{}, err
	}
	saved, err := m.commitCheckpoint(ctx, ws, tree, head, CheckpointOptions{Label: label})
	if err != nil {
		return Checkpoint{}, err
	}
	// The temporary index now matches the worktree exactly, so a reset to
	// the checkpoint's tree rewrites just the files that differ and deletes
	// those the checkpoint does not have.
	if _, _, err := m.gitRun(ctx, run{dir: ws.Path, env: t.env, args: []string{"read-tree", "--reset", "-u", target.Commit + "^{tree}"}}); err != nil {
		return saved, fmt.Errorf("restoring checkpoint %d (the state before is checkpoint %d): %w", target.Seq, saved.Seq, err)
	}
	return saved, nil
}

// deleteCheckpoints deletes every refs/corral/<ID>/ ref.
func (m *Manager) deleteCheckpoints(ctx context.Context, ws Workspace) error {
	if err := checkID(ws.ID); err != nil {
		return err
	}
	out, err := m.git(ctx, ws.Repo, "for-each-ref", "--format=delete %(refname)", "refs/corral/"+ws.ID+"/")
	if err != nil || len(out) == 0 {
		return err
	}
	_, _, err = m.gitRun(ctx, run{dir: ws.Repo, args: []string{"update-ref", "--stdin"}, stdin: out})
	return err
}
