package policy

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
)

// triples maps GOOS/GOARCH to the Rust-style target triple sidecar files
// are suffixed with, the same names Tauri's externalBin uses.
var triples = map[string]string{
	"linux/amd64":     "x86_64-unknown-linux-gnu",
	"linux/arm64":     "aarch64-unknown-linux-gnu",
	"linux/386":       "i686-unknown-linux-gnu",
	"linux/arm":       "armv7-unknown-linux-gnueabihf",
	"linux/riscv64":   "riscv64gc-unknown-linux-gnu",
	"linux/ppc64le":   "powerpc64le-unknown-linux-gnu",
	"linux/s390x":     "s390x-unknown-linux-gnu",
	"linux/loong64":   "loongarch64-unknown-linux-gnu",
	"darwin/amd64":    "x86_64-apple-darwin",
	"darwin/arm64":    "aarch64-apple-darwin",
	"windows/amd64":   "x86_64-pc-windows-msvc",
	"windows/arm64":   "aarch64-pc-windows-msvc",
	"windows/386":     "i686-pc-windows-msvc",
	"freebsd/amd64":   "x86_64-unknown-freebsd",
	"freebsd/arm64":   "aarch64-unknown-freebsd",
	"netbsd/amd64":    "x86_64-unknown-netbsd",
	"openbsd/amd64":   "x86_64-unknown-openbsd",
	"illumos/amd64":   "x86_64-unknown-illumos",
	"android/arm64":   "aarch64-linux-android",
	"dragonfly/amd64": "x86_64-unknown-dragonfly",
}

// TargetTriple returns the target triple for a GOOS/GOARCH pair.
func TargetTriple(goos, goarch string) (string, bool) {
	t, ok := triples[goos+"/"+goarch]
	return t, ok
}

// HostTriple is the target triple of the running binary ("" if unknown).
func HostTriple() string {
	t, _ := TargetTriple(runtime.GOOS, runtime.GOARCH)
	return t
}

// sidecarNameRE admits a bare file-name stem: no separators, no "..", no
// drive letters, nothing a shell or a path join could reinterpret.
var sidecarNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$`)

// SidecarFileNames lists the file names tried for a sidecar, in order:
// the build artefact name with the target triple, then the installed name
// without it (bundlers strip the triple when they copy the file).
func SidecarFileNames(name, goos, triple string) []string {
	ext := ""
	if goos == "windows" {
		ext = ".exe"
	}
	var out []string
	if triple != "" {
		out = append(out, name+"-"+triple+ext)
	}
	if goos == "darwin" {
		out = append(out, name+"-universal-apple-darwin")
	}
	return append(out, name+ext)
}

func (r *resolver) sidecar(capName, name string) (string, *Denied) {
	if !sidecarNameRE.MatchString(name) || strings.Contains(name, "..") {
		return "", &Denied{Capability: capName, Rule: RuleSidecarName, Position: -1,
			Pattern: sidecarNameRE.String(), Given: name,
			Message: fmt.Sprintf("sidecar name %s must be a bare name (letters, digits, '-', '_', inner '.'), without path separators or \"..\"", quote(name))}
	}
	names := SidecarFileNames(name, runtime.GOOS, r.triple)
	var tried []string
	for _, dir := range r.sidecarDir {
		for _, n := range names {
			p := filepath.Join(dir, n)
			if _, err := os.Lstat(p); err != nil {
				tried = append(tried, p)
				continue
			}
			if d := checkProgramFile(capName, p, true); d != nil {
				return "", d
			}
			return p, nil
		}
	}
	return "", &Denied{Capability: capName, Rule: RuleSidecarNotFound, Position: -1, Given: name,
		Message: fmt.Sprintf("sidecar %s not found for target %s (tried %s)", quote(name), r.triple, strings.Join(tried, ", "))}
}

// executableDir is the directory of the running binary with symlinks
// resolved, so a symlinked corral still finds the sidecars installed next to
// the real file.
func executableDir() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	return filepath.Dir(exe)
}
