package workspace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
)

// DiscardRequest says what Discard reverts.
type DiscardRequest struct {
	// From is the side changes are reverted to: a checkpoint Seq, or 0
	// for the base commit (as in ChangesOptions.From).
	From int
	// Path is FileChange.Path; OldPath is FileChange.OldPath (renames).
	Path    string
	OldPath string
	// HunkIDs are the hunks to revert; empty reverts the whole file
	// (a rename is undone, an added file deleted, a deleted file restored).
	HunkIDs []string
	// Fingerprint is FileChange.Fingerprint as read by Changes. Required.
	Fingerprint string
}

// Discard reverts changes of one file in the worktree (never the index,
// HEAD or the branch). It refuses with a *ConflictError when the file's
// current content no longer matches Fingerprint, and with ErrNotFound when a
// hunk ID is not among the file's current hunks. Hunks are reverted with
// "git apply -R" of a patch holding exactly those hunks.
func (m *Manager) Discard(ctx context.Context, ws Workspace, r DiscardRequest) error {
	path, err := confine(ws.Path, r.Path)
	if err != nil {
		return err
	}
	paths := []string{path}
	if r.OldPath != "" {
		old, err := confine(ws.Path, r.OldPath)
		if err != nil {
			return err
		}
		r.OldPath = old
		paths = append(paths, old)
	}
	unlock, err := m.lock(ctx, ws, true)
	if err != nil {
		return err
	}
	defer unlock()
	from, err := m.side(ctx, ws, r.From, ws.BaseCommit)
	if err != nil {
		return err
	}
	t, _, err := m.newTempIndex(ctx, ws)
	if err != nil {
		return err
	}
	defer t.close()
	tree, err := m.snapshot(ctx, ws, t, paths...)
	if err != nil {
		return err
	}
	fp, err := m.fingerprint(ctx, ws.Path, tree, path)
	if err != nil {
		return err
	}
	if fp != r.Fingerprint {
		return &ConflictError{Op: "discard", Files: []string{path}, Msg: "the file changed since the changes were read; read them again"}
	}
	if len(r.HunkIDs) == 0 {
		return m.discardFile(ctx, ws, from, path, r.OldPath)
	}
	return m.discardHunks(ctx, ws, from, tree, paths, r)
}

// fingerprint is "<mode> <blob>" of path in tree, or "deleted".
func (m *Manager) fingerprint(ctx context.Context, dir, tree, path string) (string, error) {
	out, _, err := m.gitRun(ctx, run{dir: dir, args: []string{"ls-tree", "-z", "--full-tree", tree, "--", path}, env: []string{"GIT_LITERAL_PATHSPECS=1"}})
	if err != nil {
		return "", err
	}
	rec := strings.TrimSuffix(string(out), "\x00")
	if rec == "" {
		return "deleted", nil
	}
	meta, _, _ := strings.Cut(rec, "\t")
	f := strings.Fields(meta)
	if len(f) != 3 || f[1] != "blob" {
		return "", &PathError{Path: path, Reason: "not a file"}
	}
	return f[0] + " " + f[2], nil
}

// discardFile makes path (and oldPath) what they are in from.
func (m *Manager) discardFile(ctx context.Context, ws Workspace, from, path, oldPath string) error {
	restore := []string{}
	for _, p := range []string{path, oldPath} {
		if p == "" {
			continue
		}
		fp, err := m.fingerprint(ctx, ws.Path, from, p)
		if err != nil {
			return err
		}
		if fp != "deleted" {
			restore = append(restore, p)
			continue
		}
		if err := os.Remove(filepath.Join(ws.Path, filepath.FromSlash(p))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		removeEmptyParents(ws.Path, p)
	}
	if len(restore) == 0 {
		return nil
	}
	args := append([]string{"restore", "--source=" + from, "--worktree", "--"}, restore...)
	_, _, err := m.gitRun(ctx, run{dir: ws.Path, args: args, env: []string{"GIT_LITERAL_PATHSPECS=1"}})
	return err
}

// discardHunks reverse-applies the chosen hunks of path.
func (m *Manager) discardHunks(ctx context.Context, ws Workspace, from, tree string, paths []string, r DiscardRequest) error {
	args := append([]string{"diff-tree", "-r", "-p", "-M", "--no-color", "--no-ext-diff", "--full-index", from, tree, "--"}, paths...)
	out, _, err := m.gitRun(ctx, run{dir: ws.Path, args: args, env: []string{"GIT_LITERAL_PATHSPECS=1"}, maxOut: int(m.opts.Limits.MaxTotalBytes)})
	if err != nil {
		return err
	}
	files, _, err := gitdiff.Parse(bytes.NewReader(out))
	if err != nil {
		return fmt.Errorf("parsing git diff output: %w", err)
	}
	var file *gitdiff.File
	for _, f := range files {
		if f.NewName == paths[0] || f.IsDelete && f.OldName == paths[0] {
			file = f
		}
	}
	if file == nil || file.IsBinary {
		return fmt.Errorf("%w: no text changes in %s", ErrNotFound, paths[0])
	}
	ids := hunksOf(paths[0], file.TextFragments)
	pick := map[string]bool{}
	for _, id := range r.HunkIDs {
		pick[id] = true
	}
	var frags []*gitdiff.TextFragment
	for i, h := range ids {
		if pick[h.ID] {
			frags = append(frags, file.TextFragments[i])
			delete(pick, h.ID)
		}
	}
	for id := range pick {
		return fmt.Errorf("%w: hunk %s of %s", ErrNotFound, id, paths[0])
	}
	if file.IsNew || file.IsDelete {
		// A created or deleted file is a single hunk: revert the file.
		return m.discardFile(ctx, ws, from, paths[0], r.OldPath)
	}
	// Only the content of the current file is reverted: a rename or mode
	// change stays.
	patch := &gitdiff.File{OldName: file.NewName, NewName: file.NewName, TextFragments: frags}
	_, _, err = m.gitRun(ctx, run{dir: ws.Path, args: []string{"apply", "-R", "--whitespace=nowarn", "-"}, stdin: []byte(patch.String())})
	if err != nil {
		return &ConflictError{Op: "discard", Files: []string{paths[0]}, Msg: err.Error()}
	}
	return nil
}

// removeEmptyParents removes the now empty directories above rel, up to dir.
func removeEmptyParents(dir, rel string) {
	for p := filepath.Dir(filepath.FromSlash(rel)); p != "." && p != string(filepath.Separator); p = filepath.Dir(p) {
		if os.Remove(filepath.Join(dir, p)) != nil {
			return
		}
	}
}
