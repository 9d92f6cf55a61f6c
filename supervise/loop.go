package supervise

import (
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/proc"
)

// This file is the process's actor loop: one goroutine per managed process
// that waits for admission, runs the child (run.go), asks the restart
// policy what to do next and waits out the backoff, until it emits the
// terminal event.

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
	if !admitted && !p.waitAdmission() {
		return
	}
	var h History
	for {
		last := p.runOnce()
		r := p.resultOf(last)
		if last.spawnErr != nil {
			p.end(r)
			return
		}
		act, delay, nh := Next(h, exitOf(last), p.spec.Restart, p.s.clock.Now(), p.s.random())
		h = nh
		if act == Finish || act == GiveUp {
			p.end(finalResult(r, act, last))
			return
		}
		p.setState(StateBackoff, map[string]any{
			"delayMs": delay.Milliseconds(), "reason": r.Reason, "limit": r.Limit,
			"code": r.Code, "signal": r.Signal, "failures": len(h.Failures), "attempt": r.Attempts,
		})
		if !p.waitBackoff(delay) {
			r.State, r.Reason, r.Limit = StateExited, ReasonKilled, ""
			p.end(r)
			return
		}
	}
}

// waitAdmission waits, queued, for a slot. It reports false when a stop or
// kill took the process out of the queue first; the process is then over.
func (p *Process) waitAdmission() bool {
	s := p.s
	for {
		select {
		case <-p.admitted:
			return true
		case <-p.wake:
			if stop, kill, _, _ := p.requests(); (stop || kill) && s.dequeue(p) {
				s.unregister(p)
				p.finish(Result{State: StateExited, Reason: ReasonKilled, Code: -1})
				s.finished(p)
				return false
			}
		}
	}
}

// waitBackoff waits delay on the supervisor's clock. It reports false when
// a stop or kill came first: the process is not started again.
func (p *Process) waitBackoff(delay time.Duration) bool {
	t := p.s.clock.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-t.C():
			return true
		case <-p.wake:
			if stop, kill, _, _ := p.requests(); stop || kill {
				return false
			}
		}
	}
}

// resultOf is the Result the process would end with after run last: its
// counters, and the reason the run ended for (exit or crashed when no limit
// or request gave one). A spawn failure is final: its Result is complete.
func (p *Process) resultOf(last outcome) Result {
	p.mu.Lock()
	r := Result{
		Code: last.status.Code, Signal: last.status.Signal, SignalName: last.status.SignalName,
		Attempts: p.attempts, Restarts: max(p.attempts-1, 0), Exit: last.status,
		DurationMs: last.status.Ended.Sub(p.first).Milliseconds(),
	}
	p.mu.Unlock()
	if last.spawnErr != nil {
		r.State, r.Reason, r.Err, r.Error, r.Code = StateFailed, ReasonSpawnFailed, last.spawnErr, last.spawnErr.Error(), -1
		return r
	}
	r.Reason, r.Limit = last.reason, last.limit
	if r.Reason == "" {
		r.Reason = ReasonExit
		if last.status.Signal != 0 {
			r.Reason = ReasonCrashed
		}
	}
	return r
}

// exitOf is what the restart policy (Next) needs to know of a run.
func exitOf(last outcome) Exit {
	return Exit{
		Code: last.status.Code, Signal: last.status.Signal,
		Requested: last.requested, Ready: last.ready,
		Started: last.status.Started, Ended: last.status.Ended,
	}
}

// finalResult completes r for an action that ends the process (Finish or
// GiveUp): not being ready before the start timeout, or being given up,
// is a failure; any other end is an exit.
func finalResult(r Result, act Action, last outcome) Result {
	switch {
	case act == GiveUp:
		r.State, r.GaveUp = StateFailed, true
	case last.limit == "start":
		r.State = StateFailed
	default:
		r.State = StateExited
	}
	return r
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
