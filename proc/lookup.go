package proc

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// envValue returns the last value of key in env (last wins, like os/exec).
func envValue(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		k, v, ok := strings.Cut(env[i], "=")
		if ok && (k == key || runtime.GOOS == "windows" && strings.EqualFold(k, key)) {
			return v, true
		}
	}
	return "", false
}

// resolve turns spec.Program into an absolute path of an executable file,
// searching the PATH of the child's environment for a bare name.
func resolve(spec *Spec) (string, error) {
	fail := func(reason string, searched []string, err error) error {
		return &SpawnFailed{Program: spec.Program, Dir: spec.Dir, Searched: searched, Reason: reason, Err: err}
	}
	if spec.Program == "" {
		return "", fail("no program given", nil, nil)
	}
	if spec.Dir != "" {
		st, err := os.Stat(spec.Dir)
		if err != nil {
			return "", fail("working directory does not exist", nil, err)
		}
		if !st.IsDir() {
			return "", fail("working directory is not a directory", nil, nil)
		}
	}
	if strings.ContainsAny(spec.Program, `/\`) {
		p := spec.Program
		if !filepath.IsAbs(p) {
			base := spec.Dir
			if base == "" {
				wd, err := os.Getwd()
				if err != nil {
					return "", fail("cannot resolve a relative program path", nil, err)
				}
				base = wd
			}
			p = filepath.Join(base, p)
		}
		if err := checkExecutable(p); err != nil {
			return "", fail(reasonOf(err), nil, err)
		}
		return p, nil
	}
	pathList, ok := envValue(spec.Env, "PATH")
	if !ok || pathList == "" {
		return "", fail("not found: the child's environment has no PATH to search", nil, nil)
	}
	var searched []string
	var firstErr error
	seen := map[string]bool{}
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" || !filepath.IsAbs(dir) || seen[dir] {
			// A relative PATH entry would resolve through the current
			// directory, which is how programs get hijacked.
			continue
		}
		seen[dir] = true
		searched = append(searched, dir)
		for _, name := range candidates(spec.Program) {
			p := filepath.Join(dir, name)
			err := checkExecutable(p)
			if err == nil {
				return p, nil
			}
			if firstErr == nil && !errors.Is(err, fs.ErrNotExist) {
				firstErr = err
			}
		}
	}
	if firstErr != nil {
		return "", fail(reasonOf(firstErr), searched, firstErr)
	}
	return "", fail("not found", searched, nil)
}

func reasonOf(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "not found"
	case errors.Is(err, errIsDir):
		return "is a directory"
	case errors.Is(err, errNotExec), errors.Is(err, fs.ErrPermission):
		return "not executable"
	}
	return "cannot be used"
}

var (
	errIsDir   = errors.New("is a directory")
	errNotExec = errors.New("file is not executable")
)
