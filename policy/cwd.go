package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// root is one allowed working-directory root.
type root struct {
	configured string // as configured ("~" already expanded)
	resolved   string // symlinks resolved at load; "" when it did not exist then
}

func compileRoots(list []string) []root {
	out := make([]root, 0, len(list))
	for _, r := range list {
		rr := root{configured: filepath.Clean(r)}
		if real, err := filepath.EvalSymlinks(rr.configured); err == nil {
			rr.resolved = real
		}
		out = append(out, rr)
	}
	return out
}

// real returns the root with symlinks resolved, retrying a root that did
// not exist when the policy was built. ok is false while it still does not.
func (r *root) real() (string, bool) {
	if r.resolved != "" {
		return r.resolved, true
	}
	p, err := filepath.EvalSymlinks(r.configured)
	return p, err == nil
}

// resolveCwd maps a requested directory to the real directory the child
// will run in. The request must be absolute; every symlink and ".." in it is
// resolved first and only then compared with the (equally resolved) roots,
// so neither a symlink inside a root nor a ".." can lead outside.
//
// An empty request selects the first root; with no roots configured the
// capability takes no directory at all and the child inherits corral's.
func resolveCwd(capName string, roots []root, cwd string) (string, *Denied) {
	if cwd == "" {
		if len(roots) == 0 {
			return "", nil
		}
		if p, ok := roots[0].real(); ok {
			return p, nil
		}
		return "", &Denied{Capability: capName, Rule: RuleCwdMissing, Position: -1, Given: roots[0].configured,
			Message: fmt.Sprintf("no directory was given and the default root %s does not exist", quote(roots[0].configured))}
	}
	if strings.IndexByte(cwd, 0) >= 0 {
		return "", &Denied{Capability: capName, Rule: RuleCwdMissing, Position: -1, Given: cwd,
			Message: fmt.Sprintf("working directory %s contains a NUL byte", quote(cwd))}
	}
	if len(roots) == 0 {
		return "", &Denied{Capability: capName, Rule: RuleCwdNone, Position: -1, Given: cwd,
			Message: fmt.Sprintf("working directory %s was requested but the capability allows no cwd roots", quote(cwd))}
	}
	if !filepath.IsAbs(cwd) {
		return "", &Denied{Capability: capName, Rule: RuleCwdRelative, Position: -1, Given: cwd,
			Message: fmt.Sprintf("working directory %s is relative; give an absolute path", quote(cwd))}
	}
	if real, ok := fastResolve(roots, cwd); ok {
		return real, nil
	}
	real, err := filepath.EvalSymlinks(cwd)
	if err != nil {
		msg := fmt.Sprintf("working directory %s cannot be resolved: %v", quote(cwd), unwrapPath(err))
		if errors.Is(err, fs.ErrNotExist) {
			msg = fmt.Sprintf("working directory %s does not exist", quote(cwd))
		}
		return "", &Denied{Capability: capName, Rule: RuleCwdMissing, Position: -1, Given: cwd, Message: msg}
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", &Denied{Capability: capName, Rule: RuleCwdMissing, Position: -1, Given: cwd,
			Message: fmt.Sprintf("working directory %s cannot be read: %v", quote(cwd), unwrapPath(err))}
	}
	if !fi.IsDir() {
		return "", &Denied{Capability: capName, Rule: RuleCwdNotDir, Position: -1, Given: cwd,
			Message: fmt.Sprintf("working directory %s is not a directory", quote(cwd))}
	}
	for i := range roots {
		r, ok := roots[i].real()
		if ok && within(r, real) {
			return real, nil
		}
	}
	via := ""
	if real != filepath.Clean(cwd) {
		via = fmt.Sprintf(" (it resolves to %s)", quote(real))
	}
	list := make([]string, len(roots))
	for i, r := range roots {
		list[i] = r.configured
	}
	return "", &Denied{Capability: capName, Rule: RuleCwdOutside, Position: -1,
		Pattern: strings.Join(list, string(filepath.ListSeparator)), Given: cwd,
		Message: fmt.Sprintf("working directory %s%s is outside the allowed roots %s", quote(cwd), via, strings.Join(list, ", "))}
}

// fastResolve handles the common request, a clean path below a root's
// real path, with one lstat per component below the root instead of one per
// component of the whole path (filepath.EvalSymlinks). The root and its
// ancestors were resolved when the policy was built and are not looked at
// again (the root itself only when it is the requested directory): swapping
// them for symlinks takes write access above the root, which already
// controls everything below it. It gives up (ok false) on anything unusual,
// a symlink, a missing component, a ".." or a non-directory, and the caller
// takes the full path, which also produces the precise denial.
func fastResolve(roots []root, cwd string) (string, bool) {
	if filepath.Clean(cwd) != cwd {
		return "", false
	}
	for i := range roots {
		r := roots[i].resolved
		if r == "" || !within(r, cwd) {
			continue
		}
		p := cwd[:len(r)]
		rest := strings.TrimPrefix(cwd[len(r):], string(filepath.Separator))
		if rest == "" {
			fi, err := os.Lstat(p)
			return cwd, err == nil && fi.IsDir()
		}
		for rest != "" {
			comp, tail, _ := strings.Cut(rest, string(filepath.Separator))
			p = filepath.Join(p, comp)
			rest = tail
			if fi, err := os.Lstat(p); err != nil || !fi.IsDir() {
				return "", false // a symlink is not a directory to Lstat
			}
		}
		return cwd, true
	}
	return "", false
}

// within reports whether p is root or below it; both must be clean,
// absolute and symlink-free.
func within(root, p string) bool {
	if samePath(root, p) {
		return true
	}
	if !strings.HasSuffix(root, string(filepath.Separator)) {
		root += string(filepath.Separator)
	}
	return len(p) > len(root) && samePath(p[:len(root)], root)
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
