package proc

import (
	"time"

	"github.com/corral-dev/corral/stream"
)

// StdinMode says what the child's standard input is connected to.
type StdinMode int

const (
	// StdinNone connects stdin to the null device: the child reads EOF.
	StdinNone StdinMode = iota
	// StdinPipe connects stdin to a pipe written with Process.Write.
	StdinPipe
	// StdinPTY runs the child on a pseudo-terminal: stdin, stdout and stderr
	// are all the terminal, so output arrives as one stream (Stdout), with the
	// terminal's line discipline applied (for example "\n" becomes "\r\n").
	// Unix only.
	StdinPTY
)

func (m StdinMode) String() string {
	switch m {
	case StdinNone:
		return "none"
	case StdinPipe:
		return "pipe"
	case StdinPTY:
		return "pty"
	}
	return "unknown"
}

// OutputMode says how output is cut before it reaches the Sink.
type OutputMode int

const (
	// Lines frames output into lines with package stream (the default).
	Lines OutputMode = iota
	// Chunks delivers the bytes exactly as read, for byte-exact pass-through.
	Chunks
)

// Default values used when a Spec field is zero.
const (
	DefaultWaitDelay = 500 * time.Millisecond
	DefaultGrace     = 5 * time.Second
	// DefaultProgressInterval lets a progress bar refresh about ten times a
	// second, which is as often as a person can read it.
	DefaultProgressInterval = 100 * time.Millisecond
)

// Spec describes one child process. The zero value of every optional field
// has a safe meaning.
type Spec struct {
	// Program is an absolute path, a path relative to Dir (containing a
	// separator), or a bare name searched in the PATH of Env — never in
	// corral's own PATH and never in the current directory.
	Program string
	// Args are the arguments after the program name.
	Args []string
	// Dir is the working directory; empty means corral's current directory.
	Dir string
	// Env is the child's complete environment as "KEY=value" entries. A nil
	// or empty Env gives the child an empty environment.
	Env []string
	// Stdin selects what stdin is connected to.
	Stdin StdinMode
	// Output selects line framing or raw chunks.
	Output OutputMode
	// MaxLine caps one framed line (default stream.DefaultMaxLine); longer
	// lines arrive cut into parts flagged Continued.
	MaxLine int
	// WaitDelay bounds how long, after the leader exited, output is still
	// read before the rest of the process group is killed and the pipes are
	// closed. It keeps a grandchild that holds the pipes from hanging Wait.
	// Zero means DefaultWaitDelay.
	WaitDelay time.Duration
	// ProgressInterval is the shortest time between two delivered progress
	// updates ('\r'-ended lines) of one stream; updates in between are
	// coalesced to the latest. Zero means DefaultProgressInterval.
	ProgressInterval time.Duration
	// Rows and Cols size the terminal in StdinPTY mode (default 24x80).
	Rows, Cols uint16
	// Cgroup is the directory of an existing cgroup v2 group to start the
	// child in (Linux; clone3 with CLONE_INTO_CGROUP, so that no descendant
	// can be started outside it). Everything in the group then belongs to
	// the child's tree: Kill, the end of Stop's grace and the end of the
	// leader kill the whole group (cgroup.kill), and Stop's SIGTERM and
	// SignalTree reach every process in it, those that left the process
	// group included. The caller creates the group and removes it
	// (RemoveCgroup) after Done. Empty: the child stays in corral's group.
	// Ignored outside Linux.
	Cgroup string
}

func (s *Spec) maxLine() int {
	if s.MaxLine <= 0 {
		return stream.DefaultMaxLine
	}
	return s.MaxLine
}

func (s *Spec) progressInterval() time.Duration {
	if s.ProgressInterval <= 0 {
		return DefaultProgressInterval
	}
	return s.ProgressInterval
}

func (s *Spec) waitDelay() time.Duration {
	if s.WaitDelay <= 0 {
		return DefaultWaitDelay
	}
	return s.WaitDelay
}

// StreamID names the stream an Output came from.
type StreamID uint8

const (
	Stdout StreamID = 1
	Stderr StreamID = 2
)

func (s StreamID) String() string {
	switch s {
	case Stdout:
		return "stdout"
	case Stderr:
		return "stderr"
	}
	return "unknown"
}

// Output is one line (or, in Chunks mode, one raw chunk) of child output.
//
// Bytes is only valid during the Sink call: a Sink that keeps it must copy
// it. Seq starts at 1 and increases by one for every Output of the process,
// across both streams.
type Output struct {
	Stream StreamID
	Seq    uint64
	Time   time.Time
	Bytes  []byte
	// Continued, Progress and Partial are the framing flags of stream.Line.
	Continued bool
	Progress  bool
	Partial   bool
}

// A Sink receives output. Calls are serialized (never concurrent) and come in
// Seq order. A Sink that blocks stalls reading and, once the pipe buffer is
// full, the child: callers that must never slow a child (the supervisor)
// give a Sink that only enqueues into a bounded queue.
type Sink func(Output)
