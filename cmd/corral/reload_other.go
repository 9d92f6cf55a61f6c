//go:build !unix

package main

import "os"

// notifyHUP: there is no SIGHUP here; the file watch and ReloadConfig
// remain.
func notifyHUP() (c <-chan os.Signal, stop func()) { return nil, func() {} }
