package workspace

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// confine checks that rel (slash-separated, relative to the worktree root
// dir) stays inside the worktree: not absolute, no ".." component, not into
// .git, and no existing directory on the way that is a symbolic link. The
// last component may itself be a symbolic link (it is then the file, never
// followed). It returns the cleaned slash path.
func confine(dir, rel string) (string, error) {
	bad := func(reason string) (string, error) { return "", &PathError{Path: rel, Reason: reason} }
	if rel == "" {
		return bad("empty path")
	}
	if strings.ContainsRune(rel, 0) {
		return bad("contains a NUL byte")
	}
	if filepath.IsAbs(rel) || path.IsAbs(rel) || filepath.VolumeName(rel) != "" || strings.HasPrefix(rel, `\`) {
		return bad("absolute paths are not allowed")
	}
	slash := filepath.ToSlash(rel)
	for _, c := range strings.Split(slash, "/") {
		if c == ".." {
			return bad(`".." is not allowed`)
		}
		if strings.EqualFold(c, ".git") {
			return bad("paths inside .git are not allowed")
		}
	}
	clean := path.Clean(slash)
	if clean == "." {
		return bad("the worktree root itself is not a file")
	}
	parts := strings.Split(clean, "/")
	cur := dir
	for _, c := range parts[:len(parts)-1] {
		cur = filepath.Join(cur, c)
		st, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			break // the rest does not exist: nothing to follow
		}
		if err != nil {
			return "", err
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			return bad("goes through the symbolic link " + strings.TrimPrefix(filepath.ToSlash(cur), filepath.ToSlash(dir)+"/"))
		}
		if !st.IsDir() {
			return bad("a parent is not a directory")
		}
	}
	return clean, nil
}

// confineAll applies confine to each path.
func confineAll(dir string, paths []string) ([]string, error) {
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		c, err := confine(dir, p)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
