package main

import (
	"errors"
	"os"
)

// displayAvailable reports an error when no display server is named in the
// environment. GTK would otherwise fail inside the window toolkit, after
// the core had started; checked first, a launch from a plain SSH session or
// a service says what is wrong and touches nothing.
func displayAvailable() error {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return errors.New("no display: neither DISPLAY nor WAYLAND_DISPLAY is set (under CI, run it inside Xvfb)")
	}
	return nil
}
