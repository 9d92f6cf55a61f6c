package session

import (
	"os"
	"path/filepath"
	"sync"
)

// projectRoot returns the project a directory belongs to: the nearest
// directory at or above cwd that isRepo reports as a repository root (it
// holds .git, a directory or, in a worktree, a file), else cwd itself.
// Pure: the file system is behind isRepo.
func projectRoot(cwd string, isRepo func(dir string) bool) string {
	if cwd == "" {
		return ""
	}
	dir := filepath.Clean(cwd)
	for {
		if isRepo(dir) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return filepath.Clean(cwd)
		}
		dir = parent
	}
}

// hasGit reports whether dir holds a .git entry.
func hasGit(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, ".git"))
	return err == nil
}

// projects caches projectRoot per directory: the session list asks for
// every session on every call, and a repository root seldom moves. The
// cache is bounded; when full it starts again.
var projects = struct {
	sync.Mutex
	m map[string]string
}{m: map[string]string{}}

const maxCachedProjects = 4096

// projectOf is projectRoot on the file system, cached.
func projectOf(cwd string) string {
	projects.Lock()
	p, ok := projects.m[cwd]
	projects.Unlock()
	if ok {
		return p
	}
	p = projectRoot(cwd, hasGit)
	projects.Lock()
	if len(projects.m) >= maxCachedProjects {
		projects.m = map[string]string{}
	}
	projects.m[cwd] = p
	projects.Unlock()
	return p
}
