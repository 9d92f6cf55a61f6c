//go:build unix

package certs

import (
	"fmt"
	"os"
)

const isWindows = false

// KeyModeError refuses a private key file that users other than its owner
// may read or write.
type KeyModeError struct {
	Path string
	Mode os.FileMode
}

func (e *KeyModeError) Error() string {
	return fmt.Sprintf("certs: key file %s has mode %#o: users other than its owner may read it; run 'chmod 600 %s'", e.Path, uint32(e.Mode), e.Path)
}

func checkKeyMode(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return &KeyModeError{Path: path, Mode: fi.Mode().Perm()}
	}
	return nil
}
