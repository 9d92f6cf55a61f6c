//go:build !windows

package policy

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// maxSymlinks bounds the symlinks followed while checking one path (Linux
// gives up after 40 as well).
const maxSymlinks = 40

// unsafeReason says why a file or directory on the way to a program lets
// someone other than root or corral's user change what runs, or "" when
// it does not. It follows OpenSSH's safe_path: the owner must be root or
// uid; a directory must not be writable by others unless it has the
// sticky bit (then others cannot replace entries they do not own, and the
// owner of the next component is checked in turn). Group-writable is not
// refused: user-private groups (Fedora's umask 002) and Homebrew's admin
// group make it common on ordinary installs.
func unsafeReason(fi fs.FileInfo, uid int) string {
	owner := -1
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		owner = int(st.Uid)
	}
	switch {
	case owner != 0 && owner != uid:
		return fmt.Sprintf("is owned by uid %d, neither root nor corral's user (uid %d)", owner, uid)
	case fi.Mode().Perm()&0o002 != 0 && !(fi.IsDir() && fi.Mode()&fs.ModeSticky != 0):
		return fmt.Sprintf("is writable by other users (mode %v)", fi.Mode())
	}
	return ""
}

// unsafePath walks the absolute path p from the root the way exec resolves
// it, following every symlink, and returns the first component (the root,
// a directory, a symlink's directory, the file itself) that fails
// unsafeReason, with the reason; ("", "", nil) when every one is safe.
func unsafePath(p string, uid int) (string, string, error) {
	if fi, err := os.Stat("/"); err != nil {
		return "", "", err
	} else if why := unsafeReason(fi, uid); why != "" {
		return "/", why, nil
	}
	resolved := "/"
	rest := strings.Split(strings.TrimPrefix(filepath.Clean(p), "/"), "/")
	links := 0
	for len(rest) > 0 {
		name := rest[0]
		rest = rest[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			resolved = filepath.Dir(resolved)
			continue
		}
		next := filepath.Join(resolved, name)
		fi, err := os.Lstat(next)
		if err != nil {
			return "", "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			if why := unsafeReason(fi, uid); why != "" {
				return next, why, nil
			}
			resolved = next
			continue
		}
		if links++; links > maxSymlinks {
			return "", "", fmt.Errorf("%s: too many levels of symbolic links", p)
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", "", err
		}
		if filepath.IsAbs(target) {
			resolved = "/"
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return "", "", nil
}

// checkProgramPath refuses a program that anyone but root or corral's
// user could replace through any directory on its path (see unsafePath).
func checkProgramPath(capName, p string, sidecar bool) *Denied {
	bad, why, err := unsafePath(p, os.Geteuid())
	if err != nil {
		return &Denied{Capability: capName, Rule: RuleProgramNotFound, Position: -1, Given: p,
			Message: fmt.Sprintf("program %s cannot be checked: %v", quote(p), unwrapPath(err))}
	}
	if bad == "" {
		return nil
	}
	what := "directory"
	if sidecar {
		what = "sidecar directory"
	}
	if fi, err := os.Lstat(bad); err == nil && !fi.IsDir() {
		what = "program file"
	}
	return &Denied{Capability: capName, Rule: RuleProgramWritable, Position: -1, Given: p,
		Message: fmt.Sprintf("%s %s on the path of program %s %s, so someone else could replace what runs", what, quote(bad), quote(p), why)}
}
