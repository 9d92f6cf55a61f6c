package policy

import (
	"io/fs"
	"path/filepath"
	"strings"
)

// candidates lists the files a PATH entry may hold for a name. Only .exe
// and .com are tried: .bat and .cmd run through cmd.exe, whose parsing
// defeats argument validation (the "BatBadBut" class of bugs).
func candidates(p string) []string {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".exe", ".com":
		return []string{p}
	}
	return []string{p + ".exe", p + ".com"}
}

func isBatch(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".bat", ".cmd":
		return true
	}
	return false
}

// isExecutable: Windows has no execute bit; the extension decides.
func isExecutable(fi fs.FileInfo) bool {
	switch strings.ToLower(filepath.Ext(fi.Name())) {
	case ".exe", ".com":
		return true
	}
	return false
}

// writableByOthers is not derived from ACLs on Windows (a mode bit does not
// express them); install sidecars under Program Files or a user-only
// directory.
func writableByOthers(fs.FileInfo) bool { return false }

// fileStat is what a fingerprint needs beyond os.FileInfo.
type fileStat struct {
	dev, ino uint64
	ctime    int64
}

// statOf: os.FileInfo carries no change time on Windows (and the last
// write time can be set back), so no fingerprint is trusted there and a
// pinned program is hashed on every Check.
func statOf(fs.FileInfo) (fileStat, bool) { return fileStat{}, false }
