package main

import (
	"fmt"
	"io/fs"
)

// TokenModeError refuses a token file that users other than its owner may
// read or write: anyone who reads the token controls corral's agents.
type TokenModeError struct {
	Path string
	Mode fs.FileMode // the file's permission bits
}

func (e *TokenModeError) Error() string {
	return fmt.Sprintf("token file %s has mode %#o: users other than its owner may read or change it; "+
		"run 'chmod 600 %s' to keep the token, or start with --rotate-token to replace it with a fresh private one "+
		"(open tabs then need the new URL)", e.Path, uint32(e.Mode), e.Path)
}

// tokenModeLoose reports whether permission bits let the file's group or
// others read, write or execute it.
func tokenModeLoose(mode fs.FileMode) bool { return mode.Perm()&0o077 != 0 }
