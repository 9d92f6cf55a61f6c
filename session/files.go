package session

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/corral-dev/corral/proc"
)

// Listing the files of a session's working directory for @-mentions.
// In a git work tree the list is git's own (tracked files and untracked
// ones not ignored: `git ls-files --cached --others --exclude-standard`,
// run through proc with a fixed argument vector and a clean environment);
// elsewhere a bounded walk that skips node_modules and version-control
// directories. Both are bounded in time and size.

// File listing bounds.
const (
	// DefaultFilesLimit and MaxFilesLimit bound ListFiles' limit.
	DefaultFilesLimit = 50
	MaxFilesLimit     = 500
	// filesTimeout bounds git and the walk; filesMaxScan the paths
	// considered; filesMaxDepth the walk's depth; filesMaxGitOutput git's
	// output.
	filesTimeout      = 3 * time.Second
	filesMaxScan      = 200_000
	filesMaxDepth     = 12
	filesMaxGitOutput = 32 << 20
)

// FileList is the answer of ListFiles.
type FileList struct {
	// Files are paths relative to the working directory, with forward
	// slashes, best matches first.
	Files []string `json:"files"`
	// Source is "git" or "walk".
	Source string `json:"source"`
	// Truncated: the listing stopped at a bound (time, size, depth), so a
	// file may be missing.
	Truncated bool `json:"truncated,omitempty"`
}

// skipDirs are the directories the walk never enters.
var skipDirs = map[string]bool{"node_modules": true, ".git": true, ".hg": true, ".svn": true}

// ListFiles returns up to limit files of a session's working directory
// whose path matches query (MatchFiles).
func (m *Manager) ListFiles(ctx context.Context, id, query string, limit int) (FileList, error) {
	rec, err := m.o.Recorder.GetSession(id)
	if err != nil {
		return FileList{}, err
	}
	return ListDirFiles(ctx, rec.Cwd, query, limit)
}

// ListDirFiles is ListFiles for a directory.
func ListDirFiles(ctx context.Context, dir, query string, limit int) (FileList, error) {
	if limit <= 0 {
		limit = DefaultFilesLimit
	}
	limit = min(limit, MaxFilesLimit)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return FileList{}, errors.Join(ErrInvalid, errors.New("the session's working directory is not a directory: "+dir))
	}
	ctx, cancel := context.WithTimeout(ctx, filesTimeout)
	defer cancel()
	out := FileList{Source: "git"}
	paths, truncated, ok := gitFiles(ctx, dir)
	if !ok {
		out.Source = "walk"
		paths, truncated = walkFiles(ctx, dir, filesMaxDepth, filesMaxScan)
	}
	out.Files, out.Truncated = MatchFiles(paths, query, limit), truncated
	return out, nil
}

// gitFiles lists dir's files as git sees them; ok is false when dir is not
// in a git work tree or git cannot run.
func gitFiles(ctx context.Context, dir string) (paths []string, truncated, ok bool) {
	env := []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0"}
	if home, err := os.UserHomeDir(); err == nil {
		env = append(env, "HOME="+home) // the user's excludesFile
	}
	res, err := proc.Execute(ctx, proc.Spec{Program: "git", Dir: dir, Env: env,
		Args: []string{"-c", "core.quotepath=off", "ls-files", "--cached", "--others", "--exclude-standard", "-z"}},
		proc.ExecOptions{MaxStdout: filesMaxGitOutput, MaxStderr: 4 << 10})
	if err != nil || res.ExitStatus.Code != 0 || res.ExitStatus.Signaled() {
		return nil, false, false
	}
	truncated = res.TimedOut || res.StdoutDropped > 0
	out := res.Stdout
	if truncated {
		// The last name may be cut.
		if i := bytes.LastIndexByte(out, 0); i >= 0 {
			out = out[:i+1]
		} else {
			out = nil
		}
	}
	seen := map[string]bool{}
	for _, p := range bytes.Split(out, []byte{0}) {
		if len(p) > 0 && !seen[string(p)] { // a conflicted file is listed per stage
			seen[string(p)] = true
			paths = append(paths, string(p))
			if len(paths) >= filesMaxScan {
				return paths, true, true
			}
		}
	}
	return paths, truncated, true
}

// walkFiles lists regular files under dir, at most maxDepth directories
// deep and maxScan entries, until ctx ends; skipDirs are not entered.
func walkFiles(ctx context.Context, dir string, maxDepth, maxScan int) (paths []string, truncated bool) {
	scanned := 0
	errStop := errors.New("stop")
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error { // error ignored: the walk reports through truncated
		if err != nil {
			if d != nil && d.IsDir() && p != dir {
				return fs.SkipDir
			}
			return nil
		}
		if scanned++; scanned > maxScan || ctx.Err() != nil {
			truncated = true
			return errStop
		}
		rel, rerr := filepath.Rel(dir, p)
		if rerr != nil || rel == "." {
			return nil
		}
		if d.IsDir() {
			if skipDirs[d.Name()] {
				return fs.SkipDir
			}
			if strings.Count(filepath.ToSlash(rel), "/")+1 >= maxDepth {
				truncated = true
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0 {
			paths = append(paths, filepath.ToSlash(rel))
		}
		return nil
	})
	return paths, truncated
}

// MatchFiles returns up to limit of paths that match query, best first
// (pure). Matching ignores case; an empty query matches everything and
// keeps shallow paths first. Ranks: the base name starts with the query,
// the base name contains it, the path contains it, then the query's
// characters appear in the path in order (a fuzzy match). Within a rank,
// shorter paths first, then by name.
func MatchFiles(paths []string, query string, limit int) []string {
	q := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(query), "@"))
	type hit struct {
		rank int
		path string
	}
	var hits []hit
	for _, p := range paths {
		if r := matchRank(strings.ToLower(p), q); r >= 0 {
			hits = append(hits, hit{r, p})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if a.rank != b.rank {
			return a.rank - b.rank
		}
		if q == "" {
			if da, db := strings.Count(a.path, "/"), strings.Count(b.path, "/"); da != db {
				return da - db
			}
		}
		if len(a.path) != len(b.path) {
			return len(a.path) - len(b.path)
		}
		return strings.Compare(a.path, b.path)
	})
	out := make([]string, 0, min(limit, len(hits)))
	for _, h := range hits[:min(limit, len(hits))] {
		out = append(out, h.path)
	}
	return out
}

// matchRank is the rank of a lower-cased path for query q (-1: no match).
func matchRank(p, q string) int {
	if q == "" {
		return 0
	}
	base := p[strings.LastIndexByte(p, '/')+1:]
	switch {
	case strings.HasPrefix(base, q):
		return 0
	case strings.Contains(base, q):
		return 1
	case strings.Contains(p, q):
		return 2
	}
	i := 0
	for j := 0; j < len(p) && i < len(q); j++ {
		if p[j] == q[i] {
			i++
		}
	}
	if i == len(q) {
		return 3
	}
	return -1
}
