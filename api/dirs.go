package api

import (
	"container/heap"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// MaxDirEntries caps the entries ListDirectory returns. A directory with
// more subdirectories answers with the first MaxDirEntries in the listing's
// order and Truncated set.
const MaxDirEntries = 2000

// readBatch is how many directory entries are read from the OS at a time;
// the context is checked between batches, so a huge directory cannot keep a
// cancelled call busy.
const readBatch = 512

// listDirectory lists the subdirectories of p (see ListDirectory).
func listDirectory(ctx context.Context, p ListDirectoryParams) (ListDirectoryResult, error) {
	path, err := dirRequest(p.Path)
	if err != nil {
		return ListDirectoryResult{}, err
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return ListDirectoryResult{}, dirError(path, err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return ListDirectoryResult{}, dirError(path, err)
	}
	if !fi.IsDir() {
		return ListDirectoryResult{}, Errorf(CodeInvalidArgument, "%s is not a directory", path)
	}
	f, err := os.Open(real)
	if err != nil {
		return ListDirectoryResult{}, dirError(path, err)
	}
	defer f.Close()

	// Keep the first MaxDirEntries in listing order in a max-heap, so a
	// directory of any size costs bounded memory and the answer does not
	// depend on the order the file system returns names in.
	h := &entryHeap{}
	truncated := false
	for {
		if err := ctx.Err(); err != nil {
			return ListDirectoryResult{}, err
		}
		batch, rerr := f.ReadDir(readBatch)
		for _, de := range batch {
			name := de.Name()
			if !p.ShowHidden && strings.HasPrefix(name, ".") {
				continue
			}
			if !isDirEntry(real, de) {
				continue
			}
			e := dirEntry{DirEntry: DirEntry{Name: name, Path: filepath.Join(real, name)}, key: strings.ToLower(name)}
			if h.Len() < MaxDirEntries {
				heap.Push(h, e)
				continue
			}
			truncated = true
			if e.less(h.items[0]) {
				h.items[0] = e
				heap.Fix(h, 0)
			}
		}
		if rerr == io.EOF || (rerr == nil && len(batch) == 0) {
			break
		}
		if rerr != nil {
			return ListDirectoryResult{}, dirError(path, rerr)
		}
	}
	entries := make([]DirEntry, h.Len())
	for i := len(entries) - 1; i >= 0; i-- {
		entries[i] = heap.Pop(h).(dirEntry).DirEntry
	}
	parent := filepath.Dir(real)
	if parent == real {
		parent = "" // the root of the file system (or of a volume)
	}
	return ListDirectoryResult{Path: real, Parent: parent, Entries: entries, Truncated: truncated}, nil
}

// dirRequest turns the requested path into a clean absolute path: empty
// means the home directory, a leading "~" is the home directory.
func dirRequest(p string) (string, error) {
	if strings.IndexByte(p, 0) >= 0 {
		return "", Errorf(CodeInvalidArgument, "path contains a NUL byte")
	}
	if p == "" || p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, "~"+string(filepath.Separator)) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", Errorf(CodeInternal, "the home directory is not known: %v", err)
		}
		if len(p) > 1 {
			home = filepath.Join(home, p[2:])
		}
		p = home
	} else if strings.HasPrefix(p, "~") {
		return "", Errorf(CodeInvalidArgument, "path %q: only ~ (the home directory of corral's user) is expanded", p)
	}
	if !filepath.IsAbs(p) {
		return "", Errorf(CodeInvalidArgument, "path %q is relative; give an absolute path", p)
	}
	return filepath.Clean(p), nil
}

// isDirEntry reports whether de is a directory or a symbolic link to one.
// The type comes from the directory itself where the file system says it;
// only links are followed (a link that cannot be followed is left out).
func isDirEntry(dir string, de fs.DirEntry) bool {
	t := de.Type()
	if t.IsDir() {
		return true
	}
	if t&fs.ModeSymlink == 0 {
		return false
	}
	fi, err := os.Stat(filepath.Join(dir, de.Name()))
	return err == nil && fi.IsDir()
}

// dirError maps a file-system error on path to a stable code.
func dirError(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &Error{Code: CodeNotFound, Message: "directory " + path + " does not exist", err: err}
	case errors.Is(err, fs.ErrPermission):
		return &Error{Code: CodePermissionDenied,
			Message: "permission denied: corral's user may not read " + path, err: err}
	case errors.Is(err, syscall.ENOTDIR):
		// a component of the path is a file: /etc/passwd/x
		return &Error{Code: CodeNotFound, Message: "directory " + path + " does not exist (a part of it is a file)", err: err}
	}
	return &Error{Code: CodeInternal, Message: "cannot list " + path + ": " + unwrapPathErr(err).Error(), err: err}
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// dirEntry is a DirEntry with its sort key.
type dirEntry struct {
	DirEntry
	key string
}

// less is the listing order: case-insensitive, ties broken by the exact
// name so the order is total.
func (e dirEntry) less(o dirEntry) bool {
	if e.key != o.key {
		return e.key < o.key
	}
	return e.Name < o.Name
}

// entryHeap is a max-heap in listing order: its top is the entry that
// goes first when a smaller one arrives.
type entryHeap struct{ items []dirEntry }

func (h *entryHeap) Len() int           { return len(h.items) }
func (h *entryHeap) Less(i, j int) bool { return h.items[j].less(h.items[i]) }
func (h *entryHeap) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *entryHeap) Push(x any)         { h.items = append(h.items, x.(dirEntry)) }
func (h *entryHeap) Pop() any {
	n := len(h.items) - 1
	x := h.items[n]
	h.items = h.items[:n]
	return x
}
