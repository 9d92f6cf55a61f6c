//go:build unix

package proc

import (
	"os"

	"golang.org/x/sys/unix"
)

func candidates(name string) []string { return []string{name} }

func checkExecutable(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return errIsDir
	}
	if err := unix.Access(path, unix.X_OK); err != nil {
		return errNotExec
	}
	return nil
}
