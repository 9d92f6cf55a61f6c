//go:build !windows

package policy

import (
	"io/fs"
	"syscall"
)

// candidates lists the files a PATH entry may hold for a name.
func candidates(p string) []string { return []string{p} }

func isBatch(string) bool { return false }

func isExecutable(fi fs.FileInfo) bool { return fi.Mode().Perm()&0o111 != 0 }

func writableByOthers(fi fs.FileInfo) bool { return fi.Mode().Perm()&0o002 != 0 }

// fileStat is what a fingerprint needs beyond os.FileInfo.
type fileStat struct {
	dev, ino uint64
	ctime    int64 // inode change time, ns
}

// statOf returns the device, inode and ctime of fi, and whether the
// platform reports a ctime (statCtime is per OS).
func statOf(fi fs.FileInfo) (fileStat, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileStat{}, false
	}
	ctime, ok := statCtime(st)
	return fileStat{dev: uint64(st.Dev), ino: uint64(st.Ino), ctime: ctime}, ok
}
