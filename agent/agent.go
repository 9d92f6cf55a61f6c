package agent

import (
	"errors"
	"io"
	"time"

	"github.com/corral-dev/corral/event"
)

// Stream says which output stream a line came from.
type Stream int

// Output streams of an agent process.
const (
	Stdout Stream = 1
	Stderr Stream = 2
)

// LaunchSpec describes how to start an agent process. The caller applies
// its own policy (allowed programs, environment allowlist, cwd roots)
// before starting it.
type LaunchSpec struct {
	Program string   // absolute path or PATH name
	Args    []string // arguments after the program name
	// Env is the complete environment of the child as KEY=VALUE: the
	// session's Env with the adapter's own settings applied over it.
	Env []string
	Dir string // working directory
	// Stdin reports whether the adapter writes to stdin after start. When
	// false the child's stdin must be the null device: some CLIs (codex
	// exec, gemini -p) read stdin to EOF when it is a pipe.
	Stdin bool
}

// SessionOptions are what a session chooses for its agent process.
type SessionOptions struct {
	// Program is the CLI to run (absolute path or PATH name); empty means
	// the adapter's default command name.
	Program string
	// Args are extra arguments placed before the adapter's own.
	Args []string
	Cwd  string
	// Env is the base environment of the child (already filtered by
	// policy), KEY=VALUE. The adapter adds to it, never reads corral's.
	Env []string
	// Model selects the model; empty leaves the agent's default.
	Model string
	// PermissionMode is the agent's own name for its approval mode
	// (Claude: default, acceptEdits, plan, bypassPermissions; Codex
	// app-server: untrusted, on-request, never; Gemini: default,
	// auto_edit, yolo). Empty leaves the agent's default.
	PermissionMode string
	// Sandbox is Codex's sandbox mode (read-only, workspace-write,
	// danger-full-access); other agents ignore it.
	Sandbox string
	// ResumeID is the agent's session or thread id to continue, as
	// reported in an earlier agent.init event.
	ResumeID string
	// Fork continues ResumeID as a new conversation (the agent announces
	// its new id), leaving ResumeID's as it was; ForkAt, when set, is the
	// agent's id of the last message kept. Only adapters that implement
	// Forker take them.
	Fork   bool
	ForkAt string
}

// Forker is an adapter that can fork a conversation (SessionOptions.Fork).
type Forker interface {
	// Forks reports whether the agent forks conversations.
	Forks() bool
}

// Turn is one user turn for a per-turn adapter's Launch.
type Turn struct {
	Text string
	// Attachments are the files attached to the turn, already saved
	// (Attachment.Path); see attach.go for how each protocol takes them.
	Attachments []Attachment
}

// PermissionAnswer answers a permission.request.
type PermissionAnswer struct {
	RequestID string
	Allow     bool
	// Input replaces the tool's input when allowing (an edited command,
	// say); nil keeps the original input.
	Input []byte
	// Message tells the model why the request was denied.
	Message string
	// Remember makes the decision stick for the rest of the session
	// where the agent supports it: Claude adds the rule it suggested,
	// Codex accepts for the session, ACP picks the "always" option.
	Remember bool
}

// Adapter knows one agent CLI family's protocol. Adapters are stateless
// and safe for concurrent use; per-process state lives in a Conn.
type Adapter interface {
	// Name is the adapter's name, e.g. "claude".
	Name() string
	// PerTurn reports whether every turn runs in its own process.
	PerTurn() bool
	// Launch describes the process to start. For per-turn adapters turn
	// is the turn to run; persistent adapters ignore it (pass nil).
	Launch(opts SessionOptions, turn *Turn) (LaunchSpec, error)
	// NewConn returns the protocol state for one process whose stdin is
	// stdin (nil when LaunchSpec.Stdin is false).
	NewConn(opts SessionOptions, stdin io.Writer, cfg ConnConfig) Conn
}

// ConnConfig tunes a Conn.
type ConnConfig struct {
	// Now stamps events; nil means time.Now.
	Now func() time.Time
	// Turn is the turn a per-turn Conn delivers in Start.
	Turn *Turn
}

// Conn is the protocol state of one running agent process.
//
// Decode must never be called concurrently: one call at a time, in line
// order. The calls may come from different goroutines (the session layer
// decodes on the process's stdout and stderr readers, which take turns);
// the other methods may be called from any goroutine. Methods that write
// return the write's error (a broken stdin means the process is gone).
type Conn interface {
	// Start writes what the protocol needs before the first turn (a
	// handshake, or a per-turn adapter's prompt). Call it once, right
	// after the process starts.
	Start() error
	// Decode turns one output line (without its line terminator) into
	// events. line is only read during the call.
	Decode(stream Stream, line []byte, emit func(event.Event))
	// SendUserTurn starts a turn with text. Per-turn adapters return
	// ErrPerTurn: their turn is given to Launch.
	SendUserTurn(text string) error
	// Interrupt stops the running turn and keeps the process for the
	// next one. ErrSignalRequired means the protocol has no such
	// command: the caller stops the process instead.
	Interrupt() error
	// RespondPermission answers a pending permission.request.
	RespondPermission(a PermissionAnswer) error
	// SessionID returns the agent's session or thread id once known
	// (the value for SessionOptions.ResumeID), else "".
	SessionID() string
}

// Errors a Conn returns.
var (
	// ErrPerTurn: a per-turn adapter's turns are given to Launch.
	ErrPerTurn = errors.New("agent: this adapter runs one process per turn; start a new process for the turn")
	// ErrSignalRequired: the protocol cannot interrupt a turn in band;
	// stop the process (SIGINT first) instead.
	ErrSignalRequired = errors.New("agent: interrupt needs a signal to the process")
	// ErrNoSuchRequest: no pending permission request has that id (it was
	// answered, cancelled by the agent, or never existed).
	ErrNoSuchRequest = errors.New("agent: no pending permission request with that id")
	// ErrUnsupported: the agent's protocol has no way to do this.
	ErrUnsupported = errors.New("agent: not supported by this agent's protocol")
	// ErrNotReady: the handshake has not finished (no session/thread yet).
	ErrNotReady = errors.New("agent: the agent process is not ready yet")
)
