//go:build windows

package proc

import (
	"os"
	"path/filepath"
	"strings"
)

// candidates lists the file names tried for a bare program name. Only .exe
// and .com are tried: .bat and .cmd files are parsed by cmd.exe with rules
// that make passing untrusted arguments unsafe.
func candidates(name string) []string {
	if filepath.Ext(name) != "" {
		return []string{name}
	}
	return []string{name + ".exe", name + ".com"}
}

func checkExecutable(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return errIsDir
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".exe", ".com":
		return nil
	}
	return errNotExec
}
