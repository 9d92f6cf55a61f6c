//go:build !unix

package main

import "os"

// checkTokenMode: Windows files have no Unix permission bits (access is
// governed by ACLs, and a file under the user's profile is private).
func checkTokenMode(string, os.FileInfo) error { return nil }
