package proc

import (
	"fmt"
	"time"
)

// ExitStatus is how a child ended.
type ExitStatus struct {
	// Code is the exit code, or -1 when the child was ended by a signal.
	Code int
	// Signal is the number of the signal that ended the child, 0 if none.
	Signal int
	// SignalName is the signal's name ("SIGKILL"), empty if none.
	SignalName string
	// Stopped is true when Stop or Kill was called before the child exited.
	Stopped bool
	// Started and Ended bound the child's life.
	Started, Ended time.Time
}

// Signaled reports whether a signal ended the child.
func (s ExitStatus) Signaled() bool { return s.Signal != 0 }

// Success reports a zero exit code.
func (s ExitStatus) Success() bool { return s.Code == 0 && s.Signal == 0 }

// ShellCode is the code a shell would report: the exit code, or 128+signal.
func (s ExitStatus) ShellCode() int {
	if s.Signal != 0 {
		return 128 + s.Signal
	}
	return s.Code
}

func (s ExitStatus) String() string {
	if s.Signal != 0 {
		return fmt.Sprintf("killed by %s", s.SignalName)
	}
	return fmt.Sprintf("exit code %d", s.Code)
}
