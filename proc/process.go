package proc

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/corral-dev/corral/stream"
)

// Process is one running (or finished) child. Its methods are safe for
// concurrent use.
type Process struct {
	spec Spec
	path string
	cmd  *exec.Cmd
	sink Sink

	sinkMu sync.Mutex
	seq    uint64

	stdin       *os.File // pipe write end or the PTY master; nil with StdinNone
	stdinClosed atomic.Bool
	readers     []*os.File
	readersDone chan struct{}

	mu      sync.Mutex
	reaped  bool // after reaping, the pid and group id may be recycled: never signal again
	stopped bool
	sys     sysState

	done   chan struct{}
	status ExitStatus
	err    error
}

// Start starts the child described by spec. Output is passed to sink (which
// may be nil to discard it). The returned Process is running; use Wait or
// Done to learn when it has ended. Start fails with *SpawnFailed when the
// program, the file or the directory cannot be used.
func Start(spec Spec, sink Sink) (*Process, error) {
	path, err := resolve(&spec)
	if err != nil {
		return nil, err
	}
	if sink == nil {
		sink = func(Output) {}
	}
	p := &Process{
		spec:        spec,
		path:        path,
		sink:        sink,
		readersDone: make(chan struct{}),
		done:        make(chan struct{}),
	}
	p.cmd = &exec.Cmd{
		Path: path,
		Args: append([]string{spec.Program}, spec.Args...),
		Dir:  spec.Dir,
		// A non-nil, possibly empty slice: os/exec treats nil as "inherit".
		Env: append([]string{}, spec.Env...),
	}
	fds, err := p.openStdio()
	if err != nil {
		return nil, err
	}
	if err := p.spawn(fds); err != nil {
		return nil, err
	}
	p.startReaders()
	return p, nil
}

// stdio is the descriptors of a child being started. The child inherits
// childEnds; the parent closes its copies right after the start so that EOF
// means "every writer is gone". parentEnds are the parent's own ends.
type stdio struct {
	childEnds, parentEnds []*os.File
}

func closeAll(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

func (s *stdio) closeAll() {
	closeAll(s.childEnds)
	closeAll(s.parentEnds)
}

// openStdio opens the pseudo-terminal or the pipes of spec.Stdin and wires
// them into p.cmd, p.stdin and p.readers.
func (p *Process) openStdio() (*stdio, error) {
	spec, cmd := &p.spec, p.cmd
	fds := &stdio{}
	if spec.Stdin == StdinPTY {
		master, tty, err := openPTY(spec.Rows, spec.Cols)
		if err != nil {
			return nil, &SpawnFailed{Program: spec.Program, Reason: "cannot open a pseudo-terminal", Err: err}
		}
		cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
		fds.childEnds = append(fds.childEnds, tty)
		fds.parentEnds = append(fds.parentEnds, master)
		p.stdin = master
		p.readers = []*os.File{master}
		return fds, nil
	}
	pipesFailed := func(err error) error {
		fds.closeAll()
		return &SpawnFailed{Program: spec.Program, Reason: "cannot create pipes", Err: err}
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, pipesFailed(err)
	}
	fds.childEnds = append(fds.childEnds, outW)
	fds.parentEnds = append(fds.parentEnds, outR)
	errR, errW, err := os.Pipe()
	if err != nil {
		return nil, pipesFailed(err)
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	fds.childEnds = append(fds.childEnds, errW)
	fds.parentEnds = append(fds.parentEnds, errR)
	p.readers = []*os.File{outR, errR}
	if spec.Stdin == StdinPipe {
		inR, inW, err := os.Pipe()
		if err != nil {
			return nil, pipesFailed(err)
		}
		cmd.Stdin = inR
		fds.childEnds = append(fds.childEnds, inR)
		fds.parentEnds = append(fds.parentEnds, inW)
		p.stdin = inW
	}
	// With StdinNone, a nil cmd.Stdin is the null device.
	return fds, nil
}

// spawn starts the child (in its cgroup when spec.Cgroup names one) on the
// goroutine that stays with it (see run), and closes the child's ends of
// fds. On failure every descriptor of fds is closed.
func (p *Process) spawn(fds *stdio) error {
	spec := &p.spec
	p.cmd.SysProcAttr = sysProcAttr(spec)
	// Only the three standard descriptors reach the child. Without a way to
	// list descriptors (no /proc) a stray one may leak; that is no reason
	// to refuse the spawn.
	CloseOnExecAll()
	cgroupDir, err := intoCgroup(spec, p.cmd.SysProcAttr)
	if err != nil {
		fds.closeAll()
		return err
	}
	started := make(chan error, 1)
	go p.run(started)
	err = <-started
	closeAll(fds.childEnds)
	if cgroupDir != nil {
		cgroupDir.Close()
	}
	if err != nil {
		closeAll(fds.parentEnds)
		return spawnError(spec, p.path, err)
	}
	p.status.Started = time.Now()
	return nil
}

// startReaders starts one goroutine per output stream; readersDone is
// closed when all of them reached the end of their stream.
func (p *Process) startReaders() {
	var wg sync.WaitGroup
	for i, r := range p.readers {
		id := Stdout
		if i == 1 {
			id = Stderr
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.read(id, r)
		}()
	}
	go func() {
		wg.Wait()
		close(p.readersDone)
	}()
}

func spawnError(spec *Spec, path string, err error) error {
	reason := "cannot be started"
	switch {
	case errors.Is(err, syscall.ENOEXEC):
		reason = "not an executable format"
	case errors.Is(err, os.ErrPermission):
		reason = "not executable"
	case errors.Is(err, os.ErrNotExist):
		reason = "not found (or its interpreter is missing)"
	}
	return &SpawnFailed{Program: spec.Program, Dir: spec.Dir, Reason: reason + " (" + path + ")", Err: err}
}

// run starts the child and stays with it until it is reaped. It runs on its
// own goroutine so that, on Linux, the OS thread that created the child (and
// whose death fires the parent-death signal) lives exactly as long as the
// child does.
func (p *Process) run(started chan<- error) {
	unlock := lockThread()
	if err := p.cmd.Start(); err != nil {
		unlock()
		started <- err
		return
	}
	p.sys = afterStart(p.cmd)
	started <- nil

	// Learn that the leader exited without reaping it where the OS allows:
	// while it is a zombie its pid, and so the group id, cannot be reused.
	zombie := waitExitNoReap(p.cmd.Process.Pid)
	var state *os.ProcessState
	var werr error
	if !zombie {
		state, werr = p.cmd.Process.Wait()
		p.markReaped()
	}
	p.finishOutput()
	if zombie {
		state, werr = p.cmd.Process.Wait()
		p.markReaped()
	}
	unlock()

	// Readers are done: no Write can reach a child anymore.
	p.closeStdinFile()
	for _, r := range p.readers {
		r.Close()
	}
	releaseSys(p.sys)

	p.mu.Lock()
	p.status.Ended = time.Now()
	p.status.Stopped = p.stopped
	p.mu.Unlock()
	if state != nil {
		fillStatus(&p.status, state)
	} else {
		p.status.Code = -1
		p.err = werr
	}
	close(p.done)
}

// finishOutput runs after the leader exited. It gives the readers WaitDelay
// to reach EOF, kills whatever is left of the process group (a background
// grandchild must not outlive its command) and, if a descendant that left
// the group still holds the pipes, stops reading after a second WaitDelay.
func (p *Process) finishOutput() {
	wd := p.spec.waitDelay()
	t := time.NewTimer(wd)
	select {
	case <-p.readersDone:
	case <-t.C:
	}
	t.Stop()
	p.signalGroup(sigKill)
	p.killCgroup()
	t = time.NewTimer(wd)
	select {
	case <-p.readersDone:
	case <-t.C:
		for _, r := range p.readers {
			if r.SetReadDeadline(time.Now()) != nil {
				r.Close()
			}
		}
		<-p.readersDone
	}
	t.Stop()
}

func (p *Process) markReaped() {
	p.mu.Lock()
	p.reaped = true
	p.mu.Unlock()
}

// signalGroup sends sig to the child's whole group, unless it was reaped.
func (p *Process) signalGroup(sig sysSignal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reaped {
		return os.ErrProcessDone
	}
	return groupSignal(p.cmd.Process, p.sys, sig)
}

func (p *Process) read(id StreamID, r *os.File) {
	if p.spec.Output == Chunks {
		buf := make([]byte, 64<<10)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				p.emit(Output{Stream: id, Bytes: buf[:n], Time: time.Now()})
			}
			if err != nil {
				return
			}
		}
	}
	// Lines framed from one read arrived together: they share the time of
	// that read, which spares a clock read per line in a flood.
	sr := &stampedReader{r: r}
	f := stream.NewFramer(sr, stream.Options{MaxLine: p.spec.maxLine()})
	pg := progressGate{p: p, id: id, interval: p.spec.progressInterval()}
	defer pg.finish()
	for {
		line, err := f.Next()
		if err != nil {
			// io.EOF, a closed pipe, EIO from a terminal whose last writer
			// left: all mean the stream is over.
			return
		}
		o := Output{Stream: id, Bytes: line.Bytes, Continued: line.Continued, Progress: line.Progress, Partial: line.Partial, Time: sr.at}
		if o.Progress && !o.Continued {
			pg.offer(o)
			continue
		}
		pg.supersede()
		p.emit(o)
	}
}

// progressGate coalesces progress updates in time: the framer already keeps
// only the latest update of each read, but a progress bar that writes one
// update per write would still produce one Output per update. The gate lets
// at most one update through per interval and delivers the latest one when
// the interval ends; a normal line (which is the final state of the same
// terminal line) makes a pending update obsolete.
type progressGate struct {
	p        *Process
	id       StreamID
	interval time.Duration

	// active is set while an update is pending or was recently let through,
	// so that the common case (no progress bar) costs one atomic load a line.
	active  atomic.Bool
	mu      sync.Mutex
	pending []byte
	has     bool
	flags   Output
	last    time.Time
	timer   *time.Timer
}

func (g *progressGate) offer(o Output) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.active.Store(true)
	now := o.Time
	if !g.has && now.Sub(g.last) >= g.interval {
		g.last = now
		g.p.emit(o)
		return
	}
	g.pending = append(g.pending[:0], o.Bytes...)
	g.flags = o
	g.has = true
	if g.timer == nil {
		g.timer = time.AfterFunc(g.interval-now.Sub(g.last), g.flush)
	}
}

func (g *progressGate) flush() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.timer = nil
	g.emitPendingLocked()
}

func (g *progressGate) emitPendingLocked() {
	if !g.has {
		return
	}
	o := g.flags
	o.Bytes = g.pending
	o.Time = time.Now()
	g.has = false
	g.last = o.Time
	g.p.emit(o)
}

// supersede drops a pending update: the line that follows replaces it.
func (g *progressGate) supersede() {
	if !g.active.Load() {
		return
	}
	g.mu.Lock()
	g.active.Store(false)
	g.has = false
	if g.timer != nil {
		g.timer.Stop()
		g.timer = nil
	}
	g.mu.Unlock()
}

// finish delivers the last pending update when the stream ends on one.
func (g *progressGate) finish() {
	g.mu.Lock()
	if g.timer != nil {
		g.timer.Stop()
		g.timer = nil
	}
	g.emitPendingLocked()
	g.mu.Unlock()
}

func (p *Process) emit(o Output) {
	p.sinkMu.Lock()
	p.seq++
	o.Seq = p.seq
	p.sink(o)
	p.sinkMu.Unlock()
}

// stampedReader records the time of its latest read.
type stampedReader struct {
	r  io.Reader
	at time.Time
}

func (s *stampedReader) Read(b []byte) (int, error) {
	n, err := s.r.Read(b)
	s.at = time.Now()
	return n, err
}

// Pid is the child's process id (also its process group id on Unix).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Path is the absolute path of the program that was started.
func (p *Process) Path() string { return p.path }

// Spec returns the spec the process was started from.
func (p *Process) Spec() Spec { return p.spec }

// Done is closed when the child has been reaped and all its output was
// delivered to the Sink.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait blocks until the child has ended and returns how it ended. The error
// is non-nil only if the exit status could not be learned.
func (p *Process) Wait() (ExitStatus, error) {
	<-p.done
	return p.status, p.err
}

// Write writes to the child's stdin. It may block while the child does not
// read; it returns *StdinBroken when the child is gone or stdin was closed.
func (p *Process) Write(b []byte) (int, error) {
	if p.stdin == nil {
		return 0, ErrNoStdin
	}
	if p.stdinClosed.Load() {
		return 0, &StdinBroken{Err: os.ErrClosed}
	}
	n, err := p.stdin.Write(b)
	if err != nil {
		return n, &StdinBroken{Err: err}
	}
	return n, nil
}

// CloseStdin closes the child's stdin so that it reads EOF. In PTY mode it
// sends the terminal's end-of-file character instead, since closing the
// terminal would hang it up.
func (p *Process) CloseStdin() error {
	if p.stdin == nil {
		return ErrNoStdin
	}
	if p.spec.Stdin == StdinPTY {
		if p.stdinClosed.Load() {
			return &StdinBroken{Err: os.ErrClosed}
		}
		_, err := p.stdin.Write([]byte{4}) // ^D
		if err != nil {
			return &StdinBroken{Err: err}
		}
		return nil
	}
	if p.stdinClosed.Swap(true) {
		return &StdinBroken{Err: os.ErrClosed}
	}
	return p.stdin.Close()
}

func (p *Process) closeStdinFile() {
	if p.stdin != nil && !p.stdinClosed.Swap(true) {
		p.stdin.Close()
	}
}

// Stop ends the child gracefully: it closes stdin, sends SIGTERM to the whole
// process group (CTRL_BREAK on Windows), waits up to grace (DefaultGrace when
// zero) and then kills the group. It returns once the child is reaped.
func (p *Process) Stop(grace time.Duration) ExitStatus {
	if grace <= 0 {
		grace = DefaultGrace
	}
	p.markStopped()
	if p.spec.Stdin == StdinPipe {
		p.CloseStdin()
	}
	p.signalGroup(sigTerm)
	p.signalCgroup(sigTerm)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		p.signalGroup(sigKill)
		p.killCgroup()
		<-p.done
	}
	return p.status
}

// Kill kills the child's whole process group at once. It does not wait; use
// Wait or Done.
func (p *Process) Kill() error {
	p.markStopped()
	err := p.signalGroup(sigKill)
	p.killCgroup()
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}

// Signal sends sig to the child's whole process group. It is how a caller
// forwards a terminal's interrupt, for example.
func (p *Process) Signal(sig os.Signal) error {
	s, ok := toSignal(sig)
	if !ok {
		return errors.New("proc: signal not supported on this platform")
	}
	return p.signalGroup(s)
}

// SignalTree sends sig to the child's process group and, when the child
// was started in a cgroup (Spec.Cgroup), to every process of that cgroup:
// descendants that left the group (setsid) get it too. It is the graceful
// half of a stop; Kill is the other.
func (p *Process) SignalTree(sig os.Signal) error {
	s, ok := toSignal(sig)
	if !ok {
		return errors.New("proc: signal not supported on this platform")
	}
	err := p.signalGroup(s)
	p.signalCgroup(s)
	return err
}

func (p *Process) markStopped() {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
}

var _ io.Writer = (*Process)(nil)
