//go:build unix

package main

import "os"

// checkTokenMode refuses a token file whose mode lets others read or
// change it (see TokenModeError).
func checkTokenMode(path string, fi os.FileInfo) error {
	if tokenModeLoose(fi.Mode()) {
		return &TokenModeError{Path: path, Mode: fi.Mode().Perm()}
	}
	return nil
}
