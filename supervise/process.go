package supervise

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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

// outcome is how one run of the child ended.
type outcome struct {
	status    proc.ExitStatus
	spawnErr  error
	reason    string
	limit     string
	requested bool
	ready     bool
	memory    bool // ended by the memory limit with the restart action
}

// loop drives the process from admission to its terminal event.
func (p *Process) loop(admitted bool) {
	s := p.s
	if !admitted {
		for waiting := true; waiting; {
			select {
			case <-p.admitted:
				waiting = false
			case <-p.wake:
				if stop, kill, _, _ := p.requests(); (stop || kill) && s.dequeue(p) {
					s.unregister(p)
					p.finish(Result{State: StateExited, Reason: ReasonKilled, Code: -1})
					s.finished(p)
					return
				}
			}
		}
	}
	var h History
	var last outcome
	res := func() Result {
		p.mu.Lock()
		defer p.mu.Unlock()
		return Result{
			Code: last.status.Code, Signal: last.status.Signal, SignalName: last.status.SignalName,
			Attempts: p.attempts, Restarts: max(p.attempts-1, 0), Exit: last.status,
			DurationMs: last.status.Ended.Sub(p.first).Milliseconds(),
		}
	}
	for {
		last = p.runOnce()
		r := res()
		if last.spawnErr != nil {
			r.State, r.Reason, r.Err, r.Error, r.Code = StateFailed, ReasonSpawnFailed, last.spawnErr, last.spawnErr.Error(), -1
			p.end(r)
			return
		}
		exit := Exit{
			Code: last.status.Code, Signal: last.status.Signal,
			Requested: last.requested, Ready: last.ready,
			Started: last.status.Started, Ended: last.status.Ended,
		}
		now := s.clock.Now()
		act, delay, nh := Next(h, exit, p.spec.Restart, now, s.random())
		h = nh
		r.Reason, r.Limit = last.reason, last.limit
		if r.Reason == "" {
			r.Reason = ReasonExit
			if last.status.Signal != 0 {
				r.Reason = ReasonCrashed
			}
		}
		switch act {
		case Finish:
			r.State = StateExited
			if last.limit == "start" {
				r.State = StateFailed
			}
			p.end(r)
			return
		case GiveUp:
			r.State, r.GaveUp = StateFailed, true
			p.end(r)
			return
		}
		p.setState(StateBackoff, map[string]any{
			"delayMs": delay.Milliseconds(), "reason": r.Reason, "limit": r.Limit,
			"code": r.Code, "signal": r.Signal, "failures": len(h.Failures), "attempt": r.Attempts,
		})
		t := s.clock.NewTimer(delay)
		cancelled := false
		for waiting := true; waiting; {
			select {
			case <-t.C():
				waiting = false
			case <-p.wake:
				if stop, kill, _, _ := p.requests(); stop || kill {
					cancelled, waiting = true, false
				}
			}
		}
		t.Stop()
		if cancelled {
			r.State, r.Reason, r.Limit = StateExited, ReasonKilled, ""
			p.end(r)
			return
		}
	}
}

// end releases the slot and emits the terminal events.
func (p *Process) end(r Result) {
	p.s.releaseSlot(p)
	p.s.unregister(p)
	p.finish(r)
	p.s.finished(p)
}

func (p *Process) finish(r Result) {
	p.flushLoss()
	p.flushCapLoss()
	p.mu.Lock()
	p.result = r
	p.cur = nil
	p.setStateLocked(r.State, map[string]any{"reason": r.Reason})
	p.mu.Unlock()
	p.s.emit(p, event.RunExited, r)
	close(p.done)
}

// attempt is the per-run state shared with the output path.
type attempt struct {
	p       *Process
	readyCh chan struct{}
	once    sync.Once
	lastOut atomic.Int64 // clock time of the last output, UnixNano
}

func (a *attempt) markReady() { a.once.Do(func() { close(a.readyCh) }) }

func (a *attempt) onOutput(o proc.Output) {
	p := a.p
	o, ok := p.admitOutput(o)
	if !ok {
		return
	}
	if p.spec.Tap != nil {
		p.spec.Tap(o)
	}
	now := p.s.clock.Now()
	a.lastOut.Store(now.UnixNano())
	ready := false
	if o.Stream == proc.Stdout && !o.Continued {
		switch p.spec.Ready.Mode {
		case ReadyJSON:
			ready = json.Valid(o.Bytes)
		case ReadyLine:
			ready = strings.HasPrefix(string(o.Bytes), p.spec.Ready.Line)
		}
	}
	if !p.spec.NoOutputEvents {
		p.s.disp.pushOutput(p, o, now)
	}
	// After the push: the line that made the process ready is an event
	// before its running state.
	if ready {
		a.markReady()
	}
}

// runOnce starts the child once and watches it until it is reaped.
func (p *Process) runOnce() outcome {
	s := p.s
	p.mu.Lock()
	p.attempts++
	n := p.attempts
	p.mu.Unlock()
	p.setState(StateStarting, map[string]any{"attempt": n})

	spec := p.spec.Spec
	spec.Env = append(slices.Clip(spec.Env), s.marker+"="+s.token+"/"+p.id)
	a := &attempt{p: p, readyCh: make(chan struct{})}
	s.spawnMu.RLock()
	cp, group, warn, err := s.spawn(spec, p.id, n, a.onOutput)
	if warn != nil {
		s.emit(p, event.ErrorKind, map[string]any{"message": warn.Error()})
	}
	if err != nil {
		s.spawnMu.RUnlock()
		return outcome{spawnErr: err}
	}
	pid := cp.Pid()
	st, _ := startTime(pid)
	now := s.clock.Now()
	p.mu.Lock()
	p.cur, p.pid, p.startTime, p.started, p.group = cp, pid, st, now, group
	close(p.curReady)
	if p.first.IsZero() {
		p.first = now
	}
	first := p.first
	stopReq, killReq := p.stopReq, p.killReq
	p.mu.Unlock()
	s.spawnMu.RUnlock()
	a.lastOut.Store(now.UnixNano())

	entry := Entry{
		ID: p.id, Pid: pid, Pgid: pid, StartTime: st, Owner: p.spec.Owner.String(),
		Command: strings.Join(append([]string{p.spec.Program}, p.spec.Args...), " "),
		Marker:  s.marker + "=" + s.token + "/" + p.id, Supervisor: os.Getpid(), SupervisorStart: s.selfStart, Added: time.Now(),
		Cgroup: group,
	}
	if s.watchdog != nil {
		if err := s.watchdog.Add(entry); err != nil {
			s.emit(p, event.ErrorKind, map[string]any{"message": err.Error()})
		}
	}
	if s.cfg.Ledger != nil {
		if err := s.cfg.Ledger.Add(entry); err != nil {
			s.emit(p, event.ErrorKind, map[string]any{"message": "cannot record the process in the ledger: " + err.Error()})
		}
	}
	defer func() {
		if s.cfg.Ledger != nil {
			s.cfg.Ledger.Remove(p.id)
		}
		if s.watchdog != nil {
			s.watchdog.Remove(entry)
		}
	}()

	var out outcome
	grace := p.spec.StopGrace
	if grace <= 0 {
		grace = DefaultStopGrace
	}
	never := make(chan time.Time)
	ch := func(t Timer) <-chan time.Time {
		if t == nil {
			return never
		}
		return t.C()
	}
	var readyT, startT, idleT, totalT, killT Timer
	stopTimer := func(t *Timer) {
		if *t != nil {
			(*t).Stop()
			*t = nil
		}
	}
	defer func() {
		for _, t := range []*Timer{&readyT, &startT, &idleT, &totalT, &killT} {
			stopTimer(t)
		}
	}()
	readyCh := a.readyCh
	markRunning := func() {
		if out.ready {
			return
		}
		out.ready = true
		readyCh = nil
		stopTimer(&readyT)
		stopTimer(&startT)
		p.mu.Lock()
		if p.state == StateStarting {
			p.setStateLocked(StateRunning, map[string]any{"pid": pid, "attempt": n})
		}
		p.mu.Unlock()
	}
	stopping := false
	beginStop := func(reason, limit string, requested, kill bool) {
		if !stopping {
			// Fallback containment: learn the tree before the stop
			// orphans its members.
			s.reaper.rememberTrees()
		}
		if out.reason == "" {
			out.reason, out.limit = reason, limit
		}
		out.requested = out.requested || requested
		if kill {
			cp.Kill()
		}
		if stopping {
			return
		}
		stopping = true
		stopTimer(&readyT)
		stopTimer(&startT)
		stopTimer(&idleT)
		stopTimer(&totalT)
		p.setState(StateStopping, map[string]any{"reason": out.reason, "limit": out.limit})
		if !kill {
			gracefulStop(cp, grace)
			killT = s.clock.NewTimer(grace)
		}
	}

	if stopReq || killReq {
		// Asked to stop while it was being started.
		beginStop(ReasonKilled, "", true, killReq)
	} else {
		switch p.spec.Ready.Mode {
		case ReadyOnStart:
			markRunning()
		case ReadyGrace:
			g := p.spec.Ready.Grace
			if g <= 0 {
				g = DefaultReadyGrace
			}
			readyT = s.clock.NewTimer(g)
		}
		if !out.ready {
			to := p.spec.StartTimeout
			if to <= 0 {
				to = DefaultStartTimeout
			}
			startT = s.clock.NewTimer(to)
		}
		if p.spec.IdleTimeout > 0 {
			idleT = s.clock.NewTimer(p.spec.IdleTimeout)
		}
		if p.spec.Timeout > 0 {
			totalT = s.clock.NewTimer(max(first.Add(p.spec.Timeout).Sub(now), 0))
		}
	}

	for {
		select {
		case <-cp.Done():
			st, _ := cp.Wait()
			out.status = st
			// Every output was delivered before Done, so capLimit is
			// final. A child that reached a cap and then ended before the
			// stop reached it still ends for the cap: its output is cut.
			if p.capLimit != "" && out.reason == "" {
				out.reason, out.limit, out.requested = ReasonOutputLimit, p.capLimit, true
			}
			// proc killed the group when the leader ended; the group is
			// removed before the ledger entry that records it.
			if err := removeTreeGroup(group); err != nil {
				s.emit(p, event.ErrorKind, map[string]any{"message": "cannot remove the cgroup of the process: " + err.Error()})
			}
			p.mu.Lock()
			p.cur = nil
			p.group = ""
			p.curReady = make(chan struct{})
			p.mu.Unlock()
			s.reaper.ended(pid)
			return out
		case <-readyCh:
			markRunning()
		case <-ch(readyT):
			readyT = nil
			markRunning()
		case <-ch(startT):
			startT = nil
			if !out.ready {
				// Not ready in time: kill, and count it as a failure (not
				// requested, so the restart policy still decides).
				beginStop(ReasonTimeout, "start", false, true)
			}
		case <-ch(idleT):
			idleT = nil
			idle := s.clock.Now().Sub(time.Unix(0, a.lastOut.Load()))
			if idle >= p.spec.IdleTimeout {
				beginStop(ReasonIdleTimeout, "idle", true, false)
			} else {
				idleT = s.clock.NewTimer(p.spec.IdleTimeout - idle)
			}
		case <-ch(totalT):
			totalT = nil
			beginStop(ReasonTimeout, "total", true, false)
		case <-ch(killT):
			killT = nil
			cp.Kill()
		case <-p.wake:
			stop, kill, mem, outLimit := p.requests()
			if kill {
				beginStop(ReasonKilled, "", true, true)
			} else if stop {
				beginStop(ReasonKilled, "", true, false)
			} else if outLimit != "" && !stopping {
				beginStop(ReasonOutputLimit, outLimit, true, false)
			} else if mem && !stopping {
				restart := p.spec.MemoryAction == MemoryRestart && p.spec.Restart.Mode != RestartNever && p.spec.Restart.Mode != ""
				out.memory = restart
				beginStop(ReasonMemory, "", !restart, false)
			}
		}
	}
}

// memoryOver is called by the monitor when the tree's RSS passed the limit.
func (p *Process) memoryOver() {
	p.request(func() { p.memReq = true })
}
