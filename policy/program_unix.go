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

func isSticky(fi fs.FileInfo) bool { return fi.Mode()&fs.ModeSticky != 0 }

func fileID(fi fs.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), uint64(st.Ino)
	}
	return 0, 0
}
