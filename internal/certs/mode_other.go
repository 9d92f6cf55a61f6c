//go:build !unix

package certs

const isWindows = true

// checkKeyMode: files on Windows have no Unix mode bits to check.
func checkKeyMode(string) error { return nil }
