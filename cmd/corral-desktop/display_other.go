//go:build !linux

package main

// displayAvailable is always true outside Linux: macOS and Windows have one
// window system, which is there whenever a user session is.
func displayAvailable() error { return nil }
