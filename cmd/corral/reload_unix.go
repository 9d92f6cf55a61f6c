//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// notifyHUP delivers SIGHUP (reload the configuration); stop ends it.
func notifyHUP() (c <-chan os.Signal, stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	return ch, func() { signal.Stop(ch) }
}
