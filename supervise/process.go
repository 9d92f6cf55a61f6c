package supervise

import (
	"errors"
	"os"
	"sync"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/proc"
)

// State is a managed process's state.
type State string

const (
	StateQueued   State = "queued"
	StateStarting State = "starting"
	StateRunning  State = "running"
	StateStopping State = "stopping"
	StateBackoff  State = "backoff"
	// StateExited and StateFailed are terminal. Failed means the process
	// could not be started, did not become ready in time, or was given up
	// after too many failures.
	StateExited State = "exited"
	StateFailed State = "failed"
)

// Reasons given by run.exited (and Result.Reason).
const (
	ReasonExit        = "exit"         // ended on its own with an exit code
	ReasonKilled      = "killed"       // stopped or killed on request (Stop, Kill, shutdown)
	ReasonTimeout     = "timeout"      // the start timeout or the total runtime limit
	ReasonIdleTimeout = "idle-timeout" // no output for IdleTimeout
	ReasonSpawnFailed = "spawn-failed" // could not be started
	ReasonCrashed     = "crashed"      // ended by a signal corral did not send
	ReasonMemory      = "memory-limit" // stopped for passing its memory limit
	ReasonOutputLimit = "output-limit" // stopped for writing past MaxOutput or MaxStreamOutput
)

// Result is how a managed process ended: the data of its run.exited event.
type Result struct {
	State  State  `json:"state"`
	Reason string `json:"reason"`
	// Limit names the limit that hit: the timeout ("start", "total" or
	// "idle"), or the output cap ("max_output", "max_stream_output:stdout"
	// or "max_stream_output:stderr").
	Limit      string `json:"limit,omitempty"`
	Code       int    `json:"code"`
	Signal     int    `json:"signal,omitempty"`
	SignalName string `json:"signalName,omitempty"`
	// Attempts counts the starts, Restarts the starts after the first.
	Attempts int  `json:"attempts"`
	Restarts int  `json:"restarts"`
	GaveUp   bool `json:"gaveUp,omitempty"`
	// Error is the spawn error's text for spawn-failed.
	Error      string `json:"error,omitempty"`
	DurationMs int64  `json:"durationMs"`
	// Err is the spawn error itself (a *proc.SpawnFailed).
	Err error `json:"-"`
	// Exit is the last exit status, zero if the process never started.
	Exit proc.ExitStatus `json:"-"`
}

// ShellCode is the exit code a shell would report for the last run: the
// child's exit code or 128+signal; 127 when it could not be started.
func (r Result) ShellCode() int {
	if r.Reason == ReasonSpawnFailed {
		return 127
	}
	if r.Attempts == 0 {
		return 128 + 9
	}
	return r.Exit.ShellCode()
}

// Info is a snapshot of one managed process.
type Info struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Owner   Owner    `json:"owner"`
	Command []string `json:"command"`
	State   State    `json:"state"`
	Pid     int      `json:"pid,omitempty"`
	// StartTime is the kernel start time of Pid (see Entry.StartTime).
	StartTime     uint64        `json:"startTime,omitempty"`
	Started       time.Time     `json:"started,omitzero"`
	Uptime        time.Duration `json:"uptimeNs"`
	Attempts      int           `json:"attempts"`
	QueuePosition int           `json:"queuePosition,omitempty"`
	Stats         Stats         `json:"stats"`
}

// Stats is the last resource sample of a process tree.
type Stats struct {
	// CPUPercent is the CPU used by the whole tree since the previous
	// sample, in percent of one core.
	CPUPercent float64 `json:"cpuPercent"`
	// RSS is the resident memory of the whole tree, in bytes.
	RSS uint64 `json:"rss"`
	// Processes counts the processes of the tree.
	Processes int       `json:"processes"`
	Time      time.Time `json:"time,omitzero"`
}

// ErrNotRunning is returned by Write and CloseStdin when no child runs.
var ErrNotRunning = errors.New("supervise: the process is not running")

// Process is one managed process: every start of its command, from
// admission to the terminal event. Its methods are safe for concurrent use.
type Process struct {
	s    *Supervisor
	id   string
	spec Spec

	admitted chan struct{} // closed when a queued process gets its slot
	wake     chan struct{} // a request flag below was set
	done     chan struct{}

	mu        sync.Mutex
	curReady  chan struct{} // closed while cur is set; replaced when it is cleared
	state     State
	queuePos  int
	attempts  int
	cur       *proc.Process
	group     string // the cgroup of the running child, "" without
	pid       int
	startTime uint64
	started   time.Time
	first     time.Time
	stats     Stats
	stopReq   bool
	killReq   bool
	memReq    bool
	outReq    string // the output cap that was reached, until the loop sees it
	result    Result

	// Output loss accounting, touched only from the serialized output path
	// and, after the last child was reaped, by the loop.
	lost [3]struct{ lines, bytes uint64 }
	// Output cap accounting, with the same discipline: the bytes admitted
	// so far (total and per stream, over every start), the cap that was
	// reached ("" until then) and what was cut because of it.
	outTotal  int64
	outStream [3]int64
	capLimit  string
	capLost   [3]struct{ lines, bytes uint64 }
}

func newProcess(s *Supervisor, id string, spec Spec) *Process {
	return &Process{
		s:        s,
		id:       id,
		spec:     spec,
		admitted: make(chan struct{}),
		curReady: make(chan struct{}),
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
}

// ID is the process's id, unique per supervisor and across corral runs.
func (p *Process) ID() string { return p.id }

// Spec returns the spec the process was started from.
func (p *Process) Spec() Spec { return p.spec }

// Done is closed after the terminal event was queued.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait blocks until the process is over and returns how it ended.
func (p *Process) Wait() Result {
	<-p.done
	return p.result
}

// Info returns a snapshot of the process.
func (p *Process) Info() Info {
	p.mu.Lock()
	defer p.mu.Unlock()
	in := Info{
		ID:            p.id,
		Name:          p.spec.Name,
		Owner:         p.spec.Owner,
		Command:       append([]string{p.spec.Program}, p.spec.Args...),
		State:         p.state,
		Pid:           p.pid,
		StartTime:     p.startTime,
		Started:       p.started,
		Attempts:      p.attempts,
		QueuePosition: p.queuePos,
		Stats:         p.stats,
	}
	if p.cur != nil {
		in.Uptime = p.s.sinceStart(p.started)
	}
	return in
}

// Stop asks for a graceful stop: stdin is closed and the group gets
// SIGTERM, then SIGKILL after the stop grace. A queued process is removed
// from the queue, a backing-off one is not restarted. A stop that was asked
// for never restarts. Stop does not wait; use Wait or Done.
func (p *Process) Stop() { p.request(func() { p.stopReq = true }) }

// Kill kills the process's group at once and never restarts it.
func (p *Process) Kill() { p.request(func() { p.killReq = true }) }

func (p *Process) request(set func()) {
	p.mu.Lock()
	set()
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// child returns the running child, waiting while the process is queued,
// starting or backing off; nil once the process is over.
func (p *Process) child() *proc.Process {
	for {
		p.mu.Lock()
		cp, ready := p.cur, p.curReady
		p.mu.Unlock()
		if cp != nil {
			return cp
		}
		select {
		case <-ready:
		case <-p.done:
			return nil
		}
	}
}

// Write writes to the running child's stdin (see proc.Process.Write). While
// no child runs yet (queued, starting, backing off) it waits for one; it
// returns ErrNotRunning once the process is over.
func (p *Process) Write(b []byte) (int, error) {
	cp := p.child()
	if cp == nil {
		return 0, ErrNotRunning
	}
	return cp.Write(b)
}

// CloseStdin closes the running child's stdin, waiting for a child like
// Write.
func (p *Process) CloseStdin() error {
	cp := p.child()
	if cp == nil {
		return ErrNotRunning
	}
	return cp.CloseStdin()
}

// Signal sends sig to the running child's group (a terminal's interrupt,
// forwarded). It is not a stop request: a restart policy still applies.
func (p *Process) Signal(sig os.Signal) error {
	p.mu.Lock()
	cp := p.cur
	p.mu.Unlock()
	if cp == nil {
		return ErrNotRunning
	}
	return cp.Signal(sig)
}

func (p *Process) stamp(ev *event.Event) {
	ev.ProcessID = p.id
	ev.SessionID = p.spec.SessionID
	ev.RunID = p.spec.RunID
}

func (p *Process) setState(st State, data map[string]any) {
	p.mu.Lock()
	p.setStateLocked(st, data)
	p.mu.Unlock()
}

// setStateLocked records st and queues its process.state event. Called with
// p.mu or s.mu held, never both orders: events are queued, not delivered.
func (p *Process) setStateLocked(st State, data map[string]any) {
	p.state = st
	if data == nil {
		data = map[string]any{}
	}
	data["state"] = string(st)
	p.s.emit(p, event.ProcessState, data)
}

// setQueued records a new queue position (0: admitted) and, when it
// changed while queued, emits it. Called with s.mu held.
func (p *Process) setQueued(pos int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.queuePos == pos {
		return
	}
	p.queuePos = pos
	if pos > 0 {
		p.setStateLocked(StateQueued, map[string]any{"position": pos})
	}
}

// requests returns and clears nothing: requests are sticky, so a stop
// asked during backoff is still seen by the next select.
// The memory and output-cap requests are one-shot and cleared when read.
func (p *Process) requests() (stop, kill, mem bool, outLimit string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	mem, outLimit = p.memReq, p.outReq
	p.memReq, p.outReq = false, ""
	return p.stopReq, p.killReq, mem, outLimit
}
