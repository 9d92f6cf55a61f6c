package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// SidecarPrefix marks a program resolved as a sidecar ("sidecar:NAME").
const SidecarPrefix = "sidecar:"

// resolver turns a configured program into an absolute path, once, when the
// policy is built.
type resolver struct {
	path       string   // corral's PATH
	sidecarDir []string // directories searched for sidecars, in order
	triple     string
}

// resolve returns the absolute program path or the denial every Check of
// this capability will return.
func (r *resolver) resolve(capName, program string) (string, *Denied) {
	if name, ok := strings.CutPrefix(program, SidecarPrefix); ok {
		return r.sidecar(capName, name)
	}
	if filepath.IsAbs(program) {
		p := filepath.Clean(program)
		if d := checkProgramFile(capName, p, false); d != nil {
			return "", d
		}
		return p, nil
	}
	if strings.ContainsAny(program, `/\`) || program == "." || program == ".." {
		return "", &Denied{Capability: capName, Rule: RuleProgramRelative, Position: -1, Given: program,
			Message: fmt.Sprintf("program %s is a relative path, which would depend on corral's working directory; give an absolute path or a bare name found on PATH", quote(program))}
	}
	if isBatch(program) {
		return "", batchDenied(capName, program)
	}
	return r.lookPath(capName, program)
}

// lookPath searches corral's PATH like exec.LookPath, with one difference
// that matters: a match in a relative PATH entry ("", ".", "bin") is
// refused instead of returned, because it would run whatever file of that
// name sits in the current directory. Like exec.LookPath since Go 1.19 the
// first match decides; a later absolute match does not excuse it.
func (r *resolver) lookPath(capName, name string) (string, *Denied) {
	var searched []string
	for _, dir := range filepath.SplitList(r.path) {
		if dir == "" {
			dir = "." // POSIX: an empty PATH entry is the current directory
		}
		for _, cand := range candidates(filepath.Join(dir, name)) {
			fi, err := os.Stat(cand)
			if err != nil || !fi.Mode().IsRegular() || !isExecutable(fi) {
				continue
			}
			if !filepath.IsAbs(dir) {
				return "", &Denied{Capability: capName, Rule: RuleProgramRelative, Position: -1, Given: name,
					Message: fmt.Sprintf("program %s would be found as %s through the relative PATH entry %s, i.e. in corral's working directory; use an absolute path or fix PATH",
						quote(name), quote(cand), quote(dir))}
			}
			if d := checkProgramFile(capName, cand, false); d != nil {
				return "", d
			}
			return filepath.Clean(cand), nil
		}
		searched = append(searched, dir)
	}
	if len(searched) > 12 {
		searched = append(searched[:12], "…")
	}
	return "", &Denied{Capability: capName, Rule: RuleProgramNotFound, Position: -1, Given: name,
		Message: fmt.Sprintf("program %s was not found on PATH (searched %s); install it or give an absolute path", quote(name), strings.Join(searched, ", "))}
}

// checkProgramFile refuses what is not a regular executable file, a Windows
// batch file, a file writable by others, and (on Unix) a program that
// anyone but root or corral's user could replace through a directory on
// its path (checkProgramPath), since anyone could swap such a program.
func checkProgramFile(capName, p string, sidecar bool) *Denied {
	if isBatch(p) {
		return batchDenied(capName, p)
	}
	fi, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return &Denied{Capability: capName, Rule: RuleProgramNotFound, Position: -1, Given: p,
				Message: fmt.Sprintf("program %s does not exist", quote(p))}
		}
		return &Denied{Capability: capName, Rule: RuleProgramNotFound, Position: -1, Given: p,
			Message: fmt.Sprintf("program %s cannot be read: %v", quote(p), unwrapPath(err))}
	}
	if !fi.Mode().IsRegular() || !isExecutable(fi) {
		return &Denied{Capability: capName, Rule: RuleProgramNotExec, Position: -1, Given: p,
			Message: fmt.Sprintf("program %s is not an executable regular file (mode %v)", quote(p), fi.Mode())}
	}
	if writableByOthers(fi) {
		return &Denied{Capability: capName, Rule: RuleProgramWritable, Position: -1, Given: p,
			Message: fmt.Sprintf("program %s is writable by other users (mode %v), so anyone could replace what runs", quote(p), fi.Mode())}
	}
	return checkProgramPath(capName, p, sidecar)
}

func batchDenied(capName, p string) *Denied {
	return &Denied{Capability: capName, Rule: RuleProgramBatch, Position: -1, Given: p,
		Message: fmt.Sprintf("program %s is a batch file; cmd.exe re-parses its arguments, so validated arguments could still inject commands", quote(p))}
}

// pin is a program's sha256 pin with a fingerprint of the file as last
// verified, so a Check re-hashes only when the file changed.
type pin struct {
	want string
	fp   atomic.Pointer[fingerprint]
}

// fingerprint identifies a file version cheaply: size, modification time,
// inode change time, device and inode. Whoever can write the file controls
// its size and mtime (os.Chtimes puts an old mtime back), but not its ctime:
// every write, chmod or utimes sets that to the current time. So a file
// whose fingerprint is unchanged has not been written since it was hashed.
type fingerprint struct {
	size  int64
	mtime int64
	ctime int64
	ino   uint64
	dev   uint64
}

// fingerprintOf returns the fingerprint of fi, and false where the platform
// does not report an inode change time (Windows, some Unixes): there a
// fingerprint proves nothing and the file is hashed on every Check.
func fingerprintOf(fi fs.FileInfo) (fingerprint, bool) {
	st, ok := statOf(fi)
	return fingerprint{size: fi.Size(), mtime: fi.ModTime().UnixNano(), ctime: st.ctime, ino: st.ino, dev: st.dev}, ok
}

// racyWindow: a fingerprint whose ctime is this close to (or later than)
// the moment the hash began is not cached. File systems keep ctime with a
// coarse clock, so a write landing in the same clock tick as the last one
// can leave ctime unchanged; the same "racy" rule protects git's index.
const racyWindow = 2 * time.Second

// cacheable reports whether a fingerprint taken when hashing began at
// start may stand in for the hash later: only when the platform has a
// ctime and that ctime is older than start by more than racyWindow.
func cacheable(fp fingerprint, hasCtime bool, start time.Time) bool {
	return hasCtime && fp.ctime < start.Add(-racyWindow).UnixNano()
}

// hashFile hashes the file at p. The returned FileInfo is taken from the
// open descriptor before reading, so a write during or after the hash
// changes the ctime the fingerprint is compared with later.
func hashFile(p string) (string, fs.FileInfo, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", nil, err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", nil, err
	}
	return hex.EncodeToString(h.Sum(nil)), fi, nil
}

// verify checks the program against the pin. Once a hash has matched it
// costs one stat per call; the file is hashed again whenever its
// fingerprint (size, mtime, ctime, device, inode) differs, the previous
// fingerprint was too recent to trust (racyWindow), or the platform has no
// ctime. A window remains between this check and exec, which no
// path-based check can close; the pin catches replaced or rewritten
// binaries, not a racing local attacker.
func (p *pin) verify(capName, prog string) *Denied {
	fi, err := os.Stat(prog)
	if err == nil {
		if cached := p.fp.Load(); cached != nil {
			if fp, ok := fingerprintOf(fi); ok && fp == *cached {
				return nil
			}
		}
	}
	start := time.Now()
	got, hfi, err := hashFile(prog)
	if err != nil {
		p.fp.Store(nil)
		return &Denied{Capability: capName, Rule: RuleSHA256Mismatch, Position: -1, Pattern: p.want, Given: prog,
			Message: fmt.Sprintf("program %s cannot be hashed to verify its sha256 pin: %v", quote(prog), unwrapPath(err))}
	}
	if got != p.want {
		p.fp.Store(nil)
		return &Denied{Capability: capName, Rule: RuleSHA256Mismatch, Position: -1, Pattern: p.want, Given: got,
			Message: fmt.Sprintf("program %s has sha256 %s but the capability pins %s", quote(prog), got, p.want)}
	}
	if fp, ok := fingerprintOf(hfi); cacheable(fp, ok, start) {
		p.fp.Store(&fp)
	} else {
		p.fp.Store(nil)
	}
	return nil
}
