// Package agenttest runs an agent adapter against a real process with
// plain os/exec pipes: a small driver for contract tests, standing in for
// the session layer. It frames output lines, feeds them to the adapter's
// Conn, queues the events, and enforces an idle timeout (no output line
// for too long ends the wait with a typed *IdleTimeoutError and kills the
// process), so no test hangs on an agent that stalls.
package agenttest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
)

// MaxLine is the longest output line the driver frames (Claude's init and
// control responses run to tens of kilobytes).
const MaxLine = 16 << 20

// IdleTimeoutError says the process printed nothing for Idle.
type IdleTimeoutError struct {
	Idle time.Duration
}

func (e *IdleTimeoutError) Error() string {
	return fmt.Sprintf("agent printed nothing for %s", e.Idle)
}

// ExitError says the process ended before what the caller waited for.
type ExitError struct {
	Err        error  // from Wait; nil for exit status 0
	StderrTail string // the last stderr lines
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("agent process ended (%v); stderr: %s", e.Err, e.StderrTail)
}

// Proc is one running agent process.
type Proc struct {
	Spec agent.LaunchSpec
	Conn agent.Conn

	cmd   *exec.Cmd
	stdin io.WriteCloser

	decodeMu sync.Mutex // Conn.Decode is called by one goroutine at a time

	mu       sync.Mutex
	queue    []event.Event
	all      []event.Event
	stdout   [][]byte
	stderr   bytes.Buffer
	lastLine time.Time
	notify   chan struct{} // closed and replaced whenever something arrives
	exited   bool
	waitErr  error

	readers sync.WaitGroup
	done    chan struct{}
}

// Start launches the adapter's process for opts (and turn, for per-turn
// adapters) and calls Conn.Start.
func Start(ad agent.Adapter, opts agent.SessionOptions, turn *agent.Turn) (*Proc, error) {
	spec, err := ad.Launch(opts, turn)
	if err != nil {
		return nil, err
	}
	p := &Proc{Spec: spec, notify: make(chan struct{}), done: make(chan struct{}), lastLine: time.Now()}
	cmd := exec.Command(spec.Program, spec.Args...)
	cmd.Env = spec.Env
	cmd.Dir = spec.Dir
	setProcessGroup(cmd)
	var w io.Writer
	if spec.Stdin {
		in, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		p.stdin = in
		w = in
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	errp, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	// w is the pipe itself (an io.WriteCloser), so a per-turn Conn can
	// close stdin after writing its prompt.
	p.Conn = ad.NewConn(opts, w, agent.ConnConfig{Turn: turn})
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p.cmd = cmd
	p.readers.Add(2)
	go p.read(agent.Stdout, out)
	go p.read(agent.Stderr, errp)
	go func() {
		p.readers.Wait()
		err := cmd.Wait()
		p.mu.Lock()
		p.exited, p.waitErr = true, err
		p.wake()
		p.mu.Unlock()
		close(p.done)
	}()
	if err := p.Conn.Start(); err != nil {
		p.Kill()
		return nil, err
	}
	return p, nil
}

// wake signals waiters. Callers hold p.mu.
func (p *Proc) wake() {
	close(p.notify)
	p.notify = make(chan struct{})
}

func (p *Proc) read(stream agent.Stream, r io.Reader) {
	defer p.readers.Done()
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if len(long)+len(chunk) <= MaxLine {
				long = append(long, chunk...)
			}
			continue
		}
		line := chunk
		if long != nil {
			line = append(long, chunk...)
			long = nil
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) > 0 || err == nil {
			p.deliver(stream, line)
		}
		if err != nil {
			return
		}
	}
}

func (p *Proc) deliver(stream agent.Stream, line []byte) {
	var evs []event.Event
	p.decodeMu.Lock()
	p.Conn.Decode(stream, line, func(e event.Event) { evs = append(evs, e) })
	p.decodeMu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastLine = time.Now()
	if stream == agent.Stdout {
		p.stdout = append(p.stdout, bytes.Clone(line))
	} else {
		p.stderr.Write(line)
		p.stderr.WriteByte('\n')
		if p.stderr.Len() > 64<<10 {
			tail := bytes.Clone(p.stderr.Bytes()[p.stderr.Len()-32<<10:])
			p.stderr.Reset()
			p.stderr.Write(tail)
		}
	}
	p.queue = append(p.queue, evs...)
	p.all = append(p.all, evs...)
	p.wake()
}

// Next returns the next event. It fails with *IdleTimeoutError (and kills
// the process) when no output line arrived for idle, with *ExitError when
// the process ended and every event was consumed, or with ctx's error.
func (p *Proc) Next(ctx context.Context, idle time.Duration) (event.Event, error) {
	for {
		p.mu.Lock()
		if len(p.queue) > 0 {
			ev := p.queue[0]
			p.queue = p.queue[1:]
			p.mu.Unlock()
			return ev, nil
		}
		if p.exited {
			err := &ExitError{Err: p.waitErr, StderrTail: tail(p.stderr.String(), 2000)}
			p.mu.Unlock()
			return event.Event{}, err
		}
		notify, last := p.notify, p.lastLine
		p.mu.Unlock()
		t := time.NewTimer(time.Until(last.Add(idle)))
		select {
		case <-notify:
			t.Stop()
		case <-ctx.Done():
			t.Stop()
			return event.Event{}, ctx.Err()
		case <-t.C:
			p.mu.Lock()
			stale := p.lastLine.Equal(last) && len(p.queue) == 0 && !p.exited
			p.mu.Unlock()
			if stale {
				p.Kill()
				return event.Event{}, &IdleTimeoutError{Idle: idle}
			}
		}
	}
}

// Until returns events up to and including the first for which stop
// returns true.
func (p *Proc) Until(ctx context.Context, idle time.Duration, stop func(event.Event) bool) ([]event.Event, error) {
	var evs []event.Event
	for {
		ev, err := p.Next(ctx, idle)
		if err != nil {
			return evs, err
		}
		evs = append(evs, ev)
		if stop(ev) {
			return evs, nil
		}
	}
}

// Turn is what one turn produced.
type Turn struct {
	Events    []event.Event
	Completed agent.TurnCompletedData
}

// Text concatenates the turn's streamed text deltas, or the whole text
// blocks when the agent streamed none.
func (t Turn) Text() string {
	var deltas, whole string
	for _, ev := range t.Events {
		if ev.Kind != event.AssistantText {
			continue
		}
		d := Data[agent.TextData](ev)
		if d.Delta {
			deltas += d.Text
		} else {
			whole += d.Text
		}
	}
	if deltas != "" {
		return deltas
	}
	return whole
}

// Kinds returns the events of kind.
func (t Turn) Kinds(kind string) []event.Event {
	var out []event.Event
	for _, ev := range t.Events {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

// WaitTurn collects events until turn.completed. A turn the agent reports
// as failed returns its *agent.TurnError along with the events.
func (p *Proc) WaitTurn(ctx context.Context, idle time.Duration) (Turn, error) {
	evs, err := p.Until(ctx, idle, func(ev event.Event) bool { return ev.Kind == event.TurnCompleted })
	t := Turn{Events: evs}
	if err != nil {
		return t, err
	}
	t.Completed = Data[agent.TurnCompletedData](evs[len(evs)-1])
	if t.Completed.Error != nil {
		return t, t.Completed.Error
	}
	return t, nil
}

// CloseStdin closes the process's stdin (a persistent agent then exits).
func (p *Proc) CloseStdin() error {
	if p.stdin == nil {
		return nil
	}
	return p.stdin.Close()
}

// Wait waits for the process to end, up to ctx.
func (p *Proc) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.waitErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stop closes stdin, waits up to grace for the process to exit, then kills
// its process group, and waits for the readers.
func (p *Proc) Stop(grace time.Duration) {
	if p.CloseStdin() != nil {
		// The process cannot see the end of its input: waiting for it
		// to exit on its own is pointless.
		grace = 0
	}
	select {
	case <-p.done:
		return
	case <-time.After(grace):
	}
	p.Kill()
	<-p.done
}

// Kill kills the process group at once.
func (p *Proc) Kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		killGroup(p.cmd)
	}
}

// Stdout returns the stdout lines received so far (the raw stream, for
// fixtures).
func (p *Proc) Stdout() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.stdout...)
}

// Events returns every event decoded so far, consumed or not.
func (p *Proc) Events() []event.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]event.Event(nil), p.all...)
}

// StderrText returns the retained stderr.
func (p *Proc) StderrText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// Data decodes an event's Data into T; a malformed Data gives T's zero
// value (the decoders' own tests check the shapes).
func Data[T any](ev event.Event) T {
	var v T
	if len(ev.Data) > 0 && json.Unmarshal(ev.Data, &v) != nil {
		var zero T // not what a partial decode left
		return zero
	}
	return v
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
