package supervise

import (
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/proc"
)

// WhenFull says what Start does when a limit on concurrent processes is
// reached.
type WhenFull string

const (
	// Queue holds the process in the queued state (bounded by
	// Config.MaxQueue) until a slot frees; it emits its queue position.
	Queue WhenFull = "queue"
	// Reject fails Start with *LimitReached.
	Reject WhenFull = "reject"
)

// DefaultMarkerKey is the environment variable every managed child (and so
// every descendant that does not scrub its environment) carries, with the
// value "<supervisor token>/<process id>". It is how descendants that left
// their process group are still found and killed.
const DefaultMarkerKey = "CORRAL_SUPERVISOR"

// Config configures a Supervisor. The zero value is usable: no limits, no
// ledger, no sink, sampling every 2 s.
type Config struct {
	// MaxProcesses caps the managed processes that are not queued or over
	// (starting, running, stopping or in backoff); 0 means no cap.
	MaxProcesses int
	// MaxPerKind caps them per Owner.Kind ("session", "capability", ...).
	MaxPerKind map[string]int
	// WhenFull chooses queueing (the default) or rejection.
	WhenFull WhenFull
	// MaxQueue bounds the queue; a Start that would exceed it fails with
	// *LimitReached{Limit: "queue"}. Zero means DefaultMaxQueue.
	MaxQueue int

	// Sink receives every event, in order, from one goroutine. It may be
	// slow: events wait in a bounded queue (EventQueue events, default
	// DefaultEventQueue) and output that does not fit is counted and
	// reported as output.truncated. Nil discards events.
	Sink       func(event.Event)
	EventQueue int

	// Ledger records live process groups; nil keeps no record.
	Ledger Ledger
	// Watchdog, when non-empty, is the command line of the watchdog process
	// (see RunWatchdog): corral's own executable with a hidden argument, or
	// the test binary in tests. WatchdogEnv is its environment.
	Watchdog    []string
	WatchdogEnv []string
	// DeathGrace is how long, after corral died, the watchdog lets the
	// processes it left end after SIGTERM before it sends SIGKILL; zero
	// means DefaultDeathGrace.
	DeathGrace time.Duration
	// Subreaper makes corral a child subreaper (Linux), so that descendants
	// that left their group are re-parented to corral and killed with the
	// tree they came from. It is a property of the whole process and stays
	// set after Shutdown; a New that fails undoes it if it set it.
	Subreaper bool
	// NoCgroups turns cgroup v2 containment off (Linux), as the environment
	// variable NoCgroupsEnv does. By default every tree runs in a cgroup of
	// its own when corral's cgroup v2 group is writable; then Subreaper is
	// not needed and not set. See Containment.
	NoCgroups bool

	// MonitorInterval is the sampling period of CPU and memory; zero means
	// DefaultMonitorInterval, negative disables sampling (and with it the
	// memory limit).
	MonitorInterval time.Duration

	// MarkerKey overrides DefaultMarkerKey.
	MarkerKey string
	// Clock and Rand are injected by tests; they default to the real clock
	// and a random source. Rand returns a number in [0, 1).
	Clock Clock
	Rand  func() float64
}

// Defaults of Config and Spec.
const (
	DefaultMaxQueue        = 256
	DefaultEventQueue      = 4096
	DefaultMonitorInterval = 2 * time.Second
	DefaultReadyGrace      = time.Second
	DefaultStartTimeout    = 30 * time.Second
	DefaultStopGrace       = 5 * time.Second
)

// Owner is who a process belongs to.
type Owner struct {
	Kind string `json:"kind"` // "session", "capability", ...
	ID   string `json:"id"`
}

func (o Owner) String() string {
	if o.Kind == "" {
		return o.ID
	}
	return o.Kind + ":" + o.ID
}

// ReadyMode says how a process proves it started.
type ReadyMode int

const (
	// ReadyGrace: running once it stayed alive for Readiness.Grace.
	ReadyGrace ReadyMode = iota
	// ReadyOnStart: running as soon as it was started.
	ReadyOnStart
	// ReadyJSON: running at its first stdout line that is valid JSON.
	ReadyJSON
	// ReadyLine: running at its first stdout line starting with
	// Readiness.Line (a handshake line).
	ReadyLine
)

// Readiness configures the starting → running transition.
type Readiness struct {
	Mode  ReadyMode
	Grace time.Duration // ReadyGrace; zero means DefaultReadyGrace
	Line  string        // ReadyLine
}

// MemoryAction says what happens when a process tree's RSS passes its soft
// limit.
type MemoryAction string

const (
	MemoryWarn MemoryAction = "warn"
	MemoryStop MemoryAction = "stop"
	// MemoryRestart restarts the process when its restart policy allows
	// restarts, and stops it otherwise.
	MemoryRestart MemoryAction = "restart"
)

// Spec describes one managed process.
type Spec struct {
	proc.Spec
	Owner Owner
	// Name is a label for listings; it defaults to the program.
	Name string
	// SessionID and RunID are copied into every event of the process; when
	// SessionID is empty and Owner.Kind is "session", Owner.ID is used.
	SessionID, RunID string

	// Restart is the restart policy. When its Mode is empty it is
	// RestartNever, the default for agent conversations (the session layer
	// resumes them instead), or RestartOnFailure when Daemon is set.
	Restart RestartPolicy
	// Daemon marks a long-lived helper (a language server, an MCP server):
	// its default restart mode is on-failure.
	Daemon bool
	Ready  Readiness
	// StartTimeout bounds starting → running (DefaultStartTimeout when
	// zero); a process not ready in time is killed and counted a failure.
	StartTimeout time.Duration
	// IdleTimeout stops a process that printed nothing for that long; 0 is
	// no limit.
	IdleTimeout time.Duration
	// Timeout stops a process that has run that long since its first start;
	// 0 is no limit.
	Timeout time.Duration
	// StopGrace is the time between the graceful stop (stdin closed,
	// SIGTERM to the group) and SIGKILL of the group; DefaultStopGrace when
	// zero.
	StopGrace time.Duration

	// MemoryLimit is a soft limit on the RSS of the whole tree in bytes, 0
	// for none. It is checked at every sample, so it is a poll, not a hard
	// guarantee.
	MemoryLimit  uint64
	MemoryAction MemoryAction

	// MaxOutput caps the stdout+stderr bytes of the managed process and
	// MaxStreamOutput the bytes of each stream; 0 is no cap. They count what
	// the child wrote (whether or not a slow consumer kept up) over every
	// start of the process, so restarts do not reset them, as they do not
	// reset Timeout. In Chunks mode every byte counts; in Lines mode a line
	// counts its bytes plus one for the terminator the framer removed, so
	// that a flood of empty lines is bounded too.
	//
	// The first byte past a cap stops the process with the normal grace
	// sequence. Its Result reason is "output-limit" and its Limit
	// "max_output" or "max_stream_output:<stream>" (the total cap is named
	// when one write reaches both). The output up to the cap is forwarded,
	// the write that crosses it cut at the cap; nothing after it reaches
	// events or the Tap. What was cut, including what the child wrote while
	// it was being stopped, is reported by one output.truncated event
	// (reason "output limit") just before the terminal events. Such a stop
	// counts as requested: the process is never restarted, since a restart
	// would start from an exhausted budget.
	MaxOutput       int64
	MaxStreamOutput int64

	// Tap, when set, receives every output synchronously on the reading
	// goroutine, before events are queued. It is for a caller that needs
	// the bytes exactly (corral run copying to its own stdout) and accepts
	// that a slow Tap slows the child like a slow pipe would. Keep it fast.
	Tap proc.Sink
	// NoOutputEvents stops output from becoming stdout/stderr events (the
	// Tap still sees it).
	NoOutputEvents bool
}
