package proc

import (
	"errors"
	"fmt"
	"strings"
)

// SpawnFailed reports that a child could not be started.
type SpawnFailed struct {
	Program  string   // the program as given in the Spec
	Dir      string   // the working directory asked for
	Searched []string // the directories searched, for a bare name
	Reason   string   // a short phrase: "not found", "not executable", ...
	Err      error    // the underlying error, if any
}

func (e *SpawnFailed) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cannot start %q: %s", e.Program, e.Reason)
	if len(e.Searched) > 0 {
		fmt.Fprintf(&b, " (searched %s)", strings.Join(e.Searched, ", "))
	}
	if e.Dir != "" && strings.Contains(e.Reason, "directory") {
		fmt.Fprintf(&b, " (directory %q)", e.Dir)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

func (e *SpawnFailed) Unwrap() error { return e.Err }

// StdinBroken reports a write to (or close of) the stdin of a child that can
// no longer read it: it exited, closed its end, or stdin was already closed.
type StdinBroken struct {
	Err error
}

func (e *StdinBroken) Error() string { return "stdin of the child is closed: " + e.Err.Error() }
func (e *StdinBroken) Unwrap() error { return e.Err }

// ErrNoStdin is returned by Write when the Spec did not ask for a stdin pipe.
var ErrNoStdin = errors.New("proc: the process was started without a stdin pipe")
